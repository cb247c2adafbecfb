"""Checks every request passes before its route runs (registered on the resolver by `app.py`, `gate` first).

`gate` answers the refusals that come before any input (401, 404 for `/v1/admin`, 403 for a read-only session's
change: `tenancy.gate`). The others answer 422 in the shape of every other 422 (`http_errors.validation_response`),
and only for a request the gate let through.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from carrier_api.http_errors import handle_carrier_error, validation_response
from carrier_api.tenancy import gate as refusal


def gate(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """Every /v1 route: who may not make this request at all is refused here, in one place, keyed on the
    caller and the method (never per route); the public pages pass."""
    if not resolver.current_event.path.startswith("/v1/"):
        return next_middleware(resolver)
    refused = refusal(resolver.current_event)
    return handle_carrier_error(refused) if refused is not None else next_middleware(resolver)


def known_query_only(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """An unknown query parameter is a 422 naming it, as an unknown body field is (a typo never passes silently)."""
    route = resolver.context.get("_route")
    known = {param.alias for param in route.dependant.query_params} if route is not None else set()
    unknown = sorted(set(resolver.current_event.query_string_parameters or {}) - known)
    if not unknown or refusal(resolver.current_event) is not None:  # refused: the gate answers first
        return next_middleware(resolver)
    message = f"unknown query parameter {unknown[0]!r}"
    return validation_response([{"field": unknown[0], "in": "query", "message": message, "type": "extra_forbidden"}])


JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def object_body_only(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """A JSON body must be an object (or null where the body is optional): Powertools' validation would take
    the first item of an array as the whole body, so `[{...}]` or `[null, 1]` would pass as `{...}` or no body."""
    route = resolver.context.get("_route")
    if route is None or not route.dependant.body_params or not resolver.current_event.body:
        return next_middleware(resolver)
    try:
        body = resolver.current_event.json_body
    except (ValueError, RecursionError):  # invalid JSON, UTF-8 or nesting: the validation answers, naming body
        return next_middleware(resolver)
    if body is None or isinstance(body, dict) or refusal(resolver.current_event) is not None:
        return next_middleware(resolver)
    message = f"the body must be a JSON object, not {JSON_KINDS.get(type(body), 'that')}"
    return validation_response([{"field": "body", "in": "body", "message": message, "type": "model_attributes_type"}])

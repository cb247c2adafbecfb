"""Every answer that is not a success, in one place, and the documentation of every answer a route gives.

`ERROR_ANSWERS` is the table: status -> description and body model, read by `answers()` (each route's OpenAPI
`responses`) and matched by the handlers below, which `app.py` registers on the resolver. Two rules hold for
every route: a request without a valid key gets the 401 first, whatever else is wrong with it; every 422 has
the same body (`validation_response`): the first problem in `message` and `field`, every problem in `errors`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from pydantic import BaseModel

from carrier.errors import CarrierError
from carrier.models import AuthErrorBody, ErrorBody, ValidationErrorBody
from carrier_api.tenancy import gate

# ---- what each route answers, documented: its success and every error status it can give -------------

ERROR_ANSWERS: dict[int, tuple[str, type[BaseModel]]] = {
    401: ("No valid API key (or a portal session that has ended)", AuthErrorBody),
    403: ("A read-only portal session cannot change anything; `field` names the capability", ErrorBody),
    404: ("Not found (another tenant's ids are not found either)", ErrorBody),
    409: ("The resource's state forbids this now", ErrorBody),
    413: ("Too large; `field` names the part", ErrorBody),
    415: ("The body is not JSON (Content-Type: application/json)", ErrorBody),
    422: ("Invalid input; `field` names the first field at fault", ValidationErrorBody),
}


def answers(success: int, *errors: int) -> dict[int, OpenAPIResponse]:
    """A route's documented answers: its success (schema from its return type), 401, 422 and `errors`."""
    documented: dict[int, OpenAPIResponse] = {success: {"description": "Success"}}
    if success == 204:
        documented[success] = {"description": "Done; no body", "content": {}}
    for code in sorted({401, 422, *errors}):
        description, model = ERROR_ANSWERS[code]
        documented[code] = {"description": description, "content": {content_types.APPLICATION_JSON: {"model": model}}}
    return documented


def json_response(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def validation_response(
    errors: list[dict[str, str]], first: dict[str, str] | None = None, message: str | None = None
) -> Response:
    """Every 422: the first problem in `message` and `field`, every problem in `errors`."""
    first = first or errors[0]
    body = {"error": "validation_error", "message": message or first["message"], "field": first["field"]}
    return json_response(422, {**body, "errors": errors})


# ---- errors: one place maps every failure to an answer ------------------------------------------


def handle_carrier_error(exc: CarrierError) -> Response:
    body = exc.to_dict()
    if exc.status_code == 422 and "errors" not in body:  # every 422 has the same shape, whoever found the problem
        body["errors"] = [{"field": exc.field or "body", "in": "body", "message": exc.message, "type": "value_error"}]
    return json_response(exc.status_code, body)


_WHERE = {"body", "query", "path", "header"}


def _describe(error: dict[str, Any]) -> dict[str, str]:
    loc = [str(part) for part in error.get("loc", ())]
    where = loc[0] if loc and loc[0] in _WHERE else "body"
    field = ".".join(part for part in loc[1:] if not part.isdigit() or where != "body") or where
    message = str(error.get("msg") or error.get("type") or "invalid")
    message = message.removeprefix("Value error, ")
    if error.get("type") == "json_invalid":
        field, message = "body", "the body is not valid JSON"
    elif error.get("type") == "extra_forbidden":
        message = f"unknown field {field!r}"
    elif error.get("type") == "missing":
        message = f"{field} is required"
    return {"field": field, "in": where, "message": message, "type": str(error.get("type", ""))}


def handle_validation_error(exc: RequestValidationError, event: BaseProxyEvent) -> Response:
    refused = gate(event) if event.path.startswith("/v1/") else None
    if refused is not None:  # no key, no such route for this caller, read-only: before anything about the input
        return handle_carrier_error(refused)
    errors = [_describe(error) for error in exc.errors()]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    return validation_response(errors, first=first, message=f"{first['field']}: {first['message']}")


def handle_unsupported_content_type(event: BaseProxyEvent) -> Response:
    refused = gate(event) if event.path.startswith("/v1/") else None
    if refused is not None:
        return handle_carrier_error(refused)
    kind = event.headers.get("content-type", "")
    message = f"the body must be JSON (Content-Type: application/json), not {kind[:100]!r}"
    return json_response(415, {"error": "unsupported_media_type", "message": message, "field": "content-type"})


UNREADABLE_BODY: dict[type[Exception], str] = {
    UnicodeDecodeError: "the body is not valid UTF-8 JSON",
    RecursionError: "the body is nested too deeply",  # json.loads of 10,000 nested arrays
}


def handle_unreadable_body(exc: Exception) -> Response:
    message = next(text for kind, text in UNREADABLE_BODY.items() if isinstance(exc, kind))
    return validation_response([{"field": "body", "in": "body", "message": message, "type": "json_invalid"}])


def handle_not_found(event: BaseProxyEvent) -> Response:
    return json_response(404, {"error": "not_found", "message": f"no route for {event.http_method} {event.path}"})

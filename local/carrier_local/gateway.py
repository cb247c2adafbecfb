"""The HTTP API, served locally the way API Gateway HTTP APIs serve it: the request -> response logic.

Every request is matched against the route table (`carrier_local.routes`), becomes a payload-format-2.0 event
(`carrier_local.apievents`), goes through the Lambda REQUEST authorizer when the route uses one, and the route's
function result becomes the HTTP response by API Gateway's rules.

`ApiGateway` is pure (testable without sockets, with any route table and any functions) and never raises:
function and authorizer failures become the 500s API Gateway answers. `carrier_local.httpserver.GatewayServer`
puts it behind a `ThreadingHTTPServer`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from carrier_local.apievents import (
    ApiContext,
    HttpRequest,
    HttpResponse,
    MalformedResponse,
    build_authorizer_event,
    build_event,
    json_response,
    new_request_id,
    response_from_result,
    split_target,
)
from carrier_local.routes import Authorizer, Route, match_route

log = logging.getLogger("carrier_local.gateway")

Invoke = Callable[[Any], Any]

NOT_FOUND = {"message": "Not Found"}
UNAUTHORIZED = {"message": "Unauthorized"}
FORBIDDEN = {"message": "Forbidden"}
INTERNAL_ERROR = {"message": "Internal Server Error"}


def _authorized(result: Any, authorizer: Authorizer) -> tuple[bool, Any]:
    """(is authorized, context) from an authorizer's result; MalformedResponse if it has neither shape."""
    if not isinstance(result, dict):
        raise MalformedResponse("authorizer result is not an object")
    if authorizer.simple_responses:
        allowed = result.get("isAuthorized")
        if not isinstance(allowed, bool):
            raise MalformedResponse("authorizer simple response has no boolean isAuthorized")
        return allowed, result.get("context")
    statements = (result.get("policyDocument") or {}).get("Statement")
    if not isinstance(statements, list):
        raise MalformedResponse("authorizer IAM response has no policyDocument.Statement")
    effects = {str(s.get("Effect", "")).lower() for s in statements if isinstance(s, dict)}
    return ("allow" in effects and "deny" not in effects), result.get("context")


class ApiGateway:
    """API Gateway HTTP API semantics over a route table and a map of functions.

    `functions` maps a function's logical id to `invoke(event) -> result`.
    """

    def __init__(
        self,
        routes: Iterable[Route],
        functions: Mapping[str, Invoke],
        api: ApiContext | None = None,
    ) -> None:
        self.routes = list(routes)
        self.functions = dict(functions)
        self.api = api or ApiContext()
        missing = {r.function for r in self.routes} | {r.authorizer.function for r in self.routes if r.authorizer}
        missing -= set(self.functions)
        if missing:
            raise ValueError(f"no function for {', '.join(sorted(missing))}")

    def handle(self, request: HttpRequest, server_port: int | None = None) -> HttpResponse:
        """Serve one request; never raises (function errors become 500s, as in API Gateway)."""
        started = time.monotonic()
        request_id = new_request_id()
        response = self._respond(request, request_id, server_port)
        response.headers.append(("apigw-requestid", request_id))
        log.info(
            "%s %s %d %dms",
            request.method,
            request.target,
            response.status,
            (time.monotonic() - started) * 1000,
        )
        return response

    def _respond(self, request: HttpRequest, request_id: str, server_port: int | None) -> HttpResponse:
        raw_path, _ = split_target(request.target)
        matched = match_route(self.routes, request.method, raw_path)
        if matched is None:
            return json_response(404, NOT_FOUND)
        route, params = matched
        event = build_event(request, route, params, self.api, request_id=request_id, server_port=server_port)
        if route.authorizer is not None:
            denied = self._authorize(route.authorizer, event)
            if denied is not None:
                return denied
        try:
            result = self.functions[route.function](event)
            return response_from_result(result)
        except MalformedResponse:
            log.exception("%s returned a response API Gateway cannot map", route.function)
        except Exception:
            log.exception("%s failed on %s", route.function, route.key)
        return json_response(500, INTERNAL_ERROR)

    def _authorize(self, authorizer: Authorizer, event: dict[str, Any]) -> HttpResponse | None:
        """None if the request may go on, else the 401/403/500 response; sets requestContext.authorizer."""
        identity = [event["headers"].get(h, "") for h in authorizer.identity_headers]
        identity += [(event.get("queryStringParameters") or {}).get(q, "") for q in authorizer.identity_query_strings]
        if not identity or not all(identity):
            return json_response(401, UNAUTHORIZED)
        auth_event = build_authorizer_event(event, identity, self.api)
        try:
            allowed, context = _authorized(self.functions[authorizer.function](auth_event), authorizer)
        except Exception:
            log.exception("authorizer %s (%s) failed", authorizer.name, authorizer.function)
            return json_response(500, INTERNAL_ERROR)
        if not allowed:
            return json_response(403, FORBIDDEN)
        event["requestContext"]["authorizer"] = {"lambda": context}
        return None


__all__ = ["ApiGateway", "Invoke"]

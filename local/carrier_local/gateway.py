"""The HTTP API, served locally the way API Gateway HTTP APIs serve it.

Routes come from the template (`Type: HttpApi` function events and the API's `Auth`); every request
becomes a payload-format-2.0 event, goes through the Lambda REQUEST authorizer when the route uses one,
and the route's function result becomes the HTTP response by API Gateway's rules.

`ApiGateway` is the pure request -> response logic (testable without sockets, with any route table
and any functions); `GatewayServer` puts it behind a `ThreadingHTTPServer`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from carrier_local.template import (
    SERVERLESS_FUNCTION,
    SERVERLESS_HTTP_API,
    TemplateError,
    ref_target,
    resources,
)

log = logging.getLogger("carrier_local.gateway")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""API Gateway's request payload limit (10 MB)."""

IMPLICIT_API = "ServerlessHttpApi"
"""The logical id SAM gives the HTTP API it creates for `HttpApi` events without an `ApiId`."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Invoke = Callable[[Any], Any]


# --------------------------------------------------------------------------------------------------
# Route table


@dataclass(frozen=True)
class Authorizer:
    """A Lambda REQUEST authorizer of an HTTP API."""

    name: str
    function: str
    """Logical id of the authorizer function."""
    identity_headers: tuple[str, ...] = ("authorization",)
    identity_query_strings: tuple[str, ...] = ()
    simple_responses: bool = True
    payload_format_version: str = "2.0"


@dataclass(frozen=True)
class Route:
    """One `METHOD /path` route and the function behind it."""

    method: str
    path: str
    function: str
    """Logical id of the function the route integrates with."""
    authorizer: Authorizer | None = None
    api: str = IMPLICIT_API

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _api_properties(template: Mapping[str, Any], api: str) -> dict[str, Any]:
    globals_ = dict((template.get("Globals") or {}).get("HttpApi") or {})
    resource = (template.get("Resources") or {}).get(api)
    props = dict((resource or {}).get("Properties") or {})
    if resource is not None and resource.get("Type") != SERVERLESS_HTTP_API:
        raise TemplateError(f"ApiId {api} is not an {SERVERLESS_HTTP_API}")
    auth = {**(globals_.get("Auth") or {}), **(props.get("Auth") or {})}
    return {**globals_, **props, "Auth": auth}


def _authorizer(api: str, name: str, config: Mapping[str, Any]) -> Authorizer:
    if "JwtConfiguration" in config or "FunctionArn" not in config:
        raise TemplateError(f"{api}: authorizer {name} is not a Lambda authorizer (only those run locally)")
    function = ref_target(config["FunctionArn"])
    if function is None:
        raise TemplateError(f"{api}: authorizer {name} FunctionArn must be !GetAtt <Function>.Arn")
    version = str(config.get("AuthorizerPayloadFormatVersion", "2.0"))
    if version != "2.0":
        raise TemplateError(f"{api}: authorizer {name} uses payload format {version}; only 2.0 runs locally")
    identity = config.get("Identity") or {}
    headers = identity.get("Headers", ["Authorization"] if not identity else [])
    return Authorizer(
        name=name,
        function=function,
        identity_headers=tuple(str(h).lower() for h in headers),
        identity_query_strings=tuple(str(q) for q in identity.get("QueryStrings", [])),
        simple_responses=bool(config.get("EnableSimpleResponses", False)),
        payload_format_version=version,
    )


def _route_authorizer(api: str, api_props: Mapping[str, Any], event_props: Mapping[str, Any]) -> Authorizer | None:
    auth = api_props.get("Auth") or {}
    name = (event_props.get("Auth") or {}).get("Authorizer", auth.get("DefaultAuthorizer"))
    if name is None or name == "NONE":
        return None
    configs = auth.get("Authorizers") or {}
    if name not in configs:
        raise TemplateError(f"{api}: authorizer {name} is not defined in Auth.Authorizers")
    return _authorizer(api, name, configs[name])


def routes_from_template(template: Mapping[str, Any], api: str | None = None) -> list[Route]:
    """Every route of the template's HTTP API, from its functions' `Type: HttpApi` events.

    With several HTTP APIs in the template, `api` (a logical id) says which one to serve.
    """
    routes: list[Route] = []
    for function, resource in resources(template, SERVERLESS_FUNCTION):
        for event_name, event in ((resource.get("Properties") or {}).get("Events") or {}).items():
            if event.get("Type") != "HttpApi":
                continue
            props = event.get("Properties") or {}
            route_api = ref_target(props.get("ApiId")) or IMPLICIT_API
            if api is not None and route_api != api:
                continue
            if "Path" not in props and "Method" not in props:
                raise TemplateError(f"{function}.{event_name}: the $default route is not supported locally")
            version = str(props.get("PayloadFormatVersion", "2.0"))
            if version != "2.0":
                raise TemplateError(f"{function}.{event_name}: payload format {version} is not supported")
            api_props = _api_properties(template, route_api)
            routes.append(
                Route(
                    method=str(props.get("Method", "ANY")).upper(),
                    path=str(props.get("Path", "/")),
                    function=function,
                    authorizer=_route_authorizer(route_api, api_props, props),
                    api=route_api,
                )
            )
    apis = {route.api for route in routes}
    if len(apis) > 1:
        raise TemplateError(f"several HTTP APIs ({', '.join(sorted(apis))}): say which one to serve")
    keys = [route.key for route in routes]
    duplicates = {key for key in keys if keys.count(key) > 1}
    if duplicates:
        raise TemplateError(f"duplicate routes: {', '.join(sorted(duplicates))}")
    return routes


# --------------------------------------------------------------------------------------------------
# Route matching


def _match_path(pattern: str, path: str) -> dict[str, str] | None:
    """Path parameters if `path` matches `pattern` (`/a/{id}/{proxy+}`), else None."""
    wanted = pattern.split("/")
    given = path.split("/")
    params: dict[str, str] = {}
    for index, segment in enumerate(wanted):
        if segment.startswith("{") and segment.endswith("+}"):
            if index != len(wanted) - 1:
                return None
            rest = "/".join(given[index:])
            if not rest:
                return None
            params[segment[1:-2]] = unquote(rest)
            return params
        if index >= len(given):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            if not given[index]:
                return None
            params[segment[1:-1]] = unquote(given[index])
        elif segment != given[index]:
            return None
    return params if len(given) == len(wanted) else None


def _specificity(route: Route) -> tuple[int, int, int, int]:
    """Sort key, most specific first: no greedy variable, fewer variables, more literals, exact method."""
    segments = route.path.split("/")
    greedy = int(any(s.startswith("{") and s.endswith("+}") for s in segments))
    variables = sum(1 for s in segments if s.startswith("{"))
    return (greedy, variables, -(len(segments) - variables), int(route.method == "ANY"))


def match_route(routes: Iterable[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route API Gateway would choose for `method path`, with its path parameters."""
    method = method.upper()
    best: tuple[tuple[int, int, int, int], Route, dict[str, str]] | None = None
    for route in routes:
        if route.method not in (method, "ANY"):
            continue
        params = _match_path(route.path, path)
        if params is None:
            continue
        rank = _specificity(route)
        if best is None or rank < best[0]:
            best = (rank, route, params)
    return None if best is None else (best[1], best[2])


# --------------------------------------------------------------------------------------------------
# Requests, responses and events


@dataclass
class HttpRequest:
    method: str
    target: str
    """The request target as sent: raw path and query string."""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)


def json_response(status: int, payload: Any) -> HttpResponse:
    """A response API Gateway makes itself (compact JSON, as it sends: `{"message":"Not Found"}`)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return HttpResponse(status, [("content-type", "application/json")], body)


def _clf_time(epoch: float) -> str:
    """`requestContext.time`: `12/Mar/2020:19:03:58 +0000` (English month names whatever the locale)."""
    t = time.gmtime(epoch)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{clock} +0000"


def _request_id() -> str:
    return base64.b64encode(secrets.token_bytes(10)).decode().rstrip("=") + "="


def _trace_id(epoch: float) -> str:
    return f"Root=1-{int(epoch):08x}-{secrets.token_hex(12)}"


def _split_target(target: str) -> tuple[str, str]:
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    path, _, query = target.partition("?")
    return path or "/", query


def _joined_headers(headers: Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Lower-cased headers with duplicates comma-joined, and the cookies taken out of them."""
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined, cookies


def _query_parameters(raw_query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    return params


@dataclass(frozen=True)
class ApiContext:
    """The identity of the local API, as it appears in events and ARNs."""

    api_id: str = "carrierapi"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    stage: str = "$default"


def build_event(
    request: HttpRequest,
    route: Route,
    path_parameters: Mapping[str, str],
    api: ApiContext,
    *,
    request_id: str | None = None,
    now: float | None = None,
    server_port: int | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload-format-2.0 event for `request` on `route`."""
    now = time.time() if now is None else now
    request_id = request_id or _request_id()
    raw_path, raw_query = _split_target(request.target)
    headers, cookies = _joined_headers(request.headers)
    host = headers.get("host", f"{api.api_id}.execute-api.{api.region}.amazonaws.com")
    headers.setdefault("x-forwarded-for", request.source_ip)
    if server_port is not None:
        headers.setdefault("x-forwarded-port", str(server_port))
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-amzn-trace-id", _trace_id(now))
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query = _query_parameters(raw_query)
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": api.account_id,
        "apiId": api.api_id,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": request.method.upper(),
            "path": raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route.key,
        "stage": api.stage,
        "time": _clf_time(now),
        "timeEpoch": int(now * 1000),
    }
    if request.body:
        try:
            event["body"] = request.body.decode("utf-8")
            event["isBase64Encoded"] = False
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    event["stageVariables"] = None
    return event


def route_arn(api: ApiContext, method: str, raw_path: str) -> str:
    return f"arn:aws:execute-api:{api.region}:{api.account_id}:{api.api_id}/{api.stage}/{method}{raw_path}"


def build_authorizer_event(event: Mapping[str, Any], identity_source: list[str], api: ApiContext) -> dict[str, Any]:
    """The Lambda REQUEST authorizer event (payload format 2.0) for a route event."""
    context = event["requestContext"]
    auth_event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": route_arn(api, context["http"]["method"], event["rawPath"]),
        "identitySource": identity_source,
        "routeKey": event["routeKey"],
        "rawPath": event["rawPath"],
        "rawQueryString": event["rawQueryString"],
    }
    for key in ("cookies", "headers", "queryStringParameters"):
        if key in event:
            auth_event[key] = event[key]
    auth_event["requestContext"] = dict(context)
    if "pathParameters" in event:
        auth_event["pathParameters"] = event["pathParameters"]
    auth_event["stageVariables"] = event.get("stageVariables")
    return auth_event


class MalformedResponse(ValueError):
    """A function result API Gateway would answer with a 500."""


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedResponse(f"header value {value!r} is not a string")


def response_from_result(result: Any) -> HttpResponse:
    """Turn a function's result into the HTTP response, by the payload-format-2.0 rules."""
    if not (isinstance(result, dict) and "statusCode" in result):
        text = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, [("content-type", "application/json")], text.encode())
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int | str) or not str(status).isdigit():
        raise MalformedResponse(f"statusCode {status!r} is not an integer")
    if not 100 <= int(status) <= 599:
        raise MalformedResponse(f"statusCode {status} is out of range")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), _header_value(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if not isinstance(values, list):
            raise MalformedResponse(f"multiValueHeaders[{name!r}] is not a list")
        headers.extend((str(name), _header_value(v)) for v in values)
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedResponse("cookies is not a list")
    headers.extend(("set-cookie", str(c)) for c in cookies)
    body = result.get("body")
    data: bytes
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise MalformedResponse("body is not a string")
    elif result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except binascii.Error as error:
            raise MalformedResponse(f"body is not valid base64: {error}") from error
    else:
        data = body.encode("utf-8")
    headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "transfer-encoding")]
    return HttpResponse(int(status), headers, data)


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


# --------------------------------------------------------------------------------------------------
# The gateway


NOT_FOUND = {"message": "Not Found"}
UNAUTHORIZED = {"message": "Unauthorized"}
FORBIDDEN = {"message": "Forbidden"}
INTERNAL_ERROR = {"message": "Internal Server Error"}
TOO_LARGE = {"message": "Request Entity Too Large"}


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
        request_id = _request_id()
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
        raw_path, _ = _split_target(request.target)
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


# --------------------------------------------------------------------------------------------------
# The HTTP server


class _PayloadTooLarge(Exception):
    pass


class _BadRequest(Exception):
    pass


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CarrierLocal"
    server: _Server

    def do_request(self) -> None:
        try:
            body = self._read_body()
        except _PayloadTooLarge:
            self.close_connection = True
            self._send(json_response(413, TOO_LARGE))
            return
        except _BadRequest as error:
            self.close_connection = True
            self._send(json_response(400, {"message": str(error)}))
            return
        request = HttpRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        self._send(self.server.gateway.handle(request, server_port=self.server.server_address[1]))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_request

    def handle_expect_100(self) -> bool:
        try:
            too_large = self._content_length() > MAX_PAYLOAD_BYTES
        except _BadRequest:
            too_large = False  # answered with a 400 when the body is read
        if too_large:
            self.close_connection = True
            self._send(json_response(413, TOO_LARGE))
            return False
        return super().handle_expect_100()

    def _content_length(self) -> int:
        value = self.headers.get("content-length")
        if value is None:
            return 0
        if not value.strip().isdigit():
            raise _BadRequest("invalid Content-Length")
        return int(value)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return self._read_chunked()
        length = self._content_length()
        if length > MAX_PAYLOAD_BYTES:
            raise _PayloadTooLarge
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError as error:
                raise _BadRequest("invalid chunked encoding") from error
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_PAYLOAD_BYTES:
                raise _PayloadTooLarge
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors of the HTTP layer itself (a request line over 64 KB, a malformed request) in JSON, as API
        Gateway answers them, never http.server's HTML page."""
        self.close_connection = True
        self._send(json_response(code, {"message": message or self.responses.get(code, ("Error",))[0]}))

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    gateway: ApiGateway

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up is normal; anything else is logged with its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.debug("connection from %s ended: %s", client_address, error)
        else:
            log.exception("error serving %s", client_address)


class GatewayServer:
    """`ApiGateway` served over HTTP on a thread (one thread per connection)."""

    def __init__(self, gateway: ApiGateway, host: str = "127.0.0.1", port: int = 3000) -> None:
        self.gateway = gateway
        self._server = _Server((host, port), _RequestHandler)
        self._server.gateway = gateway
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = str(self._server.server_address[0])
        return f"http://{host}:{self.port}"

    def start(self) -> GatewayServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="carrier-gateway",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> GatewayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = [
    "MAX_PAYLOAD_BYTES",
    "ApiContext",
    "ApiGateway",
    "Authorizer",
    "GatewayServer",
    "HttpRequest",
    "HttpResponse",
    "Route",
    "build_authorizer_event",
    "build_event",
    "match_route",
    "response_from_result",
    "routes_from_template",
]

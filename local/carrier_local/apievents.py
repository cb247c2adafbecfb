"""HTTP requests and responses, and the API Gateway HTTP API events (payload format 2.0) built from them.

`build_event` turns a request on a matched route into the event the route's function receives, and
`build_authorizer_event` into the Lambda REQUEST authorizer's event; `response_from_result` turns a function's
result back into the HTTP response by API Gateway's rules, or raises `MalformedResponse` where API Gateway
would answer 500. All pure: no sockets, no clock unless `now` is left out.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from carrier_local.routes import Route

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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


def new_request_id() -> str:
    return base64.b64encode(secrets.token_bytes(10)).decode().rstrip("=") + "="


def _trace_id(epoch: float) -> str:
    return f"Root=1-{int(epoch):08x}-{secrets.token_hex(12)}"


def split_target(target: str) -> tuple[str, str]:
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
    request_id = request_id or new_request_id()
    raw_path, raw_query = split_target(request.target)
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


__all__ = [
    "ApiContext",
    "HttpRequest",
    "HttpResponse",
    "MalformedResponse",
    "build_authorizer_event",
    "build_event",
    "json_response",
    "new_request_id",
    "response_from_result",
    "route_arn",
    "split_target",
]

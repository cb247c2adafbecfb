"""The local HTTP API: route matching, the v2 event, authorizer and responses.

(carrier_local.routes, .apievents, .gateway and .httpserver.)
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from carrier_local.apievents import (
    ApiContext,
    HttpRequest,
    MalformedResponse,
    build_authorizer_event,
    build_event,
    response_from_result,
)
from carrier_local.gateway import ApiGateway
from carrier_local.httpserver import MAX_PAYLOAD_BYTES, GatewayServer
from carrier_local.routes import Authorizer, Route, match_route, routes_from_template
from carrier_local.template import TemplateError, load_template

AUTH = Authorizer(name="Keys", function="Authorizer")
ROUTES = [
    Route("ANY", "/v1/{proxy+}", "Api", AUTH),
    Route("GET", "/v1/webhooks/{id}", "Api", AUTH),
    Route("GET", "/v1/webhooks/special", "Special", AUTH),
    Route("POST", "/v1/webhooks/special", "Api", AUTH),
    Route("GET", "/docs", "Docs"),
    Route("GET", "/", "Docs"),
]


# -- route matching ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "key", "params"),
    [
        ("GET", "/v1/webhooks/special", "GET /v1/webhooks/special", {}),
        ("POST", "/v1/webhooks/special", "POST /v1/webhooks/special", {}),
        ("GET", "/v1/webhooks/wh_1", "GET /v1/webhooks/{id}", {"id": "wh_1"}),
        ("DELETE", "/v1/webhooks/wh_1", "ANY /v1/{proxy+}", {"proxy": "webhooks/wh_1"}),
        ("PATCH", "/v1/webhooks/special", "ANY /v1/{proxy+}", {"proxy": "webhooks/special"}),
        ("GET", "/v1/a/b/c", "ANY /v1/{proxy+}", {"proxy": "a/b/c"}),
        ("GET", "/v1/webhooks/wh%201", "GET /v1/webhooks/{id}", {"id": "wh 1"}),
        ("get", "/docs", "GET /docs", {}),
        ("GET", "/", "GET /", {}),
    ],
)
def test_the_most_specific_route_wins(method: str, path: str, key: str, params: dict[str, str]) -> None:
    matched = match_route(ROUTES, method, path)
    assert matched is not None
    route, found = matched
    assert (route.key, found) == (key, params)


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/docs"), ("GET", "/v1"), ("GET", "/v1/"), ("GET", "/nope"), ("GET", "/docs/x"), ("GET", "")],
)
def test_no_route(method: str, path: str) -> None:
    assert match_route(ROUTES, method, path) is None


def test_exact_path_beats_a_variable_even_on_any() -> None:
    routes = [Route("GET", "/pets/{id}", "A"), Route("ANY", "/pets/dog", "B")]
    matched = match_route(routes, "GET", "/pets/dog")
    assert matched is not None and matched[0].function == "B"


# -- routes read from the template ------------------------------------------------------------------


def test_routes_of_the_real_template() -> None:
    routes = {route.key: route for route in routes_from_template(load_template())}
    assert "ANY /v1/{proxy+}" in routes
    assert "GET /docs" in routes
    v1, docs = routes["ANY /v1/{proxy+}"], routes["GET /docs"]
    assert v1.function == "ApiFunction"
    assert v1.authorizer is not None
    assert v1.authorizer.function == "AuthorizerFunction"
    assert v1.authorizer.identity_headers == ("authorization",)
    assert v1.authorizer.simple_responses is True
    assert docs.authorizer is None


def _template(events: dict[str, Any], auth: dict[str, Any] | None = None) -> dict[str, Any]:
    api_props: dict[str, Any] = {}
    if auth is not None:
        api_props["Auth"] = auth
    return {
        "Resources": {
            "Api": {"Type": "AWS::Serverless::HttpApi", "Properties": api_props},
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": {"Events": events}},
            "AuthFn": {"Type": "AWS::Serverless::Function", "Properties": {}},
        }
    }


def _event(path: str, method: str = "GET", **extra: Any) -> dict[str, Any]:
    return {"Type": "HttpApi", "Properties": {"ApiId": {"Ref": "Api"}, "Path": path, "Method": method, **extra}}


def test_default_authorizer_and_none_override() -> None:
    auth = {
        "DefaultAuthorizer": "Keys",
        "Authorizers": {
            "Keys": {
                "FunctionArn": {"Fn::GetAtt": ["AuthFn", "Arn"]},
                "AuthorizerPayloadFormatVersion": "2.0",
                "EnableSimpleResponses": True,
                "Identity": {"Headers": ["X-Api-Key"], "QueryStrings": ["key"]},
            }
        },
    }
    events = {"A": _event("/a", "any"), "B": _event("/b", Auth={"Authorizer": "NONE"})}
    routes = {r.key: r for r in routes_from_template(_template(events, auth))}
    assert set(routes) == {"ANY /a", "GET /b"}
    authorizer = routes["ANY /a"].authorizer
    assert authorizer == Authorizer("Keys", "AuthFn", ("x-api-key",), ("key",), True, "2.0")
    assert routes["GET /b"].authorizer is None


def test_template_errors() -> None:
    with pytest.raises(TemplateError, match="duplicate"):
        routes_from_template(_template({"A": _event("/a"), "B": _event("/a")}))
    with pytest.raises(TemplateError, match="not defined"):
        routes_from_template(_template({"A": _event("/a", Auth={"Authorizer": "Missing"})}))
    with pytest.raises(TemplateError, match="payload format"):
        routes_from_template(_template({"A": _event("/a", PayloadFormatVersion="1.0")}))


# -- the v2 event -----------------------------------------------------------------------------------

API = ApiContext(api_id="abc123", region="eu-west-1", account_id="111122223333")


def _request(**overrides: Any) -> HttpRequest:
    fields: dict[str, Any] = {
        "method": "POST",
        "target": "/v1/webhooks?limit=5&status=failed&status=retrying&empty=",
        "headers": [
            ("Host", "127.0.0.1:3000"),
            ("Content-Type", "application/json"),
            ("X-Multi", "a"),
            ("x-multi", "b"),
            ("Cookie", "a=1; b=2"),
            ("User-Agent", "pytest/1"),
            ("Authorization", "Bearer ck_x"),
        ],
        "body": b'{"url": "https://example.com"}',
        "source_ip": "10.1.2.3",
    }
    fields.update(overrides)
    return HttpRequest(**fields)


def test_v2_event_shape() -> None:
    route = Route("ANY", "/v1/{proxy+}", "Api", AUTH)
    event = build_event(
        _request(), route, {"proxy": "webhooks"}, API, request_id="req-1", now=1767225600.25, server_port=3000
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /v1/{proxy+}"
    assert event["rawPath"] == "/v1/webhooks"
    assert event["rawQueryString"] == "limit=5&status=failed&status=retrying&empty="
    assert event["cookies"] == ["a=1", "b=2"]
    headers = event["headers"]
    assert "cookie" not in headers
    assert headers["x-multi"] == "a,b"
    assert headers["content-type"] == "application/json"
    assert headers["authorization"] == "Bearer ck_x"
    assert headers["x-forwarded-for"] == "10.1.2.3"
    assert headers["x-forwarded-port"] == "3000"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    assert all(name == name.lower() for name in headers)
    assert event["queryStringParameters"] == {"limit": "5", "status": "failed,retrying", "empty": ""}
    assert event["pathParameters"] == {"proxy": "webhooks"}
    assert event["body"] == '{"url": "https://example.com"}'
    assert event["isBase64Encoded"] is False
    assert event["stageVariables"] is None
    assert event["requestContext"] == {
        "accountId": "111122223333",
        "apiId": "abc123",
        "domainName": "127.0.0.1:3000",
        "domainPrefix": "127",
        "http": {
            "method": "POST",
            "path": "/v1/webhooks",
            "protocol": "HTTP/1.1",
            "sourceIp": "10.1.2.3",
            "userAgent": "pytest/1",
        },
        "requestId": "req-1",
        "routeKey": "ANY /v1/{proxy+}",
        "stage": "$default",
        "time": "01/Jan/2026:00:00:00 +0000",
        "timeEpoch": 1767225600250,
    }


def test_v2_event_without_body_query_or_parameters() -> None:
    event = build_event(
        _request(method="GET", target="/docs", body=b"", headers=[]), Route("GET", "/docs", "D"), {}, API
    )
    assert "body" not in event
    assert event["isBase64Encoded"] is False
    assert "queryStringParameters" not in event
    assert "pathParameters" not in event
    assert "cookies" not in event


def test_binary_body_is_base64() -> None:
    raw = b"\xff\xfe\x00binary"
    event = build_event(_request(body=raw), Route("ANY", "/v1/{proxy+}", "Api"), {}, API)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_authorizer_event_shape() -> None:
    route = Route("ANY", "/v1/{proxy+}", "Api", AUTH)
    event = build_event(_request(), route, {"proxy": "webhooks"}, API)
    auth_event = build_authorizer_event(event, ["Bearer ck_x"], API)
    assert auth_event["version"] == "2.0"
    assert auth_event["type"] == "REQUEST"
    assert auth_event["routeArn"] == "arn:aws:execute-api:eu-west-1:111122223333:abc123/$default/POST/v1/webhooks"
    assert auth_event["identitySource"] == ["Bearer ck_x"]
    assert auth_event["routeKey"] == "ANY /v1/{proxy+}"
    for key in ("rawPath", "rawQueryString", "cookies", "headers", "queryStringParameters", "pathParameters"):
        assert auth_event[key] == event[key]
    assert auth_event["requestContext"]["requestId"] == event["requestContext"]["requestId"]
    assert "body" not in auth_event


# -- responses ---------------------------------------------------------------------------------------


def test_response_with_status_code() -> None:
    response = response_from_result(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "X-Count": 3},
            "multiValueHeaders": {"X-Many": ["a", "b"]},
            "cookies": ["s=1; HttpOnly", "t=2"],
            "body": '{"ok": true}',
        }
    )
    assert response.status == 201
    assert response.json() == {"ok": True}
    assert ("X-Count", "3") in response.headers
    assert [v for k, v in response.headers if k == "X-Many"] == ["a", "b"]
    assert [v for k, v in response.headers if k == "set-cookie"] == ["s=1; HttpOnly", "t=2"]


def test_base64_response_body() -> None:
    response = response_from_result(
        {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    )
    assert response.body == b"\x00\x01"


@pytest.mark.parametrize(
    ("result", "body"),
    [({"a": 1}, {"a": 1}), ([1, 2], [1, 2]), (None, None), ("hello", None)],
)
def test_result_without_status_code_is_200_json(result: Any, body: Any) -> None:
    response = response_from_result(result)
    assert response.status == 200
    assert response.header("content-type") == "application/json"
    if isinstance(result, str):
        assert response.body == b"hello"
    else:
        assert response.json() == body


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": "abc"},
        {"statusCode": 99},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "body": "***", "isBase64Encoded": True},
    ],
)
def test_malformed_results(result: Any) -> None:
    with pytest.raises(MalformedResponse):
        response_from_result(result)


# -- the gateway with injected functions ---------------------------------------------------------------


class Recorder:
    """A fake function: records its events and answers with `answer(event)`."""

    def __init__(self, answer: Any) -> None:
        self.events: list[dict[str, Any]] = []
        self.answer = answer

    def __call__(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        return self.answer(event) if callable(self.answer) else self.answer


def _gateway(authorizer_answer: Any = None, api_answer: Any = None) -> tuple[ApiGateway, Recorder, Recorder]:
    authorizer = Recorder(authorizer_answer or {"isAuthorized": True, "context": {"tenant_id": "t1"}})
    api = Recorder(api_answer or (lambda e: {"statusCode": 200, "body": json.dumps({"path": e["rawPath"]})}))
    docs = Recorder({"statusCode": 200, "headers": {"content-type": "text/html"}, "body": "<html/>"})
    functions = {"Authorizer": authorizer, "Api": api, "Special": api, "Docs": docs}
    return ApiGateway(ROUTES, functions, API), authorizer, api


def test_missing_authorization_is_401_without_calling_anything() -> None:
    gateway, authorizer, api = _gateway()
    response = gateway.handle(HttpRequest("GET", "/v1/webhooks"))
    assert response.status == 401
    assert response.json() == {"message": "Unauthorized"}
    assert authorizer.events == [] and api.events == []
    assert response.header("apigw-requestid")


def test_denied_is_403() -> None:
    gateway, authorizer, api = _gateway(authorizer_answer={"isAuthorized": False})
    response = gateway.handle(HttpRequest("GET", "/v1/webhooks", [("Authorization", "Bearer bad")]))
    assert response.status == 403
    assert response.json() == {"message": "Forbidden"}
    assert len(authorizer.events) == 1 and api.events == []


def test_authorizer_context_reaches_the_function() -> None:
    gateway, authorizer, api = _gateway()
    response = gateway.handle(HttpRequest("GET", "/v1/webhooks?limit=2", [("Authorization", "Bearer ck_1")]))
    assert response.status == 200
    assert response.json() == {"path": "/v1/webhooks"}
    assert authorizer.events[0]["identitySource"] == ["Bearer ck_1"]
    assert api.events[0]["requestContext"]["authorizer"] == {"lambda": {"tenant_id": "t1"}}
    assert api.events[0]["requestContext"]["requestId"] == response.header("apigw-requestid")


def test_routes_without_authorizer_skip_it() -> None:
    gateway, authorizer, _ = _gateway()
    response = gateway.handle(HttpRequest("GET", "/docs"))
    assert response.status == 200
    assert response.body == b"<html/>"
    assert authorizer.events == []


def test_function_errors_are_500(caplog: pytest.LogCaptureFixture) -> None:
    def boom(event: dict[str, Any]) -> Any:
        raise RuntimeError("boom")

    gateway, _, _ = _gateway(api_answer=boom)
    response = gateway.handle(HttpRequest("GET", "/v1/x", [("Authorization", "Bearer ck_1")]))
    assert response.status == 500
    assert response.json() == {"message": "Internal Server Error"}
    assert "RuntimeError: boom" in caplog.text


def test_authorizer_errors_and_bad_answers_are_500() -> None:
    gateway, _, api = _gateway(authorizer_answer={"context": {}})
    response = gateway.handle(HttpRequest("GET", "/v1/x", [("Authorization", "Bearer ck_1")]))
    assert response.status == 500
    assert api.events == []


def test_unmatched_is_404() -> None:
    gateway, _, _ = _gateway()
    response = gateway.handle(HttpRequest("GET", "/elsewhere"))
    assert response.status == 404
    assert response.json() == {"message": "Not Found"}


def test_functions_for_every_route_are_required() -> None:
    with pytest.raises(ValueError, match="Authorizer"):
        ApiGateway(ROUTES, {"Api": print, "Special": print, "Docs": print})


# -- over HTTP ----------------------------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[GatewayServer, threading.Barrier]]:
    barrier = threading.Barrier(4, timeout=10)

    def api(event: dict[str, Any]) -> Any:
        if event["rawPath"] == "/v1/together":
            barrier.wait()  # only returns once 4 requests are inside the function at the same time
        if event["rawPath"] == "/v1/echo":
            return {"statusCode": 200, "body": event.get("body", ""), "isBase64Encoded": False}
        return {"statusCode": 200, "cookies": ["c=1"], "body": json.dumps({"path": event["rawPath"]})}

    functions = {"Authorizer": lambda e: {"isAuthorized": True}, "Api": api, "Special": api, "Docs": api}
    server = GatewayServer(ApiGateway(ROUTES, functions, API), port=0).start()
    try:
        yield server, barrier
    finally:
        server.stop()


def _call(
    server: GatewayServer, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Authorization": "Bearer k", **(headers or {})})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_served_over_http(served: tuple[GatewayServer, threading.Barrier]) -> None:
    server, _ = served
    status, headers, body = _call(server, "GET", "/v1/webhooks")
    assert status == 200
    assert json.loads(body) == {"path": "/v1/webhooks"}
    assert headers["set-cookie"] == "c=1"
    assert int(headers["content-length"]) == len(body)
    status, _, body = _call(server, "POST", "/v1/echo", body=b'{"a": 1}')
    assert (status, body) == (200, b'{"a": 1}')
    status, _, body = _call(server, "HEAD", "/v1/webhooks")
    assert (status, body) == (200, b"")
    status, _, body = _call(server, "GET", "/missing")
    assert status == 404


def test_concurrent_requests(served: tuple[GatewayServer, threading.Barrier]) -> None:
    server, _ = served
    results: list[int] = []

    def one() -> None:
        results.append(_call(server, "GET", "/v1/together")[0])

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert results == [200, 200, 200, 200]


def test_payloads_over_10_mb_are_413(served: tuple[GatewayServer, threading.Barrier]) -> None:
    server, _ = served
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest("POST", "/v1/echo")
        connection.putheader("Content-Length", str(MAX_PAYLOAD_BYTES + 1))
        connection.endheaders()  # the body is never sent: the size alone decides
        response = connection.getresponse()
        assert response.status == 413
        assert json.loads(response.read()) == {"message": "Request Entity Too Large"}
    finally:
        connection.close()


def test_chunked_request_body(served: tuple[GatewayServer, threading.Barrier]) -> None:
    server, _ = served
    status, _, body = _call(
        server,
        "POST",
        "/v1/echo",
        body=b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        headers={"Transfer-Encoding": "chunked"},
    )
    assert (status, body) == (200, b"hello world")

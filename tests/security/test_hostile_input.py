"""Hostile input to the API on the local stack: oversized, deeply nested, undecodable, mistyped and odd bodies
and query strings. Each is a JSON 4xx naming the field at fault, and a refused create writes nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.receiver import Receiver
from tests.stack import Stack, Tenant

HOOK: dict[str, Any] = {"url": "https://hostile.example.com/hook", "events": ["*"]}


@pytest.fixture(scope="module")
def victim(stack: Stack) -> Iterator[Tenant]:
    tenant = Tenant(stack, "t-hostile")
    tenant.create(HOOK["url"])
    yield tenant


def send(
    tenant: Tenant, method: str, path: str, data: bytes | str | None, content_type: str | None
) -> requests.Response:
    headers = {"Authorization": f"Bearer {tenant.key}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.request(method, tenant.stack.url + path, data=data, headers=headers, timeout=60)


def webhooks(tenant: Tenant) -> list[dict[str, Any]]:
    status, listing = tenant.api("GET", "/v1/webhooks?limit=250")
    assert status == 200
    return list(listing["data"])


JSON = "application/json"
DEEP = "[" * 10_000 + "]" * 10_000
CASES: dict[str, tuple[str, str, bytes | str | None, str | None, int, str]] = {
    # name: method, path, body, content type, status, field named
    "event over 256 KB": (
        "POST",
        "/v1/events",
        json.dumps({"type": "model.trained", "data": {"x": "a" * 300_000}}),
        JSON,
        413,
        "data",
    ),
    "huge description": (
        "POST",
        "/v1/webhooks",
        json.dumps({**HOOK, "description": "d" * 5_000_000}),
        JSON,
        422,
        "description",
    ),
    "huge url": (
        "POST",
        "/v1/webhooks",
        json.dumps({**HOOK, "url": "https://a.example.com/" + "p" * 100_000}),
        JSON,
        422,
        "url",
    ),
    "huge header value": (
        "POST",
        "/v1/webhooks",
        json.dumps({**HOOK, "headers": {"X-A": "v" * 100_000}}),
        JSON,
        422,
        "headers",
    ),
    "10,000 events": ("POST", "/v1/webhooks", json.dumps({**HOOK, "events": ["*"] * 10_000}), JSON, 422, "events"),
    "nested 10,000 deep (webhook)": ("POST", "/v1/webhooks", DEEP, JSON, 422, "body"),
    "nested 10,000 deep (event data)": (
        "POST",
        "/v1/events",
        '{"type":"model.trained","data":{"x":' + DEEP + "}}",
        JSON,
        422,
        "body",
    ),
    "invalid UTF-8": (
        "POST",
        "/v1/webhooks",
        b'{"url": "https://x.example.com/\xff\xfe", "events": ["*"]}',
        JSON,
        422,
        "body",
    ),
    "text/plain": ("POST", "/v1/webhooks", json.dumps(HOOK), "text/plain", 415, "content-type"),
    "form-encoded": (
        "POST",
        "/v1/webhooks",
        "url=https%3A%2F%2Fx.example.com&events=*",
        "application/x-www-form-urlencoded",
        422,
        "url",
    ),
    "empty body": ("POST", "/v1/webhooks", b"", JSON, 422, "body"),
    "not JSON": ("POST", "/v1/webhooks", "{url: nope", JSON, 422, "body"),
    "JSON array": ("POST", "/v1/webhooks", "[1, 2]", JSON, 422, "body"),
    # Powertools' validation takes an array's first item as the body: a valid webhook inside one must not pass
    "valid body inside an array": ("POST", "/v1/webhooks", json.dumps([HOOK]), JSON, 422, "body"),
    "JSON string": ("POST", "/v1/webhooks", '"https://x.example.com"', JSON, 422, "body"),
    "JSON null": ("POST", "/v1/webhooks", "null", JSON, 422, "body"),
    "NUL in url": (
        "POST",
        "/v1/webhooks",
        json.dumps({**HOOK, "url": "https://x.example.com/\u0000"}),
        JSON,
        422,
        "url",
    ),
    "lone surrogate in description": (
        "POST",
        "/v1/webhooks",
        '{"url": "https://x.example.com", "events": ["*"], "description": "\\ud800"}',
        JSON,
        422,
        "description",
    ),
    "RTL override in header name": (
        "POST",
        "/v1/webhooks",
        json.dumps({**HOOK, "headers": {"X-\u202eA": "v"}}),
        JSON,
        422,
        "headers",
    ),
    "unknown field": ("POST", "/v1/webhooks", json.dumps({**HOOK, "admin": True}), JSON, 422, "admin"),
    # issue 16: tenant input that made a 5xx, or passed and could never be sent ({hook}: the victim's webhook)
    "test data over 256 KB": (
        "POST",
        "/v1/webhooks/{hook}/test",
        json.dumps({"data": {"x": "a" * 1_000_000}}),
        JSON,
        413,
        "data",
    ),
    "lone surrogate in test data": (
        "POST",
        "/v1/webhooks/{hook}/test",
        '{"data": {"k": "\\ud800"}}',
        JSON,
        422,
        "data",
    ),
    "lone surrogate in a test data key": (
        "POST",
        "/v1/webhooks/{hook}/test",
        '{"data": {"\\udfff": 1}}',
        JSON,
        422,
        "data",
    ),
    "lone surrogate in event data": (
        "POST",
        "/v1/events",
        '{"type": "model.trained", "data": {"k": "\\ud800"}}',
        JSON,
        422,
        "data",
    ),
    "lone surrogate in url": (
        "POST",
        "/v1/webhooks",
        '{"url": "https://x.example.com/\\ud800", "events": ["*"]}',
        JSON,
        422,
        "url",
    ),
    "lone surrogate in a header value": (
        "POST",
        "/v1/webhooks",
        '{"url": "https://x.example.com/", "events": ["*"], "headers": {"X-A": "\\ud800"}}',
        JSON,
        422,
        "headers",
    ),
    "lone surrogate in a filter value": (
        "POST",
        "/v1/webhooks",
        '{"url": "https://x.example.com/", "events": ["*"], "filters": {"p": ["\\ud800"]}}',
        JSON,
        422,
        "filters",
    ),
    "lone surrogate in a patched url": (
        "PATCH",
        "/v1/webhooks/{hook}",
        '{"url": "https://x.example.com/\\ud800"}',
        JSON,
        422,
        "url",
    ),
    "control character in a header value": (
        "POST",
        "/v1/webhooks",
        json.dumps({**HOOK, "headers": {"X-A": "a\x01b"}}),
        JSON,
        422,
        "headers",
    ),
    "DEL in a header value": (
        "POST",
        "/v1/webhooks",
        json.dumps({**HOOK, "headers": {"X-A": "a\x7f"}}),
        JSON,
        422,
        "headers",
    ),
    "header name ending in a newline": (
        "POST",
        "/v1/webhooks",
        json.dumps({**HOOK, "headers": {"X-A\n": "v"}}),
        JSON,
        422,
        "headers",
    ),
    "signature.header ending in a newline": (
        "POST",
        "/v1/webhooks",
        json.dumps({**HOOK, "signature": {"scheme": "hmac-sha256-hex", "header": "X-Sig\n"}}),
        JSON,
        422,
        "signature",
    ),
    "filter key ending in a newline": (
        "POST",
        "/v1/webhooks",
        json.dumps({**HOOK, "filters": {"a\n": 1}}),
        JSON,
        422,
        "filters",
    ),
    "webhook id ending in a newline": ("GET", "/v1/webhooks/{hook}%0A", None, None, 404, "id"),
    "huge query string": ("GET", "/v1/webhooks?cursor=" + "c" * 8_000, None, None, 422, "cursor"),
    "huge integer": ("GET", "/v1/webhooks?limit=" + "9" * 5_000, None, None, 422, "limit"),
    "unknown query parameter": ("GET", "/v1/webhooks?tenant=someone-else", None, None, 422, "tenant"),
}


@pytest.fixture(scope="module")
def hook(victim: Tenant) -> str:
    return str(webhooks(victim)[0]["id"])


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_is_a_json_4xx_naming_the_field(victim: Tenant, hook: str, name: str) -> None:
    method, path, body, content_type, status, field = CASES[name]
    before = webhooks(victim)
    answer = send(victim, method, path.format(hook=hook), body, content_type)
    assert answer.status_code == status, (answer.status_code, answer.text[:500])
    assert answer.headers["content-type"].startswith(JSON)
    error = answer.json()
    assert error["field"] == field or error["field"].startswith(field + "."), error
    assert error["message"] and len(answer.content) < 4096, "an error names the problem; it does not echo the input"
    assert webhooks(victim) == before, "a refused request wrote nothing"


def test_unicode_edge_cases_that_are_valid_are_kept_exactly(victim: Tenant) -> None:
    description = "Zo\u00eb \U0001f469\u200d\U0001f4bb \u200b e\u0301 \U0001d518\U0001d52b \u202eRTL \uffff"
    hook = victim.create("https://unicode.example.com/h", description=description)
    status, fetched = victim.api("GET", f"/v1/webhooks/{hook['id']}")
    assert status == 200 and fetched["description"] == description


def test_a_request_line_over_the_gateways_limit_is_a_json_414(victim: Tenant) -> None:
    answer = send(victim, "GET", "/v1/webhooks?cursor=" + "c" * 100_000, None, None)
    assert answer.status_code == 414
    assert answer.headers["content-type"].startswith(JSON) and answer.json()["message"]


def cursor_of(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def test_a_cursor_of_the_right_partition_but_the_wrong_shape_is_a_422(victim: Tenant) -> None:
    """Valid base64 JSON for the list's own partition, but not its key's shape: 422 naming cursor, never a 500
    (the delivery list must hold deliveries: an empty one never reads the cursor's key)."""
    with Receiver() as receiver:
        hook = victim.create(receiver.url + "/cursor")
        for _ in range(2):
            status, sent = victim.api("POST", f"/v1/webhooks/{hook['id']}/test")
            assert status == 200, sent
    pk = f"WH#{hook['id']}"
    [first, _] = victim.deliveries(hook["id"])
    sk = f"DLV#{first['delivery_id']}"
    lsi1 = f"{first['created_at']}#{first['delivery_id']}"
    status, page = victim.api("GET", f"/v1/webhooks/{hook['id']}/deliveries?limit=1")
    assert status == 200 and page["next_cursor"], page  # the issued cursor works
    status, again = victim.api("GET", f"/v1/webhooks/{hook['id']}/deliveries?limit=1&cursor={page['next_cursor']}")
    assert status == 200 and len(again["deliveries"]) == 1, again
    wrong = [  # the log's cursor is {pk: the log, sk: the last delivery shown}
        {"pk": pk},
        {"pk": pk + "#0", "sk": sk},  # one shard's partition
        {"pk": pk, "sk": sk, "lsi1": lsi1},  # the shape of cursors before the log was sharded
        {"pk": pk, "sk": sk, "extra": "x"},
        {"pk": pk, "sk": 1},
        {"pk": pk, "sk": ""},
        {"pk": pk, "sk": "DLV#"},
        {"pk": pk, "sk": "DLV#" + "x" * 2000},
    ]
    for key in wrong:
        status, answer = victim.api("GET", f"/v1/webhooks/{hook['id']}/deliveries?cursor={cursor_of(key)}")
        assert status == 422 and answer["field"] == "cursor", (key, status, answer)
    tenant_pk = f"TENANT#{victim.name}"
    for key in ({"pk": tenant_pk}, {"pk": tenant_pk, "sk": "WH#x", "lsi1": "y"}, {"pk": tenant_pk, "sk": 5}):
        status, answer = victim.api("GET", f"/v1/webhooks?cursor={cursor_of(key)}")
        assert status == 422 and answer["field"] == "cursor", (key, status, answer)

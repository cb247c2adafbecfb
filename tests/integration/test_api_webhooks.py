"""The management API's real handler against moto (DynamoDB and Secrets Manager)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.support import call_api

HOOK = {"url": "https://example.com/hook", "events": ["model.trained", "detection.complete"]}


def create(tenant: str = "t1", **fields: Any) -> dict[str, Any]:
    status, body = call_api("POST", "/v1/webhooks", body={**HOOK, **fields}, tenant=tenant)
    assert status == 201, body
    return body


def secret_document(name: str) -> dict[str, Any]:
    return json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])


def test_create_returns_the_secret_once_and_stores_it_in_secrets_manager(aws: dict) -> None:
    # Given a tenant, When it creates a webhook with a custom Authorization header
    created = create(headers={"Authorization": "Bearer receiver-token"})

    # Then the answer holds a generated whsec_ secret, the header masked
    assert created["secret"].startswith("whsec_") and len(created["secret"]) == 6 + 44
    assert created["headers"] == {"Authorization": "********"}
    assert created["id"] == created["webhook_id"] and created["id"].startswith("wh_")
    # And the secret and the header value live in one Secrets Manager secret
    document = secret_document(f"carrier/test/t1/{created['id']}")
    assert document["keys"][0]["secret"] == created["secret"]
    assert document["headers"] == {"Authorization": "Bearer receiver-token"}
    # And no later answer contains either
    for method, path in [("GET", f"/v1/webhooks/{created['id']}"), ("GET", "/v1/webhooks")]:
        status, body = call_api(method, path)
        assert status == 200
        text = json.dumps(body)
        assert created["secret"] not in text and "receiver-token" not in text and '"secret"' not in text


def test_custom_secret_of_seed_004(aws: dict) -> None:
    created = create(secret="your-webhook-secret-123456", signature={"scheme": "hmac-sha256-hex"})
    assert created["secret"] == "your-webhook-secret-123456"
    assert created["signature"] == {"scheme": "hmac-sha256-hex", "header": "X-Webhook-Signature"}


def test_another_tenant_sees_404_never_the_webhook(aws: dict) -> None:
    created = create(tenant="t1")
    path = f"/v1/webhooks/{created['id']}"
    for method, body in [("GET", None), ("PATCH", {"description": "x"}), ("PUT", HOOK), ("DELETE", None)]:
        status, answer = call_api(method, path, body=body, tenant="t2")
        assert status == 404, (method, answer)
        assert created["url"] not in json.dumps(answer)
    status, listing = call_api("GET", "/v1/webhooks", tenant="t2")
    assert status == 200 and listing["data"] == []
    # and the webhook is untouched
    status, same = call_api("GET", path, tenant="t1")
    assert status == 200 and same["description"] == ""


def test_list_pages_with_a_cursor_and_never_crosses_tenants(aws: dict) -> None:
    made = {create()["id"] for _ in range(5)}
    create(tenant="t2")
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, page = call_api("GET", "/v1/webhooks", query=query)
        assert status == 200 and len(page["data"]) <= 2
        seen += [w["id"] for w in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert set(seen) == made and len(seen) == 5
    # a cursor from tenant t1's list is refused in tenant t2's
    status, page = call_api("GET", "/v1/webhooks", query={"limit": "2"})
    status, answer = call_api("GET", "/v1/webhooks", query={"cursor": page["next_cursor"]}, tenant="t2")
    assert status == 422 and answer["field"] == "cursor"


def test_patch_changes_only_given_fields_and_put_replaces(aws: dict) -> None:
    created = create(description="first", filters={"project_id": "p1"})
    path = f"/v1/webhooks/{created['id']}"
    status, patched = call_api("PATCH", path, body={"events": ["model.*"], "description": "Updated"})
    assert status == 200
    assert patched["events"] == ["model.*"] and patched["description"] == "Updated"
    assert patched["filters"] == {"project_id": "p1"} and patched["url"] == HOOK["url"]

    status, replaced = call_api("PUT", path, body={"url": "https://example.com/new", "events": ["*"]})
    assert status == 200
    assert replaced["url"] == "https://example.com/new" and replaced["events"] == ["*"]
    assert replaced["filters"] == {} and replaced["description"] == ""
    assert replaced["created_at"] == created["created_at"]


def test_disable_and_enable_through_patch(aws: dict) -> None:
    created = create()
    path = f"/v1/webhooks/{created['id']}"
    status, disabled = call_api("PATCH", path, body={"status": "disabled"})
    assert status == 200 and disabled["status"] == "disabled" and disabled["disabled_reason"]
    status, enabled = call_api("PATCH", path, body={"status": "active"})
    assert enabled["status"] == "active" and enabled["disabled_reason"] is None


def test_headers_change_updates_the_secret_document(aws: dict) -> None:
    created = create(headers={"Authorization": "old"})
    call_api("PATCH", f"/v1/webhooks/{created['id']}", body={"headers": {"X-Token": "new"}})
    document = secret_document(f"carrier/test/t1/{created['id']}")
    assert document["headers"] == {"X-Token": "new"}
    assert document["keys"][0]["secret"] == created["secret"]


def test_delete_removes_the_row_and_the_secret(aws: dict) -> None:
    created = create()
    status, _ = call_api("DELETE", f"/v1/webhooks/{created['id']}")
    assert status == 204
    assert call_api("GET", f"/v1/webhooks/{created['id']}")[0] == 404
    with pytest.raises(boto3.client("secretsmanager").exceptions.ResourceNotFoundException):
        boto3.client("secretsmanager").get_secret_value(SecretId=f"carrier/test/t1/{created['id']}")
    assert call_api("DELETE", f"/v1/webhooks/{created['id']}")[0] == 404


@pytest.mark.parametrize(
    ("kwargs", "status", "field"),
    [
        ({"raw_body": "{not json"}, 422, "body"),
        ({"body": {"events": ["model.trained"]}}, 422, "url"),
        ({"body": {**HOOK, "url": "ftp://example.com"}}, 422, "url"),
        ({"body": {**HOOK, "url": "https://u:p@example.com"}}, 422, "url"),
        ({"body": {**HOOK, "url": "https://example.com/" + "x" * 2100}}, 422, "url"),
        ({"body": {**HOOK, "url": "https://10.0.0.1/"}}, 422, "url"),
        ({"body": {**HOOK, "events": []}}, 422, "events"),
        ({"body": {**HOOK, "events": ["nope"]}}, 422, "events"),
        ({"body": {**HOOK, "events": ["model.trained", "model.trained"]}}, 422, "events"),
        ({"body": {**HOOK, "secret": "short"}}, 422, "secret"),
        ({"body": {**HOOK, "signature": {"scheme": "rot13"}}}, 422, "signature.scheme"),
        ({"body": {**HOOK, "payload_format": "yaml"}}, 422, "payload_format"),
        ({"body": {**HOOK, "colour": "blue"}}, 422, "colour"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(
    aws: dict, kwargs: dict, status: int, field: str
) -> None:
    got, body = call_api("POST", "/v1/webhooks", **kwargs)
    assert got == status, body
    assert body["field"] == field and body["message"]
    assert call_api("GET", "/v1/webhooks")[1]["data"] == []
    assert boto3.client("secretsmanager").list_secrets()["SecretList"] == []


def test_unknown_event_names_list_the_valid_ones(aws: dict) -> None:
    status, body = call_api("POST", "/v1/webhooks", body={**HOOK, "events": ["model.trainde"]})
    assert status == 422 and "model.trainde" in body["message"] and "model.trained" in body["message"]


@pytest.mark.parametrize(
    ("method", "path", "query", "status"),
    [
        ("GET", "/v1/webhooks", {"limit": "0"}, 422),
        ("GET", "/v1/webhooks", {"limit": "251"}, 422),
        ("GET", "/v1/webhooks", {"limit": "ten"}, 422),
        ("GET", "/v1/webhooks", {"cursor": "!!!"}, 422),
        ("GET", "/v1/webhooks/not-an-id", None, 404),
        ("GET", "/v1/webhooks/wh_00000000000000000000000000", None, 404),
        ("POST", "/v1/webhooks/wh_00000000000000000000000000", None, 404),
        ("GET", "/v1/nothing-here", None, 404),
    ],
)
def test_bad_queries_ids_and_methods(aws: dict, method: str, path: str, query: dict | None, status: int) -> None:
    got, body = call_api(method, path, query=query)
    assert got == status and body["message"]


def test_no_tenant_is_401_json(aws: dict) -> None:
    status, body = call_api("GET", "/v1/webhooks", tenant=None)
    assert status == 401 and body["error"] == "unauthorized"


def test_event_types_and_openapi(aws: dict) -> None:
    status, body = call_api("GET", "/v1/event-types")
    assert status == 200 and {"name", "description", "example"} <= set(body["data"][0])
    status, spec = call_api("GET", "/openapi.json", tenant=None)
    assert status == 200 and "/v1/webhooks" in spec["paths"] and "/v1/webhooks/{webhook_id}" in spec["paths"]
    assert set(spec["paths"]["/v1/webhooks/{webhook_id}"]) == {"get", "patch", "put", "delete"}

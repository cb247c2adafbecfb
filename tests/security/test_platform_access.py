"""The platform's side on the local stack: a platform key reaches a tenant only by naming it, a portal session
reaches its own tenant only, and no key or token ever reaches the logs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.platform import Platform
from tests.receiver import Receiver
from tests.security.test_isolation import BODIES, STRANGER_IDS, served_operations
from tests.stack import Stack, Tenant


@pytest.fixture(scope="module")
def platform(stack: Stack) -> Platform:
    return Platform(stack)


def unfilled(status: int, answer: Any) -> bool:
    """A route whose body `BODIES` cannot fill yet: refused for its input before anything is looked up."""
    return status == 422 and answer["errors"][0]["type"] == "missing" and answer["field"] == "body"


def own_webhook(tenant: Tenant, url: str) -> dict[str, Any]:
    hook = tenant.create(url, description=f"{tenant.name}'s private hook")
    assert tenant.api("POST", f"/v1/webhooks/{hook['id']}/test")[0] == 200
    return hook


def test_a_platform_key_acting_for_a_never_sees_b_unless_it_names_b(stack: Stack, platform: Platform) -> None:
    a, b = Tenant(stack, "t-platform-a"), Tenant(stack, "t-platform-b")
    with Receiver() as receiver:
        hook_a, hook_b = own_webhook(a, receiver.url + "/a"), own_webhook(b, receiver.url + "/b")
    for method, path in served_operations(stack):
        if "{webhook_id}" not in path:
            continue
        route = path.format(webhook_id=hook_b["id"], delivery_id=STRANGER_IDS["delivery_id"])
        status, answer = platform.api(method, route, BODIES.get((method, path)), tenant=a.name)
        assert status == 404 or unfilled(status, answer), (method, path, status, answer)
        assert "t-platform-b" not in str(answer) and receiver.url + "/b" not in str(answer)
    status, listing = platform.api("GET", "/v1/webhooks?limit=250", tenant=a.name)
    assert [w["id"] for w in listing["data"]] == [hook_a["id"]]
    assert platform.api("GET", f"/v1/webhooks/{hook_b['id']}", tenant=b.name)[1]["id"] == hook_b["id"]
    # B's webhook is unchanged by everything sent while acting for A
    status, hook = b.api("GET", f"/v1/webhooks/{hook_b['id']}")
    assert (status, hook["status"], hook["description"]) == (200, "active", "t-platform-b's private hook")


def test_a_session_of_a_never_reaches_b(stack: Stack, platform: Platform) -> None:
    a, b = Tenant(stack, "t-session-a"), Tenant(stack, "t-session-b")
    with Receiver() as receiver:
        hook_a, hook_b = own_webhook(a, receiver.url + "/a"), own_webhook(b, receiver.url + "/b")
    status, opened = a.api("POST", "/v1/portal-sessions", {"ttl_seconds": 600})
    assert status == 201, opened
    token = opened["token"]
    headers = {"Authorization": f"Bearer {token}", "Carrier-Tenant": b.name}  # ignored for a session
    for method, path in served_operations(stack):
        if "{webhook_id}" not in path:
            continue
        url = stack.url + path.format(webhook_id=hook_b["id"], delivery_id=STRANGER_IDS["delivery_id"])
        answer = stack.session.request(method, url, headers=headers, json=BODIES.get((method, path)), timeout=60)
        assert answer.status_code == 404 or unfilled(answer.status_code, answer.json()), (method, path, answer.text)
    listing = stack.session.get(stack.url + "/v1/webhooks", headers=headers, timeout=60).json()
    assert [w["id"] for w in listing["data"]] == [hook_a["id"]]
    admin = stack.session.get(stack.url + f"/v1/admin/tenants/{b.name}/keys", headers=headers, timeout=60)
    assert admin.status_code == 404
    assert b.api("GET", f"/v1/webhooks/{hook_b['id']}")[1]["status"] == "active"


def test_keys_and_session_tokens_never_appear_in_the_logs(stack: Stack, platform: Platform) -> None:
    tenant = "t-logs-platform"
    tenant_key = platform.onboard(tenant)
    opened = platform.portal_session(tenant, ttl_seconds=300)
    reader = platform.portal_session(tenant, read_only=True)
    for credential in (tenant_key, opened["token"], reader["token"], platform.key):
        headers = {"Authorization": f"Bearer {credential}", "Carrier-Tenant": tenant}
        for method, path in (("GET", "/v1/webhooks"), ("POST", "/v1/webhooks"), ("GET", "/v1/portal-sessions/current")):
            stack.session.request(method, stack.url + path, headers=headers, json={"url": "nope"}, timeout=60)
    assert platform.api("DELETE", "/v1/portal-sessions", tenant=tenant)[0] == 204
    stack.session.get(stack.url + "/v1/webhooks", headers={"Authorization": f"Bearer {opened['token']}"}, timeout=60)
    logs = stack.logs()
    assert "portal session opened" in logs  # the lines are there, without what they must not hold
    for secret in (tenant_key, opened["token"], reader["token"], platform.key):
        assert secret not in logs and secret[4:] not in logs, f"{secret[:6]}... is in the stack's logs"

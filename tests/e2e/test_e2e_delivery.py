"""Over HTTP against the local stack: publish through the bus and the queue, receive signed deliveries."""

from __future__ import annotations

import json
from functools import partial

from standardwebhooks.webhooks import Webhook as StandardWebhook

from carrier.verify import verify
from tests.receiver import Receiver
from tests.stack import Stack, Tenant

FORMATS = ["standard", "classic", "extended", "data"]
SCHEMES = ["standard-webhooks", "hmac-sha256-hex", "hmac-sha256-base64", "github"]


def test_every_format_and_scheme_arrives_signed_through_the_bus(stack: Stack, tenant: Tenant) -> None:
    with Receiver() as receiver:
        hooks = {
            f"/{fmt}/{scheme}": tenant.create(
                f"{receiver.url}/{fmt}/{scheme}", payload_format=fmt, signature={"scheme": scheme}
            )
            for fmt in FORMATS
            for scheme in SCHEMES
        }
        published = tenant.publish("model.trained", {"model_id": "mod_e2e"})
        stack.wait_for(lambda: len(receiver.requests) >= 16, what="16 deliveries")
    assert len(receiver.requests) == 16
    for request in receiver.requests:
        hook = hooks[request.path]
        scheme = hook["signature"]["scheme"]
        verify(scheme, hook["secret"], request.body, request.headers, header=hook["signature"]["header"])
        if scheme == "standard-webhooks":
            StandardWebhook(hook["secret"]).verify(request.body, request.headers)
    for hook in hooks.values():
        [delivery] = stack.wait_for(partial(tenant.deliveries, hook["id"]), what="the delivery log")
        assert delivery["event_id"] == published["id"] and delivery["status"] == "delivered"


def test_duplicates_of_one_event_id_deliver_once(stack: Stack, tenant: Tenant) -> None:
    with Receiver() as receiver:
        hook = tenant.create(receiver.url)
        for _ in range(3):
            tenant.publish("batch.progress", {"batch_id": "b1"}, id="evt_same_id")
        tenant.publish("batch.progress", {"batch_id": "b1"}, id="evt_other_id")
        stack.wait_for(lambda: len(tenant.deliveries(hook["id"])) == 2, what="two deliveries")
    assert sorted(json.loads(r.body)["data"]["batch_id"] for r in receiver.requests) == ["b1", "b1"]
    assert len(receiver.requests) == 2


def test_tenants_are_isolated(stack: Stack, tenant: Tenant) -> None:
    other = Tenant(stack, tenant.name + "-other")
    hook = tenant.create("https://example.com/hook")
    assert other.api("GET", f"/v1/webhooks/{hook['id']}")[0] == 404
    assert other.api("GET", "/v1/webhooks")[1]["data"] == []
    status, body = stack.api("GET", "/v1/webhooks", key="ck_" + "x" * 43)
    assert status == 401 and body["error"] == "unauthorized"
    status, body = stack.session.get(stack.url + "/v1/webhooks", headers={"Authorization": ""}).status_code, None
    assert status == 401

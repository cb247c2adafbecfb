"""Operational events on the local stack over HTTP: Carrier's own `Source: carrier` events go through the local bus,
its rule, the queue and the poller like the platform's, and the ladder's Exhaust raises its own."""

from __future__ import annotations

import json

from carrier.verify import verify
from tests.receiver import Answer, Receiver
from tests.stack import Stack, Tenant


def test_a_410_is_said_signed_to_the_tenants_watcher_and_not_to_another_tenant(stack: Stack, tenant: Tenant) -> None:
    other = Tenant(stack, tenant.name + "-other")
    with Receiver(lambda r: Answer(410)) as gone, Receiver() as watching, Receiver() as elsewhere:
        hook = tenant.create(gone.url)
        watcher = tenant.create(watching.url, events=["carrier.webhook.disabled"])
        other.create(elsewhere.url, events=["carrier.*"])
        tenant.publish("model.trained", {"model_id": "mod_e2e"})
        stack.wait_for(lambda: watching.requests, what="carrier.webhook.disabled at the watcher")
        [request] = watching.requests
    verify("standard-webhooks", watcher["secret"], request.body, request.headers)
    body = json.loads(request.body)
    assert body["type"] == "carrier.webhook.disabled" and body["data"]["webhook_id"] == hook["id"]
    assert body["data"]["cause"] == "gone" and elsewhere.requests == []


def test_the_ladder_exhausted_is_said_to_the_tenants_watcher(stack: Stack, tenant: Tenant) -> None:
    with Receiver(lambda r: Answer(500)) as failing, Receiver() as watching:
        hook = tenant.create(failing.url)
        tenant.create(watching.url, events=["carrier.delivery.exhausted"])
        published = tenant.publish("model.trained", {})
        stack.wait_for(lambda: watching.requests, what="carrier.delivery.exhausted at the watcher")
        [request] = watching.requests
    data = json.loads(request.body)["data"]
    assert data["webhook_id"] == hook["id"] and data["event_id"] == published["id"] and data["attempts"] == 6

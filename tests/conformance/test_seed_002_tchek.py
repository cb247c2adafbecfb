"""Seed 002 (Tchek, "Webhooks"), as written, against `PROFILE=tchek`.

The catalog has inspection and damage events whose example is the doc's notification `{tchekId, message}`; the doc's
Express skeleton (given the minimum answer, see its header) receives exactly that body once a webhook is configured
and subscribed, and nothing before: "webhooks are not activated by default and you will need to configure them, and
also to subscribe to the events you want to be notified about".

Knowing that nothing was sent without sleeping: a marker event published after the event under test (by another
tenant, or to the subscribed type) is waited for; the local stack's pipeline takes events in publishing order
(one SQS queue, one poller), so once the marker is delivered the earlier event has been dispatched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conformance.harness import HERE, assert_runs, catalog, doc_json, node, render, started, wait_until
from tests.receiver import Receiver
from tests.stack import Stack, Tenant, free_port

PROFILE = "tchek"
SEED = HERE / "seed_002"


def deliveries(customer: Tenant, hook_id: str) -> list[dict[str, Any]]:
    status, page = customer.api("GET", f"/v1/webhooks/{hook_id}/deliveries?limit=250")
    assert status == 200, page
    return page["deliveries"]


def notification(tchek_id: str) -> dict[str, Any]:
    return {"tchekId": tchek_id, "message": f"Tchek {tchek_id} created successfully !"}


def received(lines: list[str]) -> list[dict[str, Any]]:
    """The bodies the Express app logged (its JSON lines; the other line is its listening message)."""
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_the_stack_runs_the_tchek_profile(profile_stack: Stack) -> None:
    assert_runs(profile_stack, PROFILE)


def test_the_catalog_has_inspection_and_damage_events_shaped_as_the_doc(customer: Tenant) -> None:
    documented = doc_json(SEED / "notification.jsonc")
    types = catalog(customer)
    tchek = {name: t["example"] for name, t in types.items() if name.split(".")[0] in ("inspection", "damage")}
    assert {name.split(".")[0] for name in tchek} == {"inspection", "damage"}, sorted(types)
    assert {name: set(example) for name, example in tchek.items()} == {key: set(documented) for key in tchek}
    assert documented in tchek.values(), "no type's example is the doc's notification"


def test_nothing_is_sent_until_a_webhook_is_configured_and_subscribed(
    profile_stack: Stack, customer: Tenant, tmp_path: Path
) -> None:
    port = free_port()
    app = render(SEED / "express_webhook.js", {"3000": str(port)}, tmp_path, "express_webhook.js")
    express = node(app, tmp_path, "seed-002-express", port)
    other = Tenant(profile_stack, customer.name[:40] + "-marker")
    with started(express), Receiver() as marker:
        express.wait_for_line(f"Webhook server listening on port {port}")
        other.create(marker.url + "/webhook", events=["inspection.created"])
        # Given no webhook configured: an inspection is published, then another tenant's marker
        customer.publish("inspection.created", notification("noWebhook01"))
        other.publish("inspection.created", notification("marker01"))
        wait_until(lambda: marker.requests, "the marker's delivery")
        # Then nothing reached the receiver
        assert received(express.lines()) == []
        # Given a webhook configured and subscribed to inspection.completed only
        status, hook = customer.api(
            "POST", "/v1/webhooks", {"url": express.url + "/webhook", "events": ["inspection.completed"]}
        )
        assert status == 201, hook
        # When an unsubscribed damage event, then a subscribed inspection event are published
        damage = customer.publish("damage.created", notification("unsubscribed01"))
        completed = customer.publish("inspection.completed", notification("subscribed01"))
        express.wait_for_line(json.dumps(notification("subscribed01"), separators=(",", ":")))
        lines = express.lines()
    # Then the receiver got the subscribed notification alone, as the doc's {tchekId, message}
    assert received(lines) == [notification("subscribed01")]
    logged = {d["event_id"]: d for d in deliveries(customer, hook["id"])}
    assert completed["id"] in logged and damage["id"] not in logged, logged
    assert len(logged) == 1

"""Issue item 9: events for a disabled webhook leave a `skipped` delivery (no attempt), which `recover` sends after
the webhook is enabled again."""

from __future__ import annotations

from datetime import timedelta

from carrier.clock import iso
from tests.faults.harness import Carrier


def test_9_an_event_for_a_disabled_webhook_is_skipped_then_recovered(carrier: Carrier) -> None:
    # Given a disabled webhook
    hook = carrier.create_webhook("a")
    start = carrier.world.now()
    status_code, _ = carrier.api("POST", f"/v1/webhooks/{hook.id}/disable")
    assert status_code == 200
    # When an event matches it (twice: a redelivered copy adds nothing)
    message = carrier.publish()
    carrier.queue.duplicate(message, delay=1)
    carrier.drain()
    # Then its delivery is skipped, with no attempt and nothing sent
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "skipped" and delivery["attempts"] == [], delivery
    assert carrier.receiver.requests == []
    # And once enabled, recover sends it
    assert carrier.api("POST", f"/v1/webhooks/{hook.id}/enable")[0] == 200
    since = iso(start - timedelta(minutes=1))
    status_code, body = carrier.api("POST", f"/v1/webhooks/{hook.id}/recover", body={"since": since})
    assert status_code == 200 and body["recovered"] == 1, body
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "delivered", delivery

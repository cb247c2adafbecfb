"""Issue items 3 and 8: one target's failure is its own. An AWS error on one delivery's writes, an unreadable
secret, a key its scheme cannot use: that delivery's failed attempt (or its message coming back), never its
siblings' problem."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.harness import ALWAYS, Carrier, about, both
from tests.faults.receiver import OK

FIRST = "dispatcher#1"  # the invocation of the first receive
SEED_004: dict[str, Any] = {
    "secret": "your-webhook-secret-123456",  # seed 004's custom secret: not whsec_ form
    "signature": {"scheme": "hmac-sha256-hex"},
}


def test_3a_an_aws_error_on_one_targets_record_fails_the_message_after_its_siblings_are_recorded(
    carrier: Carrier,
) -> None:
    # Given three webhooks on one event type, and the record of the first one's attempt failing all through the
    # first receive (the engine's own retries included)
    hooks = [carrier.create_webhook(name) for name in ("a", "b", "c")]
    message = carrier.publish()
    # (the first attempt's record is its row's one write: a PutItem in the webhook's log, `WH#<id>#<shard>`)
    carrier.injector.fail_next(
        "dynamodb", "PutItem", times=ALWAYS, when=both(carrier.made_by(FIRST), about(f"WH#{hooks[0].id}#", "DLV#"))
    )
    # When the first receive ends
    carrier.run_until(lambda: bool(carrier.queue.invocations) and carrier.queue.invocations[0].participant.ended)
    # Then the siblings are delivered and recorded, and only the message comes back for the broken one
    assert [carrier.delivery(message.event_id, h)["status"] for h in hooks[1:]] == ["delivered", "delivered"]  # type: ignore[index]
    assert carrier.queue.invocations[0].outcome == "partial"
    carrier.drain()
    # And after the redelivery every delivery ended, the siblings never sent twice
    assert [carrier.delivery(message.event_id, h)["status"] for h in hooks] == ["delivered"] * 3  # type: ignore[index]
    assert [len(carrier.requests_of(message.event_id, h)) for h in hooks[1:]] == [1, 1]
    assert carrier.receiver.duplicates().concurrent == []


@pytest.mark.parametrize("store", ["per-webhook", "envelope"])
def test_3b_an_unreadable_secret_is_that_deliverys_failed_attempt_with_its_reason(carrier: Carrier, store: str) -> None:
    # Given two webhooks, and the first one's secret unreadable all through the first receive: its own Secrets
    # Manager secret failing (per-webhook), or the sealed box on its item not opening (envelope: a box sealed under a
    # data key no longer held; the box is read with the webhook, so no AWS call of its own can fail)
    carrier.configure(SECRET_STORE=store)
    first, second = carrier.create_webhook("a"), carrier.create_webhook("b")
    box = carrier.store.get_secret_box("t1", first.id)
    if store == "per-webhook":
        carrier.injector.fail_next(
            "secretsmanager",
            "GetSecretValue",
            code="InternalServiceError",
            times=ALWAYS,
            when=both(carrier.made_by(FIRST), about(first.id)),
        )
    else:
        assert box is not None
        carrier.store.set_secret_box("t1", first.id, {**box, "key_id": "retired"})
    # When an event is dispatched
    message = carrier.publish()
    carrier.run_until(lambda: bool(carrier.queue.invocations) and carrier.queue.invocations[0].participant.ended)
    # Then the first delivery has a failed attempt saying Carrier could not prepare it, on its ladder; the other is
    # delivered; the message is done (nothing to come back for)
    broken, healthy = carrier.delivery(message.event_id, first), carrier.delivery(message.event_id, second)
    assert broken is not None and healthy is not None
    assert healthy["status"] == "delivered" and broken["status"] == "retrying"
    assert "could not prepare" in str(broken["attempts"][0].get("error")), broken["attempts"]
    assert carrier.requests_of(message.event_id, first) == []
    assert carrier.queue.invocations[0].outcome == "ok"
    # And once the secret reads again (the box restored), its ladder delivers it
    if box is not None:
        carrier.store.set_secret_box("t1", first.id, box)
    carrier.drain()
    broken = carrier.delivery(message.event_id, first)
    assert broken is not None and broken["status"] == "delivered"


def test_8a_a_put_without_signature_cannot_poison_a_webhook(carrier: Carrier) -> None:
    # Given seed 004's webhook (custom secret, hmac-sha256-hex)
    hook = carrier.create_webhook("seed-004", **SEED_004)
    # When it is PUT back as seed 004's docs do, without `signature`
    status, body = carrier.api(
        "PUT", f"/v1/webhooks/{hook.id}", body={"url": hook.record["url"], "events": ["model.*"]}
    )
    # Then the PUT keeps the signature its secret was made for (a scheme the secret does not fit is refused, naming
    # signature), and it keeps delivering
    assert status == 200 and body["signature"]["scheme"] == "hmac-sha256-hex", body
    status, body = carrier.api(
        "PUT",
        f"/v1/webhooks/{hook.id}",
        body={"url": hook.record["url"], "events": ["model.*"], "signature": {"scheme": "standard-webhooks"}},
    )
    assert status == 422 and body["field"] == "signature", body
    message = carrier.publish()
    carrier.drain()
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "delivered"


def test_8b_a_poison_webhook_stored_before_the_fix_fails_only_its_own_deliveries(carrier: Carrier) -> None:
    # Given a healthy webhook and one stored before PUT refused it: a custom secret under standard-webhooks
    healthy = carrier.create_webhook("healthy")
    poison = carrier.create_webhook("poison", **SEED_004)
    carrier.store.update_webhook("t1", poison.id, {"signature": {"scheme": "standard-webhooks", "header": None}})
    carrier.receiver.script = lambda request: OK
    # When an event is dispatched
    message = carrier.publish()
    carrier.run_until(lambda: bool(carrier.queue.invocations) and carrier.queue.invocations[0].participant.ended)
    # Then the healthy webhook is delivered in the first receive, and the message does not come back for the other
    assert carrier.delivery(message.event_id, healthy)["status"] == "delivered"  # type: ignore[index]
    assert carrier.queue.invocations[0].outcome == "ok" and message.receive_count == 1
    # And the poison one has a failed attempt with a readable reason, in its log and its webhook's last_error
    delivery = carrier.delivery(message.event_id, poison)
    assert delivery is not None and delivery["status"] == "retrying"
    reason = str(delivery["attempts"][0].get("error"))
    assert "could not prepare" in reason and SEED_004["secret"] not in reason
    assert carrier.webhook(poison)["last_error"]["message"] == reason
    # And /test answers with the failure, not a 500
    status, body = carrier.api("POST", f"/v1/webhooks/{poison.id}/test", body={"event_type": "model.trained"})
    assert status < 500 and body["delivered"] is False, (status, body)


def test_3c_a_throttled_skipped_row_write_is_that_targets_problem_alone(carrier: Carrier) -> None:
    # Given a disabled webhook beside two active ones, and the disabled one's skipped-row write throttled all through
    # the first receive
    disabled, *active = (carrier.create_webhook(name) for name in ("off", "b", "c"))
    assert carrier.api("POST", f"/v1/webhooks/{disabled.id}/disable")[0] == 200
    message = carrier.publish()
    carrier.injector.fail_next(
        "dynamodb", "PutItem", times=ALWAYS, when=both(carrier.made_by(FIRST), about(f"WH#{disabled.id}#", "skipped"))
    )
    # When the first receive ends
    carrier.run_until(lambda: bool(carrier.queue.invocations) and carrier.queue.invocations[0].participant.ended)
    # Then the active webhooks were delivered in it, whatever happened to the disabled one's row
    assert [carrier.delivery(message.event_id, h) is not None for h in active] == [True, True]
    assert [len(carrier.requests_of(message.event_id, h)) for h in active] == [1, 1]

"""Issue items 5 and 6: the ladder survives Carrier's own errors, and ends what it cannot continue.

The real statemachines/retry.asl.json runs in moto's interpreter; its tasks invoke the real attempt handler."""

from __future__ import annotations

import random
from typing import Any

import pytest

from carrier.store import keys
from tests.faults.harness import Carrier, Predicate, about
from tests.faults.receiver import OK, in_turn, status
from tests.support import template

FIRST_FAILS = in_turn(status(500), OK)


def in_ladder(carrier: Carrier, *needles: str) -> Predicate:
    """Calls made by a ladder execution (the attempt handler its tasks invoke) whose parameters hold `needles`."""
    matches = about(*needles)

    def predicate(params: dict[str, Any]) -> bool:
        current = carrier.world.current
        return current is not None and current.name.startswith("sfn:") and matches(params)

    return predicate


def first_receive_done(carrier: Carrier) -> bool:
    return bool(carrier.queue.invocations) and carrier.queue.invocations[0].participant.ended


def test_5a_a_throttled_read_in_a_ladder_step_retries_the_same_step(carrier: Carrier) -> None:
    # Given a delivery on its ladder, and its first ladder read throttled
    hook = carrier.create_webhook("a")
    carrier.receiver.script = FIRST_FAILS
    message = carrier.publish()
    carrier.injector.fail_next("dynamodb", "GetItem", when=in_ladder(carrier, f"WH#{hook.id}#"))
    # When the ladder runs
    carrier.drain()
    did = carrier.delivery_id(message.event_id, hook)
    # Then the step was retried by the state machine (the error was not the receiver's, no ladder step used up)
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "delivered", delivery
    assert [a["trigger"] for a in sorted(delivery["attempts"], key=lambda a: a["n"])] == ["initial", "retry"]
    assert carrier.ladder.history(did) == ["Wait", "Attempt", "Ended"]
    assert [c.error is not None for c in carrier.ladder.calls] == [True, False]


def test_5b_a_receivers_200_whose_record_failed_is_sent_again_not_failed(carrier: Carrier) -> None:
    # Given the ladder's send accepted by the receiver, and the record of that attempt failing
    hook = carrier.create_webhook("a")
    carrier.receiver.script = FIRST_FAILS
    message = carrier.publish()
    carrier.injector.fail_next("dynamodb", "UpdateItem", when=in_ladder(carrier, f"WH#{hook.id}#", "attempts"))
    # When the ladder runs
    carrier.drain()
    # Then the step ran again (the receiver saw the delivery twice, one after the other) and it is delivered
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "delivered", delivery
    assert carrier.receiver.accepted(hook.path, message.event_id) == 2
    duplicates = carrier.receiver.duplicates()
    assert duplicates.concurrent == [] and len(duplicates.in_sequence) == 1


def test_5c_when_carrier_keeps_failing_the_delivery_ends_failed_by_carrier_even_if_recording_it_fails(
    carrier: Carrier,
) -> None:
    # Given every ladder read of the delivery failing past the Attempt task's retriers, and RecordFailure's first
    # write failing too
    hook = carrier.create_webhook("a")
    carrier.receiver.script = FIRST_FAILS
    message = carrier.publish()
    carrier.injector.fail_next("dynamodb", "GetItem", times=6, when=in_ladder(carrier, f"WH#{hook.id}#"))
    carrier.injector.fail_next("dynamodb", "UpdateItem", when=in_ladder(carrier, f"WH#{hook.id}#", '"failed"'))
    # When the ladder runs
    carrier.drain()
    # Then the delivery is failed, not left retrying, and the API says Carrier failed, with its reason
    did = carrier.delivery_id(message.event_id, hook)
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "failed", delivery
    assert carrier.ladder.history(did)[-2:] == ["RecordFailure", "Failed"]
    status_code, detail = carrier.api("GET", f"/v1/webhooks/{hook.id}/deliveries/{did}")
    assert status_code == 200 and detail["failure"]["by"] == "carrier", detail
    assert "ProvisionedThroughputExceeded" in detail["failure"]["reason"]


def test_5d_exhaustion_whose_write_fails_still_ends_exhausted_and_disables_the_webhook(carrier: Carrier) -> None:
    # Given a receiver that always fails, and the Exhaust task's first write failing
    hook = carrier.create_webhook("a")
    carrier.receiver.script = lambda request: status(500)
    message = carrier.publish()
    carrier.injector.fail_next("dynamodb", "UpdateItem", when=in_ladder(carrier, f"WH#{hook.id}#", '"exhausted"'))
    # When the whole ladder runs (5 retries over about 33 hours)
    carrier.drain()
    # Then the delivery is exhausted after 6 attempts and its webhook disabled with the reason
    did = carrier.delivery_id(message.event_id, hook)
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "exhausted", delivery
    assert delivery["attempt_count"] == 6
    webhook = carrier.webhook(hook)
    assert webhook["status"] == "disabled" and "exhausted" in webhook["disabled_reason"]
    assert carrier.ladder.history(did)[-1] == "Exhaust"


def test_5e_a_full_failing_ladder_costs_at_most_12_transitions_its_waits_jittered(
    carrier: Carrier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a receiver that always fails, and a seeded source for the waits' jitter
    monkeypatch.setattr("carrier.ladder.RANDOM", random.Random(19).random)
    hooks = [carrier.create_webhook(name) for name in ("a", "b")]
    carrier.receiver.script = lambda request: status(500)
    message = carrier.publish()
    # When the whole ladder runs for each webhook's delivery
    carrier.drain()
    ladder = [int(s) for s in template()["Parameters"]["RetryLadder"]["Default"].split(",")]
    waits = []
    for hook in hooks:
        did = carrier.delivery_id(message.event_id, hook)
        # Then 5 retries, each after its rung +/- 10 %, then Exhaust: 11 state transitions (18 before)
        history = carrier.ladder.history(did)
        assert history == ["Wait", "Attempt"] * 5 + ["Exhaust"] and len(history) <= 12
        waits.append(carrier.ladder.waits[did])
        for wait, rung in zip(waits[-1], ladder, strict=True):
            assert rung * 0.9 <= wait <= rung * 1.1, (wait, rung)
        delivery = carrier.delivery(message.event_id, hook)
        assert delivery is not None and delivery["status"] == "exhausted" and delivery["attempt_count"] == 6
        webhook = carrier.webhook(hook)
        assert webhook["status"] == "disabled" and "exhausted" in webhook["disabled_reason"]
    assert waits[0] != waits[1]  # two deliveries that failed together are not retried together


def test_6a_an_event_expired_before_its_retry_ends_the_delivery_failed(carrier: Carrier) -> None:
    # Given a delivery on its ladder whose event then expires (DynamoDB's TTL deletes it)
    hook = carrier.create_webhook("a")
    carrier.receiver.script = FIRST_FAILS
    message = carrier.publish()
    carrier.run_until(lambda: first_receive_done(carrier))
    did = carrier.delivery_id(message.event_id, hook)  # named by the stored event, about to expire
    carrier.store.table.delete_item(Key=keys.event("t1", message.event_id))
    # When the ladder's step comes
    carrier.drain()
    # Then the delivery ended failed, with the reason, by Carrier
    delivery = carrier.store.get_delivery("t1", hook.id, did)
    assert delivery is not None and delivery["status"] == "failed", delivery
    assert "expired" in delivery.get("failure", "")
    assert carrier.ladder.running() == []


def test_6b_a_callback_whose_secret_is_gone_ends_failed(carrier: Carrier) -> None:
    # Given a tenant with a callback secret, an event with a callback URL, and a first attempt that fails
    status_code, body = carrier.api("PUT", "/v1/callbacks", body={})
    assert status_code in (200, 201), body
    carrier.receiver.script = FIRST_FAILS
    url = "http://127.0.0.1:9/callbacks/job-1"
    message = carrier.publish(callback_url=url)
    carrier.run_until(lambda: first_receive_done(carrier))
    did = carrier.store_delivery_id(message.event_id, f"callback:{url}")
    assert carrier.store.get_delivery("t1", None, did)["status"] == "retrying"
    # When the callback secret is removed before the retry
    carrier.store.table.delete_item(Key=keys.tenant_setting("t1", "callbacks"))
    carrier.drain()
    # Then the callback delivery ended failed, saying why
    delivery = carrier.store.get_delivery("t1", None, did)
    assert delivery["status"] == "failed" and "callback secret" in delivery.get("failure", ""), delivery

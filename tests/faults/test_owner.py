"""Issue items 1 and 2, and the reconciler: every open delivery has an owner (its claim's invocation, the message
that comes back, or its ladder execution), whatever fails between the claim, the hand-off and the record."""

from __future__ import annotations

import pytest

from tests.faults import deployment
from tests.faults.harness import ALWAYS, Carrier, about, both
from tests.faults.receiver import OK, hang, in_turn, status

FIRST_FAILS = in_turn(status(500), OK)
FIRST = "dispatcher#1"  # the invocation of the first receive
FAN_OUT = 250


def test_1a_a_throttled_start_execution_leaves_the_claim_and_the_message_brings_it_back(carrier: Carrier) -> None:
    # Given a receiver that fails the first request, and Step Functions throttling StartExecution all through the
    # first receive (the engine's own retries included)
    hook = carrier.create_webhook("a")
    carrier.receiver.script = FIRST_FAILS
    carrier.injector.fail_next(
        "stepfunctions", "StartExecution", code="ThrottlingException", times=ALWAYS, when=carrier.made_by(FIRST)
    )
    # When the event is dispatched and everything runs its course
    message = carrier.publish()
    carrier.drain()
    # Then the hand-off failed before the row left `pending`, the message came back, and the delivery ended
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "delivered", delivery
    assert message.receive_count == 2 and not carrier.queue.dead
    assert carrier.receiver.duplicates().concurrent == []


def test_1b_a_failed_last_call_write_after_the_hand_off_brings_the_message_back_to_a_running_ladder(
    carrier: Carrier,
) -> None:
    # Given the webhook's last_call write failing all through the first receive, after the delivery's own record
    hook = carrier.create_webhook("a")
    carrier.receiver.script = FIRST_FAILS
    carrier.injector.fail_next(
        "dynamodb", "UpdateItem", times=ALWAYS, when=both(carrier.made_by(FIRST), about("TENANT#", "last_call"))
    )
    # When the event is dispatched
    message = carrier.publish()
    carrier.drain()
    # Then the redelivery found the delivery on its ladder (restarting it is a no-op) and the ladder delivered it
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "delivered", delivery
    assert list(carrier.ladder.started.values()) == [1]
    assert len(carrier.requests_of(message.event_id, hook)) == 2
    assert carrier.receiver.duplicates().concurrent == []


def test_1c_a_dispatcher_killed_at_the_hand_off(carrier: Carrier) -> None:
    # Given the dispatcher dying while it starts the ladder of a failed first attempt
    hook = carrier.create_webhook("a")
    carrier.receiver.script = FIRST_FAILS
    carrier.injector.kill_at("stepfunctions", "StartExecution")
    # When the event is dispatched
    message = carrier.publish()
    carrier.drain()
    # Then the delivery was still its claim's (never `retrying` without a ladder): the message came back, the claim
    # was stale by then and taken over, and the delivery ended
    delivery = carrier.delivery(message.event_id, hook)
    assert carrier.queue.invocations[0].outcome == "killed"
    assert delivery is not None and delivery["status"] == "delivered", delivery
    assert carrier.receiver.duplicates().concurrent == []


def test_1d_a_dispatcher_killed_after_the_hand_off_while_it_records(carrier: Carrier) -> None:
    # Given the dispatcher dying while it records the failed first attempt (its ladder already started)
    hook = carrier.create_webhook("a")
    carrier.receiver.script = FIRST_FAILS
    carrier.injector.kill_at("dynamodb", "PutItem", when=about(f"WH#{hook.id}#", "attempts"))
    # When the event is dispatched
    message = carrier.publish()
    carrier.drain()
    # Then the message came back, and between the claim taken over and the ladder the delivery ended delivered
    delivery = carrier.delivery(message.event_id, hook)
    assert carrier.queue.invocations[0].outcome == "killed"
    assert delivery is not None and delivery["status"] == "delivered", delivery
    assert carrier.receiver.duplicates().concurrent == []


@pytest.mark.parametrize("http_timeout", ["30", "60"])
def test_2a_a_failed_first_record_leaves_a_claim_the_redelivery_takes_over(carrier: Carrier, http_timeout: str) -> None:
    # Given any allowed HttpTimeoutSeconds, a receiver that accepts, and the record of that first attempt failing
    # (all through the first receive)
    carrier.configure(HTTP_TIMEOUT_SECONDS=http_timeout)
    hook = carrier.create_webhook("a")
    carrier.injector.fail_next(
        "dynamodb", "PutItem", times=ALWAYS, when=both(carrier.made_by(FIRST), about(f"WH#{hook.id}#", "attempts"))
    )
    # When the event is dispatched
    message = carrier.publish()
    carrier.drain()
    # Then no row was written (the event's claim held it) until the redelivery, 180 s later, found the claim stale
    # and sent again: delivered, the receiver having seen it twice, one after the other (at least once)
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "delivered", delivery
    requests = carrier.requests_of(message.event_id, hook)
    assert len(requests) == 2 and (requests[1].start - requests[0].start).total_seconds() >= 150
    duplicates = carrier.receiver.duplicates()
    assert duplicates.concurrent == [] and len(duplicates.in_sequence) == 1


def test_2b_a_duplicate_message_while_the_first_run_sends_comes_back_instead_of_sending(carrier: Carrier) -> None:
    # Given the documented HttpTimeoutSeconds of 10 and a receiver taking 8 s
    carrier.configure(HTTP_TIMEOUT_SECONDS="10")
    hook = carrier.create_webhook("a")
    carrier.receiver.script = in_turn(status(200, seconds=8))
    # When a second copy of the event arrives 2 s after the first (EventBridge and SQS are at least once)
    message = carrier.publish()
    copy = carrier.queue.duplicate(message, delay=2)
    carrier.drain()
    # Then the copy found a live claim: it failed and came back, found the delivery ended, and was deleted
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "delivered", delivery
    assert len(carrier.requests_of(message.event_id, hook)) == 1
    assert copy.receive_count == 2 and message.receive_count == 1
    assert carrier.receiver.duplicates().concurrent == []


def test_2c_a_duplicate_never_takes_over_claims_a_live_invocation_still_has_to_send(carrier: Carrier) -> None:
    # Given HttpTimeoutSeconds 10 (the docs' advice) and a fan-out whose sends queue behind MAX_CONCURRENCY (250
    # webhooks, 50 at a time, on a receiver that hangs): the last claims wait 40 s and more for their send
    carrier.configure(HTTP_TIMEOUT_SECONDS="10")
    hooks = [carrier.create_webhook(f"w{i:03d}") for i in range(FAN_OUT)]
    carrier.receiver.script = lambda request: hang(accepts=False)
    # When a copy of the event arrives 45 s after the first, while the first invocation still sends
    message = carrier.publish()
    carrier.queue.duplicate(message, delay=45)
    carrier.run_until(lambda: len(carrier.queue.invocations) >= 2 and carrier.queue.invocations[1].participant.ended)
    # Then the copy took over no claim: no delivery was ever sent twice at once
    assert carrier.receiver.duplicates().concurrent == []
    assert len(carrier.receiver.requests) == len(hooks)


def test_a_claim_whose_hand_off_never_succeeds_is_repaired_by_the_reconciler(carrier: Carrier) -> None:
    # Given Step Functions refusing the dispatcher's StartExecution for as long as the message lives, and a receiver
    # failing each first attempt meanwhile
    hook = carrier.create_webhook("a")
    receives = carrier.queue.config.max_receive_count
    carrier.receiver.script = in_turn(*[status(500)] * receives, OK)
    message = carrier.publish()
    # the dispatcher's hand-off is named by the delivery id (a reconciler's repair adds `-r<n>`)
    by_dispatcher = lambda p: p["name"].startswith("del_") and "-r" not in p["name"]  # noqa: E731
    carrier.injector.fail_next("stepfunctions", "StartExecution", times=ALWAYS, when=by_dispatcher)
    # When the event is dispatched until its message goes to the DLQ
    carrier.drain()
    # Then the row was left `pending` (each receive's hand-off failed) with nothing owning it; the reconciler handed
    # it to the ladder
    delivery = carrier.delivery(message.event_id, hook)
    assert [m.id for m in carrier.queue.dead] == [message.id]
    assert delivery is not None and delivery["status"] == "delivered", delivery
    assert carrier.scheduled_runs > 0


def test_an_event_whose_every_receive_fails_waits_in_the_dlq_and_a_redrive_delivers_it(carrier: Carrier) -> None:
    # Given DynamoDB refusing the tenant's webhooks Query for as long as the message lives (15 minutes of outage)
    hooks = [carrier.create_webhook(name) for name in ("a", "b")]
    carrier.injector.fail_next("dynamodb", "Query", times=ALWAYS, when=about("TENANT#t1", "WH#"))
    # When the event is dispatched
    message = carrier.publish()
    carrier.drain()
    # Then no delivery exists (nothing but the message owns these pairs) and the message waits in the DLQ, whose
    # depth template.yaml alarms on
    assert [m.id for m in carrier.queue.dead] == [message.id]
    assert [carrier.delivery(message.event_id, h) for h in hooks] == [None, None]
    assert "DeadLetterQueueAlarm" in deployment.template()["Resources"]
    # And once DynamoDB is back, the operator's redrive (carrier dlq redrive) delivers it
    carrier.injector.clear()
    carrier.queue.redrive()
    carrier.drain()
    assert [carrier.delivery(message.event_id, h)["status"] for h in hooks] == ["delivered"] * 2  # type: ignore[index]

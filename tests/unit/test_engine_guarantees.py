"""Delivery guarantees under faults, on the engine's fakes (issue: no delivery stuck, lost or sent twice at once;
one broken webhook never blocks another). Each fault is injected, never assumed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from carrier.records import DeliveryStatus
from carrier.retries import ENDED
from carrier.scheduling import execution_input
from carrier.targets import ClaimHeld, TargetsUnsettled
from tests.fakes import FakeTransport, answer, failure
from tests.unit.engine import LADDER, TENANT, URL, Engine, event, settings


class Throttled(Exception):
    """Stands for botocore's ClientError (ThrottlingException) after its own retries."""


def fail_for(method: Any, delivery_id_part: str, times: int = 1) -> Any:
    """`method`, raising Throttled for calls naming a delivery of `delivery_id_part`'s webhook, `times` times."""
    left = {"n": times}

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if left["n"] > 0 and any(delivery_id_part == a for a in args if isinstance(a, str)):
            left["n"] -= 1
            raise Throttled("Rate exceeded")
        return method(*args, **kwargs)

    return wrapped


def test_a_webhook_whose_key_cannot_sign_fails_alone_and_says_why() -> None:
    # Given two webhooks on one event type, one holding a key its scheme cannot use (stored before PUT checked it)
    engine = Engine()
    engine.hook("wh_poison", secret="your-webhook-secret-123456")  # standard-webhooks needs whsec_<base64>
    engine.hook("wh_ok", url=URL + "/ok")
    # When the event is dispatched
    report = engine.publish()
    # Then the healthy webhook got it, and the message is settled (nothing for SQS to retry)
    assert [r.url for r in engine.transport.requests] == [URL + "/ok"]
    assert engine.delivery("wh_ok")["status"] == DeliveryStatus.delivered and report.failed_targets == 0
    # And the poison one has a failed attempt saying Carrier could not sign, on the ladder, in its last_error
    poison = engine.delivery("wh_poison")
    assert poison["status"] == DeliveryStatus.retrying
    assert poison["attempts"][0]["error"].startswith("Carrier could not prepare the request: Error")
    assert engine.webhook("wh_poison")["last_error"]["message"] == poison["attempts"][0]["error"]
    assert [h.delivery_id for h in engine.scheduler.handoffs] == [poison["delivery_id"]]


def test_an_aws_error_on_one_targets_write_leaves_its_siblings_recorded() -> None:
    # Given two webhooks, and DynamoDB throttling the first write of one delivery (its row, written with its attempt)
    engine = Engine()
    engine.hook("wh_a", url=URL + "/a")
    engine.hook("wh_b", url=URL + "/b")
    claim_delivery = engine.store.claim_delivery
    failed = {"n": 0}

    def throttled_for_a(record: Any, stale_before: str) -> bool:
        if record["webhook_id"] == "wh_a" and not failed["n"]:
            failed["n"] += 1
            raise Throttled("Rate exceeded")
        return claim_delivery(record, stale_before)

    engine.store.claim_delivery = throttled_for_a  # type: ignore[method-assign]
    # When the event is dispatched, the message fails (SQS will bring it back) ...
    with pytest.raises(TargetsUnsettled) as unsettled:
        engine.publish()
    assert [type(e) for e in unsettled.value.errors] == [Throttled]
    # ... but the sibling is recorded delivered; the failed one has no row (the event's claim holds it)
    assert engine.delivery("wh_b")["status"] == DeliveryStatus.delivered
    assert [d for d in engine.store.deliveries.values() if d["webhook_id"] == "wh_a"] == []
    # When SQS brings the message back before the event's claim is stale, nothing is sent and it comes back again
    with pytest.raises(TargetsUnsettled) as again:
        engine.publish()
    assert [type(e) for e in again.value.errors] == [ClaimHeld] and len(engine.transport.requests) == 2
    # When it comes back after the stale window, the stranded delivery is sent and recorded; the sibling is not
    engine.clock.advance(engine.settings.claim_stale_seconds + 1)
    report = engine.publish()
    assert report.duplicates == 1 and report.outcomes == {"delivered": 1}
    assert [r.url for r in engine.transport.requests] == [URL + "/a", URL + "/b", URL + "/a"]
    assert engine.delivery("wh_a")["status"] == DeliveryStatus.delivered


def test_the_ladder_owns_a_failed_delivery_before_it_leaves_pending() -> None:
    # Given a receiver answering 500, and Step Functions throttling the first StartExecution
    engine = Engine(transport=FakeTransport(default=answer(500)))
    engine.hook()
    calls = {"n": 0}
    schedule = engine.scheduler.schedule

    def throttled_once(handoff: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise Throttled("Rate exceeded")
        schedule(handoff)

    engine.scheduler.schedule = throttled_once  # type: ignore[method-assign]
    # When the first attempt fails and its hand-off to the ladder fails too
    with pytest.raises(TargetsUnsettled):
        engine.publish()
    # Then the delivery is not `retrying` with nothing to move it: it is still the claim's, and the message returns
    assert engine.delivery()["status"] == DeliveryStatus.pending and engine.scheduler.handoffs == []
    # When the message comes back after the stale window, the delivery is attempted and handed to the ladder (the
    # receiver saw two requests, one after the other: at least once; the lost hand-off's attempt is not in the log)
    engine.clock.advance(engine.settings.claim_stale_seconds + 1)
    engine.publish()
    delivery = engine.delivery()
    assert delivery["status"] == DeliveryStatus.retrying and len(engine.transport.requests) == 2
    assert [h.delivery_id for h in engine.scheduler.handoffs] == [delivery["delivery_id"]]


def test_a_redelivered_event_restarts_the_ladder_of_a_retrying_delivery() -> None:
    # Given a delivery on the ladder (its first attempt failed), whose execution may never have started
    engine = Engine(transport=FakeTransport(default=answer(500)))
    engine.hook()
    engine.publish()
    first = engine.scheduler.handoffs[0]
    # When the same event is redelivered 100 s later
    engine.clock.advance(100)
    report = engine.publish()
    # Then nothing is sent again, and the ladder is started again at the same step (a no-op when it runs)
    assert len(engine.transport.requests) == 1 and report.rescheduled == 1 and report.duplicates == 0
    again = engine.scheduler.handoffs[1]
    assert (again.delivery_id, again.step) == (first.delivery_id, 0)
    assert again.wait_seconds == first.wait_seconds - 100


def test_a_ladder_step_whose_event_expired_ends_the_delivery_failed_with_the_reason() -> None:
    # Given a delivery on the ladder whose stored event expired (DeliveryRetentionDays) before its next step
    engine = Engine(transport=FakeTransport(default=answer(500)))
    engine.hook()
    engine.publish()
    state = execution_input(engine.scheduler.handoffs[0], LADDER)
    engine.store.events.clear()
    # When the step runs
    result = engine.retries.attempt(state)
    # Then the ladder ends and so does the delivery: failed, with the reason (never `retrying` forever)
    assert result["outcome"] == ENDED and result["reason"] == "event expired"
    delivery = engine.delivery()
    assert delivery["status"] == DeliveryStatus.failed and delivery["failure"] == "event expired"
    assert len(engine.transport.requests) == 1


def test_a_fan_out_that_cannot_finish_in_one_invocation_hands_the_rest_to_the_ladder() -> None:
    # Given 10 webhooks on a receiver that hangs for the whole timeout, 2 sends at a time, and 100 s left
    engine = Engine(settings=settings(max_concurrency=2))
    for n in range(10):
        engine.hook(f"wh_{n}", url=f"{URL}/{n}")
    deadline = engine.clock.now().timestamp() + 100

    def hang(request: Any) -> Any:
        engine.clock.advance(engine.settings.http_timeout_seconds)
        return failure("timeout", "no answer within the timeout")

    engine.transport.script = hang
    # When the event is dispatched with the invocation's time budget
    report = engine.publish(budget=lambda: deadline - engine.clock.now().timestamp())
    # Then only the sends that could end in time were started; the rest went to the ladder, none left pending
    sent = len(engine.transport.requests)
    assert 0 < sent < 10 and report.deferred == 10 - sent and report.failed_targets == 0
    statuses = Counter(engine.delivery(f"wh_{n}")["status"] for n in range(10))
    assert statuses == {DeliveryStatus.retrying: 10}
    deferred = [h for h in engine.scheduler.handoffs if h.step == -1]
    assert len(deferred) == 10 - sent and len(engine.scheduler.handoffs) == 10  # every delivery has its owner


def test_an_event_for_a_disabled_webhook_is_skipped_then_recovered_after_enabling() -> None:
    # Given a disabled webhook
    engine = Engine()
    engine.hook(status="disabled")
    # When an event matches it, the log shows it skipped, and nothing is sent
    assert engine.publish().skipped_disabled == 1
    assert engine.delivery()["status"] == DeliveryStatus.skipped and engine.transport.requests == []
    # When the webhook is enabled again and the tenant recovers since before the event
    engine.store.update_webhook(TENANT, "wh_1", {"status": "active"})
    recovered = engine.retries.recover(TENANT, "wh_1", engine.clock.now() - timedelta(hours=1))
    # Then the skipped delivery is sent now, once
    assert recovered["recovered"] == 1 and recovered["delivered"] == 1
    assert len(engine.transport.requests) == 1 and engine.delivery()["status"] == DeliveryStatus.delivered


def test_the_delivery_detail_says_whether_carrier_or_the_receiver_failed() -> None:
    from carrier.models import DeliveryDetail

    # Given a delivery the receiver failed (410), one Carrier could not sign, and one whose event expired
    engine = Engine(transport=FakeTransport(replies=[answer(410)]))
    engine.hook("wh_gone", url=URL + "/gone")
    engine.hook("wh_poison", url=URL + "/poison", secret="your-webhook-secret-123456")
    engine.publish()
    gone = DeliveryDetail.of(engine.store.get_delivery(TENANT, "wh_gone", engine.delivery("wh_gone")["delivery_id"]))
    assert gone.status == "failed" and gone.failure is not None
    assert (gone.failure.by, gone.failure.reason) == ("receiver", "HTTP 410")
    # Carrier's own failure is named on the attempt, and on the delivery once the ladder gives up on it
    poison_id = engine.delivery("wh_poison")["delivery_id"]
    assert engine.delivery("wh_poison")["attempts"][0]["failed_by"] == "carrier"
    engine.store.events.clear()
    engine.retries.attempt(execution_input(engine.scheduler.handoffs[0], LADDER))
    poison = DeliveryDetail.of(engine.store.get_delivery(TENANT, "wh_poison", poison_id))
    assert poison.failure is not None and (poison.failure.by, poison.failure.reason) == ("carrier", "event expired")


def test_a_failure_to_prepare_never_shows_a_secret_it_read(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a webhook with a custom header, and signing that fails with a message quoting the value it read
    engine = Engine()
    token = "rtk_9f8e7d6c5b4a3f2e1d0c"
    engine.hook(headers={"Authorization": f"Bearer {token}"})

    def leaky(scheme: str, request: Any) -> dict[str, str]:
        raise ValueError(f"cannot sign for Bearer {token}")

    monkeypatch.setattr("carrier.dispatch.sign", leaky)
    # When the event is dispatched
    engine.publish()
    # Then neither the attempt, the webhook's last_error nor the log line shows the token
    stored = json.dumps(engine.delivery()) + json.dumps(engine.webhook())
    assert "could not prepare" in stored and token not in stored and token not in capsys.readouterr().out


def test_a_transient_aws_error_is_tried_again_before_the_message_goes_round_the_queue() -> None:
    from botocore.exceptions import ClientError

    # Given DynamoDB throttling the event's claim twice (after botocore's own retries), and a final error once
    engine = Engine()
    engine.hook()
    calls = {"n": 0}
    claim_event = engine.store.claim_event

    def throttled(record: Any, stale_before: str) -> Any:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "PutItem")
        return claim_event(record, stale_before)

    engine.store.claim_event = throttled  # type: ignore[method-assign]
    # When the event is dispatched, Then it is delivered in this invocation (no message sent round the queue)
    assert engine.publish().outcomes == {"delivered": 1} and calls["n"] == 3
    # But an error that is not transient is not tried again
    engine.store.claim_event = lambda record, stale_before: (_ for _ in ()).throw(  # type: ignore[method-assign]
        ClientError({"Error": {"Code": "ValidationException", "Message": "bad"}}, "PutItem")
    )
    with pytest.raises(ClientError):
        engine.publish(event("evt_2"))

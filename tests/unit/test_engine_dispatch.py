"""The Dispatcher and the RetryService on fakes (memory store and vault, scripted transport, fake clock,
recording scheduler): first attempts, the hand-off to the ladder, ladder steps and exhaustion, as the README's
delivery rules say."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from carrier.clock import iso
from carrier.dispatch import Dispatcher
from carrier.records import EventClaim
from carrier.retries import ENDED, EXHAUSTED
from carrier.scheduling import execution_input
from carrier.signing import USER_AGENT
from carrier.targets import ClaimHeld, TargetsUnsettled
from carrier.vault import generate_secret
from carrier.verify import verify
from tests.fakes import answer, failure
from tests.unit.engine import LADDER, SECRET, TENANT, URL, Engine, event, settings


def test_a_first_try_success_records_one_attempt_and_delivered() -> None:
    # Given one matching webhook whose receiver answers 200
    engine = Engine()
    engine.hook()
    engine.transport.default = answer(200, b'{"ok": true}', elapsed_ms=42)
    # When an event is dispatched
    report = engine.publish()
    # Then it was sent once, signed, in the standard format, and nothing went to the ladder
    [sent] = engine.transport.requests
    assert sent.url == URL
    assert sent.json() == {
        "type": "model.trained",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "data": {"model_id": "mod_1"},
    }
    assert sent.headers["webhook-id"] == "evt_1" and sent.headers["User-Agent"] == USER_AGENT
    verify("standard-webhooks", SECRET, sent.body, sent.headers, now=engine.clock.now().timestamp())
    assert report.matched == 1 and report.outcomes == {"delivered": 1} and report.handoffs == []
    assert engine.scheduler.handoffs == []
    # And the delivery is delivered with one attempt; the webhook's last call is that answer
    delivery = engine.delivery()
    assert delivery["status"] == "delivered" and delivery["attempt_count"] == 1
    [attempt] = delivery["attempts"]
    assert attempt["n"] == 1 and attempt["trigger"] == "initial" and attempt["outcome"] == "delivered"
    assert attempt["status_code"] == 200 and attempt["response_time_ms"] == 42
    assert attempt["response_body"] == '{"ok": true}'
    webhook = engine.webhook()
    assert webhook["last_call"] == {"status_code": 200, "message": "OK", "date": iso(engine.clock.now())}
    assert "last_error" not in webhook
    # And the event is stored for the ladder
    assert engine.store.get_event(TENANT, "evt_1") is not None


def test_a_500_hands_the_delivery_to_the_ladder_with_its_first_wait() -> None:
    # Given a receiver answering 500
    engine = Engine()
    engine.hook()
    engine.transport.default = answer(500, b"boom")
    # When an event is dispatched
    report = engine.publish()
    # Then the scheduler got the delivery, to be retried after the ladder's first wait, at step 0
    [handoff] = engine.scheduler.handoffs
    assert report.handoffs == [handoff]
    assert (handoff.tenant_id, handoff.webhook_id, handoff.event_id) == (TENANT, "wh_1", "evt_1")
    assert handoff.wait_seconds == LADDER[0] and handoff.step == 0
    # And the delivery is retrying, due then; the webhook's last error is the answer
    delivery = engine.delivery()
    assert delivery["delivery_id"] == handoff.delivery_id
    assert delivery["status"] == "retrying" and delivery["outcome"] == "retry" and delivery["status_code"] == 500
    assert delivery["next_attempt_at"] == iso(engine.clock.now() + timedelta(seconds=LADDER[0]))
    assert engine.webhook()["last_error"]["body"] == "boom"
    assert engine.webhook()["status"] == "active"


def test_a_retry_after_longer_than_the_first_wait_is_respected_and_capped() -> None:
    # Given receivers asking for 2 h, and for a week (over the ladder's longest wait)
    engine = Engine()
    engine.hook("wh_1", url="https://one.example/")
    engine.hook("wh_2", url="https://two.example/")
    engine.transport.script = lambda request: answer(
        429, headers={"Retry-After": "7200" if request.url == "https://one.example/" else str(7 * 86400)}
    )
    # When an event is dispatched
    engine.publish()
    # Then each first retry waits what was asked, at most the ladder's longest wait
    waits = {h.webhook_id: h.wait_seconds for h in engine.scheduler.handoffs}
    assert waits == {"wh_1": 7200, "wh_2": max(LADDER)}


def test_a_410_disables_the_webhook_at_once() -> None:
    engine = Engine()
    engine.hook()
    engine.transport.default = answer(410)
    report = engine.publish()
    # Then nothing goes to the ladder, the delivery failed and the webhook is disabled with a reason and time
    assert report.outcomes == {"gone": 1} and engine.scheduler.handoffs == []
    assert engine.delivery()["status"] == "failed"
    webhook = engine.webhook()
    assert webhook["status"] == "disabled" and "410" in webhook["disabled_reason"]
    assert webhook["disabled_at"] == iso(engine.clock.now())
    # And the next event reaches it no more
    second = engine.publish(event("evt_2"))
    assert second.skipped_disabled == 1 and len(engine.transport.requests) == 1


def test_a_blocked_destination_is_failed_and_not_retried() -> None:
    engine = Engine()
    engine.hook()
    engine.transport.default = failure("blocked", "169.254.169.254 is a blocked address (169.254.169.254)")
    report = engine.publish()
    assert report.outcomes == {"blocked": 1} and engine.scheduler.handoffs == []
    delivery = engine.delivery()
    assert delivery["status"] == "failed" and delivery["outcome"] == "blocked"
    assert "blocked address" in delivery["attempts"][0]["error"]
    assert "blocked address" in engine.webhook()["last_error"]["message"]


def test_a_duplicate_event_is_delivered_once_per_webhook() -> None:
    # Given two webhooks and an event published, then redelivered twice (SQS, a redrive)
    engine = Engine()
    engine.hook("wh_1", url="https://one.example/")
    engine.hook("wh_2", url="https://two.example/")
    first = engine.publish()
    again = [engine.publish() for _ in range(2)]
    # Then each webhook received it once, and the later runs are counted as duplicates
    assert sorted(r.url for r in engine.transport.requests) == ["https://one.example/", "https://two.example/"]
    assert first.outcomes == {"delivered": 2} and first.duplicates == 0
    assert all(r.matched == 2 and r.duplicates == 2 and not r.outcomes for r in again)
    assert len(engine.store.events) == 1 and len(engine.store.deliveries) == 2


def test_an_event_claimed_by_a_run_that_crashed_is_taken_over_later() -> None:
    # Given an event stored and claimed by a dispatcher run that crashed before sending anything
    engine = Engine()
    engine.hook()
    claim, _, _ = engine.dispatcher.claims.take(event(), engine.clock.now())
    assert claim == EventClaim.new and engine.store.deliveries == {}
    # When the event comes again soon, the claim may be a live run's: nothing is sent and the message fails, to
    # come back (it is neither a duplicate to drop nor a delivery to send twice at once)
    with pytest.raises(TargetsUnsettled) as unsettled:
        engine.publish()
    assert [type(e) for e in unsettled.value.errors] == [ClaimHeld] and engine.transport.requests == []
    # Then after the stale window (longer than the dispatcher's Timeout) it is taken over and sent
    engine.clock.advance(engine.settings.claim_stale_seconds + 1)
    assert engine.publish().outcomes == {"delivered": 1} and len(engine.transport.requests) == 1
    # And a copy arriving after that, while the claim is fresh again, finds it recorded: a duplicate, nothing sent
    report = engine.publish()
    assert report.duplicates == 1 and len(engine.transport.requests) == 1


def test_disabled_and_unsubscribed_webhooks_get_nothing() -> None:
    # Given a disabled webhook, one for other types, one whose filters exclude the event, and one that matches
    engine = Engine()
    engine.hook("wh_off", url="https://off.example/", status="disabled")
    engine.hook("wh_other", url="https://other.example/", events=("batch.*",))
    engine.hook("wh_filtered", url="https://filtered.example/", filters=json.dumps({"project_id": "p2"}))
    engine.hook("wh_on", url="https://on.example/", filters=json.dumps({"project_id": ["p1", "p2"]}))
    # When an event of project p1 is dispatched
    report = engine.publish(event(project_id="p1"))
    # Then only the matching active webhook got it; the disabled one has a `skipped` delivery, with no attempt
    assert [r.url for r in engine.transport.requests] == ["https://on.example/"]
    assert report.matched == 1 and report.skipped_disabled == 1
    assert sorted(owner for owner, _ in engine.store.deliveries) == ["WH#wh_off", "WH#wh_on"]
    skipped = engine.delivery("wh_off")
    assert skipped["status"] == "skipped" and skipped["attempt_count"] == 0 and skipped["attempts"] == []
    # And a redelivery of the event adds nothing
    assert engine.publish(event(project_id="p1")).skipped_disabled == 0


def test_over_the_rate_limit_a_delivery_is_deferred_not_dropped() -> None:
    # Given a webhook limited to one delivery per second
    engine = Engine()
    engine.hook(rate_limit=1)
    # When two events come in the same second
    first, second = engine.publish(event("evt_1")), engine.publish(event("evt_2"))
    # Then the first is sent, the second waits one second on the ladder without an attempt
    assert first.outcomes == {"delivered": 1} and second.deferred == 1 and not second.outcomes
    [handoff] = engine.scheduler.handoffs
    assert handoff.event_id == "evt_2" and handoff.wait_seconds == 1 and handoff.step == -1
    deferred = engine.delivery(event_id="evt_2")
    assert deferred["status"] == "retrying" and deferred["attempt_count"] == 0
    assert deferred["next_attempt_at"] == iso(engine.clock.now() + timedelta(seconds=1))
    # And a second later the ladder sends it as its first attempt, without using a ladder step
    engine.clock.advance(1)
    state = engine.retries.attempt(execution_input(handoff, LADDER))
    assert state["outcome"] == "delivered"
    delivered = engine.delivery(event_id="evt_2")
    assert delivered["status"] == "delivered" and [a["trigger"] for a in delivered["attempts"]] == ["initial"]


def test_a_test_send_is_never_retried() -> None:
    # Given a failing receiver and a send a tenant waits for (retry=False)
    engine = Engine()
    engine.hook()
    engine.transport.default = answer(503)
    report = engine.publish(retry=False)
    # Then nothing goes to the ladder and the delivery failed
    assert report.outcomes == {"retry": 1} and engine.scheduler.handoffs == []
    assert engine.delivery()["status"] == "failed"


def test_without_a_ladder_a_retryable_failure_is_failed() -> None:
    engine = Engine()
    engine.hook()
    engine.transport.default = failure("timeout", "no complete answer within 30 s")
    dispatcher = Dispatcher(settings(), engine.store, engine.vault, engine.transport, None, engine.clock)
    report = asyncio.run(dispatcher.dispatch(event()))
    assert report.outcomes == {"retry": 1} and report.handoffs == []
    assert engine.delivery()["status"] == "failed"


def test_one_event_to_many_webhooks_signs_one_body() -> None:
    # Given three webhooks of the same format, each with its own key
    engine = Engine()
    keys = {f"https://r{n}.example/": generate_secret() for n in range(3)}
    for n, (url, key) in enumerate(keys.items()):
        engine.hook(f"wh_{n}", url=url, secret=key)
    # When an event is dispatched
    engine.publish()
    # Then the three requests carry the same bytes, each signed with its own webhook's key
    sent = engine.transport.requests
    assert len(sent) == 3 and len({r.body for r in sent}) == 1
    for request in sent:
        verify(
            "standard-webhooks", keys[request.url], request.body, request.headers, now=engine.clock.now().timestamp()
        )


def test_a_cold_vault_cache_is_read_through_get() -> None:
    engine = Engine()
    engine.vault.cached = False
    engine.hook()
    assert engine.publish().outcomes == {"delivered": 1} and engine.vault.gets == 1


# ---- the ladder (RetryService over the same fakes) ----------------------------------------------------------


def failed_first(engine: Engine, *answers: int) -> dict:
    """A first attempt answered 500, handed to the ladder; later attempts answered `answers` in turn."""
    engine.hook()
    engine.transport.replies = [answer(500), *(answer(status) for status in answers)]
    engine.publish()
    [handoff] = engine.scheduler.handoffs
    return execution_input(handoff, LADDER)


def test_a_ladder_step_attempts_and_delivers() -> None:
    # Given a delivery whose first attempt failed
    engine = Engine()
    state = failed_first(engine, 200)
    # When the ladder's first wait has passed and its step runs
    engine.clock.advance(LADDER[0])
    state = engine.retries.attempt(state)
    # Then it was sent again, the same event id, and delivered with two attempts
    assert state["outcome"] == "delivered"
    first, second = engine.transport.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == "evt_1"
    delivery = engine.delivery()
    assert delivery["status"] == "delivered" and delivery["attempt_count"] == 2
    assert [(a["n"], a["trigger"], a["outcome"]) for a in delivery["attempts"]] == [
        (1, "initial", "retry"),
        (2, "retry", "delivered"),
    ]
    assert not engine.store.is_locked(TENANT, "wh_1", delivery["delivery_id"])  # the step's lock is released


def test_a_failing_step_moves_up_the_ladder() -> None:
    engine = Engine()
    state = failed_first(engine, 500)
    engine.clock.advance(LADDER[0])
    state = engine.retries.attempt(state)
    assert state["outcome"] == "retry" and state["step"] == 1 and state["wait_seconds"] == LADDER[1]
    delivery = engine.delivery()
    assert delivery["status"] == "retrying"
    assert delivery["next_attempt_at"] == iso(engine.clock.now() + timedelta(seconds=LADDER[1]))


def test_the_last_failure_exhausts_the_delivery_and_disables_the_webhook() -> None:
    # Given a receiver that always answers 500
    engine = Engine()
    state = failed_first(engine)
    engine.transport.default = answer(500)
    # When the ladder runs each of its steps
    outcomes = []
    while True:
        engine.clock.advance(state["wait_seconds"])
        state = engine.retries.attempt(state)
        outcomes.append(state["outcome"])
        if state["outcome"] != "retry":
            break
    # Then it was attempted once and retried once per ladder step, then exhausted
    assert outcomes == ["retry"] * (len(LADDER) - 1) + [EXHAUSTED]
    assert len(engine.transport.requests) == len(LADDER) + 1
    engine.retries.exhaust(state)
    delivery = engine.delivery()
    assert delivery["status"] == "exhausted" and delivery["attempt_count"] == len(LADDER) + 1
    webhook = engine.webhook()
    assert webhook["status"] == "disabled" and webhook["disabled_at"] == iso(engine.clock.now())
    assert f"failed {len(LADDER) + 1} times" in webhook["disabled_reason"]


def test_a_410_on_a_ladder_step_disables_the_webhook() -> None:
    engine = Engine()
    state = failed_first(engine, 410)
    state = engine.retries.attempt(state)
    assert state["outcome"] == "gone"
    assert engine.delivery()["status"] == "failed" and engine.webhook()["status"] == "disabled"


def test_a_step_for_a_webhook_disabled_meanwhile_ends_without_sending() -> None:
    engine = Engine()
    state = failed_first(engine)
    engine.store.update_webhook(TENANT, "wh_1", {"status": "disabled"})
    state = engine.retries.attempt(state)
    assert state["outcome"] == ENDED and state["reason"] == "webhook disabled"
    assert len(engine.transport.requests) == 1
    delivery = engine.delivery()
    assert delivery["status"] == "failed" and delivery["failure"] == "webhook disabled"


def test_a_step_while_another_attempt_holds_the_lock_comes_back_a_minute_later() -> None:
    # Given a manual retry of the delivery in progress (it holds the delivery's lock)
    engine = Engine()
    state = failed_first(engine)
    now, until = iso(engine.clock.now()), iso(engine.clock.now() + timedelta(seconds=45))
    assert engine.store.acquire_delivery_lock(TENANT, "wh_1", state["delivery_id"], "manual", until, now)
    # When the ladder's step runs
    after = engine.retries.attempt(state)
    # Then it sends nothing and tries the same step again in a minute
    assert after["outcome"] == "retry" and after["wait_seconds"] == 60 and after["step"] == state["step"]
    assert len(engine.transport.requests) == 1

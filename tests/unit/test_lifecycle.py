"""A delivery's life as data (`carrier.lifecycle.TRANSITIONS`): every status write is conditional on the states it
may leave, so a stale writer is refused instead of overwriting (on the engine's fakes)."""

from __future__ import annotations

import asyncio

import pytest

from carrier.clock import iso
from carrier.errors import Conflict
from carrier.lifecycle import OPEN, TRANSITIONS, Actor, IllegalTransition, sources
from carrier.records import TERMINAL, DeliveryStatus
from carrier.scheduling import execution_input
from carrier.targets import Target, TargetsUnsettled
from tests.fakes import FakeTransport, answer
from tests.unit.engine import LADDER, TENANT, Engine, event


def test_the_table_covers_every_state_and_only_a_tenant_moves_an_ended_delivery() -> None:
    assert set(TRANSITIONS) == set(DeliveryStatus)
    assert set(DeliveryStatus) == OPEN | TERMINAL and not OPEN & TERMINAL
    for state in TERMINAL:
        assert {actor for actors in TRANSITIONS[state].values() for actor in actors} == {Actor.tenant}, state
    assert sources(DeliveryStatus.retrying, Actor.ladder, (DeliveryStatus.pending, DeliveryStatus.delivered)) == (
        DeliveryStatus.pending,
    )
    with pytest.raises(IllegalTransition):
        sources(DeliveryStatus.retrying, Actor.ladder, (DeliveryStatus.exhausted,))


def test_a_stale_ladder_step_cannot_put_a_delivered_delivery_back_on_the_ladder() -> None:
    # Given a delivery on the ladder, and a ladder step that read it before a tenant's retry delivered it
    engine = Engine(transport=FakeTransport(default=answer(500)))
    engine.hook()
    engine.publish()
    delivery_id = engine.delivery()["delivery_id"]
    engine.transport.default = answer(200)
    engine.retries.manual(TENANT, "wh_1", delivery_id)
    assert engine.delivery()["status"] == DeliveryStatus.delivered
    # When the stale step writes its failed attempt as `retrying`
    engine.transport.default = answer(500)
    dispatcher = engine.dispatcher
    result = asyncio.run(
        dispatcher.attempt(event(), dispatcher_target(engine), delivery_id, attempt_number=2, trigger="retry")
    )
    written = dispatcher.recorder.record(
        dispatcher_target(engine),
        delivery_id,
        result,
        DeliveryStatus.retrying,
        actor=Actor.ladder,
        leaving=(DeliveryStatus.pending, DeliveryStatus.retrying),
    )
    # Then the write is refused and the delivery stays delivered
    assert written is False and engine.delivery()["status"] == DeliveryStatus.delivered


def test_a_ladder_step_on_an_ended_delivery_sends_nothing() -> None:
    engine = Engine(transport=FakeTransport(replies=[answer(500), answer(200)]))
    engine.hook()
    engine.publish()
    state = execution_input(engine.scheduler.handoffs[0], LADDER)
    engine.retries.manual(TENANT, "wh_1", engine.delivery()["delivery_id"])  # delivered by hand meanwhile
    sent = len(engine.transport.requests)
    assert engine.retries.attempt(state)["outcome"] == "ended" and len(engine.transport.requests) == sent


def test_a_manual_retry_of_a_delivery_left_pending_by_its_dispatcher_run_is_refused() -> None:
    # Given a delivery whose first attempt failed and whose hand-off to the ladder failed: its row is `pending`, the
    # dispatcher run's (its message comes back to send it again)
    engine = Engine(transport=FakeTransport(default=answer(500)))
    engine.hook()
    engine.scheduler.schedule = refuse_hand_off  # type: ignore[method-assign]
    with pytest.raises(TargetsUnsettled):
        engine.publish()
    assert engine.delivery()["status"] == DeliveryStatus.pending
    # When the tenant retries it by hand, Then it is refused (409): never two requests of it at once
    with pytest.raises(Conflict, match="in progress"):
        engine.retries.manual(TENANT, "wh_1", engine.delivery()["delivery_id"])


def refuse_hand_off(handoff: object) -> None:
    raise RuntimeError("StartExecution: Rate exceeded")


def dispatcher_target(engine: Engine) -> Target:
    return Target.of_webhook(engine.store.get_webhook(TENANT, "wh_1"))


def test_a_stale_claim_is_not_taken_over_while_a_ladder_step_holds_its_lock() -> None:
    # Given a delivery its dispatcher run left pending (its hand-off to the ladder lost), which a ladder step (the
    # reconciler's repair) is sending now
    engine = Engine(transport=FakeTransport(default=answer(500)))
    engine.hook()
    engine.scheduler.schedule = refuse_hand_off  # type: ignore[method-assign]
    with pytest.raises(TargetsUnsettled):
        engine.publish()
    delivery_id = engine.delivery()["delivery_id"]
    engine.clock.advance(engine.settings.claim_stale_seconds + 1)
    now = iso(engine.clock.now())
    assert engine.store.acquire_delivery_lock(TENANT, "wh_1", delivery_id, "ladder-step", "9999", now)
    # When the event's message comes back, Then the claim is held (no second request at the same time)
    sent = len(engine.transport.requests)
    with pytest.raises(TargetsUnsettled):
        engine.publish()
    assert len(engine.transport.requests) == sent

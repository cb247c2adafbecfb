"""The reconciler gives an owner back to open deliveries past their due time (on the engine's fakes)."""

from __future__ import annotations

import pytest

from carrier.reconciler import Reconciler
from carrier.records import DeliveryStatus
from carrier.targets import TargetsUnsettled
from tests.fakes import FakeTransport, answer
from tests.unit.engine import Engine


def reconciler(engine: Engine) -> Reconciler:
    return Reconciler(engine.store, engine.scheduler, engine.clock)


def test_a_pending_row_whose_hand_off_failed_and_whose_message_is_gone_is_handed_to_the_ladder() -> None:
    # Given a failed first attempt whose hand-off to the ladder failed (its row left `pending`, the run's), and its
    # message then lost to the DLQ
    engine = Engine(transport=FakeTransport(default=answer(500)))
    engine.hook()
    schedule = engine.scheduler.schedule

    def refused(handoff: object) -> None:
        raise RuntimeError("StartExecution: Rate exceeded")

    engine.scheduler.schedule = refused  # type: ignore[method-assign]
    with pytest.raises(TargetsUnsettled):  # its message would come back; here it never does (say, in the DLQ)
        engine.publish()
    engine.scheduler.schedule = schedule  # type: ignore[method-assign]
    assert engine.delivery()["status"] == DeliveryStatus.pending and engine.scheduler.handoffs == []
    # When the reconciler runs before the claim is overdue, it leaves the live-looking claim alone
    assert reconciler(engine).sweep().repaired == []
    # When it runs after the claim's stale time and grace
    engine.clock.advance(engine.settings.claim_stale_seconds + 61)
    sweep = reconciler(engine).sweep()
    # Then the delivery has an owner again: a ladder execution of its own name, as a deferred first attempt
    delivery = engine.delivery()
    assert sweep.repaired == [delivery["delivery_id"]] and delivery["status"] == DeliveryStatus.retrying
    [handoff] = engine.scheduler.handoffs
    assert handoff.step == -1 and handoff.execution and handoff.execution.startswith(delivery["delivery_id"] + "-r")
    # And a second sweep right after repairs nothing
    assert reconciler(engine).sweep().repaired == []


def test_a_retrying_delivery_whose_ladder_was_lost_is_restarted_at_its_step() -> None:
    # Given a delivery on the ladder (first attempt 500) whose execution never ran
    engine = Engine(transport=FakeTransport(default=answer(500)))
    engine.hook()
    engine.publish()
    first = engine.scheduler.handoffs[0]
    # When the reconciler runs long after its next attempt was due
    engine.clock.advance(first.wait_seconds + 3600)
    sweep = reconciler(engine).sweep()
    # Then it is handed to the ladder again at the step it was at, and nothing was sent twice
    assert len(sweep.repaired) == 1 and len(engine.transport.requests) == 1
    again = engine.scheduler.handoffs[1]
    assert (again.delivery_id, again.step) == (first.delivery_id, 0) and again.execution != first.delivery_id


def test_ended_and_on_time_deliveries_are_never_touched() -> None:
    engine = Engine(transport=FakeTransport(replies=[answer(200), answer(500)]))
    engine.hook("wh_ok")
    engine.hook("wh_retry", url="https://retry.example/")
    engine.hook("wh_off", url="https://off.example/", status="disabled")
    engine.publish()
    # a delivered and a skipped delivery are not open; the retrying one is not due yet
    assert engine.store.overdue_deliveries("9999", 10) != []  # only the retrying one is open at all
    assert reconciler(engine).sweep().repaired == []
    assert [d["delivery_id"] for d in engine.store.overdue_deliveries("9999", 10)] == [
        engine.delivery("wh_retry")["delivery_id"]
    ]

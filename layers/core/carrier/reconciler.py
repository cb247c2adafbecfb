"""The safety net: open deliveries past their due time get an owner again.

Every open delivery (`pending`, `retrying`) is owned: by the dispatcher invocation that claimed it, or by its
ladder execution. The reconciler, run on a schedule, reads the sparse `open` index (deliveries whose `open_due`
has passed: nothing moved them when it should have) and hands each to the ladder again, under a fresh execution
name (the old execution may have ended without recording). Each repair is counted (`DeliveriesRepaired`), logged
at WARNING and alarmed: a repair means an owner was lost, which the guarantees say should not happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from carrier.claims import LADDER_GRACE_SECONDS, overdue_at
from carrier.clock import Clock, SystemClock, iso, parse_iso
from carrier.errors import NotFound
from carrier.lifecycle import Actor, sources
from carrier.observability import count, logger
from carrier.ports import EngineStore, RetryScheduler
from carrier.records import DeliveryStatus
from carrier.targets import Handoff

SWEEP_LIMIT = 500  # per run: the next run takes the rest


@dataclass
class Sweep:
    seen: int = 0
    repaired: list[str] = field(default_factory=list)


class Reconciler:
    def __init__(self, store: EngineStore, scheduler: RetryScheduler, clock: Clock | None = None) -> None:
        self.store = store
        self.scheduler = scheduler
        self.clock = clock or SystemClock()

    def sweep(self) -> Sweep:
        now = self.clock.now()
        sweep = Sweep()
        for found in self.store.overdue_deliveries(iso(now), SWEEP_LIMIT):
            sweep.seen += 1
            if self._repair(found["tenant_id"], found["webhook_id"] or None, found["delivery_id"], now):
                sweep.repaired.append(found["delivery_id"])
        if sweep.repaired:
            count("DeliveriesRepaired", len(sweep.repaired))
        return sweep

    def _repair(self, tenant_id: str, webhook_id: str | None, delivery_id: str, now: datetime) -> bool:
        try:
            delivery = self.store.get_delivery(tenant_id, webhook_id, delivery_id)
        except NotFound:
            return False
        status, due = delivery["status"], delivery.get("open_due")
        if status not in (DeliveryStatus.pending, DeliveryStatus.retrying) or not due or parse_iso(due) > now:
            return False  # moved meanwhile
        # a pending one lost its dispatcher run (and its message): a deferred first attempt; a retrying one its ladder
        step = -1 if status == DeliveryStatus.pending else max(-1, delivery["attempt_count"] - 1)
        execution = f"{delivery_id}-r{int(now.timestamp())}"
        self.scheduler.schedule(Handoff(tenant_id, webhook_id, delivery_id, delivery["event_id"], 0, step, execution))
        changes = {
            "status": DeliveryStatus.retrying,
            "next_attempt_at": iso(now),
            "open_due": overdue_at(now, LADDER_GRACE_SECONDS),
            "updated_at": iso(now),
        }
        leaving = sources(DeliveryStatus.retrying, Actor.reconciler, (DeliveryStatus(status),))
        if not self.store.update_delivery(tenant_id, webhook_id, delivery_id, changes, expected_status=leaving):
            return False  # it moved between the read and this write: its owner is alive
        logger.warning(
            "delivery repaired: it had no owner",
            extra={"tenant_id": tenant_id, "webhook_id": webhook_id, "delivery_id": delivery_id, "was": status},
        )
        return True

"""A delivery's row, from its claim: the first run that claims it owns it; a refused claim says who does.

Every (event, target) pair has one delivery id. The dispatcher claims it with a conditional put: a new row, or a
`pending` one whose claim is older than `claim_stale_seconds` (a run that died). A matching disabled webhook's
pair gets a `skipped` row instead (only when new).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from carrier import ids
from carrier.clock import Clock, iso, parse_iso
from carrier.errors import NotFound
from carrier.formats import Event
from carrier.lifecycle import Actor, sources
from carrier.ports import DispatchStore, RetryScheduler
from carrier.records import DeliveryRecord, DeliveryStatus, without_nones
from carrier.settings import Settings
from carrier.targets import ClaimHeld, DispatchReport, Handoff, Target

# An open delivery is overdue (the reconciler gives it an owner again) this long after nothing moved it: a ladder
# step's due time plus the step's own retries, or a claim's stale time plus a margin.
LADDER_GRACE_SECONDS = 900
DEFER_SECONDS = 1  # a deferred first attempt (over the rate limit, or out of time) waits this long on the ladder
CLAIM_GRACE_SECONDS = 60


def overdue_at(due: datetime, grace_seconds: int) -> str:
    return iso(due + timedelta(seconds=grace_seconds))


class Claims:
    def __init__(
        self, settings: Settings, store: DispatchStore, scheduler: RetryScheduler | None, clock: Clock
    ) -> None:
        self.settings = settings
        self.store = store
        self.scheduler = scheduler
        self.clock = clock

    def expiry(self, now: datetime) -> int:
        return int(now.timestamp()) + self.settings.delivery_retention_days * 86400

    def new(self, event: Event, target: Target, now: datetime) -> DeliveryRecord:
        """A `pending` delivery of `event` to `target`, claimed now by this run."""
        stamp = iso(now)
        record: DeliveryRecord = {
            "delivery_id": ids.delivery_id(event.tenant_id, event.id, target.key),
            "tenant_id": event.tenant_id,
            "webhook_id": target.webhook_id,
            "event_id": event.id,
            "event_type": event.type,
            "status": DeliveryStatus.pending,
            "created_at": stamp,
            "updated_at": stamp,
            "claimed_at": stamp,
            "open_due": overdue_at(now, self.settings.claim_stale_seconds + CLAIM_GRACE_SECONDS),
            "expires_at": self.expiry(now),
            "attempt_count": 0,
            "attempts": [],
        }
        if target.webhook_id is None:
            record["url"] = target.url
            record["target"] = "callback"
        return without_nones(record)

    def skip(self, event: Event, disabled: list[Target], now: datetime, report: DispatchReport) -> None:
        """A `skipped` delivery for each disabled target, only when new (a redelivery adds nothing). One target's
        failed write is that target's alone: it is kept in the report (the message comes back for it)."""
        for target in disabled:
            record: DeliveryRecord = {
                **self.new(event, target, now),
                "status": DeliveryStatus.skipped,
                "skipped_reason": "the webhook was disabled",
            }
            try:
                report.skipped_disabled += self.store.claim_delivery(record, stale_before="")
            except Exception as error:
                report.unsettled.append((target, error))

    def defer(self, event: Event, target: Target, delivery_id: str, report: DispatchReport) -> None:
        """Over the rate limit, or out of time: the first attempt goes to the ladder, a second later (never dropped,
        and no ladder step used up). The ladder owns it before it leaves `pending`."""
        due = self.clock.now() + timedelta(seconds=DEFER_SECONDS)
        changes = {
            "status": DeliveryStatus.retrying,
            "next_attempt_at": iso(due),
            "open_due": overdue_at(due, LADDER_GRACE_SECONDS),
            "updated_at": iso(self.clock.now()),
        }
        handoff = Handoff(target.tenant_id, target.webhook_id, delivery_id, event.id, DEFER_SECONDS, -1)
        if self.scheduler is not None:
            self.scheduler.schedule(handoff)
        leaving = sources(DeliveryStatus.retrying, Actor.dispatcher, (DeliveryStatus.pending,))
        self.store.update_delivery(target.tenant_id, target.webhook_id, delivery_id, changes, leaving)
        report.handoffs.append(handoff)

    def refused(self, event: Event, target: Target, delivery_id: str, report: DispatchReport) -> None:
        """The delivery exists. Ended: a duplicate. On the ladder: its execution is started again (a no-op when it
        runs). Still `pending` and young: another invocation is sending it, or one died before recording, so this
        message fails and comes back after the queue's VisibilityTimeout, when a dead claim is stale."""
        try:
            found = self.store.get_delivery(target.tenant_id, target.webhook_id, delivery_id)
        except NotFound:
            raise ClaimHeld(f"delivery {delivery_id} was neither claimable nor found") from None
        if found["status"] == DeliveryStatus.pending:
            raise ClaimHeld(f"delivery {delivery_id} is claimed by another invocation since {found.get('claimed_at')}")
        if found["status"] == DeliveryStatus.retrying and self.scheduler is not None:
            due = found.get("next_attempt_at")
            wait = max(0, round((parse_iso(due) - self.clock.now()).total_seconds())) if due else 0
            step = found["attempt_count"] - 1  # the ladder step that follows the attempts made (-1: deferred first)
            self.scheduler.schedule(Handoff(target.tenant_id, target.webhook_id, delivery_id, event.id, wait, step))
            report.rescheduled += 1
            return
        report.duplicates += 1

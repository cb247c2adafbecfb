"""Who sends an event's deliveries: the run that claims the event (or its chunk of a split fan-out) owns every
delivery of it not yet recorded; a delivery's row is written once, with its first attempt's outcome.

The dispatcher stores the event and claims it in one conditional write (`store.claim_event`): a new event is all
this run's; one stored before is taken over when its claim is older than `claim_stale_seconds` (a run that died),
else it is held and its unrecorded targets come back later (the message fails and SQS brings it back). Every
(event, target) pair has one delivery id, named by the event's stored time. Its row is written after the first
attempt (`Claims.new` + the attempt, one conditional put: new, or over a `pending` row left stale), so a first-try
delivery costs one write; a run that cannot hand a failed attempt to the ladder leaves the row `pending`, which
the reconciler gives an owner if its message is lost. A matching disabled webhook's pair gets a `skipped` row
(only when new).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from carrier import ids
from carrier.clock import Clock, iso, parse_iso
from carrier.errors import NotFound
from carrier.formats import Event
from carrier.lifecycle import Actor, sources
from carrier.ports import DispatchStore, RetryScheduler
from carrier.records import DeliveryRecord, DeliveryStatus, EventClaim, event_record, without_nones
from carrier.settings import Settings
from carrier.targets import ClaimHeld, DispatchReport, Handoff, Target

# An open delivery is overdue (the reconciler gives it an owner again) this long after nothing moved it: a ladder
# step's due time plus the step's own retries, or a claim's stale time plus a margin.
LADDER_GRACE_SECONDS = 900
DEFER_SECONDS = 1  # a deferred first attempt (over the rate limit, or out of time) waits this long on the ladder
CLAIM_GRACE_SECONDS = 60


def delivery_id_of(event: Event, target_key: str) -> str:
    """The id of `event`'s delivery to a target (`Target.key`), named by when the event was first stored."""
    return ids.delivery_id(event.tenant_id, event.id, target_key, event.received_at or event.timestamp)


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

    def stale_before(self, now: datetime) -> str:
        return iso(now - timedelta(seconds=self.settings.claim_stale_seconds))

    def take(self, event: Event, now: datetime, chunk: int = 0) -> tuple[EventClaim, Event, int]:
        """Claim `event` (or chunk `chunk` of its split fan-out) for this run: the claim, the event as stored (its
        first copy's timestamp, and the time a dispatcher first stored it, which names its deliveries whichever copy
        this is: a webhook's log lists them newest first), and the chunks its fan-out was split into before (0:
        never split)."""
        stale = self.stale_before(now)
        if chunk:  # the event was stored by the run that split its fan-out
            claim = self.store.claim_chunk(event.tenant_id, event.id, chunk, iso(now), stale, self.expiry(now))
            return claim, event, 0
        record = event_record(event, self.expiry(now))
        record["claimed_at"] = record["received_at"] = iso(now)
        claim, stored = self.store.claim_event(record, stale)
        named = replace(
            event, timestamp=stored["timestamp"], received_at=stored.get("received_at") or stored["timestamp"]
        )
        return claim, named, int(stored.get("chunks", 0))

    def stored(self, event: Event, now: datetime) -> Event:
        """Store an event sent to targets named by the caller (a test send, a replay, `match=False`): once, without
        claiming it (its rows are claimed one by one, `claim_rows`); the event as stored names its deliveries."""
        record = event_record(event, self.expiry(now))
        record["received_at"] = iso(now)
        if not self.store.put_event(record):
            record = self.store.get_event(event.tenant_id, event.id) or record
        return replace(event, received_at=record.get("received_at") or record["timestamp"])

    def claim_rows(self, event: Event, targets: list[Target], report: DispatchReport) -> tuple[list[Target], set[str]]:
        """Claim each target's row (`pending`, this run's) before sending to it: a target chosen by the caller may
        share its event with live deliveries, so its claim is its own. Returns the targets claimed and their ids
        (their attempts are recorded into those rows); one already claimed or ended is settled as `refused` says."""
        mine: list[Target] = []
        claimed: set[str] = set()
        now = self.clock.now()
        for target in targets:
            record = self.new(event, target, now)
            try:
                if self.store.claim_delivery(record, self.stale_before(now)):
                    mine.append(target)
                    claimed.add(record["delivery_id"])
                else:
                    self.refused(event, target, record["delivery_id"], report)
            except Exception as error:  # this target's alone: its siblings go on
                report.unsettled.append((target, error))
        return mine, claimed

    def unrecorded(
        self, event: Event, targets: list[Target], claim: EventClaim, report: DispatchReport
    ) -> tuple[list[Target], set[str]]:
        """The targets this run sends: every one under a new claim; else, when the claim was taken over, those with
        no row yet and those whose `pending` row (a failed hand-off's) it claims again, stale and unlocked (their
        delivery ids are returned too: their attempt is recorded over that claim); none when the claim is held
        (they are left in the report: the message comes back for them). A target already recorded is settled as
        `refused` says."""
        if claim == EventClaim.new or not targets:
            return targets, set()
        pairs = [(target, self.delivery_id(event, target)) for target in targets]
        statuses = self.store.statuses_of(event.tenant_id, [(target.webhook_id, did) for target, did in pairs])
        mine: list[Target] = []
        reclaimed: set[str] = set()
        now = self.clock.now()
        for target, delivery_id in pairs:
            status = statuses.get(delivery_id)
            try:
                if status is None and claim == EventClaim.held:
                    raise ClaimHeld(f"event {event.id} is claimed by another invocation; {delivery_id} is not sent yet")
                if status is None:
                    mine.append(target)
                elif (
                    status == DeliveryStatus.pending
                    and claim == EventClaim.taken
                    and self.store.claim_delivery(self.new(event, target, now), self.stale_before(now))
                ):
                    mine.append(target)
                    reclaimed.add(delivery_id)
                else:
                    self.refused(event, target, delivery_id, report)
            except Exception as error:  # this target's alone: its siblings go on
                report.unsettled.append((target, error))
        return mine, reclaimed

    @staticmethod
    def delivery_id(event: Event, target: Target) -> str:
        return delivery_id_of(event, target.key)

    def new(self, event: Event, target: Target, now: datetime) -> DeliveryRecord:
        """A `pending` delivery of `event` to `target`, claimed now by this run (what its first record starts from)."""
        stamp = iso(now)
        record: DeliveryRecord = {
            "delivery_id": self.delivery_id(event, target),
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

    def defer(
        self, event: Event, target: Target, delivery_id: str, report: DispatchReport, claimed: bool = False
    ) -> None:
        """Over the rate limit, or out of time: the first attempt goes to the ladder, a second later (never dropped,
        and no ladder step used up). The ladder owns it before its row says `retrying` (written new, or over this
        run's `pending` claim when `claimed`)."""
        now = self.clock.now()
        due = now + timedelta(seconds=DEFER_SECONDS)
        changes = {
            "status": DeliveryStatus.retrying,
            "next_attempt_at": iso(due),
            "open_due": overdue_at(due, LADDER_GRACE_SECONDS),
        }
        handoff = Handoff(target.tenant_id, target.webhook_id, delivery_id, event.id, DEFER_SECONDS, -1)
        if self.scheduler is not None:
            self.scheduler.schedule(handoff)
        if claimed:
            leaving = sources(DeliveryStatus.retrying, Actor.dispatcher, (DeliveryStatus.pending,))
            written = self.store.update_delivery(
                target.tenant_id, target.webhook_id, delivery_id, {**changes, "updated_at": iso(now)}, leaving
            )
        else:
            record: DeliveryRecord = {**self.new(event, target, now), **changes}  # type: ignore[typeddict-item]
            written = self.store.claim_delivery(record, self.stale_before(now))
        if not written:
            self.refused(event, target, delivery_id, report)
            return
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

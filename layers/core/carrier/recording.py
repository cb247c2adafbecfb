"""Recording an attempt: the attempt and the delivery's status in one conditional write on the state the delivery
leaves (a stale writer is refused, never overwrites), then the webhook's last_call / last_error.

A first attempt's record is the delivery's first write (`first`: its row, with the attempt, one conditional put
kept within one write unit by trimming the response excerpt, `FIRST_RECORD_BYTES`). Its webhook write is
coalesced (`CallWrites`): made when the outcome changes, else at most once per `last_call_every_seconds` per
container, the failures in between counted in it; every other trigger writes each time.

Every trigger records through here (first attempts, ladder steps, a tenant's retries and test sends), so what a
recorded attempt means for its webhook is decided once: a 410 disables it, and the webhook's write (last_call,
last_error) counts its consecutive failed attempts (`consecutive_failures`, no extra write). A recorded attempt then
raises its operational events (`carrier.operational`): the webhook disabled by a 410, `failing` when the count
reaches `failing_after` (once per episode: only the attempt that reaches it), `recovered` at the first delivered
attempt after that. An attempt at delivering an operational event raises nothing and leaves the count alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carrier import operational
from carrier.claims import LADDER_GRACE_SECONDS, overdue_at
from carrier.clock import Clock, iso, parse_iso
from carrier.lifecycle import Actor, sources
from carrier.observability import count, logger
from carrier.operational import NoPublisher, OperationalEvent, raises_about
from carrier.outcomes import DELIVERED, GONE, status_phrase
from carrier.ports import DispatchStore, EventPublisher
from carrier.records import (
    TERMINAL,
    AttemptRecord,
    DeliveryRecord,
    DeliveryStatus,
    WebhookRecord,
    WebhookStatus,
    without_nones,
)
from carrier.store.sizes import WRITE_UNIT_BYTES, item_bytes
from carrier.targets import AttemptResult, Target

GONE_REASON = "the receiver answered 410 Gone"
KEY_BYTES = 100  # a delivery item's pk and sk, names and values (`store.keys`), at most
FIRST_RECORD_BYTES = WRITE_UNIT_BYTES - KEY_BYTES  # a first-try record stays within one write unit
TRIMMED = "…"
MAX_WEBHOOKS_KEPT = 10_000  # webhooks whose last write a container remembers (`CallWrites`)


def first_record(base: DeliveryRecord, attempt: AttemptRecord, changes: dict[str, Any]) -> DeliveryRecord:
    """A delivery's first row: the claim's fields, the attempt and its outcome; the response excerpt (then the error)
    trimmed so the row stays within one write unit whatever the receiver answered. Later attempts keep the whole
    excerpts (`dispatch.RESPONSE_EXCERPT`): the row is rewritten then anyway."""
    record: dict[str, Any] = {**base, **changes, "attempts": [dict(attempt)], "attempt_count": 1}
    if record["status"] != DeliveryStatus.pending:
        record.pop("claimed_at", None)  # a claim's time matters only while the row is `pending`
    if record["status"] in TERMINAL:
        record.pop("open_due", None)
    kept = record["attempts"][0]
    over = item_bytes(record) - FIRST_RECORD_BYTES  # sized once; again only after a trim
    for name in ("response_body", "error"):
        text = kept.get(name)
        if over <= 0 or not text:
            continue
        room = max(0, len(text.encode()) - over - len(TRIMMED.encode()))
        kept[name] = text.encode()[:room].decode(errors="ignore") + TRIMMED
        over = item_bytes(record) - FIRST_RECORD_BYTES
    return record  # type: ignore[return-value]


@dataclass
class _Written:
    at: float  # when this container last wrote the webhook's last_call (epoch seconds)
    outcome: tuple[str, int | None]
    failures: int  # the webhook's consecutive failures after that write
    uncounted: int = 0  # failed first attempts since, not written yet


class CallWrites:
    """When a first attempt writes its webhook's last_call / last_error: when its outcome (name, status code)
    differs from the last one this container wrote, `every` seconds after that write, or when its failure brings
    the count to `failing_after` (so `carrier.webhook.failing` is raised on time); in between, failures are counted
    here and added by the next write. A hot webhook's item, in its tenant's partition, is written at most once per
    `every` seconds per container while nothing changes."""

    def __init__(self, clock: Clock, every: int, failing_after: int) -> None:
        self.clock = clock
        self.every = every
        self.failing_after = failing_after
        self._written: dict[str, _Written] = {}

    def due(self, webhook_id: str, outcome: tuple[str, int | None], failed: bool) -> int | None:
        """None: skip this write (the failure, if any, is counted for the next); else the failures to add to it."""
        now = self.clock.now().timestamp()
        seen = self._written.get(webhook_id)
        if seen is None:
            return 0
        reaches = failed and seen.failures + seen.uncounted < self.failing_after <= seen.failures + seen.uncounted + 1
        if seen.outcome == outcome and now - seen.at < self.every and outcome[0] != GONE and not reaches:
            seen.uncounted += failed
            return None
        return seen.uncounted

    def wrote(self, webhook_id: str, outcome: tuple[str, int | None], failures: int) -> None:
        self._written[webhook_id] = _Written(self.clock.now().timestamp(), outcome, failures)
        if len(self._written) > MAX_WEBHOOKS_KEPT:  # a container serving many webhooks forgets the oldest writes
            oldest = min(self._written, key=lambda key: self._written[key].at)
            del self._written[oldest]

    def forget(self, webhook_id: str) -> None:
        """The write failed: the next attempt writes (its failures were lost with it; the count is a hint)."""
        self._written.pop(webhook_id, None)


class Recorder:
    def __init__(
        self,
        store: DispatchStore,
        clock: Clock,
        events: EventPublisher | None = None,
        failing_after: int = 10,
        last_call_every: int = 0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.events = events or NoPublisher()
        self.failing_after = failing_after
        self.calls = CallWrites(clock, last_call_every, failing_after)
        self.on_disabled: Callable[[str], None] = lambda tenant_id: None  # a 410 disabled one of the tenant's webhooks

    def record(
        self,
        target: Target,
        delivery_id: str,
        result: AttemptResult,
        status: DeliveryStatus,
        extra: dict[str, Any] | None = None,
        *,
        actor: Actor,
        leaving: tuple[DeliveryStatus, ...],
        first: DeliveryRecord | None = None,
        stale_before: str = "",
    ) -> bool:
        """Store the attempt, the delivery's status and the webhook's last_call / last_error, only while the
        delivery is still in a state `actor` may move it from (`leaving`, checked against the lifecycle table):
        a stale writer is refused (False), never overwrites. A first attempt passes its row (`first`): written
        whole, new or over a `pending` row older than `stale_before`."""
        now = iso(self.clock.now())
        http = result.result
        changes: dict[str, Any] = {
            "status": status,
            "timestamp": now,
            "updated_at": now,
            "response_time_ms": http.elapsed_ms,
            "outcome": result.outcome.name,
            **(extra or {}),
        }
        if http.status is not None:
            changes["status_code"] = http.status
        if status == DeliveryStatus.retrying:
            due = parse_iso(changes["next_attempt_at"]) if changes.get("next_attempt_at") else self.clock.now()
            changes["open_due"] = overdue_at(due, LADDER_GRACE_SECONDS)
        # last_call / last_error show what the attempt record keeps: the same masked excerpts, never raw text
        message = result.attempt.get("error") or status_phrase(http.status)
        call = without_nones({"status_code": http.status, "message": message, "date": now})
        webhook_changes: dict[str, Any] = {"last_call": call}
        if result.outcome.name != DELIVERED:
            webhook_changes["last_error"] = without_nones({**call, "body": result.attempt.get("response_body")})
        if result.outcome.name == GONE:
            webhook_changes.update(status=WebhookStatus.disabled, disabled_reason=GONE_REASON, disabled_at=now)
            count("WebhooksDisabled")
            self.on_disabled(target.tenant_id)
        leaves = sources(status, actor, leaving) if status != DeliveryStatus.pending else leaving
        if first is not None:
            written = self.store.claim_delivery(first_record(first, result.attempt, changes), stale_before)
        else:
            written = self.store.record_attempt(
                target.tenant_id, target.webhook_id, delivery_id, result.attempt, changes, None, leaves
            )
        if not written:
            logger.warning(
                "stale write refused: the delivery moved on",
                extra={"delivery_id": delivery_id, "to": status, "by": actor, "expected": list(leaves)},
            )
            count("StaleWritesRefused")
            return False
        logger.info(
            "delivery attempt",
            extra={
                "tenant_id": target.tenant_id,
                "webhook_id": target.webhook_id or "callback",
                "delivery_id": delivery_id,
                "event_id": result.event_id,
                "attempt": result.attempt["n"],
                "trigger": result.attempt["trigger"],
                "outcome": result.outcome.name,
                "status": status,
                "status_code": http.status,
                "response_time_ms": http.elapsed_ms,
                "error_kind": http.error_kind,
            },
        )
        if target.webhook_id:  # the webhook's own write follows the delivery's, the record of truth
            self._record_call(target.tenant_id, target.webhook_id, delivery_id, result, webhook_changes, now)
        return True

    def _record_call(
        self,
        tenant_id: str,
        webhook_id: str,
        delivery_id: str,
        result: AttemptResult,
        webhook_changes: dict[str, Any],
        now: str,
    ) -> None:
        raises = raises_about(result.event_type)
        delivered = result.outcome.name == DELIVERED
        outcome = (result.outcome.name, result.result.status)
        coalesced = result.attempt["trigger"] == "initial"  # a first attempt's write is coalesced (`CallWrites`)
        uncounted = 0
        if coalesced:
            due = self.calls.due(webhook_id, outcome, not delivered and raises)
            if due is None:
                return
            uncounted = due
        streak = delivered if raises else None
        try:
            before = self.store.record_call(tenant_id, webhook_id, webhook_changes, streak, uncounted)
        except Exception:
            self.calls.forget(webhook_id)
            raise
        if coalesced and before is not None:
            failures = int(before.get("consecutive_failures", 0))
            after = 0 if streak else failures + (1 + uncounted if streak is False else 0)
            self.calls.wrote(webhook_id, outcome, after)
        if before is not None and raises:
            self._raise(before, delivery_id, result, webhook_changes, now, uncounted)

    def _raise(
        self,
        before: WebhookRecord,
        delivery_id: str,
        result: AttemptResult,
        changes: dict[str, Any],
        now: str,
        uncounted: int = 0,
    ) -> None:
        """The operational events this recorded attempt raises (`before`: the webhook as it was before its write,
        `uncounted` failures seen since that this write adds); each id is derived from the attempt, so recording it
        again raises the same event."""
        key = (delivery_id, str(result.attempt["n"]))
        failures = int(before.get("consecutive_failures", 0)) + uncounted
        raised: list[OperationalEvent] = []
        if result.outcome.name == GONE and before.get("status") == WebhookStatus.active:
            raised.append(operational.webhook_disabled(before, GONE_REASON, "gone", now, *key))
        if result.outcome.name == DELIVERED:
            if failures >= self.failing_after:
                raised.append(operational.webhook_recovered(before, failures, now, *key))
        elif failures < self.failing_after <= failures + 1:
            last_error = changes["last_error"]
            raised.append(operational.webhook_failing(before, failures + 1, self.failing_after, last_error, *key))
        operational.publish(self.events, raised)

"""Recording an attempt: the attempt, the delivery's status and the webhook's last_call / last_error, in one
conditional write on the state the delivery leaves (a stale writer is refused, never overwrites).

Every trigger records through here (first attempts, ladder steps, a tenant's retries and test sends), so what a
recorded attempt means for its webhook is decided once: a 410 disables it, and the webhook's write (last_call,
last_error) counts its consecutive failed attempts (`consecutive_failures`, no extra write). A recorded attempt then
raises its operational events (`carrier.operational`): the webhook disabled by a 410, `failing` when the count
reaches `failing_after` (once per episode: only the attempt that reaches it), `recovered` at the first delivered
attempt after that. An attempt at delivering an operational event raises nothing and leaves the count alone.
"""

from __future__ import annotations

from typing import Any

from carrier import operational
from carrier.claims import LADDER_GRACE_SECONDS, overdue_at
from carrier.clock import Clock, iso, parse_iso
from carrier.lifecycle import Actor, sources
from carrier.observability import count, logger
from carrier.operational import NoPublisher, OperationalEvent, raises_about
from carrier.outcomes import DELIVERED, GONE, status_phrase
from carrier.ports import DispatchStore, EventPublisher
from carrier.records import DeliveryStatus, WebhookRecord, WebhookStatus, without_nones
from carrier.targets import AttemptResult, Target

GONE_REASON = "the receiver answered 410 Gone"


class Recorder:
    def __init__(
        self, store: DispatchStore, clock: Clock, events: EventPublisher | None = None, failing_after: int = 10
    ) -> None:
        self.store = store
        self.clock = clock
        self.events = events or NoPublisher()
        self.failing_after = failing_after

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
    ) -> bool:
        """Store the attempt, the delivery's status and the webhook's last_call / last_error, only while the
        delivery is still in a state `actor` may move it from (`leaving`, checked against the lifecycle table):
        a stale writer is refused (False), never overwrites."""
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
        leaves = sources(status, actor, leaving)
        if not self.store.record_attempt(
            target.tenant_id, target.webhook_id, delivery_id, result.attempt, changes, None, leaves
        ):
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
            raises = raises_about(result.event_type)
            streak = result.outcome.name == DELIVERED if raises else None
            before = self.store.record_call(target.tenant_id, target.webhook_id, webhook_changes, streak)
            if before is not None and raises:
                self._raise(before, delivery_id, result, webhook_changes, now)
        return True

    def _raise(
        self, before: WebhookRecord, delivery_id: str, result: AttemptResult, changes: dict[str, Any], now: str
    ) -> None:
        """The operational events this recorded attempt raises (`before`: the webhook as it was before its write);
        each id is derived from the attempt, so recording it again raises the same event."""
        key = (delivery_id, str(result.attempt["n"]))
        failures = int(before.get("consecutive_failures", 0))
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

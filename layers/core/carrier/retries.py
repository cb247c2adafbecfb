"""Retries: one ladder step (the attempt function), exhaustion, the catch-all, and retries a tenant asks for.

The ladder itself is data: `RetryLadder` (template Parameter) reaches the state machine through
DefinitionSubstitutions and the functions through RETRY_LADDER; what the state machine does after each outcome,
and the jitter of its waits, are in carrier.ladder.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from carrier import operational
from carrier.clock import Clock, SystemClock, iso, parse_iso
from carrier.dispatch import RATE_LIMIT_DEFER_SECONDS, Dispatcher
from carrier.errors import Conflict, InvalidInput, NotFound
from carrier.formats import Event
from carrier.ladder import ENDED, EXHAUSTED, jittered
from carrier.lifecycle import Actor, sources
from carrier.models import SendResult
from carrier.observability import count, logger
from carrier.operational import NoPublisher
from carrier.outcomes import DELIVERED, RETRY
from carrier.ports import EngineStore, EventPublisher, HttpTransport, SecretVault
from carrier.records import TERMINAL, DeliveryRecord, DeliveryStatus, WebhookRecord, WebhookStatus, event_from_record
from carrier.runs import run_once
from carrier.settings import Settings
from carrier.targets import Target

# A delivery's lock outlives any function that holds it (the attempt function's Timeout is 90 s, the api's 30 s):
# it cannot expire in the middle of a send. tests/unit/test_template.py checks the Timeouts against it.
LOCK_SECONDS = 150
# A ladder step writes only while the delivery is still open (never over an ended one: a stale step is refused).
LADDER: dict[str, Any] = {"actor": Actor.ladder, "leaving": (DeliveryStatus.pending, DeliveryStatus.retrying)}
RECOVER_LIMIT = 100  # per call: concurrent re-sends (50 at a time, 10 s each) end inside API Gateway's 30 s


class RetryService:
    def __init__(
        self,
        settings: Settings,
        store: EngineStore,
        vault: SecretVault,
        clock: Clock | None = None,
        transport_factory: Callable[[], HttpTransport] | None = None,
        events: EventPublisher | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.vault = vault
        self.clock = clock or SystemClock()
        self.transport_factory = transport_factory
        self.events = events or NoPublisher()

    # ---- the ladder (state machine tasks) -----------------------------------------------------------

    def attempt(self, state: dict[str, Any]) -> dict[str, Any]:
        """One ladder step. Returns the next state: `outcome`, and for a retry the next `step` and wait."""
        return self._run(lambda dispatcher: self._ladder_attempt(dispatcher, state))

    async def _ladder_attempt(self, dispatcher: Dispatcher, state: dict[str, Any]) -> dict[str, Any]:
        tenant_id, webhook_id, delivery_id = state["tenant_id"], state.get("webhook_id"), state["delivery_id"]
        ladder = [int(s) for s in state.get("ladder") or self.settings.retry_ladder]
        step = int(state.get("step", 0))
        loaded = self._load(tenant_id, webhook_id, delivery_id)
        if isinstance(loaded, str):
            return {**state, "outcome": ENDED, "reason": loaded}
        delivery, target, event = loaded
        if not dispatcher.within_rate_limit(target):  # deferred again, without using a ladder step
            return {**state, "outcome": RETRY, "wait_seconds": RATE_LIMIT_DEFER_SECONDS}
        owner = self._lock(tenant_id, webhook_id, delivery_id)
        if owner is None:  # a manual retry is sending right now: try again at this step a minute later
            return {**state, "outcome": RETRY, "wait_seconds": 60}
        try:
            delivery = self.store.get_delivery(tenant_id, webhook_id, delivery_id)  # as it is now, under the lock
            if delivery["status"] in TERMINAL:  # ended while this step waited for the lock: nothing to send
                return {**state, "outcome": ENDED, "reason": f"delivery is already {delivery['status']}"}
            result = await dispatcher.attempt(
                event,
                target,
                delivery_id,
                attempt_number=delivery["attempt_count"],
                trigger="initial" if step < 0 else "retry",
            )
            outcome = result.outcome.name
            next_step = step + 1
            if outcome == RETRY and next_step < len(ladder):
                # the rung ± 10 % (carrier.ladder), never before the receiver's Retry-After (capped by classify)
                wait = max(jittered(ladder[next_step]), result.outcome.retry_after or 0)
                due = iso(self.clock.now() + timedelta(seconds=wait))
                dispatcher.recorder.record(
                    target, delivery_id, result, DeliveryStatus.retrying, {"next_attempt_at": due}, **LADDER
                )
                return {**state, "outcome": RETRY, "step": next_step, "wait_seconds": wait}
            if outcome == RETRY:
                dispatcher.recorder.record(target, delivery_id, result, DeliveryStatus.retrying, **LADDER)
                return {**state, "outcome": EXHAUSTED}
            status = DeliveryStatus.delivered if outcome == DELIVERED else DeliveryStatus.failed
            dispatcher.recorder.record(target, delivery_id, result, status, **LADDER)
            return {**state, "outcome": outcome}
        finally:
            self.store.release_delivery_lock(tenant_id, webhook_id, delivery_id, owner)

    def exhaust(self, state: dict[str, Any]) -> dict[str, Any]:
        """The last retry failed: the delivery is exhausted and the webhook disabled (with reason and time)."""
        tenant_id, webhook_id, delivery_id = state["tenant_id"], state.get("webhook_id"), state["delivery_id"]
        now = iso(self.clock.now())
        self.store.update_delivery(
            tenant_id,
            webhook_id,
            delivery_id,
            {"status": DeliveryStatus.exhausted, "updated_at": now},
            sources(DeliveryStatus.exhausted, Actor.ladder, (DeliveryStatus.retrying,)),
        )
        webhook: WebhookRecord | None = None
        reason = f"retries exhausted: delivery {delivery_id} failed {len(state.get('ladder') or []) + 1} times"
        if webhook_id:
            with contextlib.suppress(NotFound):  # deleted meanwhile: nothing to disable
                webhook = self.store.update_webhook(
                    tenant_id,
                    webhook_id,
                    {
                        "status": WebhookStatus.disabled,
                        "disabled_reason": reason,
                        "disabled_at": now,
                        "updated_at": now,
                    },
                )
        count("DeliveriesExhausted")
        count("WebhooksDisabled")
        logger.warning(
            "delivery exhausted, webhook disabled",
            extra={"tenant_id": tenant_id, "webhook_id": webhook_id, "delivery_id": delivery_id},
        )
        with contextlib.suppress(NotFound):  # ids from the delivery: an Exhaust run again raises the same events
            delivery = self.store.get_delivery(tenant_id, webhook_id, delivery_id)
            operational.publish(self.events, operational.on_exhausted(delivery, webhook, reason, now))
        return {**state, "outcome": EXHAUSTED}

    def fail(self, state: dict[str, Any]) -> dict[str, Any]:
        """The catch-all: a step failed inside Carrier; the delivery leaves `retrying` with the error."""
        tenant_id, webhook_id, delivery_id = state["tenant_id"], state.get("webhook_id"), state["delivery_id"]
        error = state.get("error") or {}
        message = f"{error.get('Error', 'error')}: {str(error.get('Cause', ''))[:300]}"
        changes = {"status": DeliveryStatus.failed, "updated_at": iso(self.clock.now()), "failure": message}
        leaving = sources(DeliveryStatus.failed, Actor.ladder, (DeliveryStatus.retrying, DeliveryStatus.pending))
        self.store.update_delivery(tenant_id, webhook_id, delivery_id, changes, expected_status=leaving)
        logger.error(
            "retry ladder failed",
            extra={"delivery_id": delivery_id, "webhook_id": webhook_id, "tenant_id": tenant_id, "error": message},
        )
        return {**state, "outcome": "failed"}

    # ---- retries a tenant asks for ------------------------------------------------------------------

    def manual(self, tenant_id: str, webhook_id: str | None, delivery_id: str, trigger: str = "manual") -> SendResult:
        """Send a delivery again now, whatever its status; the result is recorded as `trigger` (a per-job callback's
        delivery has no webhook: `webhook_id` None)."""
        return self._run(
            lambda dispatcher: self._manual(dispatcher, tenant_id, webhook_id, delivery_id, trigger), interactive=True
        )

    async def _manual(
        self,
        dispatcher: Dispatcher,
        tenant_id: str,
        webhook_id: str | None,
        delivery_id: str,
        trigger: str,
        only: tuple[str, ...] = (),
    ) -> SendResult:
        from carrier.deliveries import send_result

        loaded = self._load(tenant_id, webhook_id, delivery_id, need_active=False)
        if isinstance(loaded, str):
            raise NotFound(loaded, field="delivery_id")
        delivery, target, event = loaded
        if webhook_id and self.store.get_webhook(tenant_id, webhook_id)["status"] != WebhookStatus.active:
            raise Conflict("the webhook is disabled: enable it before retrying", field="webhook_id")
        owner = self._lock(tenant_id, webhook_id, delivery_id)
        if owner is None:
            raise Conflict("an attempt of this delivery is in progress; try again shortly", field="delivery_id")
        try:
            delivery = self.store.get_delivery(tenant_id, webhook_id, delivery_id)  # as it is now, under the lock
            current = DeliveryStatus(delivery["status"])
            if current == DeliveryStatus.pending:  # its first attempt is being sent right now
                raise Conflict(
                    "the first attempt of this delivery is in progress; try again shortly", field="delivery_id"
                )
            if only and current not in only:  # moved on since the caller read it (e.g. another replay delivered it)
                raise Conflict(f"the delivery is {current} now", field="delivery_id")
            result = await dispatcher.attempt(
                event, target, delivery_id, attempt_number=delivery["attempt_count"], trigger=trigger
            )
            if result.outcome.name == DELIVERED:
                status = DeliveryStatus.delivered
            elif current in (DeliveryStatus.retrying, DeliveryStatus.exhausted):
                status = current  # a failed manual retry leaves the ladder (or its end) as it is
            else:
                status = DeliveryStatus.failed
            dispatcher.recorder.record(target, delivery_id, result, status, actor=Actor.tenant, leaving=(current,))
        finally:
            self.store.release_delivery_lock(tenant_id, webhook_id, delivery_id, owner)
        return send_result(delivery_id, event.id, result)

    async def resend(
        self, dispatcher: Dispatcher, tenant_id: str, webhook_id: str, delivery_id: str, only: tuple[str, ...]
    ) -> SendResult:
        """Inside a caller's run (`run`): send an ended delivery again, as recover does, only while it is in one of
        `only` (read under its lock); Conflict when it moved on or an attempt of it is in progress."""
        return await self._manual(dispatcher, tenant_id, webhook_id, delivery_id, "replay", only)

    def run(self, work: Callable[[Dispatcher], Any]) -> Any:
        """Run `work(dispatcher)` as sends a tenant waits for (an API call's timeouts), e.g. a replay's."""
        return self._run(work, interactive=True)

    def recover(self, tenant_id: str, webhook_id: str, since: datetime) -> dict[str, Any]:
        """Re-send every failed, exhausted or skipped delivery of a webhook created since `since` (up to 100 a
        call): a skipped one met the webhook disabled and is sent now that it is enabled again."""
        now = self.clock.now()
        if since > now:
            raise InvalidInput("since must not be in the future", field="since")
        webhook = self.store.get_webhook(tenant_id, webhook_id)
        if webhook["status"] != WebhookStatus.active:
            raise Conflict("the webhook is disabled: enable it before recovering", field="webhook_id")
        found: list[DeliveryRecord] = []
        for status in (DeliveryStatus.failed, DeliveryStatus.exhausted, DeliveryStatus.skipped):
            cursor = None
            while len(found) < RECOVER_LIMIT:
                page, cursor = self.store.list_deliveries(
                    tenant_id, webhook_id, RECOVER_LIMIT, cursor, status=status, since=iso(since)
                )
                found += page
                if not cursor:
                    break
        found = found[:RECOVER_LIMIT]

        async def resend(dispatcher: Dispatcher, delivery_id: str) -> SendResult | None:
            try:
                return await self._manual(dispatcher, tenant_id, webhook_id, delivery_id, "recover")
            except Conflict:
                return None  # an attempt of it is in progress (the ladder): it is not sent twice

        async def resend_all(dispatcher: Dispatcher) -> list[SendResult | None]:
            return list(await asyncio.gather(*(resend(dispatcher, d["delivery_id"]) for d in found)))

        answers: list[SendResult | None] = self._run(resend_all, interactive=True)
        results = [r for r in answers if r is not None]
        return {
            "since": iso(since),
            "recovered": len(results),
            "delivered": sum(1 for r in results if r.delivered),
            "failed": sum(1 for r in results if not r.delivered),
            "skipped": len(answers) - len(results),
            "has_more": len(found) >= RECOVER_LIMIT,
            "delivery_ids": [r.delivery_id for r in results],
        }

    # ---- helpers ------------------------------------------------------------------------------------

    def _load(
        self, tenant_id: str, webhook_id: str | None, delivery_id: str, need_active: bool = True
    ) -> tuple[DeliveryRecord, Target, Event] | str:
        """The delivery, its current target and its event; or the reason the ladder ends."""
        try:
            delivery = self.store.get_delivery(tenant_id, webhook_id, delivery_id)
        except NotFound:
            return f"delivery {delivery_id} not found"
        if need_active and delivery.get("status") in TERMINAL:
            return f"delivery is already {delivery['status']}"
        now = iso(self.clock.now())
        if webhook_id:
            try:
                webhook = self.store.get_webhook(tenant_id, webhook_id)
            except NotFound:
                return self._end(tenant_id, webhook_id, delivery_id, "webhook deleted", now)
            if need_active and webhook["status"] != WebhookStatus.active:
                return self._end(tenant_id, webhook_id, delivery_id, "webhook disabled", now)
            target = Target.of_webhook(webhook)
        else:
            from carrier.callbacks import CallbackService

            found = CallbackService(self.store, self.vault).target(tenant_id, delivery.get("url", ""))
            if found is None:
                return (
                    self._end(tenant_id, webhook_id, delivery_id, "no callback secret", now)
                    if need_active
                    else ("no callback secret")
                )
            target = found
        record = self.store.get_event(tenant_id, delivery["event_id"])
        if record is None:  # past DeliveryRetentionDays: the ladder ends the delivery, it never leaves it open
            return (
                self._end(tenant_id, webhook_id, delivery_id, "event expired", now) if need_active else "event expired"
            )
        return delivery, target, event_from_record(record)

    def _end(self, tenant_id: str, webhook_id: str | None, delivery_id: str, reason: str, now: str) -> str:
        """The ladder ends without an attempt: the delivery fails with the reason."""
        changes = {"status": DeliveryStatus.failed, "failure": reason, "updated_at": now}
        leaving = sources(DeliveryStatus.failed, Actor.ladder, (DeliveryStatus.pending, DeliveryStatus.retrying))
        self.store.update_delivery(tenant_id, webhook_id, delivery_id, changes, expected_status=leaving)
        return reason

    def _lock(self, tenant_id: str, webhook_id: str | None, delivery_id: str) -> str | None:
        owner = uuid.uuid4().hex
        now = self.clock.now()
        until = iso(now + timedelta(seconds=LOCK_SECONDS))
        if self.store.acquire_delivery_lock(tenant_id, webhook_id, delivery_id, owner, until, iso(now)):
            return owner
        return None

    def _run(self, work: Callable[[Dispatcher], Any], interactive: bool = False) -> Any:
        return run_once(
            self.settings, self.store, self.vault, self.clock, self.transport_factory, work, interactive, self.events
        )


def parse_since(value: str) -> datetime:
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise InvalidInput("since must be an ISO 8601 time, e.g. 2026-01-01T00:00:00Z", field="since") from exc

"""The dispatch core: match an event to its targets, sign, send concurrently, record, hand failures on.

Used by the dispatcher (first attempts), the attempt function (ladder retries), and the API (manual
retries and test sends): one code path for every attempt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from carrier import aws
from carrier.claims import DEFER_SECONDS, Claims
from carrier.clock import Clock, SystemClock, iso
from carrier.fanout import Chunk, ChunkQueue, split
from carrier.formats import BodyCache, Event
from carrier.ladder import jittered
from carrier.lifecycle import Actor
from carrier.observability import count, logger
from carrier.outcomes import BLOCKED, DELIVERED, GONE, RETRY, Outcome, classify
from carrier.ports import DispatchStore, EventPublisher, HttpTransport, RetryScheduler, SecretReader
from carrier.recording import Recorder
from carrier.records import AttemptRecord, DeliveryRecord, DeliveryStatus, SecretDocument, without_nones
from carrier.redaction import excerpt, mask_headers, secret_values
from carrier.settings import Settings
from carrier.signing import SignInput, base_headers, sign
from carrier.targets import (
    AttemptResult,
    ClaimHeld,
    DispatchReport,
    Handoff,
    Sending,
    Target,
    TargetsUnsettled,
    matching,
)
from carrier.vault import active_keys
from carrier.webhooklists import WebhookLists

T = TypeVar("T")
Budget = Callable[[], float] | None  # the invocation's time left, in seconds (None: no limit)

RESPONSE_EXCERPT = 2048
ERROR_EXCERPT = 512
RATE_LIMIT_DEFER_SECONDS = DEFER_SECONDS  # the ladder step over the rate limit waits as long
BUDGET_MARGIN_SECONDS = 10  # recording a send and handing it on, after the send's own timeout
FIRST = (DeliveryStatus.pending,)  # a first attempt writes only over its own claim


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        store: DispatchStore,
        vault: SecretReader,
        transport: HttpTransport,
        scheduler: RetryScheduler | None = None,
        clock: Clock | None = None,
        events: EventPublisher | None = None,
        chunks: ChunkQueue | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.vault = vault
        self.transport = transport
        self.scheduler = scheduler
        self.clock = clock or SystemClock()
        self.chunks = chunks
        self.claims = Claims(settings, store, scheduler, self.clock)
        self.recorder = Recorder(
            store, self.clock, events, settings.failing_after_failures, settings.last_call_every_seconds
        )
        self.webhooks = WebhookLists(store, self.clock, settings.webhook_cache_seconds)
        self.recorder.on_disabled = self.webhooks.forget  # a webhook this container disabled is left out at once

    # ---- matching -----------------------------------------------------------------------------------

    def targets(
        self, event: Event, report: DispatchReport, chunk: Chunk | None, budget: Budget, split_before: int = 0
    ) -> list[Target]:
        """The tenant's webhooks (`webhooks.of`: cached per container for `webhook_cache_seconds`), kept when active
        and matching type and filters; of a split fan-out, this run's chunk only (`carrier.fanout`: a first run
        splits an event past `chunk_size`). A matching disabled webhook gets a `skipped` delivery (no attempt), so
        the log shows the event and `recover` can send it."""
        found, disabled = matching(self.webhooks.of(event.tenant_id), event)
        if chunk is None and self.chunks is not None:
            seconds = budget() if budget else 900.0
            chunk = split(self.settings, self.store, self.chunks, event, len(found), seconds, split_before)
        if chunk is not None:
            found, disabled = chunk.select(found), chunk.select(disabled)
        self.claims.skip(event, disabled, self.clock.now(), report)
        return found

    # ---- first attempts -----------------------------------------------------------------------------

    async def dispatch(
        self,
        event: Event,
        extra_targets: list[Target] | None = None,
        *,
        match: bool = True,
        retry: bool = True,
        budget: Callable[[], float] | None = None,
        chunk: Chunk | None = None,
    ) -> DispatchReport:
        """Deliver one event to every matching target, once each (duplicates of the event change nothing).

        `match=False` sends to `extra_targets` only (test sends); `retry=False` hands nothing to the ladder.
        `budget()` is the invocation's time left: a send that could not end inside it goes to the ladder instead.
        `chunk` restricts the event to one chunk of its split fan-out (`carrier.fanout`).
        """
        report = DispatchReport(event.id)
        if match:  # the event's claim covers every target it matches (and its callback)
            claim, event, split_before = await self._io(
                self.claims.take, event, self.clock.now(), chunk.index if chunk else 0
            )
            targets = await self._io(self.targets, event, report, chunk, budget, split_before)
            targets += extra_targets or []
            report.matched = len(targets)
            targets, reclaimed = await self._io(self.claims.unrecorded, event, targets, claim, report)
        else:  # targets the caller names (test sends, replays) are claimed one by one
            event = await self._io(self.claims.stored, event, self.clock.now())
            report.matched = len(extra_targets or [])
            targets, reclaimed = await self._io(self.claims.claim_rows, event, list(extra_targets or []), report)
        bodies = BodyCache()
        sending = Sending(asyncio.Semaphore(self.settings.max_concurrency), budget)
        stale_before = self.claims.stale_before(self.clock.now())
        # Each target alone: one target's failure never stops its siblings from being sent and recorded
        settled = await asyncio.gather(
            *(self._first_attempt(event, t, bodies, report, retry, sending, stale_before, reclaimed) for t in targets),
            return_exceptions=True,
        )
        failures = [(t, r) for t, r in zip(targets, settled, strict=True) if isinstance(r, BaseException)]
        failures += report.unsettled
        for result in settled:
            if isinstance(result, AttemptResult):
                report.outcomes[result.outcome.name] += 1
                report.results.append(result)
        if failures:
            report.failed_targets = len(failures)
            for target, error in failures:
                logger.warning(
                    "delivery not settled: the message comes back",
                    extra={
                        "event_id": event.id,
                        "webhook_id": target.key,
                        "reason": f"{type(error).__name__}: {error}",
                    },
                )
            held = sum(isinstance(error, ClaimHeld) for _, error in failures)
            if held:
                count("ClaimsHeld", held)
            raise TargetsUnsettled(report, [error for _, error in failures])
        return report

    async def _first_attempt(
        self,
        event: Event,
        target: Target,
        bodies: BodyCache,
        report: DispatchReport,
        retry: bool,
        sending: Sending,
        stale_before: str,
        reclaimed: set[str],
    ) -> AttemptResult | None:
        now = self.clock.now()
        fresh = self.claims.new(event, target, now)
        delivery_id = fresh["delivery_id"]
        # a `pending` row this run claimed again gets its attempt recorded into it; any other row is written whole
        record: DeliveryRecord | None = None if delivery_id in reclaimed else fresh
        if not await self._io(self.within_rate_limit, target):
            report.deferred += 1
            await self._io(self.claims.defer, event, target, delivery_id, report, record is None)
            return None
        async with sending.slots:  # the budget is read when a send can start, not when it is queued
            if not sending.fits(self.settings.http_timeout_seconds + BUDGET_MARGIN_SECONDS):
                report.deferred += 1
                await self._io(self.claims.defer, event, target, delivery_id, report, record is None)
                return None
            result = await self.attempt(event, target, delivery_id, attempt_number=0, trigger="initial", bodies=bodies)
        handoff = await self._io(self._after_first, event, target, delivery_id, record, result, retry, stale_before)
        if handoff is not None:
            report.handoffs.append(handoff)
        return result

    def _after_first(
        self,
        event: Event,
        target: Target,
        delivery_id: str,
        record: DeliveryRecord | None,
        result: AttemptResult,
        retry: bool,
        stale_before: str,
    ) -> Handoff | None:
        """Record the first attempt with the delivery's row (one write); a retryable failure goes to the ladder (if
        one is configured) first, so the row never says `retrying` without one. When the hand-off fails, the row is
        left `pending` with its attempt (the reconciler's to repair if the message never comes back). `record` None:
        the row exists, `pending` and claimed by this run, and the attempt is recorded into it."""
        outcome = result.outcome
        handoff = None
        if retry and outcome.name == RETRY and self.scheduler is not None and self.settings.retry_ladder:
            ladder = self.settings.retry_ladder
            wait = max(jittered(ladder[0]), outcome.retry_after or 0)  # ± 10 %, never before Retry-After
            handoff = Handoff(event.tenant_id, target.webhook_id, delivery_id, event.id, wait, 0)
        status = self.status_after(outcome, retrying=handoff is not None)
        extra = {"next_attempt_at": iso(self.clock.now() + timedelta(seconds=handoff.wait_seconds))} if handoff else {}
        if handoff is not None:
            assert self.scheduler is not None
            try:
                self.scheduler.schedule(handoff)
            except Exception:
                self.recorder.record(
                    target,
                    delivery_id,
                    result,
                    DeliveryStatus.pending,
                    actor=Actor.dispatcher,
                    leaving=FIRST,
                    first=record,
                    stale_before=stale_before,
                )
                raise
        self.recorder.record(
            target,
            delivery_id,
            result,
            status,
            extra,
            actor=Actor.dispatcher,
            leaving=FIRST,
            first=record,
            stale_before=stale_before,
        )
        return handoff

    # ---- per-webhook rate limit -----------------------------------------------------------------------

    def within_rate_limit(self, target: Target) -> bool:
        """Take one of this second's slots of the webhook's rate limit (shared by every container)."""
        if not target.rate_limit or not target.webhook_id:
            return True
        return self.store.take_rate_slot(target.webhook_id, target.rate_limit, int(self.clock.now().timestamp()))

    # ---- one attempt (any trigger) ------------------------------------------------------------------

    async def attempt(
        self,
        event: Event,
        target: Target,
        delivery_id: str,
        *,
        attempt_number: int,
        trigger: str,
        bodies: BodyCache | None = None,
    ) -> AttemptResult:
        """Sign and send once; returns the outcome and the attempt record (not yet stored). When Carrier cannot
        build this target's request (its secret unreadable, its key unfit for its scheme), that is this attempt's
        failure, stated in its error, and a retry along the ladder: it never fails the target's siblings."""
        now = self.clock.now()
        body = (bodies or BodyCache()).get(event, target.payload_format, attempt_number)
        read: dict[str, Any] = {"keys": [], "custom": {}}  # what was read before a failure: masked all the same
        try:
            keys, custom, headers = await self._request(event, target, body, now, read)
        except Exception as exc:
            from carrier.transport import carrier_failure  # aiohttp is loaded by then: a transport exists

            result = carrier_failure(f"Carrier could not prepare the request: {type(exc).__name__}: {exc}")
            keys, custom, headers, outcome = read["keys"], read["custom"], base_headers(), Outcome(RETRY, None)
            reason = excerpt(result.error, secret_values(keys, custom), ERROR_EXCERPT)
            logger.warning(
                "attempt not sent: Carrier could not prepare it",
                extra={"delivery_id": delivery_id, "webhook_id": target.key, "reason": reason},
            )
        else:
            result = await self.transport.post(target.url, body, headers)
            outcome = classify(result, now=time.time(), retry_after_cap=max(self.settings.retry_ladder or (3600,)))
        secrets = secret_values(keys, custom)
        attempt: AttemptRecord = {
            "n": attempt_number + 1,
            "at": iso(now),
            "trigger": trigger,
            "url": target.url,
            "outcome": outcome.name,
            "status_code": result.status,
            "response_time_ms": result.elapsed_ms,
            "error": excerpt(result.error, secrets, ERROR_EXCERPT),
            "response_body": excerpt(result.body, secrets, RESPONSE_EXCERPT),
            "request_headers": mask_headers(headers, {name.lower() for name in custom}),
        }
        if result.error_kind == "carrier":
            attempt["failed_by"] = "carrier"
        return AttemptResult(delivery_id, event.id, outcome, result, without_nones(attempt), event.type)

    async def _request(
        self, event: Event, target: Target, body: bytes, now: datetime, read: dict[str, Any]
    ) -> tuple[list[str], dict[str, str], dict[str, str]]:
        """The signing keys, the custom headers and every header of this target's request (`read` gets the keys
        and custom headers as soon as they are known, so a later failure's text is masked too)."""
        cached = self.vault.peek(target.secret_name)
        document = cached if cached is not None else await self._io(self._secret, target)
        keys = read["keys"] = active_keys(document, now)
        custom = read["custom"] = dict(document.get("headers") or {})
        signature = sign(
            target.scheme,
            SignInput(
                body=body,
                keys=keys,
                message_id=event.id,
                webhook_id=target.webhook_id or "callback",
                event_id=event.id,
                timestamp=int(now.timestamp()),
                event_timestamp=event.timestamp,
                header=target.header,
            ),
        )
        return keys, custom, {**custom, **base_headers(), **signature}

    def _secret(self, target: Target) -> SecretDocument:
        """The target's secret document: opened from the box its webhook's item carries (`envelope`: no read), or
        read from the vault."""
        return self.vault.get(target.secret_name, box=target.secret_box)

    @staticmethod
    def status_after(outcome: Outcome, *, retrying: bool) -> DeliveryStatus:
        if outcome.name == DELIVERED:
            return DeliveryStatus.delivered
        if outcome.name == RETRY and retrying:
            return DeliveryStatus.retrying
        return DeliveryStatus.failed

    # ---- helpers ------------------------------------------------------------------------------------

    async def _io(self, function: Callable[..., T], *args: Any) -> T:
        """Run a store or vault call: in a thread when it blocks on the network, inline when it does not. A
        transient AWS error (after botocore's own retries) is tried again twice, 0.1 s then 0.4 s later: every call
        here is idempotent or conditional, and a whole message going round the queue for one throttle costs more."""
        for pause in (0.1, 0.4, None):
            try:
                if getattr(self.store, "blocking", True):
                    return await asyncio.to_thread(function, *args)
                return function(*args)
            except Exception as error:
                if pause is None or not aws.is_transient(error):
                    raise
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")


__all__ = ["BLOCKED", "DELIVERED", "GONE", "RETRY", "Dispatcher", "Handoff", "RetryScheduler", "Target"]

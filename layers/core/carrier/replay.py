"""Replay: send a webhook every stored event of a window it matches and never got.

What it sends: each event of the tenant published in [since, until] (the `events` index, `carrier.store.events`)
that the webhook matches today (its types and filters, under the profile's matching rule: `targets.matching`)
and that has no delivered delivery for it. That covers events from before the webhook existed, events `skipped`
while it was disabled, and deliveries that ended `failed` or `exhausted` (a ladder that ran out).

Never twice: a (event, webhook) pair has one delivery id (`ids.delivery_id`). An event with no delivery goes
through the dispatcher's first attempt (`Dispatcher.dispatch`: a conditional claim, so a concurrent replay or a
late redelivery of the event cannot make a second one); an ended one is sent again by `RetryService.resend` (the
recover path: under the delivery's lock, only while it is still not delivered). A delivery that is pending or on
the ladder is left to its owner (`in_progress`).

Bounded: one call examines at most `REPLAY_LIMIT` events and answers `next_cursor`, so N events take about
N / REPLAY_LIMIT calls (plus one per index shard at most). A webhook's `rate_limit` holds: the events over this
second's slots are left for the next call (`deferred`, and `next_cursor` starts at the first of them). A send that
fails is recorded `failed` (not put on the ladder: the API has none) and is sent again by the next replay of its
window, or by recover.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from datetime import datetime, timedelta
from typing import TypedDict

from carrier.catalog import matches
from carrier.claims import delivery_id_of
from carrier.clock import Clock, SystemClock, iso, parse_iso
from carrier.dispatch import Dispatcher
from carrier.errors import Conflict, InvalidInput, NotFound
from carrier.formats import Event
from carrier.models.health import REPLAY_LIMIT, ReplayResult
from carrier.outcomes import DELIVERED
from carrier.ports import ReplayStore
from carrier.records import DeliveryStatus, WebhookRecord, WebhookStatus, event_from_record
from carrier.retries import RetryService
from carrier.settings import Settings
from carrier.store.events import IndexedEvent
from carrier.targets import Target, TargetsUnsettled, matching

ENDED = (DeliveryStatus.failed, DeliveryStatus.exhausted, DeliveryStatus.skipped)  # sent again


class Window(TypedDict):
    since: datetime
    until: datetime


def parse_time(value: str, field: str) -> datetime:
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise InvalidInput(f"{field} must be an ISO 8601 time, e.g. 2026-01-01T00:00:00Z", field=field) from exc


class ReplayService:
    def __init__(
        self, settings: Settings, store: ReplayStore, retries: RetryService, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.retries = retries
        self.clock = clock or SystemClock()

    def window(self, since: str, until: str | None) -> Window:
        """The window, checked: `since` not after `until`, not in the future, inside the event retention (else 422
        naming the field); `until` is at most now."""
        now = self.clock.now()
        start = parse_time(since, "since")
        end = parse_time(until, "until") if until else now
        if start > now:
            raise InvalidInput("since must not be in the future", field="since")
        if start > end:
            raise InvalidInput("since must not be after until", field="since")
        oldest = now - timedelta(days=self.settings.delivery_retention_days)
        if start < oldest:
            raise InvalidInput(
                f"since is beyond the event retention ({self.settings.delivery_retention_days} days): events "
                f"published before {iso(oldest)} are no longer stored",
                field="since",
            )
        return {"since": start, "until": min(end, now)}

    def replay(
        self, tenant_id: str, webhook_id: str, since: str, until: str | None, cursor: str | None
    ) -> ReplayResult:
        """One call: up to REPLAY_LIMIT events of the window from `cursor` on. 404 for an unknown (or another
        tenant's) webhook; 409 while it is disabled (its events would only be skipped again: enable it first)."""
        webhook = self.store.get_webhook(tenant_id, webhook_id)
        window = self.window(since, until)
        if webhook["status"] != WebhookStatus.active:
            raise Conflict("the webhook is disabled: enable it before replaying", field="webhook_id")
        entries, next_cursor = self.store.event_page(tenant_id, window["since"], window["until"], cursor, REPLAY_LIMIT)
        wanted = self._matching(tenant_id, webhook, entries)
        statuses = self.store.delivery_statuses(tenant_id, webhook_id, [did for did, _ in wanted.values()])
        tally: Counter[str] = Counter()
        sends: list[tuple[Event, str | None]] = []
        for n, entry in enumerate(entries):
            if entry["id"] not in wanted:
                tally["not_matching"] += 1
                continue
            delivery_id, event = wanted[entry["id"]]
            status = statuses.get(delivery_id)
            if status == DeliveryStatus.delivered:
                tally["already_delivered"] += 1
            elif status is not None and status not in ENDED:
                tally["in_progress"] += 1
            elif not self._slot(webhook):  # the rest waits for the next call, which starts at this event
                tally["deferred"] = len(entries) - n
                next_cursor = entry["before"]
                break
            else:
                sends.append((event, status))
        results = self._send(tenant_id, webhook, sends) if sends else []
        sent = [r for r in results if r is not None]
        return ReplayResult(
            since=iso(window["since"]),
            until=iso(window["until"]),
            examined=len(entries) - tally["deferred"],
            sent=len(sent),
            delivered=sum(1 for _, delivered in sent if delivered),
            failed=sum(1 for _, delivered in sent if not delivered),
            already_delivered=tally["already_delivered"],
            in_progress=tally["in_progress"] + len(results) - len(sent),
            not_matching=tally["not_matching"],
            deferred=tally["deferred"],
            next_cursor=next_cursor,
            has_more=next_cursor is not None,
            delivery_ids=[delivery_id for delivery_id, _ in sent],
        )

    def _matching(
        self, tenant_id: str, webhook: WebhookRecord, entries: list[IndexedEvent]
    ) -> dict[str, tuple[str, Event]]:
        """The entries' events this webhook matches (by the dispatcher's own rule: types, filters and the profile's
        `matching`, `targets.matching`), still stored: event id -> (its delivery id for the webhook, the event)."""
        typed = [entry["id"] for entry in entries if matches(webhook["events"], entry["type"])]
        if not typed:
            return {}
        stored = self.store.get_events(tenant_id, typed)
        webhooks = self.store.all_webhooks(tenant_id)
        now = int(self.clock.now().timestamp())
        found: dict[str, tuple[str, Event]] = {}
        for event_id in typed:
            record = stored.get(event_id)
            if record is None or record.get("expires_at", now + 1) <= now:  # gone, or past its retention
                continue
            event = event_from_record(record)
            active, _ = matching(webhooks, event)
            if any(target.webhook_id == webhook["id"] for target in active):
                found[event_id] = (delivery_id_of(event, webhook["id"]), event)
        return found

    def _slot(self, webhook: WebhookRecord) -> bool:
        """One of this second's slots of the webhook's rate limit (shared with its live deliveries), if it has one."""
        limit = webhook.get("rate_limit")
        if not limit:
            return True
        return self.store.take_rate_slot(webhook["id"], limit, int(self.clock.now().timestamp()))

    def _send(
        self, tenant_id: str, webhook: WebhookRecord, sends: list[tuple[Event, str | None]]
    ) -> list[tuple[str, bool] | None]:
        """Send concurrently (at most `max_concurrency` at once): (delivery id, delivered), or None for one that
        another run holds or delivered meanwhile (nothing sent)."""
        target = dataclasses.replace(Target.of_webhook(webhook), rate_limit=None)  # its slot is taken already
        slots = asyncio.Semaphore(self.settings.max_concurrency)

        async def one(dispatcher: Dispatcher, event: Event, status: str | None) -> tuple[str, bool] | None:
            async with slots:
                if status is None:  # no delivery yet: the dispatcher's first attempt (a conditional claim)
                    try:
                        report = await dispatcher.dispatch(event, [target], match=False, retry=False)
                    except TargetsUnsettled:  # claimed by another run right now
                        return None
                    if not report.results:  # another run made and ended it meanwhile
                        return None
                    result = report.results[0]
                    return result.delivery_id, result.outcome.name == DELIVERED
                delivery_id = delivery_id_of(event, webhook["id"])
                try:
                    answer = await self.retries.resend(dispatcher, tenant_id, webhook["id"], delivery_id, ENDED)
                except (Conflict, NotFound):  # moved on, in progress, or gone meanwhile
                    return None
                return answer.delivery_id, answer.delivered

        async def all_of(dispatcher: Dispatcher) -> list[tuple[str, bool] | None]:
            return list(await asyncio.gather(*(one(dispatcher, event, status) for event, status in sends)))

        results: list[tuple[str, bool] | None] = self.retries.run(all_of)
        return results

"""A webhook's health over a window, derived from its delivery log: no counter is written per delivery.

It reads the webhook's deliveries created in the window, newest first, from the log's index (`lsi1`: the
webhook's partition from `now - window` on, one Query page per 1,000 deliveries) and at most
`STATS_MAX_DELIVERIES` of them (`sampled` says when the window held more). A delivery item is read whole (about
0.5 read unit for a first-try one, eventually consistent), so a full window costs at most ~2,500 read units
(~$0.0003) a call, and nothing at all while nobody asks.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

from carrier.clock import Clock, SystemClock, iso
from carrier.models.health import STATS_MAX_DELIVERIES, WINDOW_SECONDS, StatsWindow, StatusCount, WebhookStats
from carrier.ports import EngineStore
from carrier.records import DeliveryRecord, DeliveryStatus

PAGE = 1000
ATTEMPTED = (DeliveryStatus.delivered, DeliveryStatus.retrying, DeliveryStatus.failed, DeliveryStatus.exhausted)
FAILING = (DeliveryStatus.retrying, DeliveryStatus.failed, DeliveryStatus.exhausted)


def percentile(values: list[int], p: float) -> int | None:
    """The nearest-rank percentile of `values` (sorted), None for none."""
    if not values:
        return None
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]


def summarize(
    webhook_id: str, window: StatsWindow, since: str, log: list[DeliveryRecord], sampled: bool
) -> WebhookStats:
    """The numbers of a window's deliveries (`log`, newest first)."""
    counts = Counter(str(d["status"]) for d in log)
    attempted = sum(counts[s] for s in ATTEMPTED)
    times = sorted(t for d in log if d["attempt_count"] and (t := d.get("response_time_ms")) is not None)
    delivered = [d.get("timestamp") or d["created_at"] for d in log if d["status"] == DeliveryStatus.delivered]
    streak = 0
    for delivery in log:
        if delivery["status"] == DeliveryStatus.delivered:
            break
        streak += delivery["status"] in FAILING
    return WebhookStats(
        webhook_id=webhook_id,
        window=window,
        since=since,
        total=len(log),
        counts=[StatusCount(status=status, count=counts[status]) for status in DeliveryStatus],
        success_rate=round(counts[DeliveryStatus.delivered] / attempted, 4) if attempted else None,
        response_time_ms_p50=percentile(times, 50),
        response_time_ms_p95=percentile(times, 95),
        last_success_at=max(delivered) if delivered else None,
        consecutive_failures=streak,
        sampled=sampled,
    )


class HealthService:
    def __init__(self, store: EngineStore, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()

    def stats(self, tenant_id: str, webhook_id: str, window: StatsWindow) -> WebhookStats:
        """404 unless the tenant owns the webhook."""
        self.store.get_webhook(tenant_id, webhook_id)
        since = iso(self.clock.now() - timedelta(seconds=WINDOW_SECONDS[window]))
        log: list[DeliveryRecord] = []
        cursor: str | None = None
        while True:
            page, cursor = self.store.list_deliveries(
                tenant_id, webhook_id, min(PAGE, STATS_MAX_DELIVERIES - len(log)), cursor, since=since
            )
            log += page
            if not cursor or len(log) >= STATS_MAX_DELIVERIES:
                break
        return summarize(webhook_id, window, since, log, sampled=cursor is not None)

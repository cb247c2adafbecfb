"""A webhook's stats, derived from its delivery log on the engine's fakes: known deliveries, known numbers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from carrier import ids
from carrier.clock import iso
from carrier.errors import NotFound
from carrier.health import HealthService, percentile
from carrier.models.health import StatsWindow
from carrier.records import DeliveryStatus
from tests.fakes import START, MemoryStore
from tests.unit.engine import TENANT, Engine

NOW = START + timedelta(days=10)


def delivery(store: MemoryStore, n: int, status: str, age_seconds: float, response_time_ms: int | None = None) -> None:
    """The webhook's delivery n, created `age_seconds` before NOW, with one attempt unless skipped or pending."""
    created = iso(NOW - timedelta(seconds=age_seconds))
    attempted = status not in ("pending", "skipped")
    record: Any = {
        "tenant_id": TENANT,
        "webhook_id": "wh_1",
        "delivery_id": ids.delivery_id(TENANT, f"evt_{n}", "wh_1", created),
        "event_id": f"evt_{n}",
        "event_type": "model.trained",
        "status": status,
        "created_at": created,
        "claimed_at": created,
        "attempts": [],
        "attempt_count": 1 if attempted else 0,
        **({"response_time_ms": response_time_ms, "timestamp": created} if attempted else {}),
    }
    assert store.claim_delivery(record, stale_before="")


def service() -> tuple[HealthService, Engine]:
    built = Engine()
    built.clock.advance((NOW - START).total_seconds())
    built.hook()
    return HealthService(built.store, built.clock), built


def count_of(stats: Any, status: str) -> int:
    return next(c.count for c in stats.counts if c.status == status)


def test_counts_rate_percentiles_last_success_and_the_failure_streak_of_known_deliveries() -> None:
    """Given 20 deliveries in the last hour (oldest first: 10 delivered at 10..100 ms, 1 skipped, 4 failed at
    200 ms, 1 pending, 1 exhausted, 1 delivered at 50 ms, then 2 retrying at 300 ms), the hour's numbers are these."""
    health, built = service()
    plan = (
        [("delivered", 10 * (n + 1)) for n in range(10)]
        + [("skipped", None)]
        + [("failed", 200)] * 4
        + [("pending", None), ("exhausted", 200), ("delivered", 50)]
        + [("retrying", 300)] * 2
    )
    for n, (status, ms) in enumerate(plan):
        delivery(built.store, n, status, age_seconds=3000 - n * 100, response_time_ms=ms)
    stats = health.stats(TENANT, "wh_1", StatsWindow.hour)
    assert stats.total == 20 and stats.sampled is False
    assert {c.status: c.count for c in stats.counts} == {
        "pending": 1,
        "delivered": 11,
        "retrying": 2,
        "failed": 4,
        "exhausted": 1,
        "skipped": 1,
    }
    assert stats.success_rate == round(11 / 18, 4)  # pending and skipped were never attempted
    times = sorted([10 * (n + 1) for n in range(10)] + [200] * 5 + [50, 300, 300])
    assert stats.response_time_ms_p50 == times[8] == 80  # nearest rank: the 9th of 18
    assert stats.response_time_ms_p95 == times[17] == 300
    assert stats.last_success_at == iso(NOW - timedelta(seconds=3000 - 17 * 100))
    assert stats.consecutive_failures == 2  # the two retrying ones, back to the newest delivered
    assert stats.since == "2026-01-10T23:00:00.000Z"


def test_each_window_counts_the_deliveries_created_since_its_start() -> None:
    health, built = service()
    ages = {"1h": 1800, "24h": 20 * 3600, "7d": 5 * 86400, "older": 9 * 86400}
    for n, age in enumerate(ages.values()):
        delivery(built.store, n, "delivered", age_seconds=age, response_time_ms=10)
    totals = {w.value: health.stats(TENANT, "wh_1", w).total for w in StatsWindow}
    assert totals == {"1h": 1, "24h": 2, "7d": 3}


def test_an_empty_window_has_no_rate_and_no_percentiles() -> None:
    health, _ = service()
    stats = health.stats(TENANT, "wh_1", StatsWindow.day)
    assert stats.total == 0 and stats.success_rate is None and stats.response_time_ms_p50 is None
    assert stats.last_success_at is None and stats.consecutive_failures == 0
    assert [c.status for c in stats.counts] == list(DeliveryStatus) and {c.count for c in stats.counts} == {0}


def test_all_failing_counts_every_attempted_delivery_in_the_streak() -> None:
    health, built = service()
    for n in range(5):
        delivery(built.store, n, "failed" if n % 2 else "exhausted", age_seconds=600 - n, response_time_ms=5)
    stats = health.stats(TENANT, "wh_1", StatsWindow.hour)
    assert stats.success_rate == 0.0 and stats.consecutive_failures == 5 and stats.last_success_at is None


def test_another_tenants_webhook_is_not_found() -> None:
    health, _ = service()
    with pytest.raises(NotFound):
        health.stats("t2", "wh_1", StatsWindow.hour)


@pytest.mark.parametrize(("values", "p", "expected"), [([], 50, None), ([7], 95, 7), ([1, 2, 3, 4], 50, 2)])
def test_percentiles_are_nearest_rank(values: list[int], p: float, expected: int | None) -> None:
    assert percentile(values, p) == expected

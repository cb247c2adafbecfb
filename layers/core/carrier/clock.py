"""Time, injected: tests pass a fake clock (`tests/fakes.py`) instead of sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from carrier.ports import Clock as Clock  # the port; imported from here by most modules


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z and millisecond precision."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_iso(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def monotonic_ms() -> float:
    return time.perf_counter() * 1000.0

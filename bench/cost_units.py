"""The priced units themselves: an item's size and its read and write units, PutEvents' and SQS's 64 KB chunks,
and Lambda's duration (the receiver-latency mix, the slowest of a batch's concurrent sends) and GB-seconds. Pure
functions of numbers and wire-typed items, no I/O; `bench.cost` re-exports them and prices them per delivery.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from carrier.store import sizes

KB = 1024
WRITE_UNIT_BYTES = sizes.WRITE_UNIT_BYTES
READ_UNIT_BYTES = sizes.READ_UNIT_BYTES
CHUNK_BYTES = 64 * KB  # PutEvents and SQS bill each started 64 KB as one event / request
GB = 1024**3
MONTH_SECONDS = 30 * 24 * 3600

Typed = Mapping[str, Any]  # a DynamoDB attribute value as on the wire: {"S": "..."}, {"N": "12"}, {"M": {...}}


# ---- DynamoDB item sizes --------------------------------------------------------------------------------------


def python_value(value: Typed) -> Any:
    """A wire-typed attribute value as Python (the form `carrier.store.sizes` measures)."""
    (kind, body), *_ = value.items()
    if kind in ("S", "B"):
        return body
    if kind == "N":
        return Decimal(str(body))
    if kind == "BOOL":
        return bool(body)
    if kind == "NULL":
        return None
    if kind == "L":
        return [python_value(v) for v in body]
    if kind == "M":
        return {k: python_value(v) for k, v in body.items()}
    if kind == "SS":
        return set(body)
    if kind == "NS":
        return {Decimal(str(n)) for n in body}
    if kind == "BS":
        return set(body)
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: Mapping[str, Typed] | None) -> int:
    """Bytes of an item as DynamoDB bills it (the rules of `carrier.store.sizes`, the engine's own)."""
    return sizes.item_bytes({name: python_value(value) for name, value in (item or {}).items()})


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


# ---- EventBridge, SQS ------------------------------------------------------------------------------------------


def put_events_entry_size(entry: Mapping[str, Any]) -> int:
    """An entry's size as EventBridge counts it: Time (14 bytes when set), Source, DetailType, Detail, Resources."""
    size = 14 if entry.get("Time") else 0
    for field in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(field, "")).encode())
    return size + sum(len(str(r).encode()) for r in entry.get("Resources", ()))


def chunks(size: int) -> int:
    """Billed events (PutEvents) or requests (SQS): one per started 64 KB, at least one."""
    return max(1, math.ceil(size / CHUNK_BYTES))


# ---- Lambda: the receiver-latency mix and the invocation's duration -----------------------------------------


Mix = tuple[tuple[float, float], ...]  # (share, seconds), shares summing to 1


def latency_mix(timeout_seconds: float) -> Mix:
    """The stated receiver-latency mix: 50 % answer in 100 ms, 45 % in 500 ms, 5 % take the whole timeout."""
    return ((0.50, 0.1), (0.45, 0.5), (0.05, float(timeout_seconds)))


def mean(mix: Mix) -> float:
    return sum(share * seconds for share, seconds in mix)


def expected_max(mix: Mix, n: int) -> float:
    """E[the slowest of n independent sends]: sum over values v of v x (F(v)^n - F(v-)^n)."""
    if n <= 0:
        return 0.0
    total, below = 0.0, 0.0
    for share, seconds in sorted(mix, key=lambda m: m[1]):
        total += seconds * ((below + share) ** n - below**n)
        below += share
    return total


def expected_makespan(mix: Mix, n: int, slots: int, trials: int = 4000, seed: int = 19) -> float:
    """E[time until the last of n sends ends] when at most `slots` run at once (each takes the next free slot).
    Exact (`expected_max`) when every send has a slot; a seeded simulation otherwise."""
    if n <= slots:
        return expected_max(mix, n)
    rng = random.Random(seed)
    values = [seconds for _, seconds in mix]
    weights = [share for share, _ in mix]
    total = 0.0
    for _ in range(trials):
        free = [0.0] * slots
        for latency in rng.choices(values, weights, k=n):
            start = min(free)
            free[free.index(start)] = start + latency
        total += max(free)
    return total / trials


def gb_seconds(duration_seconds: float, memory_mb: int) -> float:
    """Lambda bills each invocation's duration rounded up to the millisecond, times its configured memory."""
    return math.ceil(duration_seconds * 1000) / 1000 * memory_mb / 1024

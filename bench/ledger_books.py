"""The latency ledger's books (`bench/ledger.py`): the balance that makes a run valid or void, the latencies of each
delivery from its four stamps, and the report and figures made of them (tested in tests/unit/test_ledger.py)."""

from __future__ import annotations

import math
import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HOOK_PATH = re.compile(r"/hook/(\d+)")
KEPT_UP_SECONDS = 5.0  # the stack "kept up" if every delivery arrived within this long after the last publish
LAG_HELD_MS = 50.0  # the publisher "kept the schedule" if its p99 lag behind t0 + i / rate is below this

Key = tuple[str, int]  # (event id, webhook number)


def percentiles(values: Iterable[float]) -> dict[str, float | None]:
    """p50, p95 and p99 by nearest rank (the smallest value with at least p % of the values at or below it)."""
    ordered = sorted(values)

    def rank(p: float) -> float | None:
        if not ordered:
            return None
        return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 1)

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99)}


def balance(
    published: Iterable[str],
    fanout: int,
    received: Iterable[Key],
    failed: Iterable[Key],
    publish_failed: int = 0,
) -> dict[str, Any]:
    """The books of one run. Every published event owes `fanout` deliveries; each is received (counted once,
    repeats are `duplicates`) or an accounted failure (its attempt failed and it never arrived), else `missing`.
    A delivery received that nobody published is `unexpected`. The run balances when nothing is missing or
    unexpected (and something was published); otherwise it is void."""
    events = set(published)
    expected = {(event, n) for event in events for n in range(fanout)}
    arrivals = Counter(received)
    got = set(arrivals) & expected
    accounted = (set(failed) & expected) - got
    missing = len(expected) - len(got) - len(accounted)
    unexpected = len(set(arrivals) - expected)
    books: dict[str, Any] = {
        "published": len(events),
        "publish_failed": publish_failed,
        "matching": fanout,
        "expected": len(expected),
        "received": len(got),
        "accounted_failures": len(accounted),
        "missing": missing,
        "duplicates": sum(count - 1 for count in arrivals.values()),
        "unexpected": unexpected,
    }
    reasons = []
    if not expected:
        reasons.append("nothing was published")
    if missing:
        reasons.append(f"{missing} deliveries neither received nor accounted failures")
    if unexpected:
        reasons.append(f"{unexpected} deliveries received that were not published")
    books["equation"] = (
        f"{len(events)} x {fanout} = {len(expected)} "
        f"{'=' if not missing else '!='} {len(got)} received + {len(accounted)} accounted failures"
    )
    books["balanced"] = not reasons
    books["void"] = "; ".join(reasons) or None
    return books


def delivery_latencies(
    published: dict[str, float], dispatched: dict[str, float], sent: dict[Key, float], first_bytes: dict[Key, float]
) -> dict[str, list[float]]:
    """Milliseconds per delivery received: overhead (dispatcher receive -> first byte), publish -> first byte,
    and the two parts of the overhead (dispatcher receive -> send, send -> first byte)."""
    found: dict[str, list[float]] = {
        "overhead": [],
        "publish_to_first_byte": [],
        "receive_to_send": [],
        "send_to_first_byte": [],
    }
    for (event, n), first in first_bytes.items():
        if event in dispatched:
            found["overhead"].append((first - dispatched[event]) * 1000)
            if (event, n) in sent:
                found["receive_to_send"].append((sent[(event, n)] - dispatched[event]) * 1000)
        if event in published:
            found["publish_to_first_byte"].append((first - published[event]) * 1000)
        if (event, n) in sent:
            found["send_to_first_byte"].append((first - sent[(event, n)]) * 1000)
    return found


def earliest(stamps: Iterable[tuple[Any, float]]) -> dict[Any, float]:
    """The first stamp of each key (a redelivered event or a repeated request keeps its first)."""
    first: dict[Any, float] = {}
    for key, at in stamps:
        if key not in first or at < first[key]:
            first[key] = at
    return first


def hook_number(url_or_path: str) -> int | None:
    match = HOOK_PATH.search(url_or_path)
    return int(match.group(1)) if match else None


def code_version() -> str:
    """The commit measured (and whether the product's code had uncommitted changes), or where it ran from."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "layers", "functions", "local", "template.yaml"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    except OSError:
        return str(ROOT)
    if head.returncode:
        return os.environ.get("CARRIER_LEDGER_CODE", str(ROOT))
    return head.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else "")


def report(
    records: list[dict[str, Any]],
    stamps: dict[str, Any],
    firsts: list[tuple[float, str, str]],
    fanout: int,
    rate: float,
    seconds: float,
    delay_ms: float,
    workers: int,
    publish_seconds: float,
    drained: float,
) -> dict[str, Any]:
    """The ledger of one run from its stamps."""
    mine = [r for r in records if r["ok"]]
    published = {r["id"]: r["start"] for r in mine}
    dispatched = earliest((event, at) for at, event in stamps["dispatcher_receive"])
    sent: dict[Key, float] = {}
    failed: list[Key] = []
    for at, _, event, url, status, error_kind in stamps["send"]:
        number = hook_number(url)
        if number is None:
            continue
        sent.setdefault((event, number), at)
        if error_kind or status is None or not 200 <= status < 300:
            failed.append((event, number))
    received: list[Key] = []
    stamped: list[tuple[Key, float]] = []
    for at, event, path in firsts:
        number = hook_number(path)
        if number is not None and event.startswith("evt_ledger"):
            received.append((event, number))
            stamped.append(((event, number), at))
    books = balance(published, fanout, received, failed, publish_failed=len(records) - len(mine))
    latencies = delivery_latencies(published, dispatched, sent, earliest(stamped))
    lags = [(r["start"] - r["due"]) * 1000 for r in records]
    lag = percentiles(lags)
    first_byte_by_publish = sorted(
        (published[event], (at - published[event]) * 1000)
        for (event, _), at in earliest(stamped).items()
        if event in published
    )
    tenth = max(1, len(first_byte_by_publish) // 10)
    return {
        "run": {
            "code": code_version(),
            "rate_per_s": rate,
            "seconds": seconds,
            "fanout": fanout,
            "receiver_delay_ms": delay_ms,
            "dispatcher_workers": workers,
            "transport": "PutEvents to the local bus (moto), EventBridge rule -> SQS -> local poller -> dispatcher",
            "drain_seconds": drained,
            "kept_up": drained <= KEPT_UP_SECONDS,
        },
        "ledger": books,
        "publisher": {
            "events_due": len(records),
            "achieved_rate_per_s": round(len(records) / publish_seconds, 1) if publish_seconds else None,
            "lag_ms": {**lag, "max": round(max(lags), 1) if lags else None},
            "open_loop_held": lag["p99"] is not None and lag["p99"] < LAG_HELD_MS,
        },
        "latency_ms": {name: percentiles(values) for name, values in latencies.items()},
        "samples": {name: len(values) for name, values in latencies.items()},
        "stack_aws_calls": aws_calls(stamps.get("aws_calls", {})),
        "publish_to_first_byte_p50_ms_first_vs_last_tenth": [
            percentiles(v for _, v in first_byte_by_publish[:tenth])["p50"],
            percentiles(v for _, v in first_byte_by_publish[-tenth:])["p50"],
        ],
    }


def aws_calls(calls: dict[str, dict[str, float]]) -> dict[str, Any]:
    """The stack's AWS calls to moto over the whole run (set-up and warm-up included), most time first."""
    ranked = sorted(calls.items(), key=lambda item: -item[1]["calls"] * item[1]["mean_ms"])
    return {"note": "every AWS call the stack process made to moto during the run", **dict(ranked[:12])}


def as_figures(result: dict[str, Any]) -> dict[str, Any]:
    books, settings = result["ledger"], result["run"]
    held = "held" if result["publisher"]["open_loop_held"] else "NOT held (publisher fell behind)"
    kept_up = "" if settings.get("kept_up", True) else ", the stack did NOT keep up (a backlog grew)"
    note = (
        f"{settings['rate_per_s']:g} events/s for {settings['seconds']:g} s open loop ({held}{kept_up}), fan-out "
        f"{settings['fanout']}, receivers at {settings['receiver_delay_ms']:g} ms, local moto stack on a shared "
        f"2-core machine, code {settings.get('code', '?')}; "
        + ("balanced: " + books["equation"] if books["balanced"] else "VOID: " + str(books["void"]))
    )

    def figure(name: str) -> dict[str, Any]:
        value = result["latency_ms"][name] if books["balanced"] else None
        return {"value": value, "target": "reported (no peer publishes one)", "met": None, "note": note}

    return {
        "latency_overhead_ms": figure("overhead"),
        "latency_publish_to_first_byte_ms": figure("publish_to_first_byte"),
        "ledger": books,
    }

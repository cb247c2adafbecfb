"""Dispatch benchmark (not part of `make test`): prints ratios measured side by side in one run.

1. dispatch_ratio: deliveries/s of Carrier's dispatch core (match, sign, encode, POST, record to an in-memory
   store) over a raw aiohttp POST loop to the same local receiver at the same concurrency (target >= 0.7).
2. fanout_ratio: time to the last delivery of one event to 1,000 webhooks on a receiver answering in 50 ms,
   over the ideal 50 ms x 1000 / concurrency (target <= 3).

    python bench/dispatch.py [--deliveries 4000] [--concurrency 50] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "carrier-bench")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CarrierBench")
logging.disable(logging.INFO)

import aiohttp  # noqa: E402

from carrier.dispatch import Dispatcher  # noqa: E402
from carrier.formats import Event  # noqa: E402
from carrier.settings import Settings  # noqa: E402
from carrier.transport import Transport  # noqa: E402
from carrier.vault import generate_secret  # noqa: E402
from tests.fakes import MemoryStore, MemoryVault, secret_document  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ReceiverProcess:
    def __init__(self, delay_ms: float = 0.0) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.receiver", "--port", str(self.port), "--delay-ms", str(delay_ms)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.proc.stdout.readline()  # "ready"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def webhooks(url: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "tenant_id": "bench",
            "id": f"wh_{i:026d}",
            "url": url,
            "events": ["model.*"],
            "status": "active",
            "filters": "{}",
            "payload_format": "standard",
            "signature": {"scheme": "standard-webhooks", "header": None},
            "secret_name": "bench",
        }
        for i in range(count)
    ]


def settings(concurrency: int) -> Settings:
    return Settings(
        table_name="bench",
        event_bus_name="bench",
        secret_prefix="bench/",
        allow_private_targets=True,
        http_timeout_seconds=30,
        max_concurrency=concurrency,
    )


def vault() -> MemoryVault:
    """Every bench webhook signs with one key (`secret_name` "bench"), read from memory, not Secrets Manager."""
    return MemoryVault({"bench": secret_document(generate_secret())})


def event(n: int) -> Event:
    data = {"model_id": f"mod_{n}", "metrics": {"map": 0.892, "precision": 0.917}, "project_id": "proj_1"}
    return Event(f"evt_{n}", "model.trained", "bench", "2026-01-01T00:00:00Z", data)


async def raw_loop(url: str, total: int, concurrency: int) -> float:
    body = json.dumps({"type": "model.trained", "timestamp": "2026-01-01T00:00:00Z", "data": event(0).data}).encode()
    limit = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def one() -> None:
            async with limit, session.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
                await r.read()

        await asyncio.gather(*(one() for _ in range(concurrency)))  # warm the connections
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(total)))
        return total / (time.perf_counter() - started)


async def carrier_core(url: str, total: int, concurrency: int, per_event: int) -> tuple[float, int]:
    store = MemoryStore(webhooks(url, per_event))
    transport = Transport(allow_private=True, timeout=30, concurrency=concurrency)
    dispatcher = Dispatcher(settings(concurrency), store, vault(), transport)
    await dispatcher.dispatch(event(-1))  # warm the connections
    events = total // per_event
    started = time.perf_counter()
    for batch in range(0, events, 10):  # SQS batches of 10 events, processed concurrently
        await asyncio.gather(*(dispatcher.dispatch(event(n)) for n in range(batch, min(batch + 10, events))))
    rate = events * per_event / (time.perf_counter() - started)
    await transport.close()
    return rate, store.attempts_recorded


async def fanout(url: str, webhook_count: int, concurrency: int) -> float:
    store = MemoryStore(webhooks(url, webhook_count))
    transport = Transport(allow_private=True, timeout=30, concurrency=concurrency)
    dispatcher = Dispatcher(settings(concurrency), store, vault(), transport)
    started = time.perf_counter()
    report = await dispatcher.dispatch(event(0))
    elapsed = time.perf_counter() - started
    assert report.outcomes["delivered"] == webhook_count, report.outcomes
    await transport.close()
    return elapsed


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--fanout", type=int, default=1000)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()

    fast = ReceiverProcess()
    try:
        raw = asyncio.run(raw_loop(fast.url, args.deliveries, args.concurrency))
        core, _attempts = asyncio.run(carrier_core(fast.url, args.deliveries, args.concurrency, per_event=100))
        raw_again = asyncio.run(raw_loop(fast.url, args.deliveries, args.concurrency))
    finally:
        fast.close()
    raw_rate = (raw + raw_again) / 2
    slow = ReceiverProcess(delay_ms=50)
    try:
        elapsed = asyncio.run(fanout(slow.url, args.fanout, args.concurrency))
    finally:
        slow.close()
    ideal = 0.05 * args.fanout / args.concurrency
    results = {
        "concurrency": args.concurrency,
        "raw_aiohttp_per_s": round(raw_rate, 1),
        "carrier_core_per_s": round(core, 1),
        "dispatch_ratio": round(core / raw_rate, 3),
        "fanout_webhooks": args.fanout,
        "fanout_seconds": round(elapsed, 3),
        "fanout_ideal_seconds": round(ideal, 3),
        "fanout_ratio": round(elapsed / ideal, 3),
    }
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key.ljust(width)}  {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()

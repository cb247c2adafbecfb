"""Dispatch benchmark (not part of `make test`): prints ratios measured side by side in one run.

1. dispatch_ratio: deliveries/s of Carrier's dispatch core (match, sign, encode, POST, record to an in-memory
   store) over a raw aiohttp POST loop to the same local receiver at the same concurrency (target >= 0.85, first
   step >= 0.7). Fair by construction: one receiver process (a bare asyncio server, `bench/receiver.py`, far
   cheaper per request than either client: its busy share is reported), the same concurrency, the same number of
   requests, the same bytes on the wire (the raw loop sends Carrier's body and header set, made once), both warm,
   runs alternated (raw, core / core, raw / ...) with a collection before each; the ratio is the median of the
   rounds' paired ratios. Beside it: the ratio of CPU time per delivery (steadier where other processes share the
   cores), and the core with Powertools writing its INFO "delivery attempt" line (to /dev/null), as deployed; the
   headline runs with INFO logs off in both (log volume is a deployment setting).
2. fanout_ratio: time to the last delivery of one event to 1,000 webhooks on a receiver answering in 50 ms,
   over the ideal 50 ms x 1000 / concurrency (target <= 3).

    python bench/dispatch.py [--deliveries 6000] [--concurrency 50] [--rounds 5] [--json out.json]

`figures()` returns both figures (value, target, met, note and the measurements behind them) for `bench/run.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "carrier-bench")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CarrierBench")
logging.disable(logging.INFO)

import aiohttp  # noqa: E402

from carrier.dispatch import Dispatcher  # noqa: E402
from carrier.formats import Event, encode  # noqa: E402
from carrier.settings import Settings  # noqa: E402
from carrier.signing import SignInput, base_headers, sign  # noqa: E402
from carrier.transport import Transport  # noqa: E402
from carrier.vault import generate_secret  # noqa: E402
from tests.fakes import MemoryStore, MemoryVault, secret_document  # noqa: E402

SECRET = generate_secret()  # the one signing key of every bench webhook (and of the raw loop's signature)
DISPATCH_TARGET = ">= 0.85 (first step >= 0.7)"


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

    def cpu_seconds(self) -> float | None:
        """CPU time the receiver has used so far (Linux /proc), or None where it cannot be read."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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
    return MemoryVault({"bench": secret_document(SECRET)})


def event(n: int) -> Event:
    data = {"model_id": f"mod_{n}", "metrics": {"map": 0.892, "precision": 0.917}, "project_id": "proj_1"}
    return Event(f"evt_{n}", "model.trained", "bench", "2026-01-01T00:00:00Z", data)


def wire_request() -> tuple[bytes, dict[str, str]]:
    """The body and headers of one of Carrier's requests (standard payload, standard-webhooks signature), made
    once: the raw loop sends the same bytes Carrier does, without doing any of Carrier's work per request."""
    sample = event(0)
    body = encode(sample, "standard")
    signature = sign(
        "standard-webhooks",
        SignInput(body, [SECRET], sample.id, "wh_" + "0" * 26, sample.id, int(time.time()), sample.timestamp, None),
    )
    return body, {**base_headers(), **signature}


async def raw_loop(url: str, total: int, concurrency: int) -> float:
    body, headers = wire_request()
    limit = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def one() -> None:
            async with limit, session.post(url, data=body, headers=headers) as r:
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


@dataclass
class Run:
    rate: float  # requests per second of wall time, as the run timed them
    cpu_us: float  # this process's CPU time per request (the warm-up's few requests counted in)
    receiver_busy: float | None  # the receiver's CPU time over the run's wall time (1.0: it was the bottleneck)


def _measured(receiver: ReceiverProcess, run: Callable[[], float], requests: int) -> Run:
    """One run, after a collection: its rate, its CPU time per request and how busy the receiver was."""
    gc.collect()
    receiver_before, cpu_before, started = receiver.cpu_seconds(), time.process_time(), time.perf_counter()
    rate = run()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    receiver_after = receiver.cpu_seconds()
    busy = None
    if receiver_before is not None and receiver_after is not None:
        busy = (receiver_after - receiver_before) / wall
    return Run(rate, cpu / requests * 1e6, busy)


def with_info_logs(run: Callable[[], float]) -> float:
    """Run `run()` with INFO logs on, as deployed (POWERTOOLS_LOG_LEVEL=INFO), written to /dev/null."""
    from carrier.observability import logger

    handler = logger.registered_handler
    if not isinstance(handler, logging.StreamHandler):
        raise TypeError(f"Powertools writes its logs through {type(handler).__name__}, not a stream")
    with open(os.devnull, "w") as sink:
        stream = handler.setStream(sink)
        logging.disable(logging.NOTSET)
        try:
            return run()
        finally:
            logging.disable(logging.INFO)
            handler.setStream(stream)


def figures(
    deliveries: int = 6000, concurrency: int = 50, rounds: int = 5, per_event: int = 100, fanout_webhooks: int = 1000
) -> dict[str, Any]:
    """dispatch_ratio, measured side by side: `rounds` alternated pairs of runs (raw then core, core then raw, ...)
    of `deliveries` requests each, to one receiver, both warm; the value is the median of the pairs' ratios of
    deliveries per second. Beside it: the same ratio of CPU time per delivery (steadier on a shared machine, where
    another process's load moves both rates; on an idle one the two agree while the receiver is not the
    bottleneck), and the core with INFO logs on, as deployed. Then fanout_ratio."""
    return {
        **dispatch_figure(deliveries, concurrency, rounds, per_event),
        **fanout_figure(fanout_webhooks, concurrency),
    }


def fanout_figure(webhook_count: int, concurrency: int) -> dict[str, Any]:
    slow = ReceiverProcess(delay_ms=50)
    try:
        elapsed = asyncio.run(fanout(slow.url, webhook_count, concurrency))
    finally:
        slow.close()
    ideal = 0.05 * webhook_count / concurrency
    ratio = elapsed / ideal
    return {
        "fanout_ratio": {
            "value": round(ratio, 3),
            "target": "<= 3",
            "met": ratio <= 3,
            "note": f"one event to {webhook_count} webhooks answering in 50 ms: {elapsed:.3f} s, ideal {ideal:.3f} s",
        }
    }


def dispatch_figure(deliveries: int, concurrency: int, rounds: int, per_event: int) -> dict[str, Any]:
    receiver = ReceiverProcess()
    try:

        def raw() -> float:
            return asyncio.run(raw_loop(receiver.url, deliveries, concurrency))

        def core() -> float:
            return asyncio.run(carrier_core(receiver.url, deliveries, concurrency, per_event))[0]

        def logged() -> float:
            return with_info_logs(core)

        sent = {raw: deliveries + concurrency, core: deliveries + per_event, logged: deliveries + per_event}
        raw(), core()  # both warm: imports, code paths, the profile, the receiver's own
        pairs: list[tuple[Run, Run]] = []
        for round_ in range(rounds):
            order = (raw, core) if round_ % 2 == 0 else (core, raw)
            measured = {fn: _measured(receiver, fn, sent[fn]) for fn in order}
            pairs.append((measured[raw], measured[core]))
        raw_beside = _measured(receiver, raw, sent[raw])
        with_logs = _measured(receiver, logged, sent[logged])
    finally:
        receiver.close()
    ratio = statistics.median(c.rate / r.rate for r, c in pairs)
    cpu_ratio = statistics.median(r.cpu_us / c.cpu_us for r, c in pairs)
    rates = {
        "carrier_core": round(statistics.median(c.rate for _, c in pairs)),
        "raw_aiohttp": round(statistics.median(r.rate for r, _ in pairs)),
    }
    logs_ratio = with_logs.rate / raw_beside.rate
    busy = [run.receiver_busy for pair in pairs for run in pair if run.receiver_busy is not None]
    return {
        "dispatch_ratio": {
            "value": round(ratio, 3),
            "target": DISPATCH_TARGET,
            "met": ratio >= 0.85,
            "first_step_met": ratio >= 0.7,
            "note": (
                f"Carrier {rates['carrier_core']}/s, raw aiohttp {rates['raw_aiohttp']}/s (median of {rounds} "
                f"alternated pairs); CPU-time ratio {cpu_ratio:.3f}; with INFO logs {logs_ratio:.3f}"
            ),
            "rates_per_s": rates,
            "cpu_us_per_delivery": {
                "carrier_core": round(statistics.median(c.cpu_us for _, c in pairs), 1),
                "raw_aiohttp": round(statistics.median(r.cpu_us for r, _ in pairs), 1),
            },
            "cpu_ratio": round(cpu_ratio, 3),
            "with_info_logs": {
                "ratio": round(logs_ratio, 3),
                "cpu_ratio": round(raw_beside.cpu_us / with_logs.cpu_us, 3),
                "rates_per_s": {"carrier_core": round(with_logs.rate), "raw_aiohttp": round(raw_beside.rate)},
            },
            "rounds": [{"raw_aiohttp": round(r.rate), "carrier_core": round(c.rate)} for r, c in pairs],
            "receiver_busy_max": round(max(busy), 2) if busy else None,
            "deliveries_per_run": deliveries,
            "concurrency": concurrency,
        }
    }


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--fanout", type=int, default=1000)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()

    found = figures(args.deliveries, args.concurrency, args.rounds, fanout_webhooks=args.fanout)
    dispatch, spread = found["dispatch_ratio"], found["fanout_ratio"]
    results = {
        "concurrency": args.concurrency,
        "raw_aiohttp_per_s": dispatch["rates_per_s"]["raw_aiohttp"],
        "carrier_core_per_s": dispatch["rates_per_s"]["carrier_core"],
        "dispatch_ratio": dispatch["value"],
        "dispatch_cpu_ratio": dispatch["cpu_ratio"],
        "dispatch_ratio_with_info_logs": dispatch["with_info_logs"]["ratio"],
        "receiver_busy_max": dispatch["receiver_busy_max"],
        "fanout_webhooks": args.fanout,
        "fanout_ratio": spread["value"],
        "fanout": spread["note"],
    }
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key.ljust(width)}  {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()

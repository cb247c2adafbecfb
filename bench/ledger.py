"""The latency ledger (issue 19, item 9): an open-loop load run on the local stack, every delivery stamped.

Three processes besides this one: the local stack (`python -m carrier_local`, started through this file so that
two stamps can be taken inside it without touching product code), a receiver (aiohttp, answers after
`--delay-ms`), and this process, which publishes and keeps the books. Four stamps per delivery, all `time.time()`
on one machine:

- publish: here, when PutEvents for the event starts (and when it was due: t0 + i / rate, whatever the answers);
- dispatcher receive: in the stack, when the SQS poller hands the batch holding the event to the dispatcher
  (a wrapper around `carrier_local.poller.SqsPoller._handle`: the moment Lambda would invoke the function);
- send: in the stack, when the dispatcher calls `carrier.transport.Transport.post` for the delivery (a wrapper);
- first byte: in the receiver, when its handler is entered (request line and headers read), keyed by the
  `webhook-id` header (the event id) and the webhook's path (`/hook/<n>`).

The books: published x matching = received + accounted failures (first attempts the transport saw fail and the
receiver never got), with nothing received that was not published; otherwise the run is void and says by how much.
Reported: p50/p95/p99 of Carrier's overhead (dispatcher receive -> first byte) and of publish -> first byte.

    python bench/ledger.py [--rate 10 --seconds 60 --fanout 5 --delay-ms 50 --workers 1]

prints the ledger and writes bench/ledger.json; `figures()` runs the same with the defaults (for `make bench`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/ledger.py`
    sys.path.insert(0, str(ROOT))

from bench.ledger_books import (  # noqa: E402
    as_figures,
    report,
)

LEDGER_JSON = ROOT / "bench" / "ledger.json"

RATE = 10.0  # events/s: the highest the moto-backed local stack kept up with on 2 shared cores (docs/scaling.md)
SECONDS = 60.0
FANOUT = 5
DELAY_MS = 50.0
# One dispatcher invocation at a time, as one Lambda container runs them (a run at 20 events/s with 2 workers once
# lost a batch and sent another twice: the handler's batch processor was shared then; it is per invocation since)
WORKERS = 1
EVENT_TYPE = "model.trained"


# ---- the receiver process -----------------------------------------------------------------------------------


def serve_receiver(port: int, delay_ms: float) -> None:
    """Stamp each request's first byte, answer 200 after `delay_ms`; GET /stamps answers the stamps so far."""
    import asyncio

    from aiohttp import web

    stamps: list[tuple[float, str, str]] = []

    async def hook(request: web.Request) -> web.Response:
        at = time.time()
        stamps.append((at, request.headers.get("webhook-id", ""), request.path))
        await request.read()
        await asyncio.sleep(delay_ms / 1000)
        return web.Response(text='{"ok":true}', content_type="application/json")

    async def dump(request: web.Request) -> web.Response:
        return web.json_response({"count": len(stamps), "stamps": stamps if "all" in request.query else []})

    app = web.Application()
    app.router.add_get("/stamps", dump)
    app.router.add_post("/{tail:.*}", hook)
    web.run_app(app, host="127.0.0.1", port=port, print=lambda *a: print("ready", flush=True), access_log=None)


# ---- the stack process ----------------------------------------------------------------------------------------


def serve_stack(stamps_file: Path, argv: Sequence[str]) -> int:
    """`python -m carrier_local argv`, with the dispatcher-receive and send stamps taken by wrappers installed in
    this process only; the stamps are written to `stamps_file` when the stack stops (SIGTERM)."""
    sys.path[:0] = [str(ROOT / "local"), str(ROOT / "layers" / "core")]
    from botocore.client import BaseClient

    from carrier.transport import HttpResult, Transport
    from carrier_local.__main__ import main
    from carrier_local.poller import SqsPoller

    received: list[tuple[float, str]] = []
    sent: list[tuple[float, float, str, str, int | None, str | None]] = []
    calls: dict[str, list[float]] = {}  # "service.Operation" -> [count, seconds]: every AWS call of the stack (moto)
    handle, post, call = SqsPoller._handle, Transport.post, getattr(BaseClient, "_make_api_call")  # noqa: B009

    def stamped_handle(self: SqsPoller, messages: list[dict[str, Any]]) -> None:
        at = time.time()
        received.extend((at, message.get("Body", "")) for message in messages)
        handle(self, messages)

    async def stamped_post(self: Transport, url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
        at = time.time()
        result = await post(self, url, body, headers)
        sent.append((at, time.time(), headers.get("webhook-id", ""), url, result.status, result.error_kind))
        return result

    def timed_call(self: BaseClient, operation: str, parameters: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return call(self, operation, parameters)
        finally:
            spent = calls.setdefault(f"{self.meta.service_model.service_name}.{operation}", [0, 0.0])
            spent[0] += 1
            spent[1] += time.perf_counter() - started

    setattr(BaseClient, "_make_api_call", timed_call)  # noqa: B010 (botocore's one door for every call)
    SqsPoller._handle = stamped_handle  # type: ignore[method-assign]
    Transport.post = stamped_post  # type: ignore[method-assign]
    try:
        return main(list(argv))
    finally:
        events = []
        for at, body in received:
            try:
                events.append((at, str(json.loads(body)["detail"]["id"])))
            except (ValueError, KeyError, TypeError):
                continue  # not a bench event
        aws = {name: {"calls": int(n), "mean_ms": round(seconds / n * 1000, 2)} for name, (n, seconds) in calls.items()}
        stamps_file.write_text(json.dumps({"dispatcher_receive": events, "send": sent, "aws_calls": aws}))


# ---- the run ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_line(process: subprocess.Popen[str], log: Path | None, line: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} ended: {log.read_text()[-2000:] if log else ''}")
        if log is not None and line in log.read_text(errors="replace"):
            return
        if log is None and process.stdout is not None and line in process.stdout.readline():
            return
        time.sleep(0.1)
    raise TimeoutError(f"no {line!r} within {timeout:g} s")


class Publisher:
    """Open loop: event i is put on the bus at t0 + i / rate by a pool of threads, whatever the answers; each
    publish records when it was due, when it started and whether the bus took it."""

    def __init__(self, endpoint: str, bus: str, tenant: str, threads: int = 64) -> None:
        import boto3
        from botocore.config import Config

        self.events = boto3.client(
            "events",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # moto's dummy credentials
            config=Config(max_pool_connections=threads, retries={"max_attempts": 1}),
        )
        self.bus, self.tenant = bus, tenant
        self.pool = ThreadPoolExecutor(threads)
        self.records: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def put(self, event_id: str, due: float) -> None:
        started = time.time()
        detail = {"tenant_id": self.tenant, "id": event_id, "data": {"model_id": "mod_1", "project_id": "proj_1"}}
        try:
            answer = self.events.put_events(
                Entries=[
                    {
                        "Source": "platform.bench",
                        "DetailType": EVENT_TYPE,
                        "Detail": json.dumps(detail),
                        "EventBusName": self.bus,
                    }
                ]
            )
            ok = not answer.get("FailedEntryCount")
        except Exception:  # a publish that failed is counted as such, not retried
            ok = False
        with self.lock:
            self.records.append({"id": event_id, "due": due, "start": started, "end": time.time(), "ok": ok})

    def run(self, prefix: str, rate: float, seconds: float) -> None:
        total = int(rate * seconds)
        t0 = time.time() + 0.2
        for i in range(total):
            due = t0 + i / rate
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            self.pool.submit(self.put, f"{prefix}{i:07d}", due)
        self.pool.shutdown(wait=True)


def run(
    rate: float = RATE,
    seconds: float = SECONDS,
    fanout: int = FANOUT,
    delay_ms: float = DELAY_MS,
    workers: int = WORKERS,
    drain_seconds: float = 120.0,
) -> dict[str, Any]:
    """One load run on a fresh local stack; the ledger and the latencies (see the module docstring)."""
    import requests

    folder = Path(tempfile.mkdtemp(prefix="carrier-ledger-"))
    receiver_port, api_port = free_port(), free_port()
    receiver = subprocess.Popen(
        [sys.executable, __file__, "_receiver", str(receiver_port), str(delay_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    stamps_file, log = folder / "stamps.json", folder / "stack.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CARRIER_", "PROFILE"))}
    env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, __file__, "_stack", str(stamps_file), "--port", str(api_port)]
    command += ["--state-file", str(folder / "local.json"), "--poller-workers", str(workers)]
    # the webhook list kept as on AWS (the local stack's own default reads it per event, for developers)
    command += ["-p", "HttpTimeoutSeconds=10", "-p", "WebhookCacheSeconds=5", "--log-level", "WARNING"]
    with log.open("w") as out:
        stack = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_line(receiver, None, "ready", 30)
        wait_for_line(stack, log, "Carrier local stack ready", 120)
        state = json.loads((folder / "local.json").read_text())
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {state['api_key']}"
        for n in range(fanout):
            hook = {"url": f"http://127.0.0.1:{receiver_port}/hook/{n}", "events": [EVENT_TYPE]}
            answer = api.post(f"{state['api_url']}/v1/webhooks", json=hook, timeout=60)
            answer.raise_for_status()
        stamps_url = f"http://127.0.0.1:{receiver_port}/stamps"

        def arrived() -> int:
            return int(requests.get(stamps_url, timeout=30).json()["count"])

        publisher = Publisher(state["aws_endpoint_url"], state["event_bus_name"], state["tenant_id"])
        publisher.run("evt_warm", 2, 2)  # warm containers and connections: not in the books
        settle(arrived, 4 * fanout, 60)
        warm = arrived()
        publisher = Publisher(state["aws_endpoint_url"], state["event_bus_name"], state["tenant_id"])
        started = time.time()
        publisher.run("evt_ledger", rate, seconds)
        publish_seconds = time.time() - started
        ok = sum(1 for r in publisher.records if r["ok"])
        drained = settle(arrived, warm + ok * fanout, drain_seconds)
        firsts = [
            (at, event, path) for at, event, path in requests.get(stamps_url + "?all", timeout=60).json()["stamps"]
        ]
    finally:
        stack.send_signal(signal.SIGTERM)
        try:
            stack.wait(timeout=90)
        except subprocess.TimeoutExpired:
            stack.kill()
        receiver.terminate()
        receiver.wait(timeout=30)
    stamps = json.loads(stamps_file.read_text()) if stamps_file.exists() else {"dispatcher_receive": [], "send": []}
    return report(publisher.records, stamps, firsts, fanout, rate, seconds, delay_ms, workers, publish_seconds, drained)


def settle(count: Any, target: int, timeout: float) -> float:
    """Wait until `count()` reaches `target`, or stops moving for 20 s, or `timeout`; returns the seconds waited."""
    started = last_move = time.monotonic()
    seen = -1
    while time.monotonic() - started < timeout:
        now = count()
        if now >= target:
            break
        if now != seen:
            seen, last_move = now, time.monotonic()
        elif time.monotonic() - last_move > 20:
            break
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)


def figures(
    rate: float = RATE, seconds: float = SECONDS, fanout: int = FANOUT, workers: int = WORKERS
) -> dict[str, Any]:
    """One run, written to bench/ledger.json, as `make bench` figures (a void run reports no latencies)."""
    result = run(rate=rate, seconds=seconds, fanout=fanout, workers=workers)
    LEDGER_JSON.write_text(json.dumps(result, indent=2) + "\n")
    return as_figures(result)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_receiver"]:
        serve_receiver(int(argv[1]), float(argv[2]))
        return 0
    if argv[:1] == ["_stack"]:
        return serve_stack(Path(argv[1]), argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=RATE, help=f"events per second (default {RATE:g})")
    parser.add_argument("--seconds", type=float, default=SECONDS, help=f"publishing time (default {SECONDS:g})")
    parser.add_argument("--fanout", type=int, default=FANOUT, help=f"webhooks matching each event (default {FANOUT})")
    parser.add_argument("--delay-ms", type=float, default=DELAY_MS, help=f"receiver answer time (default {DELAY_MS:g})")
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help=f"dispatcher invocations at once (default {WORKERS})"
    )
    parser.add_argument("--output", type=Path, default=LEDGER_JSON, help="where the ledger goes (bench/ledger.json)")
    args = parser.parse_args(argv)
    result = run(args.rate, args.seconds, args.fanout, args.delay_ms, args.workers)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if result["ledger"]["balanced"] else 1


if __name__ == "__main__":
    sys.exit(main())

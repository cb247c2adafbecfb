"""Issue 19 item 3: an event matching more webhooks than one invocation can surely send is split into chunks on the
dispatch queue (`carrier.fanout`), each its own invocation: one event to 10,000 webhooks on a receiver answering
in 200 ms completes with every delivery owned, and a receiver that hangs in one chunk holds only that chunk."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import aiohttp
import pytest

from carrier import ingest
from carrier.claims import delivery_id_of
from carrier.dispatch import Dispatcher
from carrier.fanout import chunk_size
from carrier.formats import Event
from carrier.records import DeliveryStatus, event_from_record
from carrier.settings import Settings
from carrier.targets import DispatchReport
from carrier.transport import Transport
from tests.fakes import FakeClock, MemoryStore, MemoryVault, RecordingScheduler, secret_document

TENANT = "t1"
WEBHOOKS = 10_000
HUNG = 5  # webhooks whose receiver never answers inside the send timeout
AT_ONCE = 8  # dispatcher invocations running at once (the function's concurrency)


class Queue:
    """The dispatch queue: what the splitting invocation sends (each message is then one invocation)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def send(self, messages: Sequence[str]) -> None:
        self.messages += messages


RECEIVER = """
import asyncio, collections, sys
from aiohttp import web
seen = collections.Counter()
async def hook(request):
    await request.read()
    seen[request.match_info["webhook"]] += 1
    await asyncio.sleep(30 if request.match_info["kind"] == "hang" else 0.2)  # the receiver's own latency
    return web.json_response({"ok": True})
async def counts(request):
    return web.json_response(seen)
app = web.Application()
app.router.add_post("/{kind}/{webhook}", hook)
app.router.add_get("/counts", counts)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=lambda *a: print("ready", flush=True), backlog=2048)
"""


@pytest.fixture
def receiver() -> Iterator[str]:
    """A real HTTP receiver in its own process: 200 after 200 ms, except under /hang (long after the send timeout);
    GET /counts answers how many requests each webhook got."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait()


async def counts(base: str) -> Counter[str]:
    async with aiohttp.ClientSession() as session, session.get(f"{base}/counts") as answer:
        return Counter(await answer.json())


def webhook(base: str, n: int) -> dict[str, Any]:
    webhook_id = f"wh_{n:026d}"
    kind = "hang" if n < HUNG else "ok"
    return {
        "tenant_id": TENANT,
        "id": webhook_id,
        "url": f"{base}/{kind}/{webhook_id}",
        "events": ["model.*"],
        "secret_name": "shared",
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
    }


async def test_one_event_to_10000_webhooks_completes_in_chunks_with_every_delivery_owned(
    receiver: str,
) -> None:
    # Given 10,000 webhooks (5 of them on a receiver that hangs), a send timeout of 5 s, 50 sends at a time, and
    # invocations of 120 s: one invocation surely sends 50 x (110 // 15) = 350
    base = receiver
    store = MemoryStore(webhook(base, n) for n in range(WEBHOOKS))
    vault = MemoryVault({"shared": secret_document("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")})
    settings = Settings(
        table_name="t",
        event_bus_name="b",
        secret_prefix="s/",
        allow_private_targets=True,
        allow_http_targets=True,
        http_timeout_seconds=5,
        max_concurrency=50,
    )
    assert chunk_size(settings, 120) == 350
    clock, scheduler, queue = FakeClock(), RecordingScheduler(), Queue()
    running = asyncio.Semaphore(AT_ONCE)

    async def invocation(event: Event, message: str | None) -> DispatchReport:
        async with running:
            return await invoke(event, message)

    async def invoke(event: Event, message: str | None) -> DispatchReport:
        """One dispatcher invocation, its own transport (its own container), 120 s to run."""
        transport = Transport(allow_private=True, timeout=settings.http_timeout_seconds, concurrency=50)
        dispatcher = Dispatcher(settings, store, vault, transport, scheduler, clock, chunks=queue)
        chunk = None
        if message is not None:
            event, chunk = ingest.read_message(json.loads(message))
        try:
            return await dispatcher.dispatch(event, budget=lambda: 120.0, chunk=chunk)
        finally:
            await transport.close()

    published = Event("evt_big", "model.trained", TENANT, "2026-01-01T00:00:00Z", {"model_id": "mod_1"})
    # When the event is dispatched: its first invocation splits it and sends chunk 0; the queue's other chunk
    # messages are invocations of their own, all running at once
    first = await invocation(published, None)
    assert len(queue.messages) == 28  # ceil(10,000 / 350) = 29 chunks
    reports = [first, *await asyncio.gather(*(invocation(published, m) for m in queue.messages))]
    # Then every webhook got exactly one request, and each delivery is owned: delivered, or (the hung ones) handed
    # to the ladder with its row `retrying`
    seen = await counts(base)
    assert len(seen) == WEBHOOKS and set(seen.values()) == {1}
    rows = {row["webhook_id"]: row for row in store.deliveries.values()}
    assert len(rows) == WEBHOOKS
    stored = event_from_record(store.events[(TENANT, "evt_big")])  # type: ignore[arg-type]
    assert all(row["delivery_id"] == delivery_id_of(stored, webhook_id) for webhook_id, row in rows.items())
    statuses = Counter(row["status"] for row in rows.values())
    assert statuses == {DeliveryStatus.delivered: WEBHOOKS - HUNG, DeliveryStatus.retrying: HUNG}
    assert sorted(h.webhook_id or "" for h in scheduler.handoffs) == sorted(f"wh_{n:026d}" for n in range(HUNG))
    # And each chunk was its own invocation's: the chunks' matches add up to the fan-out, none much over a chunk
    assert sum(r.matched for r in reports) == WEBHOOKS and max(r.matched for r in reports) <= 1.25 * 350
    # And a copy of a chunk's message arriving later sends nothing again
    again = await invocation(published, queue.messages[3])
    assert again.outcomes == {} and again.duplicates + again.rescheduled == again.matched > 0
    assert await counts(base) == seen

"""Chaos: a receiver answering at random 200 / 500 / timeout / reset / 429+Retry-After / 410 across 2,000+
deliveries on a scaled ladder. Afterwards every (event, webhook) pair is delivered, exhausted or failed
(410 and its disabled webhook) or skipped (published after its webhook was disabled): none lost, none stuck.
"""

from __future__ import annotations

import os
import random
import socket
import threading
from collections import Counter
from functools import partial

from tests.receiver import Answer, Receiver
from tests.stack import Stack, Tenant

WEBHOOKS, EVENTS = int(os.environ.get("CHAOS_WEBHOOKS", 40)), int(os.environ.get("CHAOS_EVENTS", 50))
TERMINAL = {"delivered", "exhausted", "failed", "skipped"}


class Chaos:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.received: Counter[tuple[str, str]] = Counter()
        self.accepted: Counter[tuple[str, str]] = (
            Counter()
        )  # 2xx answers per (webhook path, event): more than one is a duplicate

    def __call__(self, request) -> Answer:
        with self.lock:
            self.received[(request.path, request.headers.get("webhook-id", "?"))] += 1
            roll = self.random.random()
        if request.path.endswith("/gone") and roll < 0.5:
            return Answer(410)
        if roll < 0.70:
            with self.lock:
                self.accepted[(request.path, request.headers.get("webhook-id", "?"))] += 1
            return Answer(200)
        if roll < 0.82:
            return Answer(500, b"boom")
        if roll < 0.88:
            return Answer(429, headers={"Retry-After": "1"})
        if roll < 0.94:
            return Answer(200, delay=3)  # after the 2 s attempt timeout: Carrier saw a timeout, retries
        return Answer(503)


def test_chaos_accounting_closes(stack: Stack, tenant: Tenant) -> None:
    chaos = Chaos(seed=7)
    with Receiver(chaos) as receiver:
        # a reset listener: one extra webhook whose every connection is reset
        reset = socket.socket()
        reset.bind(("127.0.0.1", 0))
        reset.listen(64)

        def reset_all() -> None:
            while True:
                try:
                    conn, _ = reset.accept()
                except OSError:
                    return
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()

        threading.Thread(target=reset_all, daemon=True).start()
        reset_url = f"http://127.0.0.1:{reset.getsockname()[1]}/reset"

        hooks = [
            tenant.create(f"{receiver.url}/{n}" + ("/gone" if n % 10 == 0 else ""), events=["batch.*"])
            for n in range(WEBHOOKS - 1)
        ]
        hooks.append(tenant.create(reset_url, events=["batch.*"]))
        published = [tenant.publish("batch.progress", {"n": n})["id"] for n in range(EVENTS)]

        def settled(hook_id: str) -> list[dict] | None:
            """Every event has a delivery (a `skipped` one if it met the webhook disabled), each terminal.
            Once true it stays true, so webhooks are checked one after the other (moto's queries are slow)."""
            ds = tenant.deliveries(hook_id)
            if len(ds) < EVENTS or any(d["status"] not in TERMINAL for d in ds):
                return None
            return ds

        found = {
            h["id"]: stack.wait_for(partial(settled, h["id"]), timeout=600, what=f"{h['url']} to settle", interval=1.0)
            for h in hooks
        }
        reset.close()

    statuses = Counter(d["status"] for ds in found.values() for d in ds)
    delivered_pairs = sum(len(ds) for ds in found.values())
    skipped = statuses["skipped"]  # events that met an already-disabled webhook: in the log, not lost
    gone_hooks = [h for h in hooks if h["url"].endswith("/gone")]
    normal = [h for h in hooks if not h["url"].endswith(("/gone", "/reset"))]
    retried = sum(count - 1 for count in chaos.received.values() if count > 1)
    duplicates = sum(count - 1 for count in chaos.accepted.values() if count > 1)
    print(
        f"\nchaos: {WEBHOOKS * EVENTS} pairs, {dict(statuses)}, skipped {skipped}, "
        f"{sum(chaos.received.values())} requests ({retried} of them retries), "
        f"{duplicates} duplicates (a pair acknowledged with an immediate 2xx twice)"
    )
    # the ledger: every pair has exactly one delivery, each terminal
    assert delivered_pairs == WEBHOOKS * EVENTS
    assert statuses["delivered"] + statuses["exhausted"] + statuses["failed"] + skipped == WEBHOOKS * EVENTS
    for hook in normal:  # a webhook that stayed enabled has every event, each terminal
        if tenant.api("GET", f"/v1/webhooks/{hook['id']}")[1]["status"] == "active":
            assert {d["event_id"] for d in found[hook["id"]]} == set(published)
    assert duplicates == 0  # a 2xx Carrier saw is never sent again (late answers after a timeout aside)
    assert statuses["delivered"] > 0 and gone_hooks

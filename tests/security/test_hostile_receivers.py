"""Hostile receivers: each is bounded in time (the transport's one total timeout) and memory (the 64 KB body cap,
aiohttp's header limits), recorded as a failed attempt with a clear error, and the delivery is not lost (it goes
to the retry ladder). Raw socket servers play the receivers; tests/receiver.py's Receiver is too well behaved.

The transport timeout is 1 s here. Time is never asserted except one generous guard against a hang.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import re
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from carrier import runtime
from carrier.dispatch import RESPONSE_EXCERPT
from carrier.transport import MAX_BODY, HttpResult, Transport
from tests.fakes import RecordingScheduler
from tests.pipeline import bus_event, dispatch
from tests.security.mocked import moto_env
from tests.security.rawserver import Handler, RawServer, answer, read_request
from tests.support import call_api

TIMEOUT = 1.0
HANG_GUARD = 8.0  # seconds: only a guard against a hang, far above the 1 s timeout
MEMORY_GUARD = 8 * 1024 * 1024  # bytes allocated at peak while talking to one receiver


# ---- receiver behaviours --------------------------------------------------------------------------------------


def hang(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    stop.wait(10)


def never_read(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(10)


def trickle(prefix: bytes, slow: bytes = b"") -> Handler:
    """Send `prefix`, then `slow` one byte every 0.2 s, then more filler bytes for as long as the sender listens."""

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        conn.sendall(prefix)
        for byte in itertools.chain(slow, itertools.repeat(ord("a"))):
            if stop.wait(0.2):
                return
            conn.sendall(bytes([byte]))

    return handle


def endless(head: bytes, chunk: bytes) -> Handler:
    """Send `head`, then `chunk` as fast as the sender reads, forever."""

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        conn.sendall(head)
        while not stop.is_set():
            conn.sendall(chunk)

    return handle


def bare_close(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)


def close_at_once(conn: socket.socket, stop: threading.Event) -> None:
    return None


def reset(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def endless_interim(conn: socket.socket, stop: threading.Event) -> None:
    read_request(conn)
    while not stop.wait(0.05):
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")


KB = 1024
BOMB = gzip.compress(b"\0" * (20 * 1024 * KB))  # 20 MB of zeros in about 20 KB
CHUNK = b"%x\r\n%s\r\n" % (16 * KB, b"x" * 16 * KB)
REDIRECT = "HTTP/1.1 {status} Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@dataclass(frozen=True)
class Hostile:
    id: str
    behaviour: str  # for the README table
    handler: Handler | None  # None: a redirect, built with the private listener's port
    error: str  # a regex the recorded error must match
    outcome: str = "retry"
    status: int | None = None
    redirect: tuple[int, str] | None = None  # (status, location)


def hostile(id: str, behaviour: str, handler: Handler | None, error: str, **kw: Any) -> Any:
    return pytest.param(Hostile(id, behaviour, handler, error, **kw), id=id)


HOSTILE = [
    hostile("hang", "accepts, reads the request, never answers", hang, r"no complete answer within 1 s"),
    hostile("never-read", "accepts, never reads or answers", never_read, r"no complete answer within 1 s"),
    hostile(
        "trickle-status",
        "status line one byte per 0.2 s",
        trickle(b"", b"HTTP/1.1 200 OK\r\n"),
        r"no complete answer within 1 s",
    ),
    hostile(
        "trickle-headers",
        "headers one byte per 0.2 s",
        trickle(b"HTTP/1.1 200 OK\r\nX-Slow: "),
        r"no complete answer within 1 s",
    ),
    hostile(
        "trickle-body",
        "200, then the body one byte per 0.2 s",
        trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"),
        r"no complete answer within 1 s",
        status=200,
    ),
    hostile(
        "endless-chunked-500",
        "500 with an endless chunked body",
        endless(b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n", CHUNK),
        r"^Internal Server Error$",
        status=500,
    ),
    hostile(
        "endless-raw-503",
        "503, no length, body until close (never closes)",
        endless(b"HTTP/1.1 503 Busy\r\nConnection: close\r\n\r\n", b"y" * 16 * KB),
        r"^Service Unavailable$",
        status=503,
    ),
    hostile(
        "endless-200",
        "200 with an endless body: delivered, body cut at the cap",
        endless(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", b"z" * 16 * KB),
        r"^OK$",
        outcome="delivered",
        status=200,
    ),
    hostile(
        "gzip-bomb",
        "500 with a gzip bomb body (20 MB inflated)",
        answer(b"HTTP/1.1 500 Oops\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (len(BOMB), BOMB)),
        r"^Internal Server Error$",
        status=500,
    ),
    hostile(
        "huge-header",
        "one 100 KB header",
        answer(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 100 * KB + b"\r\nContent-Length: 0\r\n\r\n"),
        r"invalid HTTP response: .*(too long|Got more than)",
    ),
    hostile(
        "many-headers",
        "10,000 small headers",
        answer(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(10_000)) + b"\r\n"),
        r"invalid HTTP response: .*(Too many headers|too long|header)",
    ),
    hostile(
        "endless-headers",
        "headers that never end",
        endless(b"HTTP/1.1 200 OK\r\n", b"X-More: yes\r\n"),
        r"invalid HTTP response: .*(Too many headers|too long|header)",
    ),
    hostile(
        "huge-status-line",
        "a 100 KB status line",
        answer(b"HTTP/1.1 200 " + b"A" * 100 * KB + b"\r\nContent-Length: 0\r\n\r\n"),
        r"invalid HTTP response: .*(too long|Got more than)",
    ),
    hostile(
        "endless-100-continue",
        "interim 100 Continue forever",
        endless_interim,
        r"no complete answer within 1 s",
    ),
    hostile(
        "garbage",
        "binary garbage instead of HTTP",
        answer(bytes(range(256)) * 4),
        r"invalid HTTP response: .*(Invalid method|Bad status line|Expected HTTP|Invalid)",
    ),
    hostile(
        "http-0.9",
        "HTTP/0.9 style: a body, no status line",
        answer(b"<html>hello</html>\n"),
        r"invalid HTTP response: .*(Bad status line|Expected HTTP|Invalid)",
    ),
    hostile(
        "bad-version",
        "status line with an unknown version",
        answer(b"HTTP/9.9 200 OK\r\nContent-Length: 0\r\n\r\n"),
        r"invalid HTTP response",
    ),
    hostile(
        "bare-close", "reads the request, closes without a byte", bare_close, r"closed the connection without answering"
    ),
    hostile(
        "close-at-once",
        "closes before reading the request",
        close_at_once,
        r"closed the connection|reset|broken pipe",
    ),
    hostile("reset", "reads the request, answers with a TCP reset", reset, r"closed the connection|reset"),
    hostile(
        "short-body",
        "200 claiming 100 bytes, sends 10, closes",
        answer(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"),
        r"answer was cut off",
        status=200,
    ),
]
for status in (301, 302, 307, 308):
    HOSTILE.append(
        hostile(f"redirect-{status}-private", f"{status} to the private listener", None, "", redirect=(status, "p"))
    )
    HOSTILE.append(
        hostile(
            f"redirect-{status}-public",
            f"{status} to a public URL",
            None,
            "",
            redirect=(status, "https://example.com/x"),
        )
    )


def handler_of(item: Hostile, private_port: int) -> Handler:
    if item.redirect is None:
        assert item.handler is not None
        return item.handler
    status, location = item.redirect
    if location == "p":
        location = f"http://127.0.0.1:{private_port}/admin"
    return answer(REDIRECT.format(status=status, location=location).encode())


def expected_error(item: Hostile, private_port: int) -> str:
    if item.redirect is None:
        return item.error
    status, _ = item.redirect
    return rf"redirected \(HTTP {status}\) to .*; not followed"


@pytest.fixture(scope="module")
def private() -> Iterator[RawServer]:
    """A private service a redirect points at: it must never be connected to."""
    with RawServer() as server:
        yield server


# ---- the transport: bounded in time and memory ----------------------------------------------------------------


def post(url: str) -> tuple[HttpResult, float, int]:
    sender = Transport(allow_private=True, timeout=TIMEOUT)

    async def run() -> HttpResult:
        try:
            return await sender.post(url, b'{"a":1}', {"Content-Type": "application/json"})
        finally:
            await sender.close()

    tracemalloc.start()
    started = time.monotonic()
    try:
        result = asyncio.run(run())
        return result, time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("item", HOSTILE)
def test_transport_is_bounded(item: Hostile, private: RawServer) -> None:
    before = private.connections
    with RawServer(handler_of(item, private.port)) as receiver:
        result, elapsed, peak = post(receiver.url + "/hook")
    assert elapsed < HANG_GUARD  # a hang guard only; the outcome below is the assertion
    assert peak < MEMORY_GUARD, f"{peak} bytes at peak"
    assert len(result.body) <= MAX_BODY
    assert re.search(expected_error(item, private.port), result.error or _phrase(result)), result
    assert (item.outcome == "delivered") == (result.error_kind is None and result.status == 200), result
    if item.redirect:
        assert result.status == item.redirect[0] and result.error_kind == "redirect"
    elif item.status is not None:
        assert result.status == item.status
    assert private.connections == before


def _phrase(result: HttpResult) -> str:
    from http import HTTPStatus

    return HTTPStatus(result.status).phrase if result.status else ""


def test_endless_body_is_read_up_to_the_cap_only() -> None:
    with RawServer(endless(b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n", CHUNK)) as receiver:
        result, _, _ = post(receiver.url)
    assert result.status == 500 and len(result.body) == MAX_BODY and result.error_kind is None


def test_gzip_bomb_is_never_inflated() -> None:
    head = b"HTTP/1.1 500 Oops\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(BOMB)
    with RawServer(answer(head + BOMB)) as receiver:
        result, _, _ = post(receiver.url)
    assert result.body == BOMB[:MAX_BODY]  # the compressed bytes, as sent, capped


# ---- the dispatcher: recorded as a failed attempt, never lost -------------------------------------------------


@pytest.fixture(scope="class")
def stack() -> Iterator[dict[str, str]]:
    """Moto for the class; loopback receivers allowed; a 1 s timeout. Each row is its own tenant."""
    with moto_env(ALLOW_PRIVATE_TARGETS="true", HTTP_TIMEOUT_SECONDS=str(TIMEOUT)) as env:
        yield env


@pytest.fixture
def ladder(stack: dict[str, str]) -> Iterator[RecordingScheduler]:
    scheduler = RecordingScheduler()
    runtime.use_scheduler(scheduler)
    yield scheduler
    runtime.use_scheduler(None)


class TestDispatcher:
    @pytest.mark.parametrize("item", HOSTILE)
    def test_records_and_keeps_the_delivery(
        self, item: Hostile, private: RawServer, ladder: RecordingScheduler
    ) -> None:
        tenant = f"t-{item.id}"
        before = private.connections
        with RawServer(handler_of(item, private.port)) as receiver:
            body = {"url": receiver.url + "/hook", "events": ["model.*"]}
            status, hook = call_api("POST", "/v1/webhooks", body=body, tenant=tenant)
            assert status == 201, hook
            started = time.monotonic()
            event = bus_event("model.trained", {"model_id": "m1"}, tenant=tenant, event_id="evt_hostile")
            assert dispatch(event) == {"batchItemFailures": []}
            assert time.monotonic() - started < HANG_GUARD
        assert private.connections == before
        path = f"/v1/webhooks/{hook['id']}"
        [summary] = call_api("GET", f"{path}/deliveries", tenant=tenant)[1]["deliveries"]
        detail = call_api("GET", f"{path}/deliveries/{summary['delivery_id']}", tenant=tenant)[1]
        [attempt] = detail["attempt_log"]
        assert attempt["outcome"] == item.outcome
        assert len(attempt.get("response_body") or "") <= RESPONSE_EXCERPT
        webhook = call_api("GET", path, tenant=tenant)[1]
        if item.outcome == "delivered":
            assert detail["status"] == "delivered" and ladder.handoffs == []
            return
        message = attempt.get("error") or webhook["last_error"]["message"]
        assert re.search(expected_error(item, private.port), message), message
        assert detail["status"] == "retrying"  # on the ladder: not lost
        assert [h.delivery_id for h in ladder.handoffs] == [summary["delivery_id"]]
        assert webhook["last_error"]["message"] and webhook["status"] == "active"

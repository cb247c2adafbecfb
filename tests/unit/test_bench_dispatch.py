"""The dispatch benchmark is fair by construction: its receiver answers every request of either client (whole
bodies by Content-Length or chunked, over kept-alive connections, after the delay it is given), and the raw loop
puts the same request on the wire as Carrier's core (the same body and header names)."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator
from types import ModuleType

import pytest

from carrier.dispatch import Dispatcher
from tests.fakes import FakeTransport, MemoryStore


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    from bench import dispatch  # turns INFO logs off for its runs: turned back on for the other tests

    try:
        yield dispatch
    finally:
        logging.disable(logging.NOTSET)


def exchange(sock: socket.socket, request: bytes) -> bytes:
    sock.sendall(request)
    answer = b""
    while not answer.endswith(b'{"ok":true}'):
        chunk = sock.recv(65536)
        assert chunk, f"the receiver closed the connection after {answer!r}"
        answer += chunk
    return answer


def test_the_receiver_answers_every_request_on_one_connection(bench: ModuleType) -> None:
    receiver = bench.ReceiverProcess()
    try:
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:
            sized = b'POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{"a":1}'
            chunked = b'POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n'
            empty = b"POST /other/path HTTP/1.1\r\nHost: x\r\n\r\n"
            answers = [exchange(sock, request) for request in (sized, chunked, empty)]
    finally:
        receiver.close()
    assert all(a.startswith(b"HTTP/1.1 200 OK\r\n") for a in answers)


def test_the_receiver_waits_the_delay_it_is_given(bench: ModuleType) -> None:
    receiver = bench.ReceiverProcess(delay_ms=200)
    try:
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:
            started = time.monotonic()
            answer = exchange(sock, b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
            waited = time.monotonic() - started
    finally:
        receiver.close()
    assert answer.startswith(b"HTTP/1.1 200 OK") and waited >= 0.2


def test_the_raw_loop_sends_what_carrier_sends(bench: ModuleType) -> None:
    transport = FakeTransport()
    store = MemoryStore(bench.webhooks("http://127.0.0.1:9/hook", 1))
    dispatcher = Dispatcher(bench.settings(50), store, bench.vault(), transport)
    asyncio.run(dispatcher.dispatch(bench.event(0)))
    [sent] = transport.requests
    body, headers = bench.wire_request()
    assert body == sent.body
    assert sorted(headers) == sorted(sent.headers)
    assert [len(headers[name]) for name in sorted(headers)] == [len(sent.headers[name]) for name in sorted(headers)]

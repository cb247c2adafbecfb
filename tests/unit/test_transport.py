"""Outbound HTTP against a real local receiver: timeouts, caps, redirects, and the connect-time guard."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from carrier.transport import MAX_BODY, HttpResult, Transport
from tests.receiver import Answer, Receiver
from tests.resolver import FakeResolver


def post(transport: Transport, url: str, body: bytes = b"{}") -> HttpResult:
    async def run() -> HttpResult:
        try:
            return await transport.post(url, body, {"Content-Type": "application/json"})
        finally:
            await transport.close()

    return asyncio.run(run())


def test_delivers_and_reads_status_and_capped_body() -> None:
    with Receiver(lambda r: Answer(201, b"x" * (MAX_BODY * 2))) as receiver:
        result = post(Transport(allow_private=True, timeout=5), receiver.url + "/hook", b'{"a":1}')
    assert result.status == 201 and len(result.body) == MAX_BODY
    assert receiver.requests[0].body == b'{"a":1}'


def test_redirects_are_never_followed() -> None:
    with Receiver(lambda r: Answer(302, b"", {"Location": "http://169.254.169.254/latest"})) as receiver:
        result = post(Transport(allow_private=True, timeout=5), receiver.url + "/hook")
    assert result.status == 302 and len(receiver.requests) == 1


def test_a_hanging_receiver_is_cut_at_the_timeout() -> None:
    with Receiver(lambda r: Answer(200, delay=3)) as receiver:
        result = post(Transport(allow_private=True, timeout=0.3), receiver.url + "/hook")
    assert result.error_kind == "timeout" and result.status is None


def test_a_reset_connection_is_a_connection_error() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def reset_each() -> None:
        conn, _ = listener.accept()
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()

    threading.Thread(target=reset_each, daemon=True).start()
    result = post(Transport(allow_private=True, timeout=2), f"http://127.0.0.1:{listener.getsockname()[1]}/")
    listener.close()
    assert result.error_kind in {"connection", "invalid_response"} and result.status is None


@pytest.mark.parametrize(
    "answers",
    [["127.0.0.1"], ["10.0.0.5"], ["93.184.216.34", "127.0.0.1"], ["169.254.169.254"], ["::1"], ["::ffff:127.0.0.1"]],
)
def test_names_resolving_to_blocked_addresses_are_refused_at_connect_time(answers: list[str]) -> None:
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        resolver = FakeResolver({"hooks.example.com": answers})
        result = post(Transport(allow_private=False, timeout=2, resolver=resolver), f"http://hooks.example.com:{port}/")
    assert result.error_kind == "blocked"
    assert receiver.requests == []


def test_dns_rebinding_is_checked_on_every_connection() -> None:
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        answers = iter([["93.184.216.34"], ["127.0.0.1"]])
        resolver = FakeResolver({"rebind.example.com": lambda: next(answers)})
        transport = Transport(allow_private=False, timeout=1, resolver=resolver)

        async def run() -> tuple[HttpResult, HttpResult]:
            first = await transport.post(f"http://rebind.example.com:{port}/", b"{}", {})
            await transport.close()  # a new connection (new container): must resolve and check again
            second = await transport.post(f"http://rebind.example.com:{port}/", b"{}", {})
            await transport.close()
            return first, second

        first, second = asyncio.run(run())
    assert first.error_kind in {"timeout", "connection"}  # the public answer is not reachable from here
    assert second.error_kind == "blocked"
    assert receiver.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "127.1", "0x7f.0.0.1", "[::1]", "localhost"])
def test_literal_and_internal_hosts_are_refused(host: str) -> None:
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        result = post(Transport(allow_private=False, timeout=2), f"http://{host}:{port}/")
    assert result.error_kind == "blocked"
    assert receiver.requests == []


def test_a_refused_connection_is_said_in_plain_words_never_as_aiohttp_text() -> None:
    # Given a port nobody listens on
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    # When an attempt is sent there
    result = post(Transport(allow_private=True, timeout=2), f"http://127.0.0.1:{port}/hook")
    # Then the error names the host and the reason, with no exception class or Python repr in it
    assert result.error_kind == "connection"
    assert result.error == f"could not connect to 127.0.0.1:{port} (connection refused)"


def test_a_receiver_that_closes_without_answering_is_said_in_plain_words() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def close_after_reading() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.close()

    threading.Thread(target=close_after_reading, daemon=True).start()
    result = post(Transport(allow_private=True, timeout=2), f"http://127.0.0.1:{listener.getsockname()[1]}/")
    listener.close()
    assert result.error == "the receiver closed the connection without answering"

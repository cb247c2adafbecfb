"""A fast local receiver for benchmarks, in its own process: answers every request 200 after an optional delay.

It must never be what a benchmark measures: both loops it serves (Carrier's core and a raw aiohttp loop) share two
cores with it. So it is a bare asyncio Protocol (HTTP/1.1 keep-alive, one request at a time per connection as
aiohttp's client sends them, bodies by Content-Length or chunked), several times cheaper per request than
aiohttp.web. It prints "ready" once listening and reports nothing else.

    python -m bench.receiver --port 8080 [--delay-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

ANSWER = b'{"ok":true}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(ANSWER)).encode()
    + b"\r\n\r\n"
    + ANSWER
)
MAX_HEAD = 64 * 1024


class Hook(asyncio.Protocol):
    """One connection: reads whole requests (head, then body) and answers each one."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            size = self._request_size()
            if size is None:
                return
            del self.buffer[:size]
            self._answer()

    def _request_size(self) -> int | None:
        """The length of the first whole request in the buffer, or None while it is incomplete."""
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            if len(self.buffer) > MAX_HEAD:
                self._close()
            return None
        head = bytes(self.buffer[:head_end]).lower()
        start = head_end + 4
        if b"\r\ntransfer-encoding: chunked" in head:
            return self._chunked_end(start)
        marker = head.find(b"\r\ncontent-length:")
        length = 0
        if marker >= 0:
            line_end = head.find(b"\r\n", marker + 2)
            length = int(head[marker + 17 : line_end if line_end >= 0 else len(head)])
        return start + length if len(self.buffer) >= start + length else None

    def _chunked_end(self, position: int) -> int | None:
        while True:
            line_end = self.buffer.find(b"\r\n", position)
            if line_end < 0:
                return None
            size = int(bytes(self.buffer[position:line_end]).split(b";")[0], 16)
            position = line_end + 2 + size + 2
            if size == 0:  # no trailers from aiohttp: the last chunk ends the body
                return position if len(self.buffer) >= position else None

    def _answer(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if self.delay:
            asyncio.get_running_loop().call_later(self.delay, self._write)
        else:
            self.transport.write(RESPONSE)

    def _write(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(RESPONSE)

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def serve(port: int, delay_ms: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Hook(delay_ms / 1000), "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.delay_ms))


if __name__ == "__main__":
    main()

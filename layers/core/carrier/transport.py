"""Outbound HTTP: concurrent, bounded, SSRF-safe at connect time.

Every connection goes to an address checked when it is made: the resolver resolves the name, checks
every answer (one private answer refuses the whole name), and aiohttp connects to exactly those answers.
Literal addresses skip the resolver in aiohttp, so they are checked before the request. Redirects are
never followed; bodies are read up to a cap; one total timeout covers connect, send and read.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from carrier.netguard import is_blocked, is_blocked_name, literal_address

MAX_BODY = 64 * 1024


class BlockedDestination(Exception):
    """The URL resolves to an address Carrier must not connect to."""


@dataclass
class HttpResult:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed_ms: int = 0
    error_kind: str | None = None  # blocked | timeout | connection | tls | invalid_response | redirect
    error: str | None = None


class GuardedResolver(AbstractResolver):
    """Resolves with `inner` (the system resolver by default) and refuses any blocked answer."""

    def __init__(self, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self.allow_private = allow_private
        self.inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self.inner is None:
            self.inner = aiohttp.ThreadedResolver()
        if not self.allow_private and is_blocked_name(host):
            raise BlockedDestination(f"{host} is an internal name")
        answers = await self.inner.resolve(host, port, family)
        if not self.allow_private:
            for answer in answers:
                address = ipaddress.ip_address(answer["host"].split("%", 1)[0])
                if is_blocked(address):
                    raise BlockedDestination(f"{host} resolves to a blocked address ({address})")
        return answers

    async def close(self) -> None:
        if self.inner is not None:
            await self.inner.close()


class Transport:
    """One aiohttp session per event loop (reused while the container is warm)."""

    def __init__(
        self, *, allow_private: bool, timeout: float, concurrency: int = 50, resolver: AbstractResolver | None = None
    ) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self.concurrency = concurrency
        self._inner_resolver = resolver
        # one session per event loop: Lambda keeps one loop per container; the local stack one per worker thread
        self._sessions: dict[asyncio.AbstractEventLoop, tuple[aiohttp.ClientSession, asyncio.Semaphore]] = {}

    def _ensure_session(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        found = self._sessions.get(loop)
        if found is None or found[0].closed:  # a new loop (or a closed session): ended loops are forgotten first
            for ended in [other for other in self._sessions if other.is_closed()]:
                self._sessions.pop(ended)  # an ended loop's session went with it
            connector = aiohttp.TCPConnector(
                limit=self.concurrency,
                resolver=GuardedResolver(self.allow_private, self._inner_resolver),
                ttl_dns_cache=10,
                enable_cleanup_closed=True,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),  # a receiver's cookies never travel to another
                skip_auto_headers=("Accept-Encoding",),
            )
            found = self._sessions[loop] = (session, asyncio.Semaphore(self.concurrency))
        return found

    async def close(self) -> None:
        """Close this loop's session (the other loops' are closed by `close_everywhere`)."""
        found = self._sessions.pop(asyncio.get_running_loop(), None)
        if found is not None and not found[0].closed:
            await found[0].close()

    def close_everywhere(self, timeout: float = 5.0) -> None:
        """Close every loop's session from outside them (a process shutting down): none is left unclosed."""
        for loop, (session, _) in list(self._sessions.items()):
            self._sessions.pop(loop, None)
            if session.closed or loop.is_closed():
                continue
            if loop.is_running():
                asyncio.run_coroutine_threadsafe(session.close(), loop).result(timeout)
            else:
                loop.run_until_complete(session.close())

    def check_literal(self, url: URL) -> None:
        """Check the host aiohttp will connect to (yarl's IDNA-mapped form: full-width digits are ASCII by then)."""
        if self.allow_private:
            return
        reason = _literal_block_reason(url.host or "")
        if reason:
            raise BlockedDestination(reason)

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
        """POST once. Never raises for anything the receiver or the network does: it is in the result."""
        session, limit = self._ensure_session()
        started = time.perf_counter()
        result = HttpResult()
        async with limit:
            try:
                target = URL(url)  # parsed once: the URL checked is the URL connected to
                self.check_literal(target)
                async with asyncio.timeout(self.timeout):
                    await self._exchange(session, target, body, headers, result)
            except BlockedDestination as exc:
                result.error_kind, result.error = "blocked", str(exc)
            except TimeoutError:
                result.error_kind, result.error = "timeout", f"no complete answer within {self.timeout:g} s"
            except aiohttp.ClientConnectorDNSError as exc:
                result.error_kind, result.error = _dns_failure(exc)
            except (aiohttp.ClientSSLError, aiohttp.ServerFingerprintMismatch) as exc:
                result.error_kind, result.error = "tls", f"TLS error: {_tls_reason(exc)}"
            except aiohttp.ClientResponseError as exc:
                result.error_kind, result.error = "invalid_response", f"invalid HTTP response: {_first_line(exc)}"
            except (aiohttp.ClientError, OSError, ValueError) as exc:
                result.error_kind, result.error = "connection", _connection_failure(exc)
        result.elapsed_ms = round((time.perf_counter() - started) * 1000)
        return result

    async def _exchange(
        self, session: aiohttp.ClientSession, url: URL, body: bytes, headers: dict[str, str], result: HttpResult
    ) -> None:
        async with session.post(url, data=body, headers=headers, allow_redirects=False) as response:
            result.status = response.status
            result.headers = {k: v for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS}
            if response.status in _REDIRECTS:
                location = response.headers.get("Location", "")[:LOCATION_EXCERPT]
                result.error_kind = "redirect"
                result.error = f"the receiver redirected (HTTP {response.status}) to {location!r}; not followed"
            content = response.content
            chunks: list[bytes] = []
            size = 0
            while size < MAX_BODY and not content.at_eof():  # a whole small answer: one read, no empty one after
                chunk = await content.read(MAX_BODY - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            result.body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            if not content.at_eof():
                response.close()  # an endless or oversized body: drop the connection, keep what was read


@lru_cache(maxsize=4096)
def _literal_block_reason(host: str) -> str | None:
    address = literal_address(host)
    if address is not None and is_blocked(address):
        return f"{host} is a blocked address ({address})"
    return None


_KEPT_HEADERS = frozenset({"retry-after", "content-type", "location"})
_REDIRECTS = range(300, 400)  # never followed: the attempt fails, naming where the receiver pointed
LOCATION_EXCERPT = 200


def _dns_failure(exc: Any) -> tuple[str, str]:
    cause = getattr(exc, "os_error", None) or exc.__cause__
    if isinstance(cause, BlockedDestination):
        return "blocked", str(cause)
    return "connection", f"name resolution failed: {_os_reason(cause) if isinstance(cause, OSError) else exc}"


# What an attempt's error says: plain words for the tenant, never aiohttp's class names or a Python repr.
_DROPPED = {
    aiohttp.ServerDisconnectedError: "the receiver closed the connection without answering",
    aiohttp.ClientPayloadError: "the receiver's answer was cut off",
}


def _connection_failure(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"could not connect to {exc.host}:{exc.port} ({_os_reason(exc.os_error)})"
    for kind, text in _DROPPED.items():
        if isinstance(exc, kind):
            return text
    if isinstance(exc, aiohttp.ClientOSError) and not exc.errno:  # "Can not write request body for <url>"
        return "the receiver closed the connection while the request was being sent"
    if isinstance(exc, OSError):
        return f"the connection failed ({_os_reason(exc)})"
    return f"the request failed ({str(exc) or type(exc).__name__})"


def _first_line(exc: aiohttp.ClientResponseError) -> str:
    lines = str(exc.message or exc.status).strip().splitlines()
    return lines[0] if lines else "unreadable"


def _os_reason(error: OSError) -> str:
    """`Connection refused`, not `[Errno 111] Connect call failed ('127.0.0.1', 1)`."""
    if error.errno and error.errno > 0:
        return os.strerror(error.errno).lower()
    return str(error.strerror or error) or "connection error"


def _tls_reason(exc: BaseException) -> str:
    cause = getattr(exc, "certificate_error", None) or getattr(exc, "os_error", None) or exc
    return str(getattr(cause, "verify_message", None) or getattr(cause, "reason", None) or cause)


def carrier_failure(reason: str) -> HttpResult:
    """The result of an attempt Carrier could not send (nothing reached the receiver)."""
    return HttpResult(error_kind="carrier", error=reason)

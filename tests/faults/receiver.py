"""The receivers, in virtual time: Carrier's `HttpTransport` port answering from a script.

A socket cannot wait in virtual time, so the harness puts its receiver where Carrier's transport sits
(`carrier.runtime.transport` for the dispatcher, `carrier.runs.fresh_transport` for ladder steps and sends a
tenant asks for). Everything above the transport is Carrier's own code; the answers have the shapes
`carrier.transport.Transport` gives (`HttpResult` with `status`, or `error_kind` timeout / connection), and the
transport's concurrency bound (`MAX_CONCURRENCY` per event loop) and timeout (`HTTP_TIMEOUT_SECONDS`, 10 s for
interactive sends) are kept.

Every request is logged with its virtual start and end, keyed by delivery: (URL path = one per webhook,
`webhook-id` header = the event id). Two requests of one delivery whose times overlap are a *concurrent
duplicate*; a request made after the receiver had already accepted the delivery (answered 2xx, even too late
for Carrier to see it) is a *duplicate in sequence*, which at-least-once delivery allows.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from carrier.transport import HttpResult
from tests.faults.world import Participant, World


@dataclass(frozen=True)
class Answer:
    """What the receiver does with one request."""

    kind: str = "ok"  # ok | status | timeout | reset
    status: int = 200
    seconds: float = 0.05  # time to answer (a `timeout` hangs past the sender's timeout)
    retry_after: int | None = None
    accepts: bool = True  # the receiver processed it (a `timeout` answer may accept it late)


OK = Answer()


def status(code: int, seconds: float = 0.05, retry_after: int | None = None) -> Answer:
    return Answer("status", code, seconds, retry_after, accepts=200 <= code < 300)


def hang(accepts: bool = True) -> Answer:
    """Hangs past the sender's timeout; with `accepts`, it processes the request and answers 200 too late."""
    return Answer("timeout", 200, float("inf"), accepts=accepts)


RESET = Answer("reset", 0, 0.01, accepts=False)


@dataclass
class Request:
    path: str
    delivery: str  # the webhook-id header (the event id)
    n: int  # 1 for the first request of this delivery at this path
    start: datetime
    sender: Participant | None
    headers: dict[str, str]
    end: datetime | None = None
    answer: Answer | None = None

    def ended(self) -> datetime | None:
        """When the exchange ended for the receiver: its answer, or the sender's death (the connection drops)."""
        if self.end is not None:
            return self.end
        if self.sender is not None and self.sender.killed:
            return self.sender.ended_at
        return None


Script = Callable[[Request], Answer]


@dataclass
class Duplicates:
    concurrent: list[tuple[Request, Request]] = field(default_factory=list)
    in_sequence: list[Request] = field(default_factory=list)


class Receiver:
    def __init__(self, world: World, script: Script | None = None) -> None:
        self.world = world
        self.script: Script = script or (lambda request: OK)
        self.requests: list[Request] = []
        self._by_delivery: dict[tuple[str, str], list[Request]] = defaultdict(list)

    def transport(self, timeout: float, concurrency: int) -> ReceiverTransport:
        return ReceiverTransport(self, timeout, concurrency)

    def of(self, path: str, delivery: str | None = None) -> list[Request]:
        if delivery is not None:
            return list(self._by_delivery.get((path, delivery), []))
        return [r for r in self.requests if r.path == path]

    def accepted(self, path: str, delivery: str) -> int:
        return sum(1 for r in self.of(path, delivery) if r.answer is not None and r.answer.accepts)

    def duplicates(self) -> Duplicates:
        found = Duplicates()
        for requests in self._by_delivery.values():
            ordered = sorted(requests, key=lambda r: (r.start, r.n))
            for i, later in enumerate(ordered):
                for earlier in ordered[:i]:
                    ended = earlier.ended()
                    if ended is None or later.start < ended:
                        found.concurrent.append((earlier, later))
                if any(e.answer is not None and e.answer.accepts for e in ordered[:i]):
                    found.in_sequence.append(later)
        return found

    def _record(self, url: str, headers: dict[str, str]) -> Request:
        path = urlsplit(url).path
        delivery = next((v for k, v in headers.items() if k.lower() == "webhook-id"), "?")
        previous = self._by_delivery[(path, delivery)]
        request = Request(path, delivery, len(previous) + 1, self.world.now(), self.world.current, dict(headers))
        previous.append(request)
        self.requests.append(request)
        return request


class ReceiverTransport:
    """One sender's view (its timeout and concurrency bound), shared by every event loop like `Transport`."""

    def __init__(self, receiver: Receiver, timeout: float, concurrency: int) -> None:
        self.receiver = receiver
        self.timeout = timeout
        self.concurrency = concurrency
        self._limits: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
        loop = asyncio.get_running_loop()
        limit = self._limits.setdefault(loop, asyncio.Semaphore(self.concurrency))
        world = self.receiver.world
        async with limit:
            request = self.receiver._record(url, headers)
            answer = self.receiver.script(request)
            request.answer = answer
            waited = min(answer.seconds, self.timeout)
            try:
                await world.async_sleep(waited)
            finally:  # answered, or the sender gave up (its task cancelled): the exchange ends now
                request.end = world.now()
            result = HttpResult(elapsed_ms=round(waited * 1000))
            if answer.seconds >= self.timeout:
                result.error_kind, result.error = "timeout", f"no complete answer within {self.timeout:g} s"
            elif answer.kind == "reset":
                result.error_kind = "connection"
                result.error = "ClientOSError: [Errno 104] Connection reset by peer"
            else:
                result.status = answer.status
                result.body = json.dumps({"status": answer.status}).encode()
                if answer.retry_after is not None:
                    result.headers = {"Retry-After": str(answer.retry_after)}
            return result

    async def close(self) -> None:
        self._limits.pop(asyncio.get_running_loop(), None)


class Chaos:
    """A receiver script answering 200 / 500 / timeout / reset / 429 + Retry-After / 410 at random, decided by a
    hash of (seed, path, delivery, n): the same run answers the same way whatever the order of requests.

    410 is answered only on `gone_paths` (a 410 disables its webhook: at random on every path, the run would end
    with every webhook disabled and nothing else to see)."""

    MIX: tuple[tuple[str, float], ...] = (
        ("ok", 0.64),
        ("500", 0.12),
        ("timeout", 0.05),
        ("reset", 0.05),
        ("429", 0.08),
        ("503", 0.03),
        ("slow-ok", 0.03),
    )

    def __init__(self, seed: int, gone_paths: frozenset[str] = frozenset(), gone_rate: float = 0.3) -> None:
        self.seed = seed
        self.gone_paths = gone_paths
        self.gone_rate = gone_rate

    def roll(self, *parts: object) -> float:
        digest = hashlib.sha256(":".join(map(str, (self.seed, *parts))).encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def __call__(self, request: Request) -> Answer:
        key = (request.path, request.delivery, request.n)
        if request.path in self.gone_paths and self.roll("gone", *key) < self.gone_rate:
            return status(410)
        roll, latency = self.roll("kind", *key), 0.02 + 1.5 * self.roll("latency", *key)
        for kind, share in self.MIX:
            if roll < share:
                return self._answer(kind, latency, key)
            roll -= share
        return status(200, latency)

    def _answer(self, kind: str, latency: float, key: tuple[Any, ...]) -> Answer:
        if kind == "ok":
            return status(200, latency)
        if kind == "slow-ok":
            return status(200, 5 + 20 * self.roll("slow", *key))
        if kind == "timeout":
            return hang(accepts=self.roll("late", *key) < 0.5)
        if kind == "reset":
            return RESET
        if kind == "429":
            return status(429, latency, retry_after=1 + int(119 * self.roll("retry-after", *key)))
        return status(int(kind), latency)


def in_turn(*answers: Answer) -> Script:
    """The n-th request of each delivery gets the n-th answer (the last one from then on)."""

    def script(request: Request) -> Answer:
        return answers[min(request.n, len(answers)) - 1]

    return script

"""Payload formats: one table from format name to body builder. The body is encoded once and signed as sent.

Every body Carrier sends (deliveries and their retries, test sends, per-job callbacks: all go through `encode`) is
canonical JSON in the form JavaScript writes it (`carrier.canonical`): `JSON.stringify(JSON.parse(body))` gives back
the very bytes signed, so a receiver that verifies over `JSON.stringify(req.body)` (seed 004's Express one) agrees
with one that verifies over the raw body. Numbers are written as JavaScript reads them (`8.0` -> `8`, integers
beyond 2**53 rounded to a double), integer-like keys come first (ascending), as in any JavaScript object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carrier import canonical


@dataclass(frozen=True)
class Event:
    """An event as Carrier delivers it (independent of how it arrived)."""

    id: str
    type: str
    tenant_id: str
    timestamp: str  # RFC 3339, the time the event was published
    data: dict[str, Any]
    callback_url: str | None = None
    test: bool = False  # a test send (`POST .../test`): never published, so never replayed
    received_at: str | None = None  # when a dispatcher first stored it (ms): names its deliveries (`ids.delivery_id`)


Builder = Callable[[Event, int], Any]


@dataclass(frozen=True)
class Format:
    build: Builder  # (event, retry count) -> body
    per_attempt: bool = False  # the body changes between attempts (it carries the retry count)


# format -> body (event, retry_count): the README's payload table, as data (the API's PayloadFormat enum is its keys).
FORMAT_ROWS: dict[str, Format] = {
    "standard": Format(lambda e, n: {"type": e.type, "timestamp": e.timestamp, "data": e.data}),
    "classic": Format(lambda e, n: {"id": e.id, "event": e.type, "created_at": e.timestamp, "data": e.data}),
    "extended": Format(
        lambda e, n: {
            "event_id": e.id,
            "event_type": e.type,
            "timestamp": e.timestamp,
            "data": e.data,
            "retry_count": n,
        },
        per_attempt=True,
    ),
    "data": Format(lambda e, n: e.data),
}
FORMATS: dict[str, Builder] = {name: row.build for name, row in FORMAT_ROWS.items()}

DEFAULT_FORMAT = "standard"

# Formats whose body does not change between attempts (encoded once for every attempt).
STABLE_FORMATS = frozenset(name for name, row in FORMAT_ROWS.items() if not row.per_attempt)


def encode(event: Event, payload_format: str, retry_count: int = 0) -> bytes:
    body = FORMATS[payload_format](event, retry_count)
    return canonical.encode(body)


class BodyCache:
    """Encodes each (event, format, retry count) once, however many webhooks share it."""

    def __init__(self) -> None:
        self._bodies: dict[tuple[str, str, int], bytes] = {}

    def get(self, event: Event, payload_format: str, retry_count: int = 0) -> bytes:
        key = (event.id, payload_format, retry_count if payload_format not in STABLE_FORMATS else 0)
        body = self._bodies.get(key)
        if body is None:
            body = self._bodies[key] = encode(event, payload_format, retry_count)
        return body

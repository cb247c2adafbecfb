"""Fan-out across invocations: an event matching more webhooks than one invocation can surely send is split into
chunks, each its own message on the fan-out queue (read one message per invocation: `BatchSize: 1`), each claimed
and sent by its own invocation.

A chunk holds the matching webhooks whose id hashes to it (`chunk_of`), so a webhook added or removed meanwhile
never moves another between chunks. The number of chunks is fixed once per event, on the event's item
(`store.fix_chunks`): a redelivered splitter sends the same chunks again, and each chunk's claim
(`store.claim_chunk`) keeps a copy of a chunk from sending what its first copy still sends. The splitting run
sends chunk 0 itself (with the event's per-job callback); a hung receiver in one chunk holds only that chunk's
invocation, whose sends that cannot end in its time go to the ladder (`dispatch.Sending`).

A chunk's size (`chunk_size`) is what one invocation finishes even when every receiver hangs: `MaxConcurrency`
sends at a time, each at most `HttpTimeoutSeconds` plus a margin, inside the invocation's time (the
`FanoutChunkSize` setting caps it lower).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from carrier.formats import Event
from carrier.observability import count
from carrier.settings import Settings

CHUNK_FIELD = "carrier-chunk"  # beside the bus envelope's fields in a chunk's message
MARGIN_SECONDS = 10  # recording a send and handing it on (dispatch.BUDGET_MARGIN_SECONDS)
T = TypeVar("T")


class Keyed(Protocol):
    @property
    def key(self) -> str: ...


K = TypeVar("K", bound=Keyed)


def chunk_of(key: str, count: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % count


@dataclass(frozen=True)
class Chunk:
    index: int
    count: int

    def select(self, targets: list[K]) -> list[K]:
        return [target for target in targets if chunk_of(target.key, self.count) == self.index]


def chunk_size(settings: Settings, seconds_left: float) -> int:
    """The sends one invocation surely ends with `seconds_left`, every receiver hanging to the timeout."""
    rounds = max(1, int((seconds_left - MARGIN_SECONDS) // (settings.http_timeout_seconds + MARGIN_SECONDS)))
    size = settings.max_concurrency * rounds
    return min(size, settings.fanout_chunk_size) if settings.fanout_chunk_size else size


def chunk_message(event: Event, chunk: Chunk) -> str:
    """A chunk's message: the event as Carrier read it from the bus (checked then; its time the stored one), without
    its per-job callback (chunk 0's), and which chunk it is."""
    fields = {
        "id": event.id,
        "type": event.type,
        "tenant_id": event.tenant_id,
        "timestamp": event.timestamp,
        "received_at": event.received_at or event.timestamp,
    }
    position = {"index": chunk.index, "count": chunk.count}
    return json.dumps({CHUNK_FIELD: position, "event": {**fields, "data": event.data}})


def chunk_in(message: dict[str, Any]) -> tuple[Event, Chunk] | None:
    """The event and chunk a chunk's message carries (None for a bus event); a malformed one is refused
    (ValueError). Only Carrier's dispatcher sends to the fan-out queue."""
    raw = message.get(CHUNK_FIELD)
    if raw is None:
        return None
    event = message.get("event")
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), int) for k in ("index", "count")):
        raise ValueError(f"{CHUNK_FIELD} must hold integers index and count")
    chunk = Chunk(raw["index"], raw["count"])
    if not 0 < chunk.index < chunk.count:
        raise ValueError(f"{CHUNK_FIELD}: index must be between 1 and count - 1")
    fields = ("id", "type", "tenant_id", "timestamp", "received_at")
    if not isinstance(event, dict) or not all(isinstance(event.get(k), str) for k in fields):
        raise ValueError("a chunk's event must hold id, type, tenant_id, timestamp and received_at")
    if not isinstance(event.get("data"), dict):
        raise ValueError("a chunk's event data must be an object")
    named = {name: event[name] for name in fields}
    return Event(**named, data=event["data"]), chunk


def chunks_for(matched: int, size: int) -> int:
    return max(1, math.ceil(matched / size))


class ChunkQueue(Protocol):
    """Where a split event's other chunks go: the fan-out queue."""

    def send(self, messages: Sequence[str]) -> None: ...


class SqsChunks:
    """The fan-out queue (SendMessageBatch, 10 a call; a refused entry fails the split, which is sent again)."""

    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self._client = client

    def send(self, messages: Sequence[str]) -> None:
        if self._client is None:
            from carrier import aws

            self._client = aws.client("sqs")
        for start in range(0, len(messages), 10):
            entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(messages[start : start + 10])]
            answer = self._client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            if answer.get("Failed"):
                raise RuntimeError(f"the dispatch queue refused {len(answer['Failed'])} chunk messages")


class ChunkStore(Protocol):
    def fix_chunks(self, tenant_id: str, event_id: str, count: int) -> int: ...


def split(
    settings: Settings,
    store: ChunkStore,
    queue: ChunkQueue,
    event: Event,
    matched: int,
    seconds_left: float,
    split_before: int,
) -> Chunk | None:
    """Past one invocation's sure size, the event's other chunks go on the queue and this run keeps chunk 0 (None:
    no split). The number of chunks is fixed on the event's item once (`split_before` when it was), so a redelivered
    splitter sends the same chunks."""
    wanted = chunks_for(matched, chunk_size(settings, seconds_left))
    if wanted <= 1 and split_before <= 1:
        return None
    total = store.fix_chunks(event.tenant_id, event.id, wanted)
    if total <= 1:
        return None
    queue.send([chunk_message(event, Chunk(index, total)) for index in range(1, total)])
    count("FanoutChunks", total)
    return Chunk(0, total)

"""`carrier.fanout`: a chunk's message carries the event as stored and which chunk it is; anything else is refused;
a chunk's size is what one invocation surely sends; a webhook's chunk depends on its id alone."""

from __future__ import annotations

import json

import pytest

from carrier import ingest
from carrier.fanout import Chunk, chunk_message, chunk_of, chunk_size
from carrier.formats import Event
from tests.unit.engine import settings

EVENT = Event("evt_1", "model.trained", "t1", "2026-01-01T00:00:00Z", {"n": 1}, received_at="2026-01-01T00:00:01.250Z")


def test_a_chunk_message_reads_back_as_the_event_and_its_chunk() -> None:
    message = json.loads(chunk_message(EVENT, Chunk(2, 5)))
    assert ingest.read_message(message) == (EVENT, Chunk(2, 5))


@pytest.mark.parametrize(
    "change",
    [
        {"carrier-chunk": {"index": 0, "count": 5}},  # chunk 0 is the splitting run's own
        {"carrier-chunk": {"index": 5, "count": 5}},
        {"carrier-chunk": {"index": "1", "count": 5}},
        {"carrier-chunk": []},
        {"event": {"id": "evt_1"}},
        {"event": None},
    ],
)
def test_a_malformed_chunk_message_is_rejected_naming_what_is_wrong(change: dict[str, object]) -> None:
    message = {**json.loads(chunk_message(EVENT, Chunk(2, 5))), **change}
    with pytest.raises(ingest.RejectedEvent, match="chunk"):
        ingest.read_message(message)


def test_a_chunk_is_what_one_invocation_sends_when_every_receiver_hangs() -> None:
    # 50 at a time, each send at most 30 s + 10 s of margin, in 120 - 10 s: 2 rounds
    assert chunk_size(settings(http_timeout_seconds=30, max_concurrency=50), 120) == 100
    assert chunk_size(settings(http_timeout_seconds=5, max_concurrency=20), 120) == 20 * 7
    assert chunk_size(settings(http_timeout_seconds=60, max_concurrency=50), 30) == 50  # at least one round
    assert chunk_size(settings(http_timeout_seconds=5, max_concurrency=50, fanout_chunk_size=40), 120) == 40


def test_a_webhooks_chunk_depends_on_its_id_alone() -> None:
    keys = [f"wh_{n:026d}" for n in range(1000)]
    assert [chunk_of(k, 7) for k in keys] == [chunk_of(k, 7) for k in reversed(keys)][::-1]
    sizes = [sum(chunk_of(k, 7) == c for k in keys) for c in range(7)]
    assert min(sizes) > 100  # spread: none empty, none holding most

"""Payload formats (`carrier.formats.FORMATS`) against the README's payload table, and `BodyCache`: each body is
encoded once per (event, format, retry count), and a stable format's body is the same bytes on every attempt."""

from __future__ import annotations

import json
import re

import pytest

from carrier import formats
from carrier.formats import FORMATS, STABLE_FORMATS, BodyCache, Event, encode
from tests.unit.readme import table

EVENT = Event(
    id="evt_01J0000000000000000000000",
    type="model.trained",
    tenant_id="t1",
    timestamp="2026-01-01T00:00:00.000Z",
    data={"model_id": "mod_1", "project_id": "proj_1", "metrics": {"map": 0.892}, "name": "modèle ✓"},
)

EXPECTED = {
    "standard": {"type": EVENT.type, "timestamp": EVENT.timestamp, "data": EVENT.data},
    "classic": {"id": EVENT.id, "event": EVENT.type, "created_at": EVENT.timestamp, "data": EVENT.data},
    "extended": {
        "event_id": EVENT.id,
        "event_type": EVENT.type,
        "timestamp": EVENT.timestamp,
        "data": EVENT.data,
        "retry_count": 0,
    },
    "data": EVENT.data,
}


def readme_formats() -> dict[str, str]:
    """README payload_format table: format name -> body cell."""
    described = {}
    for name, body in table("`payload_format`"):
        found = re.match(r"`([^`]+)`", name)
        assert found, name
        described[found.group(1)] = body
    return described


def test_the_readme_table_and_formats_name_the_same_formats() -> None:
    assert set(readme_formats()) == set(FORMATS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_has_the_readme_shape(name: str) -> None:
    # Given the README's description of the format's body
    described = readme_formats()[name]
    # When the sample event is encoded in it
    body = json.loads(encode(EVENT, name))
    # Then the body has exactly the fields the README lists (or is the event's data alone)
    fields = re.findall(r'"(\w+)"', described)
    if fields:
        assert list(body) == fields
    else:
        assert "`data` alone" in described and body == EVENT.data
    assert body == EXPECTED[name]


def test_bodies_are_compact_utf8_json() -> None:
    # When an event with non-ASCII data is encoded
    raw = encode(EVENT, "standard")
    # Then it is compact JSON, its text as UTF-8 (not \\u escapes)
    assert b", " not in raw and b": " not in raw
    assert "modèle ✓".encode() in raw


def test_extended_counts_retries_and_the_others_do_not_change() -> None:
    # Given the same event on its fourth attempt
    assert json.loads(encode(EVENT, "extended", 3))["retry_count"] == 3
    # Then only `extended` differs from the first attempt's body
    changed = {name for name in FORMATS if encode(EVENT, name, 3) != encode(EVENT, name, 0)}
    assert changed == {"extended"}
    assert frozenset(FORMATS) - {"extended"} == STABLE_FORMATS


def test_an_unknown_format_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        encode(EVENT, "xml")


@pytest.fixture
def encodes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int]]:
    """Every call BodyCache makes to `formats.encode`."""
    calls: list[tuple[str, str, int]] = []

    def counting(event: Event, payload_format: str, retry_count: int = 0) -> bytes:
        calls.append((event.id, payload_format, retry_count))
        return encode(event, payload_format, retry_count)

    monkeypatch.setattr(formats, "encode", counting)
    return calls


def test_body_cache_encodes_once_per_event_and_format(encodes: list) -> None:
    # Given one cache shared by ten webhooks of the same format
    cache = BodyCache()
    # When each asks for the body
    bodies = [cache.get(EVENT, "standard") for _ in range(10)]
    # Then it was encoded once and every webhook signs the very same bytes
    assert encodes == [(EVENT.id, "standard", 0)]
    assert all(body is bodies[0] for body in bodies)


@pytest.mark.parametrize("name", sorted(STABLE_FORMATS))
def test_a_stable_format_is_encoded_once_whatever_the_retry_count(name: str, encodes: list) -> None:
    cache = BodyCache()
    first, later = cache.get(EVENT, name, 0), cache.get(EVENT, name, 4)
    assert later is first and len(encodes) == 1


def test_extended_is_encoded_once_per_retry_count(encodes: list) -> None:
    cache = BodyCache()
    for retry_count in (0, 1, 1, 2, 0):
        body = cache.get(EVENT, "extended", retry_count)
        assert json.loads(body)["retry_count"] == retry_count
    assert encodes == [(EVENT.id, "extended", 0), (EVENT.id, "extended", 1), (EVENT.id, "extended", 2)]


def test_events_and_formats_do_not_share_bodies(encodes: list) -> None:
    # Given two events and two formats through one cache
    other = Event("evt_other", EVENT.type, EVENT.tenant_id, EVENT.timestamp, {"n": 2})
    cache = BodyCache()
    bodies = {cache.get(e, f) for e in (EVENT, other) for f in ("standard", "classic")}
    # Then each pair has its own body
    assert len(bodies) == 4 and len(encodes) == 4

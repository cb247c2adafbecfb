"""Canonical JSON (`carrier.canonical`): the text JavaScript's JSON.stringify writes, for every JSON value.
The vectors are Node's answers; tests/integration/test_canonical_node.py asks Node itself."""

from __future__ import annotations

import json
import re
from enum import IntEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carrier import canonical, formats
from carrier.canonical import dumps, encode, js_number
from tests.canonical_cases import REFUSED, VECTORS, bodies

MAX_SAFE = 2**53


@pytest.mark.parametrize(("value", "expected"), VECTORS, ids=[repr(v)[:40] for v, _ in VECTORS])
def test_known_vectors(value: Any, expected: str) -> None:
    assert dumps(value) == expected
    assert encode(value) == expected.encode("utf-8")


@pytest.mark.parametrize("value", REFUSED, ids=repr)
def test_what_json_cannot_hold_is_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        dumps(value)


@pytest.mark.parametrize("value", [object(), {"a": {1, 2}}, b"bytes", {(1, 2): 3}], ids=repr)
def test_what_is_not_json_is_a_type_error(value: Any) -> None:
    with pytest.raises(TypeError):
        dumps(value)


def test_keys_that_are_not_str_are_the_str_json_makes_of_them() -> None:
    assert dumps({"b": 1, 1: "a", None: 2, 0: 4, 8.5: 5}) == '{"0":4,"1":"a","b":1,"null":2,"8.5":5}'
    assert dumps({True: 1, "x": None}) == '{"true":1,"x":null}'
    assert dumps({1: "a", "1": "b", "c": 8.0}) == '{"1":"b","c":8}'  # one member to JS: the last value


def test_subclasses_are_written_as_their_base_type() -> None:
    class Level(IntEnum):
        HIGH = 3

    class Text(str):
        def __str__(self) -> str:
            return "not this"

    assert dumps({"level": Level.HIGH, "name": Text("x"), "n": Level.HIGH * 1.0}) == '{"level":3,"name":"x","n":3}'


def test_the_caller_s_value_is_left_as_it_was() -> None:
    value = {"b": [8.0, {"2": 1e-7}], "1": 2**60}
    before = repr(value)
    dumps(value)
    assert repr(value) == before and list(value) == ["b", "1"]


def test_js_number_follows_number_to_string() -> None:
    assert [js_number(x) for x in (1e21, 1e20, 1e-6, 1e-7, 1.25e-7, 123e-20, -0.0, 100.0, 1.5)] == [
        "1e+21",
        "100000000000000000000",
        "0.000001",
        "1e-7",
        "1.25e-7",
        "1.23e-18",
        "0",
        "100",
        "1.5",
    ]


def test_formats_encode_writes_the_canonical_body() -> None:
    event = formats.Event("evt_1", "model.trained", "t1", "2026-01-01T00:00:00Z", {"score": 8.0, "2": "é", "1": 1e21})
    body = formats.encode(event, "extended", 1)
    assert body == (
        b'{"event_id":"evt_1","event_type":"model.trained","timestamp":"2026-01-01T00:00:00Z",'
        b'"data":{"1":1e+21,"2":"\xc3\xa9","score":8},"retry_count":1}'
    )
    assert formats.encode(event, "data") == canonical.encode(event.data)


def test_the_seeded_bodies_are_compact_fixed_points() -> None:
    for body in bodies(7, 300):
        text = dumps(body)
        assert dumps(json.loads(text)) == text
        assert not re.search(r"\s", re.sub(r'"(?:[^"\\]|\\.)*"', "", text))  # no space outside strings


# ---- the property: for arbitrary JSON values, what JS reads back is the value, and encoding it again is a no-op ----

PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def js_view(value: Any) -> Any:
    """The value as JavaScript holds it after JSON.parse: two surrogates side by side are one character, and two
    keys that thereby read alike are one member (the first one's place, the last one's value); a number is a double."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return PAIR.sub(lambda m: m.group().encode("utf-16-le", "surrogatepass").decode("utf-16-le"), value)
    if isinstance(value, list | tuple):
        return [js_view(x) for x in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, x in value.items():
            out[js_view(k)] = js_view(x)
        return out
    return value


characters = st.characters(codec=None, exclude_categories=())  # surrogates and control characters included
texts = st.text(characters, max_size=12)
keys = texts | st.integers(0, 2**32).map(str) | st.sampled_from(["0", "07", "-1", "4294967294", "4294967295", "1.5"])
floats = st.floats(allow_nan=False, allow_infinity=False)


def json_values(ints: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    leaves = st.none() | st.booleans() | ints | floats | texts
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=30,
    )


@settings(max_examples=400, deadline=None)
@given(json_values(st.integers(-MAX_SAFE, MAX_SAFE)))
def test_json_reads_back_the_value_js_holds(value: Any) -> None:
    text = dumps(value)
    assert js_view(json.loads(text)) == js_view(value)
    assert encode(value) == text.encode("utf-8")


@settings(max_examples=400, deadline=None)
@given(json_values(st.integers() | st.integers(-(10**30), 10**30)))
def test_encoding_is_idempotent(value: Any) -> None:
    text = dumps(value)
    assert dumps(json.loads(text)) == text
    text.encode("utf-8")  # always valid UTF-8: lone surrogates are escaped

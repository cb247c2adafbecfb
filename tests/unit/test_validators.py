"""The input-text rule of `carrier.validators` (issue 16, items 7 and 8): header values refuse exactly what aiohttp
refuses to write, every pattern that guards input matches the whole value, and a lone surrogate is found at any
depth of nested data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiohttp import http_writer
from multidict import CIMultiDict

import carrier
from carrier import ids
from carrier.apikeys import KEY_FORMAT, TENANT_ID, check_tenant_id
from carrier.errors import InvalidInput
from carrier.ingest import EVENT_ID
from carrier.netguard import UrlRejected, check_url
from carrier.validators import (
    HEADER_VALUE_FORBIDDEN,
    TOKEN,
    check_filters,
    check_headers,
    check_signature_header,
    lone_surrogate_at,
)

# Every C0 and C1 code point, DEL, and a few beyond; a lone surrogate is the text rule's (tests/unit/test_models.py).
CODE_POINTS = [*range(0x00, 0x100), 0x2028, 0x202E, 0xFEFF, 0xFFFF, 0x1F600]


def aiohttp_refuses(value: str, serialize: object) -> bool:
    try:
        serialize("POST / HTTP/1.1", CIMultiDict({"X-Test": value}))  # type: ignore[operator]
    except ValueError:
        return True
    return False


SERIALIZERS = {"python": http_writer._py_serialize_headers}
if getattr(http_writer, "_c_serialize_headers", None) is not None:
    SERIALIZERS["c"] = http_writer._c_serialize_headers


@pytest.mark.parametrize("implementation", list(SERIALIZERS))
def test_a_header_value_is_refused_exactly_where_aiohttp_refuses_to_send_it(implementation: str) -> None:
    serialize = SERIALIZERS[implementation]
    for point in CODE_POINTS:
        value = f"a{chr(point)}b"
        refused_by_us = False
        try:
            check_headers({"X-Test": value})
        except ValueError:
            refused_by_us = True
        assert refused_by_us is aiohttp_refuses(value, serialize), f"U+{point:04X}"


def test_the_forbidden_characters_are_aiohttps_own() -> None:
    assert HEADER_VALUE_FORBIDDEN.pattern == http_writer._FORBIDDEN_HEADER_CHARS_RE.pattern


# ---- patterns match whole values --------------------------------------------------------------------------------

NEWLINES = ["\n", "\r\n", "\r"]


@pytest.mark.parametrize("newline", NEWLINES)
def test_every_pattern_that_guards_input_refuses_a_trailing_newline(newline: str) -> None:
    valid_key = "ck_" + "A" * 43
    webhook_id = "wh_" + "0" * 26
    delivery_id = "del_" + "0" * 26
    assert TOKEN.fullmatch("X-A") and TOKEN.fullmatch("X-A" + newline) is None
    assert TENANT_ID.fullmatch("acme") and TENANT_ID.fullmatch("acme" + newline) is None
    assert KEY_FORMAT.fullmatch(valid_key) and KEY_FORMAT.fullmatch(valid_key + newline) is None
    assert EVENT_ID.fullmatch("evt_1") and EVENT_ID.fullmatch("evt_1" + newline) is None
    assert ids.is_valid("webhook", webhook_id) and not ids.is_valid("webhook", webhook_id + newline)
    assert ids.is_valid("delivery", delivery_id) and not ids.is_valid("delivery", delivery_id + newline)
    with pytest.raises(ValueError, match="header name"):
        check_headers({"X-A" + newline: "v"})
    with pytest.raises(ValueError, match=r"signature\.header"):
        check_signature_header("X-Sig" + newline)
    with pytest.raises(ValueError, match="field name"):
        check_filters({"a" + newline: 1})
    with pytest.raises(InvalidInput):
        check_tenant_id("acme" + newline)
    with pytest.raises(UrlRejected):
        check_url("https://example.com" + newline, allow_private=False, allow_http=False)


def test_no_guard_in_carrier_uses_match_or_a_dollar_anchor() -> None:
    """`$` matches before a final newline: a guard is a fullmatch (or ends in \\Z), never `^...$` with match."""
    found = []
    api = Path(carrier.__path__[0]).parents[2] / "functions" / "api" / "carrier_api"
    for path in [*Path(carrier.__path__[0]).rglob("*.py"), *api.rglob("*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            anchored = re.search(r"re\.compile\(r?[\"'].*\$[\"']", line)
            matched = re.search(r"(?<!full)match\(", line) and "def " not in line
            if anchored or matched:
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert found == []


# ---- lone surrogates at any depth -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ("ok", None),
        ({"a": [1, {"b": "ok"}]}, None),
        ("\ud800", "data"),
        ({"k": "\udfff"}, "data.k"),
        ({"k": ["x", {"y": "a\ud83db"}]}, "data.k.1.y"),
        ({"\ud800": 1}, "data.\\ud800"),
        ({"ok": "\U0001f600"}, None),  # a pair is one astral character: fine
    ],
)
def test_a_lone_surrogate_is_found_at_any_depth(value: object, where: str | None) -> None:
    assert lone_surrogate_at(value, "data") == where


def test_a_long_key_is_named_short() -> None:
    found = lone_surrogate_at({"k" * 10_000: {"x": "\ud800"}}, "data")
    assert found == "data." + "k" * 40 + "….x"


def test_deep_nesting_is_walked_without_recursion() -> None:
    value: object = "\ud800"
    for _ in range(5000):
        value = [value]
    found = lone_surrogate_at(value, "data")
    assert found is not None and found.startswith("data.0.0")

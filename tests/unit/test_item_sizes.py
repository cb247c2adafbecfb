"""`carrier.store.sizes`: an item's size as DynamoDB bills it (the developer guide's rules), which keeps a first-try
delivery within one write unit and prices writes in bench/."""

from __future__ import annotations

import math
from decimal import Context, Decimal

from hypothesis import given
from hypothesis import strategies as st

from carrier.store.sizes import item_bytes, value_bytes, write_units


def test_the_guides_rules() -> None:
    assert value_bytes("héllo") == 6 and value_bytes(b"\x00\x01") == 2
    assert value_bytes(None) == 1 and value_bytes(True) == 1
    assert value_bytes(0) == 2 and value_bytes(123) == 3 and value_bytes(1000000) == 2  # significant digits
    assert value_bytes(Decimal("1.5")) == 2
    assert value_bytes([1, "ab"]) == 3 + (1 + 2) + (1 + 2)
    assert value_bytes({"a": "bc"}) == 3 + 1 + 1 + 2
    assert item_bytes({"pk": "WH#1", "n": 7}) == 2 + 4 + 1 + 2
    assert write_units({"x": "y" * 1020}) == 1 and write_units({"x": "y" * 1024}) == 2


@given(st.integers(min_value=-(10**38), max_value=10**38))
def test_an_integer_costs_one_byte_per_two_significant_digits_plus_one(number: int) -> None:
    exact = Context(prec=100)  # DynamoDB keeps 38 digits; Decimal's default context would round past 28
    digits = str(exact.abs(Decimal(number)).normalize(exact)).replace(".", "").lstrip("0").split("E")[0]
    assert value_bytes(number) == math.ceil(max(len(digits), 1) / 2) + 1


@given(st.text())
def test_a_string_costs_its_utf8_bytes(text: str) -> None:
    try:
        expected = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: never stored (refused at the edge)
        return
    assert value_bytes(text) == expected


def reference(value: object) -> int:
    """The guide's rules written plainly (what `value_bytes` computes faster)."""
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return value_bytes(value)  # checked against Decimal above
    if isinstance(value, dict):
        return 3 + sum(1 + len(k.encode("utf-8")) + reference(v) for k, v in value.items())
    assert isinstance(value, list)
    return 3 + sum(1 + reference(v) for v in value)


leaves = st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.text(alphabet=st.characters(codec="utf-8"))
values = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
)


@given(st.dictionaries(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8), values, max_size=6))
def test_an_item_is_the_sum_of_its_names_and_values_nested_maps_and_lists_too(item: dict[str, object]) -> None:
    assert item_bytes(item) == sum(len(k.encode("utf-8")) + reference(v) for k, v in item.items())

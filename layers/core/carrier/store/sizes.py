"""An item's size as DynamoDB bills it: what decides its write units (1 per started KB) and read units (4 KB).

The rules (DynamoDB developer guide, "Item sizes and formats"): an attribute costs its name's UTF-8 bytes plus its
value's: a string its UTF-8 bytes, a number about one byte per two significant digits plus one, binary its bytes,
a boolean or null one byte, and a list or map three bytes plus one byte per element plus its elements (a map's
elements with their names). The engine keeps a first-try delivery inside one write unit with these numbers
(`carrier.recording`), and `bench/` prices writes with them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096


def value_bytes(value: Any) -> int:
    kind = type(value)
    if kind is str:  # the common leaves first, without isinstance or Decimal
        return len(value) if value.isascii() else len(value.encode("utf-8"))
    if kind is int:
        digits = str(abs(value)).rstrip("0")  # significant digits, as Decimal.normalize() keeps them
        return (max(len(digits), 1) + 1) // 2 + 1
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, int | float | Decimal):
        digits = str(abs(Decimal(str(value))).normalize()).replace(".", "").lstrip("0").split("E")[0]
        return math.ceil(max(len(digits), 1) / 2) + 1
    if isinstance(value, Mapping):
        return 3 + len(value) + item_bytes(value)
    if isinstance(value, list | tuple | set | frozenset):
        return 3 + len(value) + sum(map(value_bytes, value))
    raise TypeError(f"not a DynamoDB value: {type(value).__name__}")


def item_bytes(item: Mapping[str, Any]) -> int:
    """The billed size of an item: every attribute's name and value (a map's elements are sized the same way)."""
    total = 0
    for name, value in item.items():  # a plain loop: this runs for every first-try delivery (recording.first_record)
        name = name if type(name) is str else str(name)
        total += len(name) if name.isascii() else len(name.encode("utf-8"))
        if type(value) is str:
            total += len(value) if value.isascii() else len(value.encode("utf-8"))
        else:
            total += value_bytes(value)
    return total


def write_units(item: Mapping[str, Any]) -> int:
    return max(1, math.ceil(item_bytes(item) / WRITE_UNIT_BYTES))

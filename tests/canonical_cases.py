"""Values for the canonical JSON tests: known vectors (each checked against Node 20's JSON.stringify) and a seeded
generator of varied JSON values (tests/unit/test_canonical.py, tests/integration/test_canonical_node.py)."""

from __future__ import annotations

import math
import random
import struct
from typing import Any

# (value, the text JSON.stringify writes for the value JSON.parse reads from Python's json.dumps of it)
VECTORS: list[tuple[Any, str]] = [
    (8.0, "8"),
    (-0.0, "0"),
    (1e21, "1e+21"),
    (1e-7, "1e-7"),
    (2.5e-8, "2.5e-8"),
    (123456789012345680000.0, "123456789012345680000"),
    (9.999999999999999e20, "999999999999999900000"),
    (0.000001, "0.000001"),
    (1.5e-5, "0.000015"),
    (-1.5e-5, "-0.000015"),
    (0.0001, "0.0001"),
    (0.1, "0.1"),
    (123.456, "123.456"),
    (1e16, "10000000000000000"),
    (-1e16, "-10000000000000000"),
    (1.5e300, "1.5e+300"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (5e-324, "5e-324"),
    (1e-10, "1e-10"),
    (12345678901234567890, "12345678901234567000"),
    (2**53, "9007199254740992"),
    (2**53 + 1, "9007199254740992"),
    (-(2**53) - 1, "-9007199254740992"),
    (2**60, "1152921504606847000"),
    (10**21, "1e+21"),
    (10**25 + 1, "1e+25"),
    (0, "0"),
    (-7, "-7"),
    (True, "true"),
    (False, "false"),
    (None, "null"),
    ("\ud800", '"\\ud800"'),
    ("a\udc00\ud800b", '"a\\udc00\\ud800b"'),
    ("\udfff\udbff", '"\\udfff\\udbff"'),
    ("\ud83d\ude00", '"\U0001f600"'),  # a pair as two code points is the character JS sees
    ("é\U0001f600\u4e2d", '"é\U0001f600\u4e2d"'),
    ("\u2028\u2029\x7f\x80\ufeff", '"\u2028\u2029\x7f\x80\ufeff"'),
    ("\x00\x01\x1f \x1e", '"\\u0000\\u0001\\u001f \\u001e"'),
    ('\b\f\n\r\t"\\/', '"\\b\\f\\n\\r\\t\\"\\\\/"'),
    ("", '""'),
    ([], "[]"),
    ({}, "{}"),
    ((1, 2.0), "[1,2]"),
    (
        {"b": 1, "4294967295": 2, "4294967294": 3, "a": 4, "0": 5, "07": 6, "-1": 7, "10": 8, "2": 9, "1.5": 10},
        '{"0":5,"2":9,"10":8,"4294967294":3,"b":1,"4294967295":2,"a":4,"07":6,"-1":7,"1.5":10}',
    ),
    ({"٣": 1, "²": 2, "1": 3, " 1": 4, "1 ": 5, "+1": 6}, '{"1":3,"٣":1,"²":2," 1":4,"1 ":5,"+1":6}'),
    ({"__proto__": 1, "constructor": 2}, '{"__proto__":1,"constructor":2}'),
    ({"\ud83d\ude00": 1, "a": 2, "\U0001f600": 3}, '{"\U0001f600":3,"a":2}'),  # one key to JS: first place, last value
    (
        {"data": {"x": [8.0, {"1": 1e21, "a": None}], "é": "\u2028", "3": -0.0}, "retry_count": 0},
        '{"data":{"3":0,"x":[8,{"1":1e+21,"a":null}],"é":"\u2028"},"retry_count":0}',
    ),
    # strings that read like the encoder's placeholders, beside numbers that need one
    (
        ["\x000", 1e-5, "\x00\x00\x001", {"\x000": 2e-5}, "\x0099", '"\x000'],
        '["\\u00000",0.00001,"\\u0000\\u0000\\u00001",{"\\u00000":0.00002},"\\u000099","\\"\\u00000"]',
    ),
    (["\x00" * 7 + "0", 3e-6], '["\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u00000",0.000003]'),
]

REFUSED: list[Any] = [math.nan, math.inf, -math.inf, [1, {"a": math.nan}], 10**400, -(10**309)]

INDEX_KEYS = ["0", "1", "2", "7", "10", "42", "07", "00", "-1", "-0", "1.5", "1e3", "4294967294", "4294967295"]
SPECIAL_FLOATS = [
    0.0,
    -0.0,
    8.0,
    0.1,
    0.5,
    1e21,
    1e-7,
    1e-6,
    1e-5,
    1e-4,
    1e16,
    1e15,
    5e-324,
    2.0**53,
    1.7976931348623157e308,
]


def _float(rng: random.Random) -> float:
    pick = rng.randrange(7)
    if pick == 0:
        while True:  # any bit pattern that is a finite double
            x: float = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
            if math.isfinite(x):
                return x
    if pick == 1:
        return rng.choice(SPECIAL_FLOATS) * rng.choice([1, -1])
    if pick == 2:
        return round(rng.uniform(-1000, 1000), rng.randrange(7))
    if pick == 3:
        return rng.random() * 10.0 ** rng.randint(-30, 30)
    if pick == 4:
        return float(rng.randint(-(10**6), 10**6))
    if pick == 5:
        return 10.0 ** rng.randint(-25, 25) * rng.choice([1, -1])
    return float(rng.randint(-(10**22), 10**22))


def _int(rng: random.Random) -> int:
    return rng.choice(
        [
            rng.randint(-100, 100),
            rng.randint(-(2**63), 2**63),
            2**53 + rng.randint(-3, 3),
            rng.randint(-(10**30), 10**30),
            10 ** rng.randint(0, 40),
        ]
    )


def _char(rng: random.Random, surrogates: bool) -> str:
    pick = rng.randrange(10)
    if pick < 3:
        return chr(rng.randint(0x20, 0x7E))
    if pick == 3:
        return chr(rng.choice([*range(0x20), 0x7F, 0x22, 0x5C, 0x2F, 0x2028, 0x2029, 0xFEFF, 0xFFFF]))
    if pick == 4:
        return chr(rng.randint(0x80, 0x7FF))
    if pick == 5:
        return chr(rng.randint(0x800, 0xD7FF))
    if pick == 6:
        return chr(rng.randint(0x10000, 0x10FFFF))
    if pick == 7 and surrogates:
        return chr(rng.randint(0xD800, 0xDFFF))  # lone, or by chance beside another one
    if pick == 8 and surrogates:
        return chr(rng.randint(0xD800, 0xDBFF)) + chr(rng.randint(0xDC00, 0xDFFF))  # a pair as two code points
    return chr(rng.randint(0xE000, 0xFFFD))


def text(rng: random.Random, surrogates: bool = True) -> str:
    return "".join(_char(rng, surrogates) for _ in range(rng.randrange(12)))


def key(rng: random.Random, surrogates: bool = True) -> str:
    pick = rng.randrange(4)
    if pick == 0:
        return rng.choice(INDEX_KEYS)
    if pick == 1:
        return str(rng.randint(0, 2**33))
    return text(rng, surrogates)


def value(rng: random.Random, depth: int = 3, surrogates: bool = True) -> Any:
    """A random JSON value (nested up to `depth`)."""
    pick = rng.randrange(9 if depth > 0 else 6)
    if pick == 0:
        return rng.choice([None, True, False])
    if pick in (1, 2):
        return _float(rng)
    if pick == 3:
        return _int(rng)
    if pick in (4, 5):
        return text(rng, surrogates)
    if pick == 6:
        return [value(rng, depth - 1, surrogates) for _ in range(rng.randrange(6))]
    return {key(rng, surrogates): value(rng, depth - 1, surrogates) for _ in range(rng.randrange(7))}


def bodies(seed: int, count: int, surrogates: bool = True) -> list[Any]:
    """`count` values, most of them objects (as payloads are), from a fixed seed."""
    rng = random.Random(seed)
    found: list[Any] = []
    while len(found) < count:
        body = value(rng, 4, surrogates)
        if isinstance(body, dict) or rng.random() < 0.2:
            found.append(body)
    return found

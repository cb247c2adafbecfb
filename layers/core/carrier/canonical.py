"""Canonical JSON: the text ECMAScript's `JSON.stringify` writes, so `JSON.stringify(JSON.parse(body)) === body`.

A receiver that verifies the signature over `JSON.stringify(req.body)` (seed 004's Express receiver) instead of
over the bytes it was sent checks exactly this text; Carrier signs and sends it. For every JSON value:

- no whitespace, no trailing newline;
- numbers as ECMAScript's Number::toString writes the double: the shortest digits that round-trip (Python's `repr`
  finds the same digits), in decimal notation for 1e-6 <= |x| < 1e21 and as `de+N`, `d.ddde-N` otherwise: `8.0` -> `8`,
  `-0.0` -> `0`, `1e-05` -> `0.00001`, `1e-07` -> `1e-7`, `1e21` -> `1e+21`, `1.2345678901234568e+20` ->
  `123456789012345680000`;
- integers beyond +-2**53 lose precision exactly as they do in JavaScript: `JSON.parse` reads every number as a
  double, so they are written as that double (`12345678901234567890` -> `12345678901234567000`). An integer beyond
  the range of a double (it would parse as Infinity), NaN and Infinity are refused (ValueError): JSON has none;
- strings: `"` `\\` `\\b` `\\f` `\\n` `\\r` `\\t` escaped, other code points below U+0020 as `\\u00xx`, lone surrogates
  as `\\udxxx` (lower-case hex: well-formed JSON.stringify); every other character as itself (U+007F, U+2028,
  U+2029, astral characters; a high and a low surrogate side by side are the one character they spell in JS);
- object members in JavaScript's own order: integer-index keys (`"0"` to `"4294967294"` written canonically:
  not `"07"`, not `"-1"`) first in ascending numeric order, then the other keys in insertion order. Two keys
  JavaScript sees as one (a surrogate pair and its astral character) are one member: the first one's place, the
  last one's value, as `JSON.parse` keeps them.

Speed: json's C encoder writes the text (`ensure_ascii=False`). A walk before it copies every container
(integer-index keys moved first; a key that is not a str is the str json makes of it) and replaces the numbers
Python writes otherwise: an integral float becomes the int with JS's digits; the few that JS writes with an
exponent or a `0.0000` prefix (and Python not) become placeholder strings, replaced after encoding. Strings, safe
ints and other floats are kept without a call. A text with a surrogate is encoded again, pairs merged and lone
ones escaped. Payload-like bodies take about 1.4 to 2.5 times json.dumps' time (0.2 ms for 5 KB), more where most
values are numbers JS writes otherwise.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import Any

MAX_SAFE = 2**53  # every integer up to this is a double, written with all its digits
MAX_INDEX = 2**32 - 2  # the largest array index: such keys come first in a JS object
SURROGATE = re.compile("[\ud800-\udfff]")
PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
ESCAPED_NUL = "\\u0000"  # how json writes the placeholders' NUL (a control character is always escaped)
NULS = re.compile("(?:" + re.escape(ESCAPED_NUL) + ")+")
PLACEHOLDER = re.compile('"' + re.escape(ESCAPED_NUL) + '([0-9]+)"')

MAX_DOUBLE_INT = int(sys.float_info.max)  # the largest integer a double holds; beyond it JS reads Infinity
MAX_EXACT_INT = 2**53  # beyond it, a JSON number is read (by JavaScript, and many parsers) as a rounded double
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False)


def unsendable_number_at(value: Any, path: str = "data") -> str | None:
    """The dotted path of the first number JSON cannot carry to every receiver exactly (NaN, an infinity, or an
    integer beyond 2**53, which JavaScript and many other parsers read as a rounded double), or None. Publishing
    refuses such data up front, naming it, rather than send a changed value: send such numbers as strings."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, float) and (item != item or item in (float("inf"), float("-inf"))):
            return where
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_EXACT_INT:
            return where
        if isinstance(item, dict):
            stack.extend((f"{where}.{key}", inner) for key, inner in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((f"{where}.{i}", inner) for i, inner in enumerate(item))
    return None


def js_number(x: float) -> str:
    """ECMAScript Number::toString(x) for a finite double (Python's repr has the same shortest digits)."""
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"{x!r} is not a JSON number")
    if x == 0:
        return "0"
    text = repr(x)
    sign = "-" if text[0] == "-" else ""
    mantissa, _, exponent = text.lstrip("-").partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or 0)  # value = 0.DIGITS * 10**point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    tail = f"e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + (digits if k == 1 else digits[0] + "." + digits[1:]) + tail


def _is_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and (key == "0" or key[0] != "0") and int(key) <= MAX_INDEX


class _Walk:
    """One encoding's walk: values as the C encoder should see them, and the texts of the placeholders."""

    def __init__(self, nuls: int, unicode: bool) -> None:
        self.mark = "\x00" * nuls  # placeholders are the mark and a number: json writes the mark as "\u0000..."
        self.pattern = PLACEHOLDER if nuls == 1 else re.compile(f'"(?:{re.escape(ESCAPED_NUL)}){{{nuls}}}([0-9]+)"')
        self.unicode = unicode  # also merge surrogate pairs in every string (only when the text holds surrogates)
        self.texts: list[str] = []

    def number(self, x: float) -> Any:
        if x.is_integer():
            if -MAX_SAFE <= x <= MAX_SAFE:
                return int(x)  # 8.0 -> 8, -0.0 -> 0
            if -1e21 < x < 1e21:
                return int(js_number(x))  # the int whose digits are JS's (shortest digits, then zeros)
        elif x >= 1e-4 or x <= -1e-4:
            return x  # non-integral, so |x| < 2**52: repr has no exponent and is JS's text
        text = js_number(x)  # also refuses NaN and Infinity
        if text == repr(x):
            return x
        self.texts.append(text)
        return f"{self.mark}{len(self.texts) - 1}"

    def substitute(self, text: str) -> tuple[str, int]:
        """The text with each placeholder replaced, and how many places matched (more if a string looks like one)."""
        texts = self.texts
        return self.pattern.subn(lambda m: texts[int(m[1])] if int(m[1]) < len(texts) else m[0], text)

    def string(self, s: str) -> str:
        if self.unicode and SURROGATE.search(s):
            return PAIR.sub(lambda m: m.group().encode("utf-16-le", "surrogatepass").decode("utf-16-le"), s)
        return s

    def value(self, v: Any) -> Any:
        kind = type(v)  # containers first: the arrays and objects inline the common leaves
        if kind is dict:
            return self.object(v)
        if kind is list or kind is tuple:
            return self.array(v)
        if kind is float:
            return self.number(v)
        if kind is int:
            return v if -MAX_SAFE <= v <= MAX_SAFE else self.big(v)
        if kind is str:
            return self.string(v) if self.unicode else v
        if v is None or kind is bool:
            return v
        if isinstance(v, bool | int | float | str | dict | list | tuple):  # subclasses: as their base type
            return self.value(_base(v))
        raise TypeError(f"Object of type {kind.__name__} is not JSON serializable")

    def big(self, v: int) -> Any:
        try:
            return self.number(float(v))
        except OverflowError:
            raise ValueError(f"an integer of {len(str(abs(v)))} digits is beyond the range of a double") from None

    def array(self, items: Iterable[Any]) -> list[Any]:
        value = self.value
        if self.unicode:
            return [value(x) for x in items]
        # the values json already writes as JS does stay as they are, without a call (the common case, so fast)
        return [
            x
            if (kind := type(x)) is str
            or (kind is int and -MAX_SAFE <= x <= MAX_SAFE)
            or (kind is float and 1e-4 <= abs(x) < 1e16 and not x.is_integer())
            else value(x)
            for x in items
        ]

    def object(self, members: dict[str, Any]) -> dict[str, Any]:
        try:
            digits = any(map(str.isdigit, members))  # an integer-index key may be there
        except TypeError:  # a key that is not a str: the str json makes of it (1 -> "1", None -> "null")
            members = {_json_key(k): x for k, x in members.items()}
            digits = any(map(str.isdigit, members))
        if self.unicode:
            out: dict[str, Any] = {}
            for key, x in members.items():
                out[self.string(key)] = self.value(x)  # a key JS sees twice: its first place, its last value
        else:
            out = dict(zip(members, self.array(members.values()), strict=True))
        if digits:
            indices = sorted((k for k in out if _is_index(k)), key=int)
            if indices:
                out = {**{k: out[k] for k in indices}, **{k: x for k, x in out.items() if not _is_index(k)}}
        return out


def _base(v: Any) -> Any:
    """A subclass's value as its base type (json writes an IntEnum as its int, a str subclass as its text)."""
    if isinstance(v, int):
        return int.__int__(v)
    if isinstance(v, float):
        return float.__float__(v)
    if isinstance(v, str):
        return str.__str__(v)
    return dict(v) if isinstance(v, dict) else list(v)


def _json_key(key: Any) -> str:
    return key if isinstance(key, str) else str(next(iter(json.loads(_ENCODER.encode({key: 0})))))


def _escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def _encode(value: Any, unicode: bool) -> str:
    walk = _Walk(1, unicode)
    text = _ENCODER.encode(walk.value(value))
    if not walk.texts:
        return text
    substituted, count = walk.substitute(text)
    if count == len(walk.texts):
        return substituted
    # A string of the data reads like a placeholder: again, with more NULs than any run of them in the text.
    walk = _Walk(max(len(run) for run in NULS.findall(text)) // len(ESCAPED_NUL) + 1, unicode)
    return walk.substitute(_ENCODER.encode(walk.value(value)))[0]


def dumps(value: Any) -> str:
    """The canonical JSON text of a JSON value (str keys; lists or tuples; None, bool, int, float, str)."""
    text = _encode(value, unicode=False)
    if text.isascii() or not SURROGATE.search(text):
        return text
    return SURROGATE.sub(_escape, _encode(value, unicode=True))


def encode(value: Any) -> bytes:
    """`dumps(value)` as UTF-8: the bytes Carrier signs and sends."""
    text = _encode(value, unicode=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a surrogate: pairs merged, lone ones escaped
        return SURROGATE.sub(_escape, _encode(value, unicode=True)).encode("utf-8")

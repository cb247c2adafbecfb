"""What must never be stored or shown in clear, and how it is masked: custom header values and signing keys
in request headers, receiver answers and error texts.

The secrets of one attempt (`secret_values`, worked out once per set of keys and header values, then kept) are
its signing keys (with and without `whsec_`) and its custom header values, each with its secret-bearing parts: the
credential after an auth scheme word (`Bearer <token>`, and what a `Basic` credential decodes to), and every piece
of 8+ characters between whitespace, `,`, `;`, `=` and `:`. `redact` masks every one of them in every form a
receiver may echo it in:

- as it is: searched in the text;
- JSON escapes (`\\/` as PHP's json_encode writes it, `\\"`, `\\uXXXX` of any or every character, surrogate
  pairs; Python repr's `\\'` and `\\xNN` too) and URL encoding (quote and quote_plus, upper or lower hex, any
  characters encoded): searched in the text read with its escapes, its `%XX` runs (and `+` as a space, for values
  holding one), or both, decoded;
- base64 (standard and urlsafe, padded or not, alone or at any of the three alignments inside a longer encoded
  stream): the encoded forms (`base64_forms`) are searched like the value, as it is and decoded.

Decoded matches are mapped back to the text's own characters, so what is masked is the escaped form as written.
Values shorter than 4 characters are left out (masking every "a" would wreck the text and hide nothing).
"""

from __future__ import annotations

import base64
import binascii
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from carrier.models.common import MASK

MIN_VALUE = 4  # a whole value, a signing key or a credential
MIN_PIECE = 8  # a piece of a header value between separators
SECRETS_CACHED = 4096  # sets of secrets whose forms are kept worked out (one a webhook, recently attempted)

# Words that open an Authorization-style value: a piece of the value, but no secret (never masked alone).
SCHEME_WORDS = frozenset(
    {
        "apikey",
        "api-key",
        "aws4-hmac-sha256",
        "basic",
        "bearer",
        "digest",
        "dpop",
        "hoba",
        "mutual",
        "negotiate",
        "ntlm",
        "oauth",
        "sharedaccesssignature",
        "ssws",
        "token",
    }
)

_SCHEME_AND_CREDENTIAL = re.compile(r"([A-Za-z][A-Za-z0-9._~+/-]*)[ \t]+(\S.*)", re.DOTALL)
_SEPARATORS = re.compile(r"[\s,;=:]+")


def mask_headers(headers: dict[str, str], secret_names: set[str]) -> dict[str, str]:
    """Request headers as logged: custom header values and signatures masked."""
    masked = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in secret_names:
            masked[name] = MASK
        elif "signature" in lowered:
            masked[name] = value[:10] + "…"
        else:
            masked[name] = value
    return masked


# ---- what is secret ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    """The secret values of one attempt and every literal form `redact` searches for, longest first."""

    values: tuple[str, ...]
    literals: tuple[str, ...]
    spaced: bool  # a literal holds a space, which quote_plus writes as '+'

    @classmethod
    def of(cls, values: Iterable[str]) -> Secrets:
        kept = sorted({value for value in values if len(value) >= MIN_VALUE}, key=lambda v: (-len(v), v))
        literals = set(kept)
        for value in kept:
            literals.update(base64_forms(value))
        ordered = tuple(sorted(literals, key=lambda v: (-len(v), v)))
        return cls(tuple(kept), ordered, any(" " in literal for literal in ordered))

    def __bool__(self) -> bool:
        return bool(self.literals)


def secret_values(keys: list[str], custom: dict[str, str]) -> Secrets:
    """What must never be stored in clear: signing keys (with and without their `whsec_` prefix), header values
    and their secret-bearing parts, each in every form `redact` knows.

    Worked out once per set of keys and header values (a webhook's every attempt asks again with the same ones):
    the forms are a pure function of the values, and the values are those the vault's cache already holds."""
    return _secrets_of(tuple(keys), tuple(custom.values()))


@lru_cache(maxsize=SECRETS_CACHED)
def _secrets_of(keys: tuple[str, ...], custom: tuple[str, ...]) -> Secrets:
    values = [*keys, *(key.removeprefix("whsec_") for key in keys if key.startswith("whsec_"))]
    for value in custom:
        values += [value, *secret_parts(value)]
    return Secrets.of(values)


def secret_parts(value: str) -> list[str]:
    """The parts of a header value that are secrets by themselves: the credential after a scheme word (and its
    decoded text when it is base64 of text, as Basic credentials are), and every piece of 8+ characters."""
    text = value.strip()
    parts: list[str] = []
    scheme = _SCHEME_AND_CREDENTIAL.fullmatch(text)
    if scheme is not None:
        credential = scheme.group(2).strip()
        parts.append(credential)
        decoded = _decoded_text(credential)
        if decoded is not None:
            parts += [decoded, *_pieces(decoded)]
    return parts + _pieces(text)


def _pieces(text: str) -> list[str]:
    return [p for p in _SEPARATORS.split(text) if len(p) >= MIN_PIECE and p.lower() not in SCHEME_WORDS]


def _decoded_text(credential: str) -> str | None:
    """The text a base64 credential encodes (`Basic dXNlcjpwYXNz` -> `user:pass`), or None."""
    try:
        decoded = base64.b64decode(credential + "=" * (-len(credential) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return decoded if len(decoded) >= MIN_VALUE and decoded.isprintable() else None


def base64_forms(value: str) -> set[str]:
    """How `value` reads inside base64 text: its whole encoding (standard and urlsafe, with and without padding)
    and, for each of the three alignments it can take inside a longer encoded stream, the characters that encode
    its bytes only (the characters at its edges also carry bits of its neighbours)."""
    data = value.encode("utf-8", "surrogatepass")
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        forms.update((whole, whole.rstrip("=")))
        for offset in range(3):
            stream = encode(b"\0" * offset + data).decode("ascii")
            first = -(-8 * offset // 6)  # the first character made of the value's bits only
            end = 8 * (offset + len(data)) // 6  # after the last one
            core = stream[first:end]
            if len(core) >= MIN_VALUE:
                forms.add(core)
    return forms


# ---- masking ------------------------------------------------------------------------------------------------


def redact(text: str | None, secrets: Secrets | Iterable[str]) -> str | None:
    """`text` with every secret masked, in every form listed in this module's docstring: a receiver that echoes
    its request back must not make the delivery log show the signing secret or a custom header's value."""
    if not text:
        return text
    found = secrets if isinstance(secrets, Secrets) else Secrets.of(secrets)
    if not found:
        return text
    spans = list(_occurrences(text, found.literals))
    for reading in _readings(text, found.spaced):
        decoded, view = _decode(text, reading)
        spans += [view.span(start, end) for start, end in _occurrences(decoded, found.literals)]
    return _masked(text, spans) if spans else text


def excerpt(raw: bytes | str | None, secrets: Secrets | Iterable[str], limit: int) -> str | None:
    """What is kept of a receiver's answer or an error text: every secret masked first, then cut to `limit` bytes
    of UTF-8 (cutting first could leave the start of a secret that straddles the cut in clear)."""
    if not raw:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    masked = redact(text, secrets) or ""
    return masked.encode("utf-8", "replace")[:limit].decode("utf-8", "ignore")


@dataclass(frozen=True)
class _Reading:
    """Which escapes a reading of the text decodes: a value JSON-escaped keeps a literal `%41` as it is, a value
    URL-encoded a literal `\\n`; one echoed through both (a URL-encoded value in PHP's JSON) needs both."""

    json: bool
    url: bool
    plus_is_space: bool


def _readings(text: str, spaced: bool) -> list[_Reading]:
    json_escaped = "\\" in text
    url_encoded = "%" in text or (spaced and "+" in text)  # quote_plus writes a space as '+', and '+' as %2B
    readings = []
    if json_escaped:
        readings.append(_Reading(json=True, url=False, plus_is_space=False))
    if url_encoded:
        readings.append(_Reading(json=False, url=True, plus_is_space=spaced))
    if json_escaped and url_encoded:
        readings.append(_Reading(json=True, url=True, plus_is_space=spaced))
    return readings


def _occurrences(text: str, literals: Iterable[str]) -> Iterator[tuple[int, int]]:
    """Every place a literal covers, overlapping occurrences joined (a literal found at 0 and 2 covers 0 to 2+n)."""
    length = len(text)
    for literal in literals:
        size = len(literal)
        if size > length:
            continue
        start = text.find(literal)
        if start < 0:
            continue
        first, last = start, start + size
        while True:
            start = text.find(literal, start + 1)
            if start < 0:
                break
            if start > last:
                yield first, last
                first = start
            last = start + size
        yield first, last


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    out, position = [], 0
    for start, end in sorted(spans):
        if end <= position:
            continue
        if start > position:
            out.append(text[position:start])
            out.append(MASK)
        elif not out or out[-1] != MASK:
            out.append(MASK)
        position = max(position, end)
    out.append(text[position:])
    return "".join(out)


# ---- reading escaped text -----------------------------------------------------------------------------------

# JSON's escapes, and Python repr's \' and \xNN (the transport's error texts quote a Location with repr).
_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # a surrogate pair: one character
    r"|\\u[0-9a-fA-F]{4}"
    r"|\\x[0-9a-fA-F]{2}"
    r"|\\[\"'\\/bfnrt]"
    r"|(?:%[0-9a-fA-F]{2})+"
    r"|\+"
)
_SHORT_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass
class _View:
    """Where each character of a decoded text came from: runs copied as they were, and one decoded character per
    escape (its source span)."""

    starts: list[int]  # decoded index of each run
    sources: list[int]  # the text's index of each run's first character
    ends: list[int]  # the text's end of an escape's span; -1 for a copied run

    def _at(self, index: int) -> tuple[int, int]:
        run = bisect_right(self.starts, index) - 1
        if self.ends[run] < 0:
            source = self.sources[run] + index - self.starts[run]
            return source, source + 1
        return self.sources[run], self.ends[run]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self._at(start)[0], self._at(end - 1)[1]


def _decode(text: str, reading: _Reading) -> tuple[str, _View]:
    out: list[str] = []
    view = _View([], [], [])
    size = position = 0

    def copy(upto: int) -> None:
        nonlocal size
        if upto > position:
            view.starts.append(size)
            view.sources.append(position)
            view.ends.append(-1)
            out.append(text[position:upto])
            size += upto - position

    for match in _ESCAPE.finditer(text):
        escape = match.group()
        if not _decodes(reading, escape):
            continue
        copy(match.start())
        for char, source, end in _characters(escape, match.start()):
            view.starts.append(size)
            view.sources.append(source)
            view.ends.append(end)
            out.append(char)
            size += 1
        position = match.end()
    copy(len(text))
    return "".join(out), view


def _decodes(reading: _Reading, escape: str) -> bool:
    if escape == "+":
        return reading.plus_is_space
    return reading.url if escape[0] == "%" else reading.json


def _characters(escape: str, at: int) -> Iterator[tuple[str, int, int]]:
    """The characters an escape stands for, each with its span in the text."""
    if escape == "+":
        yield " ", at, at + 1
    elif escape[0] == "%":
        yield from _percent_characters(bytes.fromhex(escape.replace("%", "")), at)
    elif escape[1] == "u" and len(escape) == 12:
        high, low = int(escape[2:6], 16), int(escape[8:12], 16)
        yield chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)), at, at + 12
    elif escape[1] in "ux":
        yield chr(int(escape[2:], 16)), at, at + len(escape)
    else:
        yield _SHORT_ESCAPES[escape[1]], at, at + 2


def _percent_characters(data: bytes, at: int) -> Iterator[tuple[str, int, int]]:
    """A run of %XX bytes read as UTF-8, a character at a time (a byte that is no UTF-8 reads as U+FFFD)."""
    index = 0
    while index < len(data):
        lead = data[index]
        width = 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        try:
            char = data[index : index + width].decode("utf-8")
        except UnicodeDecodeError:
            char, width = "\ufffd", 1
        yield char, at + 3 * index, at + 3 * (index + width)
        index += width

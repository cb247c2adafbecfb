"""The secret-bearing parts of a header value and the encoded forms `carrier.redaction` masks (issue 16, items 3
and 5): each row is one form a receiver may echo a secret in; every row fails on a redaction that searches the
whole raw value only. tests/security/test_redaction_property.py throws random values and forms at the same code."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import pytest

from carrier.dispatch import RESPONSE_EXCERPT
from carrier.models.common import MASK
from carrier.redaction import Secrets, base64_forms, excerpt, redact, secret_parts, secret_values

TOKEN = "rtk_live/9f+Qz=Kp2"  # '/', '+' and '=' change under JSON, URL and base64 encoding
BEARER = f"Bearer {TOKEN}"
KEY = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SECRETS = secret_values([KEY], {"Authorization": BEARER})


def b64(
    text: str, prefix: bytes = b"", suffix: bytes = b"", encode: Callable[[bytes], bytes] = base64.b64encode
) -> str:
    return encode(prefix + text.encode() + suffix).decode()


def every_char_escaped(text: str, upper: bool = False) -> str:
    return "".join(f"\\u{ord(c):04X}" if upper else f"\\u{ord(c):04x}" for c in text)


FORMS: dict[str, Callable[[str], str]] = {
    "raw": lambda v: v,
    "json": lambda v: json.dumps(v)[1:-1],
    "json, PHP's \\/": lambda v: json.dumps(v)[1:-1].replace("/", "\\/"),
    "json, every character \\uXXXX": every_char_escaped,
    "json, every character \\uXXXX upper hex": lambda v: every_char_escaped(v, upper=True),
    "json, some characters \\uXXXX": lambda v: "".join(
        every_char_escaped(c) if i % 3 else json.dumps(c)[1:-1] for i, c in enumerate(v)
    ),
    "url quote": quote,
    "url quote, nothing safe": lambda v: quote(v, safe=""),
    "url quote, lower hex": lambda v: re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(v, safe="")),
    "url quote_plus": quote_plus,
    "url, every character": lambda v: "".join(f"%{b:02x}" for b in v.encode()),
    "url quote inside PHP's JSON": lambda v: json.dumps(quote(v, safe="/"))[1:-1].replace("/", "\\/"),
    "base64": b64,
    "base64 unpadded": lambda v: b64(v).rstrip("="),
    "base64 urlsafe": lambda v: b64(v, encode=base64.urlsafe_b64encode),
    "base64 urlsafe unpadded": lambda v: b64(v, encode=base64.urlsafe_b64encode).rstrip("="),
}


def leaked(shown: str, value: str, least: int = 6) -> list[str]:
    """The pieces of `value` of `least` characters or more found in `shown`."""
    return [value[i : i + least] for i in range(len(value) - least + 1) if value[i : i + least] in shown]


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("value", [BEARER, TOKEN, KEY, KEY.removeprefix("whsec_")])
def test_every_form_of_every_secret_is_masked(form: str, value: str) -> None:
    echoed = FORMS[form](value)
    shown = redact(f'{{"echo": "{echoed}", "after": 1}}', SECRETS)
    assert shown == f'{{"echo": "{MASK}", "after": 1}}'


@pytest.mark.parametrize("offset", [0, 1, 2])
@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_base64_of_a_secret_inside_a_longer_stream_is_masked_at_each_alignment(
    offset: int, encode: Callable[[bytes], bytes]
) -> None:
    # Given the base64 of a document holding the token after `offset` (mod 3) bytes
    stream = b64(TOKEN, prefix=b"{'t':'"[: 3 + offset], suffix=b"'} and more", encode=encode)
    # When it is redacted
    shown = redact(stream, SECRETS) or ""
    # Then the characters made of the token's bytes alone are masked: what is left decodes to no piece of it
    assert MASK in shown
    for remains in shown.split(MASK):
        for start in range(4):
            chunk = remains[start:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            decoded = base64.b64decode(chunk.replace("-", "+").replace("_", "/") + "==")
            assert not leaked(decoded.decode("latin-1"), TOKEN, 3)


def test_base64_forms_are_the_whole_encodings_and_the_three_cores() -> None:
    forms = base64_forms("user:pass")
    assert {"dXNlcjpwYXNz"} <= forms
    for offset in range(3):  # each core is inside the encoding of the value after `offset` other bytes
        stream = base64.b64encode(b"\xff" * offset + b"user:pass" + b"\xff").decode()
        assert any(core in stream for core in forms if len(core) >= 8), offset


@pytest.mark.parametrize("form", list(FORMS))
def test_a_value_holding_escape_like_text_is_masked_in_every_form(form: str) -> None:
    # A literal `%41`, `\\n` or `\\u0041` in a value must not be read as an escape in a form that does not escape it
    value = 'tok%41en\\n"x\\u0041+y z'
    secrets = secret_values([], {"X-Token": value})
    assert redact(f"<{FORMS[form](value)}>", secrets) == f"<{MASK}>"


# ---- the secret-bearing parts of a header value -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        ("Bearer rtk_0123456789", ["rtk_0123456789"]),
        ("Token abcd", ["abcd"]),
        ("token  spaced-out-credential ", ["spaced-out-credential"]),
        ("Basic YWxpY2U6czNjcmV0cGFzc3dvcmQ=", ["YWxpY2U6czNjcmV0cGFzc3dvcmQ=", "alice:s3cretpassword"]),
        ("key=abcdefgh1; other=zzzzzzzzz", ["abcdefgh1", "zzzzzzzzz"]),
        ("a,b:cccccccc;dddddddd eeeeeeee\tffffffff=gggggggg", ["cccccccc", "dddddddd", "eeeeeeee", "gggggggg"]),
        ("alice:s3cretpassword", ["s3cretpassword"]),
    ],
)
def test_the_secret_bearing_parts_of_a_value(value: str, parts: list[str]) -> None:
    found = secret_parts(value)
    assert set(parts) <= set(found)
    assert all(part in secret_values([], {"X": value}).values for part in parts)


def test_a_scheme_word_and_short_pieces_are_not_secrets_by_themselves() -> None:
    values = secret_values([], {"Authorization": "Negotiate abc1234567", "X": "k=short7;k2=also-7c"}).values
    assert "Negotiate" not in values and "short7" not in values and "also-7c" not in values
    assert redact("Negotiate is a word", secret_values([], {"Authorization": "Negotiate abc1234567"})) == (
        "Negotiate is a word"
    )


def test_a_token_echoed_without_its_scheme_word_is_masked() -> None:
    # The example: a receiver answering with the token it refused
    body = f'{{"error":"invalid_token","token":"{TOKEN}"}}'
    assert redact(body, SECRETS) == f'{{"error":"invalid_token","token":"{MASK}"}}'


def test_the_pieces_of_a_cookie_like_value_are_masked_one_by_one() -> None:
    secrets = secret_values([], {"Cookie": "session=0123456789abcdef; csrf=fedcba9876543210"})
    shown = redact("your session is 0123456789abcdef and csrf fedcba9876543210", secrets)
    assert shown == f"your session is {MASK} and csrf {MASK}"


def test_the_decoded_user_and_password_of_a_basic_credential_are_masked() -> None:
    credential = base64.b64encode(b"alice:s3cretpassword").decode()
    secrets = secret_values([], {"Authorization": f"Basic {credential}"})
    assert redact("user alice:s3cretpassword, password s3cretpassword", secrets) == f"user {MASK}, password {MASK}"


# ---- what is left alone, and where ----------------------------------------------------------------------------


def test_text_around_an_escaped_secret_is_kept_exactly() -> None:
    text = 'a\\u0041 %41 + "' + quote_plus(BEARER) + '" \\/ \\n ' + json.dumps(TOKEN)[1:-1] + " end"
    assert redact(text, SECRETS) == f'a\\u0041 %41 + "{MASK}" \\/ \\n {MASK} end'


@pytest.mark.parametrize("value", ["", "a", "abc"])
def test_values_shorter_than_four_characters_stay_unmasked(value: str) -> None:
    secrets = secret_values([], {"X-Short": value})
    assert not secrets and redact(f"id={value}", secrets) == f"id={value}"


def test_redact_takes_plain_values_too() -> None:
    assert redact(f"x {json.dumps(TOKEN)} y", [TOKEN]) == f'x "{MASK}" y'
    assert isinstance(secret_values([KEY], {}), Secrets)


@pytest.mark.parametrize("form", ["raw", "json, every character \\uXXXX", "url quote", "base64"])
def test_a_secret_in_any_form_across_the_cut_is_masked_before_it(form: str) -> None:
    echoed = FORMS[form](BEARER)
    for overlap in (1, len(echoed) // 2, len(echoed) - 1):
        body = "x" * (RESPONSE_EXCERPT - overlap) + echoed
        shown = excerpt(body.encode(), SECRETS, RESPONSE_EXCERPT) or ""
        assert len(shown.encode()) <= RESPONSE_EXCERPT
        assert echoed[: min(overlap, 6)] not in shown[RESPONSE_EXCERPT - overlap :], (form, overlap)


def test_a_64_kb_answer_full_of_escapes_is_masked_quickly() -> None:
    body = (quote(BEARER) + "\\u0041" * 200 + "%2F" * 200 + json.dumps(KEY) + "x" * 1000) * 20
    started = time.perf_counter()
    shown = redact(body[: 64 * 1024], SECRETS) or ""
    assert time.perf_counter() - started < 0.5
    assert not leaked(shown, TOKEN) and not leaked(shown, KEY)


def test_a_value_quoted_by_python_repr_is_masked() -> None:
    # The transport names a redirect's Location with repr(): quotes, backslashes and \x85 come back escaped
    value = 'it\'s "q"\\x\x85-token'
    secrets = secret_values([], {"X-Token": f"Token {value}"})
    error = f"the receiver redirected (HTTP 302) to {'https://login.example/?t=' + value!r}; not followed"
    assert (
        redact(error, secrets)
        == f"the receiver redirected (HTTP 302) to 'https://login.example/?t={MASK}'; not followed"
    )

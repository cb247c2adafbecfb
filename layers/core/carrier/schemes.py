"""Signature schemes: one row per scheme, the only place a scheme is defined.

Each `Scheme` row drives signing (`carrier.signing`), verification (`carrier.verify`), the API's
`SignatureScheme` enum and secret rule (`carrier.models`), the CLI's `--scheme` choices and, through the
OpenAPI document, the dashboard's list. Adding a scheme is adding one row to `SCHEMES` (plus its tests).

Keys: single-signature schemes use the secret string's UTF-8 bytes (the seed docs' `secret.encode()`);
standard-webhooks uses the bytes after `whsec_`, base64-decoded, as every Standard Webhooks library does.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache


class InvalidSignature(Exception):
    """A request whose signature does not verify (a missing header is a failure, never a pass)."""


@dataclass(frozen=True)
class SignInput:
    body: bytes
    keys: list[str]  # current key first, then keys still in their rotation grace period
    message_id: str  # webhook-id: the event id, stable across attempts and retries
    webhook_id: str
    event_id: str
    timestamp: int  # seconds since the epoch, the time of this attempt
    event_timestamp: str  # RFC 3339, the time of the event
    header: str | None  # signature header of single-signature schemes


@dataclass(frozen=True)
class VerifyInput:
    secret: str
    body: bytes
    headers: Mapping[str, str]  # lower-cased names
    header: str | None
    tolerance: int
    now: float | None


@dataclass(frozen=True)
class Scheme:
    name: str
    sign: Callable[[SignInput], dict[str, str]]
    verify: Callable[[VerifyInput], None]
    default_header: str | None  # None: the scheme's headers are fixed (no `signature.header`)
    fixed_headers: tuple[str, ...] = ()  # headers the scheme always sets besides the signature header
    secret_rule: Callable[[str], None] = lambda secret: None  # raises ValueError naming the expected form


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, "sha256")  # one call into OpenSSL (hmac.new(...).digest() makes two objects)


def _equal(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.strip().encode())


def header_value(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower())
    if not value:
        raise InvalidSignature(f"missing {name} header")
    return value


# ---- standard-webhooks: id.timestamp.body, several keys at once, replay window ----------------------------


@lru_cache(maxsize=4096)
def standard_webhooks_key(secret: str) -> bytes:
    """The key bytes of a `whsec_` secret (decoded once per secret: every attempt of a webhook signs with it)."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def _whsec_rule(secret: str) -> None:
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True) if secret.startswith("whsec_") else b""
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < 16:
        raise ValueError("secret for standard-webhooks must have the form whsec_<base64 of 16 to 48 random bytes>")


def _sw_sign(s: SignInput) -> dict[str, str]:
    signed = f"{s.message_id}.{s.timestamp}.".encode() + s.body
    signatures = " ".join(
        [
            "v1," + binascii.b2a_base64(_hmac(standard_webhooks_key(key), signed), newline=False).decode()
            for key in s.keys
        ]
    )
    return {"webhook-id": s.message_id, "webhook-timestamp": str(s.timestamp), "webhook-signature": signatures}


def _sw_verify(v: VerifyInput) -> None:
    msg_id = header_value(v.headers, "webhook-id")
    stamp = header_value(v.headers, "webhook-timestamp")
    try:
        sent = int(stamp)
    except ValueError as exc:
        raise InvalidSignature("webhook-timestamp is not a number") from exc
    if abs((time.time() if v.now is None else v.now) - sent) > v.tolerance:
        raise InvalidSignature("timestamp outside the tolerance (replayed or clock skew)")
    signed = f"{msg_id}.{stamp}.".encode() + v.body
    expected = base64.b64encode(_hmac(standard_webhooks_key(v.secret), signed)).decode()
    for candidate in header_value(v.headers, "webhook-signature").split():
        version, _, value = candidate.partition(",")
        if version == "v1" and _equal(expected, value):
            return
    raise InvalidSignature("no matching v1 signature")


# ---- single-signature schemes: HMAC-SHA256 of the body with the current key, in one header ------------------

Extras = Callable[[SignInput], dict[str, str]]


def single(name: str, encode: Callable[[bytes], str], default_header: str, extras: Extras | None = None) -> Scheme:
    """A scheme that puts `encode(HMAC-SHA256(secret, body))` in one header (plus fixed `extras`)."""

    def sign(s: SignInput) -> dict[str, str]:
        return {s.header or default_header: encode(_hmac(s.keys[0].encode(), s.body)), **(extras(s) if extras else {})}

    def verify(v: VerifyInput) -> None:
        given = header_value(v.headers, v.header or default_header)
        if not _equal(encode(_hmac(v.secret.encode(), v.body)), given):
            raise InvalidSignature("signature mismatch")

    probe = SignInput(b"", ["k"], "m", "w", "e", 0, "", None)
    fixed = tuple(extras(probe)) if extras else ()
    return Scheme(name, sign, verify, default_header, fixed)


def _ids_and_time(s: SignInput) -> dict[str, str]:
    return {"X-Webhook-ID": s.webhook_id, "X-Event-ID": s.event_id, "X-Timestamp": s.event_timestamp}


STANDARD_WEBHOOKS = "standard-webhooks"

SCHEMES: dict[str, Scheme] = {
    scheme.name: scheme
    for scheme in (
        Scheme(
            STANDARD_WEBHOOKS,
            _sw_sign,
            _sw_verify,
            None,
            ("webhook-id", "webhook-timestamp", "webhook-signature"),
            _whsec_rule,
        ),
        single("hmac-sha256-hex", lambda d: d.hex(), "X-Webhook-Signature", _ids_and_time),
        single("hmac-sha256-base64", lambda d: base64.b64encode(d).decode(), "X-Hub-Signature-256"),
        single("github", lambda d: "sha256=" + d.hex(), "X-Hub-Signature-256"),
    )
}
DEFAULT_SCHEME = STANDARD_WEBHOOKS

# Every header a scheme may set by default: a custom header may not replace one of them.
SIGNATURE_HEADERS = frozenset(
    name.lower()
    for scheme in SCHEMES.values()
    for name in (*scheme.fixed_headers, *([scheme.default_header] if scheme.default_header else []))
)
# Headers a tenant may pick as `signature.header` although a scheme sets them by default.
DEFAULT_SIGNATURE_HEADERS = frozenset(s.default_header.lower() for s in SCHEMES.values() if s.default_header)

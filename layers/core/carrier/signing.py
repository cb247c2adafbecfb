"""Signature schemes: one table from scheme name to the headers it adds. DESIGN.md's signature table.

Keys: single-signature schemes use the secret string's UTF-8 bytes (the seed docs' `secret.encode()`);
standard-webhooks uses the bytes after `whsec_`, base64-decoded, as every Standard Webhooks library does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from carrier import __version__

USER_AGENT = f"Carrier/{__version__}"


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


def standard_webhooks_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _standard_webhooks(s: SignInput) -> dict[str, str]:
    signed = f"{s.message_id}.{s.timestamp}.".encode() + s.body
    signatures = " ".join(
        "v1," + base64.b64encode(_hmac(standard_webhooks_key(key), signed)).decode() for key in s.keys
    )
    return {"webhook-id": s.message_id, "webhook-timestamp": str(s.timestamp), "webhook-signature": signatures}


def _hex(s: SignInput) -> dict[str, str]:
    return {
        s.header or "X-Webhook-Signature": _hmac(s.keys[0].encode(), s.body).hex(),
        "X-Webhook-ID": s.webhook_id,
        "X-Event-ID": s.event_id,
        "X-Timestamp": s.event_timestamp,
    }


def _base64(s: SignInput) -> dict[str, str]:
    return {s.header or "X-Hub-Signature-256": base64.b64encode(_hmac(s.keys[0].encode(), s.body)).decode()}


def _github(s: SignInput) -> dict[str, str]:
    return {s.header or "X-Hub-Signature-256": "sha256=" + _hmac(s.keys[0].encode(), s.body).hex()}


SCHEMES: dict[str, Callable[[SignInput], dict[str, str]]] = {
    "standard-webhooks": _standard_webhooks,
    "hmac-sha256-hex": _hex,
    "hmac-sha256-base64": _base64,
    "github": _github,
}


def sign(scheme: str, request: SignInput) -> dict[str, str]:
    """Signature headers for one attempt. Single-signature schemes sign with the current key only."""
    if not request.keys:
        raise ValueError("no signing key")
    return SCHEMES[scheme](request)


def base_headers() -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT}

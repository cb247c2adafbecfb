"""Receiver-side verification for every Carrier scheme (`from carrier.verify import verify`).

    verify(scheme, secret, body, headers)  -> None, or raises InvalidSignature

`body` is the raw request body (bytes), `headers` any mapping (case-insensitive lookup is done here).
For standard-webhooks, the only scheme whose signature covers a timestamp, a `webhook-timestamp` more than
`tolerance` seconds from now is refused (replay protection). A missing header is a failure, never a pass.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

from carrier.signing import standard_webhooks_key

DEFAULT_TOLERANCE = 300


class InvalidSignature(Exception):
    pass


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get(name.lower())
    if not value:
        raise InvalidSignature(f"missing {name} header")
    return value


def _check_time(timestamp: float, tolerance: int, now: float | None) -> None:
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise InvalidSignature("timestamp outside the tolerance (replayed or clock skew)")


def _equal(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.strip().encode())


def verify(
    scheme: str,
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    header: str | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Raise InvalidSignature unless `body` and `headers` were signed with `secret` in `scheme`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    if scheme == "standard-webhooks":
        msg_id = _header(headers, "webhook-id")
        stamp = _header(headers, "webhook-timestamp")
        try:
            _check_time(int(stamp), tolerance, now)
        except ValueError as exc:
            raise InvalidSignature("webhook-timestamp is not a number") from exc
        signed = f"{msg_id}.{stamp}.".encode() + body
        expected = base64.b64encode(hmac.new(standard_webhooks_key(secret), signed, hashlib.sha256).digest())
        for candidate in _header(headers, "webhook-signature").split():
            version, _, value = candidate.partition(",")
            if version == "v1" and _equal(expected.decode(), value):
                return
        raise InvalidSignature("no matching v1 signature")
    if scheme == "hmac-sha256-hex":
        if not _equal(digest.hex(), _header(headers, header or "X-Webhook-Signature")):
            raise InvalidSignature("signature mismatch")
        return
    if scheme == "hmac-sha256-base64":
        if not _equal(base64.b64encode(digest).decode(), _header(headers, header or "X-Hub-Signature-256")):
            raise InvalidSignature("signature mismatch")
        return
    if scheme == "github":
        if not _equal("sha256=" + digest.hex(), _header(headers, header or "X-Hub-Signature-256")):
            raise InvalidSignature("signature mismatch")
        return
    raise InvalidSignature(f"unknown scheme {scheme!r}")

"""Receiver-side verification for every Carrier scheme (`from carrier.verify import verify`).

    verify(scheme, secret, body, headers)  -> None, or raises InvalidSignature

`body` is the raw request body (bytes), `headers` any mapping (case-insensitive lookup is done here).
For standard-webhooks, the only scheme whose signature covers a timestamp, a `webhook-timestamp` more than
`tolerance` seconds from now is refused (replay protection). A missing header is a failure, never a pass.
Each scheme's check is its row in `carrier.schemes`.
"""

from __future__ import annotations

from collections.abc import Mapping

from carrier.schemes import SCHEMES, InvalidSignature, VerifyInput

DEFAULT_TOLERANCE = 300

__all__ = ["DEFAULT_TOLERANCE", "InvalidSignature", "verify"]


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
    row = SCHEMES.get(scheme)
    if row is None:
        raise InvalidSignature(f"unknown scheme {scheme!r}")
    lowered = {name.lower(): value for name, value in headers.items()}
    row.verify(VerifyInput(secret, body, lowered, header, tolerance, now))

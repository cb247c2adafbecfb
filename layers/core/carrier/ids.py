"""Identifiers: a prefix and a random or derived body. Ids are validated before they reach the store."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from functools import lru_cache

from carrier import profile
from carrier.clock import parse_iso

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET)  # RFC 4648 base32 -> Crockford's


def _b32(number: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(_ALPHABET[number & 31])
        number >>= 5
    return "".join(reversed(out))


def sortable(prefix: str) -> str:
    """`<prefix>_` + 10 chars of milliseconds + 16 random chars: sorts by creation time."""
    millis = int(time.time() * 1000)
    return f"{prefix}_{_b32(millis, 10)}{_b32(secrets.randbits(80), 16)}"


def webhook_id() -> str:
    """`wh_...`, or the active profile's prefix (`whk_...` for seed 000)."""
    return sortable(profile.active().webhooks.id_prefix)


def event_id() -> str:
    return sortable("evt")


def delivery_id(tenant_id: str, event_id: str, target: str, published: str) -> str:
    """`del_` + 10 chars of the event's published milliseconds + 16 chars derived from (tenant, event, webhook or
    callback URL): the same event delivers once per target, and a webhook's deliveries sort by their event's time,
    which is the log's newest-first order (`store.keys`). `published` is when a dispatcher first stored the event
    (`EventRecord.received_at`, milliseconds; its timestamp for events stored before that field)."""
    digest = hashlib.sha256(f"{tenant_id}\x00{event_id}\x00{target}".encode()).digest()
    return f"del_{_time_part(published)}{base64.b32encode(digest[:10]).decode().translate(_CROCKFORD)}"


@lru_cache(maxsize=256)
def _time_part(published: str) -> str:
    """The 10 characters of an event's time (once per event, not per target)."""
    return _b32(published_millis(published), 10)


def delivery_floor(since: str) -> str:
    """The smallest delivery id of an event published at `since` or later (a log's `since` bound)."""
    return f"del_{_time_part(since)}"


def published_millis(timestamp: str) -> int:
    """An event's time in milliseconds; an unreadable one is 0 (the id stays derived, never the time now)."""
    try:
        return max(0, int(parse_iso(timestamp).timestamp() * 1000))
    except (ValueError, TypeError, OverflowError):
        return 0


ID_PATTERNS = {  # fullmatch: an id followed by a newline is no id
    "webhook": re.compile(r"([a-z]{1,8})_[0-9a-z]{26}"),  # wh_, or the profile's prefix (checked below)
    "delivery": re.compile(r"del_[0-9a-z]{26}"),
}


def is_valid(kind: str, value: str) -> bool:
    match = ID_PATTERNS[kind].fullmatch(value)
    if match is None:
        return False
    return kind != "webhook" or match.group(1) in ("wh", profile.active().webhooks.id_prefix)

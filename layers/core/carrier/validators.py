"""Input rules shared by every API model: URLs, event types, headers, filters and secrets.

Each check takes a value and returns it or raises `ValueError` with a sentence naming what is wrong (pydantic
turns that into a 422 naming the field). Nothing here reads the environment: the deployment's target policy
(private and http:// targets) is injected with `use_target_policy` by the wiring (`carrier.runtime`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carrier.catalog import get_catalog
from carrier.netguard import UrlRejected, check_url
from carrier.schemes import DEFAULT_SIGNATURE_HEADERS, SCHEMES, SIGNATURE_HEADERS

# Headers Carrier sets itself (transport and signature headers): a custom header may not replace them.
TRANSPORT_HEADERS = frozenset(
    {"host", "content-type", "content-length", "content-encoding", "transfer-encoding", "connection", "user-agent"}
)
RESERVED_HEADERS = TRANSPORT_HEADERS | SIGNATURE_HEADERS

TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$")
_FILTER_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_HEADERS = 20
MAX_FILTERS = 10


@dataclass(frozen=True)
class TargetPolicy:
    """Which receiver URLs the deployment accepts (the template's AllowPrivateTargets / AllowHttpTargets)."""

    allow_private: bool = False
    allow_http: bool = False


_policy: Callable[[], TargetPolicy] = TargetPolicy  # the strictest until the wiring says otherwise


def use_target_policy(source: Callable[[], TargetPolicy]) -> None:
    """Where the URL check reads the deployment's policy from (called once by the wiring)."""
    global _policy
    _policy = source


def check_target_url(url: str, policy: TargetPolicy | None = None) -> str:
    policy = policy or _policy()
    try:
        return check_url(url, allow_private=policy.allow_private, allow_http=policy.allow_http)
    except UrlRejected as exc:
        raise ValueError(str(exc)) from exc


def check_event_type(value: str) -> str:
    """One event type (not a pattern) of the catalog."""
    if value not in get_catalog():
        raise ValueError(f"unknown event type {value!r}; GET /v1/event-types lists the valid ones")
    return value


def check_events(events: list[str]) -> list[str]:
    if len(set(events)) != len(events):
        dupes = sorted({e for e in events if events.count(e) > 1})
        raise ValueError(f"events contains duplicates: {', '.join(dupes)}")
    catalog = get_catalog()
    unknown = catalog.unknown_patterns(events)
    if unknown:
        raise ValueError(
            f"unknown event types: {', '.join(unknown)}. Valid: {', '.join(catalog.names())}, "
            "a prefix such as 'model.*', or '*'"
        )
    return events


def check_headers(headers: dict[str, str]) -> dict[str, str]:
    if len(headers) > MAX_HEADERS:
        raise ValueError(f"headers may hold at most {MAX_HEADERS} entries")
    seen: set[str] = set()
    for name, value in headers.items():
        lowered = name.lower()
        if not TOKEN.match(name):
            raise ValueError(f"headers: {name!r} is not a valid header name")
        if lowered in RESERVED_HEADERS or lowered.startswith("webhook-"):
            raise ValueError(f"headers: {name!r} is set by Carrier and cannot be overridden")
        if lowered in seen:
            raise ValueError(f"headers: {name!r} is given twice")
        seen.add(lowered)
        if len(value) > 4096 or any(ch in value for ch in "\r\n\x00"):
            raise ValueError(f"headers: the value of {name!r} is too long or holds control characters")
    return headers


def check_filters(filters: dict[str, Any]) -> dict[str, Any]:
    if len(filters) > MAX_FILTERS:
        raise ValueError(f"filters may hold at most {MAX_FILTERS} fields")
    for key in filters:
        if not _FILTER_KEY.match(key):
            raise ValueError(f"filters: {key!r} is not a valid field name")
    return filters


def check_signature_header(header: str) -> str:
    if not TOKEN.match(header):
        raise ValueError("signature.header must be a valid HTTP header name")
    if header.lower() in RESERVED_HEADERS - DEFAULT_SIGNATURE_HEADERS:
        raise ValueError(f"signature.header cannot be {header!r}: Carrier sets it")
    return header


def check_secret(secret: str, scheme: str) -> str:
    """A custom secret: 24 to 64 bytes, no whitespace, and the scheme's own form (`whsec_…` for standard-webhooks)."""
    size = len(secret.encode("utf-8"))
    if not 24 <= size <= 64:
        raise ValueError(f"secret must be 24 to 64 bytes long (got {size})")
    if any(ch.isspace() or ord(ch) < 33 for ch in secret):
        raise ValueError("secret must not contain whitespace or control characters")
    SCHEMES[str(scheme)].secret_rule(secret)
    return secret


FIELD_CHECKS: dict[str, Callable[[Any], Any]] = {
    "url": check_target_url,
    "events": check_events,
    "headers": check_headers,
    "filters": check_filters,
}

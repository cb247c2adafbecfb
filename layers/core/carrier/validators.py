"""Input rules shared by every API model: the text rule, URLs, event types, headers, filters and secrets.

Each check takes a value and returns it or raises `ValueError` with a sentence naming what is wrong (pydantic
turns that into a 422 naming the field). Nothing here reads the environment: the deployment's target policy
(private and http:// targets) is injected with `use_target_policy` by the wiring (`carrier.runtime`).

The text rule holds for every text a tenant sends, on every route and on the bus:

- no lone surrogate (U+D800 to U+DFFF) anywhere, keys and values of nested data included: such text cannot be
  encoded as UTF-8, so it could be neither stored nor sent (`check_valid_unicode`, run on every field of every
  request model by `carrier.models.common.Strict`, and on bus events by `carrier.ingest`);
- no control character where it cannot be sent or has no business (`check_text`): a header value refuses exactly
  what aiohttp refuses to write (`HEADER_VALUE_FORBIDDEN`), a one-line text any C0 control but tab and line breaks;
- a pattern guards a whole value: `fullmatch`, never `match` with `^...$` (`$` also matches before a final
  newline, so `"X-A\n"` passed as a header name).
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

TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")  # an HTTP header name (RFC 9110 token); fullmatch
_FILTER_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # fullmatch
MAX_HEADERS = 20
MAX_HEADER_VALUE = 4096
MAX_FILTERS = 10

# ---- the text rule ----------------------------------------------------------------------------------------

LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What aiohttp refuses to write in a header line (aiohttp.http_writer._FORBIDDEN_HEADER_CHARS_RE, RFC 9110 5.5):
# every C0 control but tab, and DEL. tests/unit/test_validators.py holds the two to each other.
HEADER_VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Text on one or a few lines (a description): C0 controls but tab, line feed and carriage return, and DEL.
TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _shown(key: str) -> str:
    """A key as an error message names it: escaped, and short (an error names the problem, it does not echo)."""
    text = key.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 40 else text[:40] + "…"


def lone_surrogate_at(value: Any, path: str = "") -> str | None:
    """The dotted path of the first key or text holding a lone surrogate in `value` (any nesting), or None."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                return where
        elif isinstance(item, dict):
            for key, inner in reversed(item.items()):
                name = f"{where}.{_shown(str(key))}" if where else _shown(str(key))
                if isinstance(key, str) and LONE_SURROGATE.search(key):
                    return name
                stack.append((name, inner))
        elif isinstance(item, list | tuple):
            stack.extend((f"{where}.{i}" if where else str(i), inner) for i, inner in reversed(list(enumerate(item))))
    return None


def check_valid_unicode(value: Any, name: str) -> Any:
    """`value` unchanged, unless a text in it (a key or a value, at any depth) holds a lone surrogate."""
    where = lone_surrogate_at(value, name)
    if where is not None:
        raise ValueError(f"{where} holds a lone surrogate (U+D800 to U+DFFF): text must be valid Unicode")
    return value


def check_text(value: str, name: str, forbidden: re.Pattern[str] = TEXT_FORBIDDEN) -> str:
    """A text without the characters `forbidden` names (and valid Unicode)."""
    check_valid_unicode(value, name)
    found = forbidden.search(value)
    if found is not None:
        raise ValueError(f"{name} holds the control character U+{ord(found.group()):04X}")
    return value


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
            f"a prefix such as '{catalog.example_prefix()}.*', or '*'"
        )
    return events


def check_headers(headers: dict[str, str]) -> dict[str, str]:
    if len(headers) > MAX_HEADERS:
        raise ValueError(f"headers may hold at most {MAX_HEADERS} entries")
    seen: set[str] = set()
    for name, value in headers.items():
        lowered = name.lower()
        if not TOKEN.fullmatch(name):
            raise ValueError(f"{_shown(name)!r} is not a valid header name")
        if lowered in RESERVED_HEADERS or lowered.startswith("webhook-"):
            raise ValueError(f"{name!r} is set by Carrier and cannot be overridden")
        if lowered in seen:
            raise ValueError(f"{name!r} is given twice")
        seen.add(lowered)
        if len(value) > MAX_HEADER_VALUE:
            raise ValueError(f"the value of {name!r} is longer than {MAX_HEADER_VALUE} characters")
        check_text(value, f"the value of {name!r}", HEADER_VALUE_FORBIDDEN)
    return headers


def check_filters(filters: dict[str, Any]) -> dict[str, Any]:
    if len(filters) > MAX_FILTERS:
        raise ValueError(f"filters may hold at most {MAX_FILTERS} fields")
    for key in filters:
        if not _FILTER_KEY.fullmatch(key):
            raise ValueError(f"{_shown(key)!r} is not a valid field name")
    return filters


def check_signature_header(header: str) -> str:
    if not TOKEN.fullmatch(header):
        raise ValueError("signature.header must be a valid HTTP header name")
    if header.lower() in RESERVED_HEADERS - DEFAULT_SIGNATURE_HEADERS:
        raise ValueError(f"signature.header cannot be {header!r}: Carrier sets it")
    return header


def check_secret(secret: str, scheme: str) -> str:
    """A custom secret: 24 to 64 bytes, no whitespace, and the scheme's own form (`whsec_…` for standard-webhooks)."""
    check_valid_unicode(secret, "secret")
    size = len(secret.encode("utf-8"))
    if not 24 <= size <= 64:
        raise ValueError(f"secret must be 24 to 64 bytes long (got {size})")
    if any(ch.isspace() or ord(ch) < 33 or ch == "\x7f" for ch in secret):
        raise ValueError("secret must not contain whitespace or control characters")
    SCHEMES[str(scheme)].secret_rule(secret)
    return secret


def check_description(description: str) -> str:
    return check_text(description, "description")


FIELD_CHECKS: dict[str, Callable[[Any], Any]] = {
    "url": check_target_url,
    "description": check_description,
    "events": check_events,
    "headers": check_headers,
    "filters": check_filters,
}

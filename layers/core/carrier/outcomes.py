"""What one attempt's result means: the outcome table (the README's "Delivery rules"), as data."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # aiohttp is imported when a transport is first made, not at cold start
    from carrier.transport import HttpResult


DELIVERED, RETRY, GONE, BLOCKED = "delivered", "retry", "gone", "blocked"


@dataclass(frozen=True)
class Rule:
    outcome: str
    statuses: frozenset[int] | range | None = None
    errors: frozenset[str] | None = None
    needs_retry_after: bool = False


# First matching rule wins. A transport error outranks the status: a 2xx whose body then times out or breaks
# off is not a complete answer, so it is retried (at least once), never counted as delivered.
RULES: tuple[Rule, ...] = (
    Rule(BLOCKED, errors=frozenset({"blocked"})),
    Rule(RETRY, errors=frozenset({"timeout", "connection", "tls", "invalid_response", "redirect"})),
    Rule(DELIVERED, statuses=range(200, 300)),
    Rule(GONE, statuses=frozenset({410})),
    Rule(RETRY, statuses=frozenset({429, 503}), needs_retry_after=True),
    Rule(RETRY, statuses=range(100, 600)),
)


@dataclass(frozen=True)
class Outcome:
    name: str
    retry_after: int | None = None  # seconds the receiver asked us to wait (capped)


def retry_after_seconds(value: str | None, now: float, cap: int) -> int | None:
    """Retry-After as seconds or an HTTP date, capped; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to isdigit() but not to int()
        return min(int(value), cap)
    try:
        return min(max(0, round(parsedate_to_datetime(value).timestamp() - now)), cap)
    except (TypeError, ValueError):
        return None


def classify(result: HttpResult, *, now: float, retry_after_cap: int) -> Outcome:
    """The first rule of `RULES` the result matches (Retry-After is read only when a rule asks for it)."""
    wait: int | None = None
    read = False
    for rule in RULES:
        if rule.errors is not None and result.error_kind not in rule.errors:
            continue
        if rule.statuses is not None and (result.status is None or result.status not in rule.statuses):
            continue
        if rule.needs_retry_after:
            if not read:
                wait, read = retry_after_seconds(_retry_after(result.headers), now, retry_after_cap), True
            if wait is None:
                continue
            return Outcome(rule.outcome, wait)
        return Outcome(rule.outcome)
    return Outcome(RETRY)


def _retry_after(headers: dict[str, str]) -> str | None:
    """The Retry-After header under any spelling of its name (the last one given, as before)."""
    found = None
    for name, value in headers.items():
        if name.lower() == "retry-after":
            found = value
    return found


_PHRASES = {int(status): status.phrase for status in HTTPStatus}


def status_phrase(status: int | None) -> str:
    """`OK`, `Gone`, ...: the standard phrase of a status code; `HTTP 599` for one without."""
    phrase = _PHRASES.get(status or 0)
    return phrase if phrase is not None else f"HTTP {status}"

"""What the engine passes around: a target, a hand-off to the ladder, an attempt's result, an event's report."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from carrier import profile
from carrier.catalog import matches
from carrier.formats import Event
from carrier.outcomes import Outcome
from carrier.records import AttemptRecord, WebhookRecord, WebhookStatus, filters_of

if TYPE_CHECKING:  # aiohttp is imported when a transport is first made, not at cold start
    from carrier.transport import HttpResult


@dataclass(frozen=True)
class Target:
    """Where one delivery goes and how it is shaped."""

    tenant_id: str
    webhook_id: str | None  # None for a per-job callback
    url: str
    payload_format: str
    scheme: str
    header: str | None
    secret_name: str
    rate_limit: int | None = None  # deliveries per second at most (over it: deferred, never dropped)
    secret_box: Mapping[str, Any] | None = field(default=None, compare=False)  # its sealed secret (`envelope`)

    @classmethod
    def of_webhook(cls, record: WebhookRecord) -> Target:
        signature = record["signature"]
        return cls(
            tenant_id=record["tenant_id"],
            webhook_id=record["id"],
            url=record["url"],
            payload_format=record["payload_format"],
            scheme=signature["scheme"],
            header=signature.get("header"),
            secret_name=record["secret_name"],
            rate_limit=record.get("rate_limit"),
            secret_box=record.get("secret_box"),
        )

    @property
    def key(self) -> str:
        return self.webhook_id or f"callback:{self.url}"


@dataclass(frozen=True)
class Handoff:
    """A failed delivery handed to the retry ladder."""

    tenant_id: str
    webhook_id: str | None
    delivery_id: str
    event_id: str
    wait_seconds: int
    step: int  # index of the next ladder step (-1: a deferred first attempt, over the rate limit or out of time)
    execution: str | None = None  # the ladder execution's name: the delivery id, or a repair's own name


@dataclass
class AttemptResult:
    delivery_id: str
    event_id: str
    outcome: Outcome
    result: HttpResult
    attempt: AttemptRecord
    event_type: str = ""  # what was sent: an operational event's attempt raises none (`operational.raises_about`)


@dataclass
class DispatchReport:
    event_id: str
    matched: int = 0
    duplicates: int = 0
    skipped_disabled: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    handoffs: list[Handoff] = field(default_factory=list)
    results: list[AttemptResult] = field(default_factory=list)
    deferred: int = 0
    rescheduled: int = 0  # refused claims of `retrying` deliveries whose ladder was started again
    failed_targets: int = 0  # targets whose handling failed inside Carrier (their message is retried)
    unsettled: list[tuple[Target, BaseException]] = field(default_factory=list)  # failed outside a send


def matches_filters(filters: dict[str, Any], data: dict[str, Any]) -> bool:
    """Equality on data fields (dotted paths reach nested ones); a list means any of its values."""
    for path, wanted in filters.items():
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(wanted, list):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


def matching(webhooks: list[WebhookRecord], event: Event, rule: str | None = None) -> tuple[list[Target], list[Target]]:
    """The targets of an event among a tenant's webhooks (subscribed to its type, its data passing their filters):
    the active ones, and the disabled ones (their deliveries are `skipped`). Under the `most-specific` rule (the
    profile's `webhooks.matching`), a match whose filters another match's filters strictly extend is left out."""
    found = [
        record
        for record in webhooks
        if matches(record["events"], event.type) and matches_filters(filters_of(record), event.data)
    ]
    if (rule or profile.active().webhooks.matching) == "most-specific":
        found = most_specific(found)
    active = [Target.of_webhook(r) for r in found if r["status"] == WebhookStatus.active]
    disabled = [Target.of_webhook(r) for r in found if r["status"] != WebhookStatus.active]
    return active, disabled


def most_specific(records: list[WebhookRecord]) -> list[WebhookRecord]:
    """Drop every webhook that another one overrides: V overrides W when V's filters hold all of W's, with the
    same values, and more (seed 003: a batch's webhook {projectId, batchId} over its project's {projectId}).
    Status does not count: a disabled batch webhook still overrides its project's (its deliveries are skipped)."""
    filters = [filters_of(record) for record in records]

    def overridden(mine: dict[str, Any]) -> bool:
        return any(len(theirs) > len(mine) and all(theirs.get(k) == v for k, v in mine.items()) for theirs in filters)

    return [record for record, mine in zip(records, filters, strict=True) if not overridden(mine)]


class ClaimHeld(Exception):
    """A delivery's `pending` claim belongs to a live (or not yet stale) run: this message must come back later."""


class TargetsUnsettled(Exception):
    """Some targets of an event could not be settled (a claim held elsewhere, a write of Carrier's own failed):
    their siblings are recorded; the message fails so that SQS brings it back for them."""

    def __init__(self, report: DispatchReport, errors: list[BaseException]) -> None:
        super().__init__(f"{len(errors)} of {report.matched} deliveries not settled: {errors[0]}")
        self.report = report
        self.errors = errors


@dataclass
class Sending:
    """One event's sends: at most `max_concurrency` at once, each started only if it can end in the time left."""

    slots: asyncio.Semaphore
    budget: Callable[[], float] | None

    def fits(self, seconds: float) -> bool:
        return self.budget is None or self.budget() >= seconds

"""What the engine passes around: a target, a hand-off to the ladder, an attempt's result, an event's report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from carrier.outcomes import Outcome
from carrier.records import AttemptRecord, WebhookRecord

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
    step: int  # index of the next ladder step (-1: a deferred first attempt, over the rate limit)


@dataclass
class AttemptResult:
    delivery_id: str
    event_id: str
    outcome: Outcome
    result: HttpResult
    attempt: AttemptRecord


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

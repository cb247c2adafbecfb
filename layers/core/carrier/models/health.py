"""A webhook's health and its replay, as the API shows them: `POST .../replay` and `GET .../stats`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from carrier.models.common import Strict
from carrier.records import DeliveryStatus

REPLAY_LIMIT = 100  # events examined per call: the sends of one call end inside API Gateway's 30 s


class ReplayRequest(Strict):
    since: str = Field(
        description="Replay events published at or after this ISO 8601 time (within the event retention, "
        "DeliveryRetentionDays).",
        max_length=64,
    )
    until: str | None = Field(
        default=None, description="...and at or before this ISO 8601 time (default: now).", max_length=64
    )
    cursor: str | None = Field(
        default=None,
        description="`next_cursor` of the previous call with the same window: go on from there.",
        max_length=512,
    )


class ReplayResult(BaseModel):
    """One call's work: at most 100 events examined, and `examined` = `sent` + `already_delivered` + `in_progress` +
    `not_matching` (the `deferred` ones are examined by the next call)."""

    since: str
    until: str = Field(description="The window's end as used (now, when none was given).")
    examined: int = Field(description="Events of the window read in this call.")
    sent: int = Field(description="Events sent now: new deliveries, or failed/exhausted/skipped ones sent again.")
    delivered: int = Field(description="Of those sent, the receiver acknowledged (2xx).")
    failed: int = Field(
        description="Of those sent, not acknowledged: recorded `failed` (or `exhausted`), sent again "
        "by the next replay of their window, or by recover."
    )
    already_delivered: int = Field(description="Events this webhook already has a delivered delivery for.")
    in_progress: int = Field(description="Events whose delivery is pending or on the retry ladder now: not sent twice.")
    not_matching: int = Field(
        description="Events of other types, whose data fails the webhook's filters, or no longer stored."
    )
    deferred: int = Field(
        default=0, description="Events left for the next call by the webhook's rate_limit (next_cursor starts at them)."
    )
    next_cursor: str | None = Field(description="Pass it as `cursor` (same since/until) to go on; null when done.")
    has_more: bool
    delivery_ids: list[str] = Field(description="The deliveries sent in this call.")


class StatsWindow(StrEnum):
    hour = "1h"
    day = "24h"
    week = "7d"


WINDOW_SECONDS = {StatsWindow.hour: 3600, StatsWindow.day: 86400, StatsWindow.week: 7 * 86400}
STATS_MAX_DELIVERIES = 5000  # the newest deliveries of a window read for its stats (`sampled` says when cut)


class StatusCount(BaseModel):
    status: DeliveryStatus
    count: int


class WebhookStats(BaseModel):
    """Derived from the webhook's delivery log (deliveries created in the window), never stored."""

    webhook_id: str
    window: StatsWindow
    since: str = Field(description="The window's start (now minus the window).")
    total: int = Field(description="Deliveries created in the window.")
    counts: list[StatusCount] = Field(description="Deliveries by status, every status listed (0 included).")
    success_rate: float | None = Field(
        description="delivered / deliveries that were attempted (delivered, retrying, failed, exhausted), 0 to 1; "
        "null when none was."
    )
    response_time_ms_p50: int | None = Field(description="Median of the deliveries' last response times.")
    response_time_ms_p95: int | None = Field(description="95th percentile (nearest rank) of the same.")
    last_success_at: str | None = Field(description="The newest delivered attempt's time in the window.")
    consecutive_failures: int = Field(
        description="The newest attempted deliveries that are not delivered (retrying, failed, exhausted), counted "
        "back to the newest delivered one; pending and skipped ones are passed over."
    )
    sampled: bool = Field(
        description=f"True when the window held more than {STATS_MAX_DELIVERIES} deliveries: the "
        "numbers are of the newest ones."
    )

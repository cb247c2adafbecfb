"""What the store holds: one typed record per item kind, with the defaults applied in one place.

The store accepts and returns these (plain dicts at run time, so DynamoDB's items map to them directly;
`TypedDict`s so mypy checks every key). `webhook_record`/`delivery_record` fill the defaults of fields that
older items may lack, once, on the way out of the store: no reader repeats a default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NotRequired, TypedDict, TypeVar, cast

from carrier.formats import DEFAULT_FORMAT, Event
from carrier.schemes import DEFAULT_SCHEME


class DeliveryStatus(StrEnum):
    """A delivery's state (the API's vocabulary)."""

    pending = "pending"
    delivered = "delivered"
    retrying = "retrying"
    failed = "failed"
    exhausted = "exhausted"
    skipped = "skipped"  # the event met the webhook disabled: no attempt; `recover` sends it after re-enabling


class EventClaim(StrEnum):
    """What claiming an event's deliveries (or one chunk of its fan-out) found (`store.claim_event`)."""

    new = "new"  # stored now: every target is this run's to send
    taken = "taken"  # stored before, its claim stale (a run that died, or a later copy): unrecorded targets are ours
    held = "held"  # claimed by a run that may still be sending: unrecorded targets come back later


# Nothing moves a delivery out of these by itself (a tenant's retry or recover may).
TERMINAL = frozenset(
    {DeliveryStatus.delivered, DeliveryStatus.failed, DeliveryStatus.exhausted, DeliveryStatus.skipped}
)


class WebhookStatus(StrEnum):
    """A webhook's state: only an active one is sent to."""

    active = "active"
    disabled = "disabled"


class SignatureRecord(TypedDict):
    scheme: str
    header: str | None


class CallRecord(TypedDict):
    """The webhook's `last_call` / `last_error`."""

    status_code: int | None
    message: str
    date: str
    body: NotRequired[str | None]


class WebhookRecord(TypedDict):
    tenant_id: str
    id: str
    url: str
    events: list[str]
    description: str
    status: str  # active | disabled
    filters: str  # JSON (floats and nesting survive DynamoDB)
    payload_format: str
    signature: SignatureRecord
    header_names: list[str]
    secret_name: str
    created_at: str
    updated_at: str
    rate_limit: NotRequired[int | None]
    disabled_reason: NotRequired[str]
    disabled_at: NotRequired[str]
    secret_rotated_at: NotRequired[str]
    last_call: NotRequired[CallRecord]
    last_error: NotRequired[CallRecord]
    consecutive_failures: NotRequired[int]  # failed attempts since the last delivered one (operational events)
    secret_box: NotRequired[dict[str, str]]  # its sealed secret document (`SecretStore=envelope`), never shown


class AttemptRecord(TypedDict):
    n: int
    at: str
    trigger: str  # initial | retry | manual | test
    url: NotRequired[str]  # where this attempt was sent (the webhook's url then, or the callback url)
    outcome: str
    status_code: NotRequired[int | None]
    response_time_ms: NotRequired[int | None]
    error: NotRequired[str | None]
    response_body: NotRequired[str | None]
    request_headers: NotRequired[dict[str, str]]
    failed_by: NotRequired[str]  # "carrier" when Carrier could not send it (nothing reached the receiver)


class DeliveryRecord(TypedDict):
    tenant_id: str
    webhook_id: NotRequired[str | None]  # absent for a per-job callback
    delivery_id: str
    event_id: str
    event_type: str
    url: NotRequired[str]  # per-job callbacks only (a webhook's attempts each record the url they were sent to)
    target: NotRequired[str]  # "callback" for a per-job callback
    status: str  # a DeliveryStatus value
    created_at: str
    claimed_at: NotRequired[str]
    updated_at: NotRequired[str]
    attempts: list[AttemptRecord]
    attempt_count: int
    status_code: NotRequired[int | None]
    timestamp: NotRequired[str | None]
    response_time_ms: NotRequired[int | None]
    next_attempt_at: NotRequired[str | None]
    outcome: NotRequired[str]
    failure: NotRequired[str]
    skipped_reason: NotRequired[str]
    open_due: NotRequired[str]  # while pending or retrying: overdue after this (the reconciler's sparse index)
    lock_owner: NotRequired[str]
    lock_until: NotRequired[str]
    expires_at: NotRequired[int]


class EventRecord(TypedDict):
    tenant_id: str
    id: str
    type: str
    timestamp: str
    data: str  # JSON (floats and nesting survive DynamoDB)
    callback_url: NotRequired[str | None]
    expires_at: NotRequired[int]
    claimed_at: NotRequired[str]  # when a dispatcher run last claimed its deliveries (`store.claim_event`)
    received_at: NotRequired[str]  # when a dispatcher first stored it: names its deliveries (`ids.delivery_id`)
    chunks: NotRequired[int]  # its fan-out's chunks, once split (`carrier.fanout`)
    test: NotRequired[bool]  # a test send's event: stored for its log, never in the events index (never replayed)


class SecretKey(TypedDict):
    secret: str
    created_at: str
    expires_at: str | None


class SecretDocument(TypedDict):
    """One webhook's secret: signing keys (current first) and custom header values."""

    keys: list[SecretKey]
    headers: dict[str, str]


WEBHOOK_DEFAULTS: dict[str, Any] = {
    "description": "",
    "status": WebhookStatus.active,
    "filters": "{}",
    "payload_format": DEFAULT_FORMAT,
    "header_names": [],
}


def webhook_record(item: dict[str, Any]) -> WebhookRecord:
    """A stored webhook with every default filled in."""
    record = {**WEBHOOK_DEFAULTS, **item}
    record["signature"] = item.get("signature") or {"scheme": DEFAULT_SCHEME, "header": None}
    record["signature"].setdefault("header", None)
    return cast(WebhookRecord, record)


def filters_of(record: WebhookRecord) -> dict[str, Any]:
    """A webhook's filters, decoded (stored as JSON text so floats and nesting survive DynamoDB)."""
    raw: Any = record["filters"]
    if raw == "{}":
        return {}
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


def delivery_record(item: dict[str, Any]) -> DeliveryRecord:
    """A stored delivery with every default filled in."""
    record = {"attempts": [], "attempt_count": 0, **item}
    record["attempt_count"] = int(record["attempt_count"])
    return cast(DeliveryRecord, record)


def event_record(event: Event, expires_at: int) -> EventRecord:
    """An event as stored once (for retries): its data as JSON text."""
    record: EventRecord = {
        "tenant_id": event.tenant_id,
        "id": event.id,
        "type": event.type,
        "timestamp": event.timestamp,
        "data": json.dumps(event.data, separators=(",", ":"), ensure_ascii=False),
        "callback_url": event.callback_url,
        "expires_at": expires_at,
    }
    if event.test:
        record["test"] = True
    return without_nones(record)


def event_from_record(record: EventRecord) -> Event:
    return Event(
        id=record["id"],
        type=record["type"],
        tenant_id=record["tenant_id"],
        timestamp=record["timestamp"],
        data=json.loads(record["data"]),
        callback_url=record.get("callback_url"),
        received_at=record.get("received_at"),
    )


Record = TypeVar("Record", bound=Mapping[str, Any])


def without_nones(values: Record) -> Record:
    """The record without its None fields (DynamoDB would store them as NULL)."""
    return cast(Record, {k: v for k, v in values.items() if v is not None})

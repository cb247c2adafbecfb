"""The delivery log as the API shows it, and the sends a tenant asks for (test, retry, recover)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from carrier.models.catalog import document_catalog_names
from carrier.models.common import Strict
from carrier.records import DeliveryRecord, DeliveryStatus
from carrier.validators import check_event_type


class Attempt(BaseModel):
    n: int
    at: str
    trigger: str = Field(description="initial | retry | manual | test")
    url: str | None = Field(default=None, description="The URL this attempt was sent to.")
    outcome: str
    status_code: int | None = None
    response_time_ms: int | None = None
    error: str | None = None
    response_body: str | None = None
    request_headers: dict[str, str] = Field(default_factory=dict, description="As sent; secrets masked.")
    failed_by: Literal["carrier"] | None = Field(
        default=None, description="carrier: Carrier could not send this attempt (nothing reached the receiver)."
    )


class DeliverySummary(BaseModel):
    """Seed 004's delivery fields, plus the attempt count."""

    delivery_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    status_code: int | None = None
    timestamp: str | None = Field(default=None, description="Time of the last attempt.")
    response_time_ms: int | None = None
    attempts: int
    created_at: str
    next_attempt_at: str | None = None
    url: str | None = Field(
        default=None,
        description="The URL called: the callback URL, or the latest attempt's (a webhook's URL at that time); "
        "the webhook's current URL while no attempt has been made.",
    )

    @classmethod
    def of(cls, record: DeliveryRecord, webhook_url: str | None = None) -> DeliverySummary:
        return cls(
            delivery_id=record["delivery_id"],
            event_id=record["event_id"],
            event_type=record["event_type"],
            status=DeliveryStatus(record["status"]),
            status_code=record.get("status_code"),
            timestamp=record.get("timestamp"),
            response_time_ms=record.get("response_time_ms"),
            attempts=record["attempt_count"],
            created_at=record["created_at"],
            next_attempt_at=record.get("next_attempt_at") if record["status"] == DeliveryStatus.retrying else None,
            url=delivery_url(record, webhook_url),
        )


def delivery_url(record: DeliveryRecord, webhook_url: str | None) -> str | None:
    """Where a delivery went: its callback URL, else its latest attempt's URL, else where it goes now."""
    if record.get("url"):
        return record.get("url")
    latest = max(record.get("attempts") or [], key=lambda a: int(a["n"]), default=None)
    return (latest.get("url") if latest else None) or webhook_url


class Failure(BaseModel):
    """Why a delivery ended failed or exhausted, and whose doing it was."""

    by: Literal["carrier", "receiver"] = Field(
        description="carrier: Carrier itself could not send or record it (its secret, its storage, an expired "
        "event); receiver: the receiver's answers (or the network to it) failed every attempt."
    )
    reason: str


class DeliveryDetail(DeliverySummary):
    webhook_id: str | None = Field(default=None, description="None for a per-job callback.")
    failure: Failure | None = Field(default=None, description="Set when the delivery ended failed or exhausted.")
    skipped_reason: str | None = Field(default=None, description="Set when the delivery was skipped.")
    attempt_log: list[Attempt] = Field(
        description="The attempts, oldest first: the newest 50 are kept (`attempts` counts every one)."
    )

    @classmethod
    def of(cls, record: DeliveryRecord, webhook_url: str | None = None) -> DeliveryDetail:
        ordered = sorted(record["attempts"], key=lambda a: int(a["n"]))
        return cls(
            **DeliverySummary.of(record, webhook_url).model_dump(),
            webhook_id=record.get("webhook_id"),
            failure=failure_of(record, ordered),
            skipped_reason=record.get("skipped_reason"),
            attempt_log=[Attempt.model_validate(a) for a in ordered],
        )


def failure_of(record: DeliveryRecord, attempts: list[Any]) -> Failure | None:
    """Carrier's own reason when it ended the delivery; else the last attempt's, by whoever failed it."""
    if record["status"] not in (DeliveryStatus.failed, DeliveryStatus.exhausted):
        return None
    if record.get("failure"):  # the ladder ended it without a send: always Carrier's doing
        return Failure(by="carrier", reason=str(record["failure"]))
    if not attempts:
        return Failure(by="carrier", reason="no attempt was recorded")
    last = attempts[-1]
    by: Literal["carrier", "receiver"] = "carrier" if last.get("failed_by") == "carrier" else "receiver"
    code = last.get("status_code")
    return Failure(by=by, reason=last.get("error") or (f"HTTP {code}" if code else last.get("outcome", "failed")))


class DeliveryList(BaseModel):
    deliveries: list[DeliverySummary]
    data: list[DeliverySummary] = Field(description="Same as deliveries (left out by profiles without the alias).")
    total: int | None = Field(
        default=None, description="Every delivery passing the filters, when the profile publishes a total; else null."
    )
    limit: int
    next_cursor: str | None = None
    has_more: bool


def delivery_summary(record: DeliveryRecord, webhook_url: str | None = None) -> DeliverySummary:
    return DeliverySummary.of(record, webhook_url)


def delivery_detail(record: DeliveryRecord, webhook_url: str | None = None) -> DeliveryDetail:
    return DeliveryDetail.of(record, webhook_url)


class TestRequest(Strict):
    event_type: str = Field(
        default="webhook.test",
        description="A catalog type; its example payload is sent.",
        json_schema_extra=document_catalog_names,
    )
    data: dict[str, Any] | None = Field(default=None, description="Data to send instead of the example.")

    @field_validator("event_type")
    @classmethod
    def _known(cls, value: str) -> str:
        return check_event_type(value)


class SendResult(BaseModel):
    delivered: bool
    delivery_id: str
    event_id: str
    status_code: int | None = None
    response_time_ms: int
    response_body: str | None = None
    error: str | None = None


class RecoverRequest(Strict):
    since: str = Field(
        description="Re-send failed, exhausted and skipped deliveries created at or after this ISO 8601 time."
    )


class RecoverResult(BaseModel):
    since: str
    recovered: int
    delivered: int
    failed: int
    skipped: int = Field(default=0, description="Being attempted by the retry ladder right now: not sent twice.")
    has_more: bool = Field(description="100 deliveries were re-sent: call again to go on.")
    delivery_ids: list[str]

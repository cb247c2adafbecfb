"""The delivery log as the API shows it, and the sends a tenant asks for (test, retry, recover)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from carrier.models.catalog import document_catalog_names
from carrier.models.common import Strict
from carrier.records import DeliveryRecord, DeliveryStatus
from carrier.validators import check_event_type


class Attempt(BaseModel):
    n: int
    at: str
    trigger: str = Field(description="initial | retry | manual | test")
    outcome: str
    status_code: int | None = None
    response_time_ms: int | None = None
    error: str | None = None
    response_body: str | None = None
    request_headers: dict[str, str] = Field(default_factory=dict, description="As sent; secrets masked.")


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

    @classmethod
    def of(cls, record: DeliveryRecord) -> DeliverySummary:
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
        )


class DeliveryDetail(DeliverySummary):
    webhook_id: str | None = None
    url: str | None = None
    attempt_log: list[Attempt] = Field(
        description="The attempts, oldest first: the newest 50 are kept (`attempts` counts every one)."
    )

    @classmethod
    def of(cls, record: DeliveryRecord) -> DeliveryDetail:
        ordered = sorted(record["attempts"], key=lambda a: int(a["n"]))
        return cls(
            **DeliverySummary.of(record).model_dump(),
            webhook_id=record.get("webhook_id"),
            url=record.get("url"),
            attempt_log=[Attempt.model_validate(a) for a in ordered],
        )


class DeliveryList(BaseModel):
    deliveries: list[DeliverySummary]
    data: list[DeliverySummary] = Field(description="Same as deliveries.")
    limit: int
    next_cursor: str | None = None
    has_more: bool


def delivery_summary(record: DeliveryRecord) -> DeliverySummary:
    return DeliverySummary.of(record)


def delivery_detail(record: DeliveryRecord) -> DeliveryDetail:
    return DeliveryDetail.of(record)


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
    since: str = Field(description="Re-send failed and exhausted deliveries created at or after this ISO 8601 time.")


class RecoverResult(BaseModel):
    since: str
    recovered: int
    delivered: int
    failed: int
    skipped: int = Field(default=0, description="Being attempted by the retry ladder right now: not sent twice.")
    has_more: bool = Field(description="100 deliveries were re-sent: call again to go on.")
    delivery_ids: list[str]

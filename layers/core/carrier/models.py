"""API models (pydantic). The resolver validates requests against them and documents them in OpenAPI."""

from __future__ import annotations

import base64
import binascii
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from carrier.catalog import get_catalog
from carrier.netguard import UrlRejected, check_url
from carrier.settings import get_settings


class PayloadFormat(StrEnum):
    standard = "standard"
    classic = "classic"
    extended = "extended"
    data = "data"


class SignatureScheme(StrEnum):
    standard_webhooks = "standard-webhooks"
    hmac_sha256_hex = "hmac-sha256-hex"
    hmac_sha256_base64 = "hmac-sha256-base64"
    github = "github"


# Default signature header of each single-signature scheme (standard-webhooks has fixed headers).
DEFAULT_SIGNATURE_HEADER: dict[SignatureScheme, str | None] = {
    SignatureScheme.standard_webhooks: None,
    SignatureScheme.hmac_sha256_hex: "X-Webhook-Signature",
    SignatureScheme.hmac_sha256_base64: "X-Hub-Signature-256",
    SignatureScheme.github: "X-Hub-Signature-256",
}

# Headers Carrier sets itself; a custom header may not replace them.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "user-agent",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "x-webhook-id",
        "x-event-id",
        "x-timestamp",
        "x-hub-signature-256",
        "x-webhook-signature",
    }
)

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$")
_FILTER_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_EVENTS = 100
MASK = "********"

Scalar = str | int | float | bool
FilterValue = Scalar | Annotated[list[Scalar], Field(min_length=1, max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Signature(Strict):
    scheme: SignatureScheme = SignatureScheme.standard_webhooks
    header: str | None = Field(
        default=None,
        description="Header carrying the signature (single-signature schemes only). "
        "Defaults: X-Webhook-Signature for hmac-sha256-hex, X-Hub-Signature-256 otherwise.",
    )

    @model_validator(mode="after")
    def _header_fits_scheme(self) -> Signature:
        if self.header is None:
            self.header = DEFAULT_SIGNATURE_HEADER[self.scheme]
            return self
        if self.scheme is SignatureScheme.standard_webhooks:
            raise ValueError("signature.header cannot be set for standard-webhooks (its headers are fixed)")
        if not _TOKEN.match(self.header):
            raise ValueError("signature.header must be a valid HTTP header name")
        if self.header.lower() in RESERVED_HEADERS - {"x-hub-signature-256", "x-webhook-signature"}:
            raise ValueError(f"signature.header cannot be {self.header!r}: Carrier sets it")
        return self


def secret_for_signature(value: str | None, info: ValidationInfo, default: SignatureScheme) -> str | None:
    """A custom secret checked against the scheme of the model's `signature` field (validated before it)."""
    signature = info.data.get("signature")
    scheme = signature.scheme if isinstance(signature, Signature) else default
    return value if value is None else check_secret(value, scheme)


def document_catalog_names(schema: dict[str, Any]) -> None:
    """OpenAPI: the event-type field lists the catalog's names (the schema says what validation accepts)."""
    schema["enum"] = get_catalog().names()


def _document_patterns(schema: dict[str, Any]) -> None:
    catalog = get_catalog()
    patterns = ["*", *catalog.names(), *sorted(f"{prefix}.*" for prefix in catalog.prefixes)]
    for member in schema.get("anyOf", [schema]):
        if member.get("type") == "array":
            member["items"] = {**member.get("items", {}), "enum": patterns}


def check_event_type(value: str) -> str:
    """One event type (not a pattern) of the catalog."""
    if value not in get_catalog():
        raise ValueError(f"unknown event type {value!r}; GET /v1/event-types lists the valid ones")
    return value


def _check_events(events: list[str]) -> list[str]:
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


def _check_url(url: str) -> str:
    settings = get_settings()
    try:
        return check_url(url, allow_private=settings.allow_private_targets, allow_http=settings.allow_http_targets)
    except UrlRejected as exc:
        raise ValueError(str(exc)) from exc


def _check_headers(headers: dict[str, str]) -> dict[str, str]:
    if len(headers) > 20:
        raise ValueError("headers may hold at most 20 entries")
    seen: set[str] = set()
    for name, value in headers.items():
        lowered = name.lower()
        if not _TOKEN.match(name):
            raise ValueError(f"headers: {name!r} is not a valid header name")
        if lowered in RESERVED_HEADERS or lowered.startswith("webhook-"):
            raise ValueError(f"headers: {name!r} is set by Carrier and cannot be overridden")
        if lowered in seen:
            raise ValueError(f"headers: {name!r} is given twice")
        seen.add(lowered)
        if len(value) > 4096 or any(ch in value for ch in "\r\n\x00"):
            raise ValueError(f"headers: the value of {name!r} is too long or holds control characters")
    return headers


def _check_filters(filters: dict[str, Any]) -> dict[str, Any]:
    if len(filters) > 10:
        raise ValueError("filters may hold at most 10 fields")
    for key in filters:
        if not _FILTER_KEY.match(key):
            raise ValueError(f"filters: {key!r} is not a valid field name")
    return filters


def check_secret(secret: str, scheme: SignatureScheme) -> str:
    """A custom secret: 24 to 64 bytes; `whsec_<base64>` for standard-webhooks."""
    size = len(secret.encode("utf-8"))
    if not 24 <= size <= 64:
        raise ValueError(f"secret must be 24 to 64 bytes long (got {size})")
    if any(ch.isspace() or ord(ch) < 33 for ch in secret):
        raise ValueError("secret must not contain whitespace or control characters")
    if scheme is SignatureScheme.standard_webhooks:
        body = secret.removeprefix("whsec_")
        try:
            key = base64.b64decode(body, validate=True) if secret.startswith("whsec_") else b""
        except (binascii.Error, ValueError):
            key = b""
        if len(key) < 16:
            raise ValueError("secret for standard-webhooks must have the form whsec_<base64 of 16 to 48 random bytes>")
    return secret


_FIELD_CHECKS: dict[str, Any] = {
    "url": _check_url,
    "events": _check_events,
    "headers": _check_headers,
    "filters": _check_filters,
}


class WebhookFields(Strict):
    """The fields a tenant sets; PUT replaces all of them, absent ones reset to these defaults."""

    url: str = Field(description="Receiver URL (https).", examples=["https://example.com/webhook"])
    events: list[str] = Field(
        min_length=1,
        max_length=MAX_EVENTS,
        description="Event types: exact names, a prefix such as 'model.*', or '*'.",
        examples=[["model.trained", "detection.complete"]],
        json_schema_extra=_document_patterns,
    )
    description: str = Field(default="", max_length=500)
    status: Literal["active", "disabled"] = "active"
    filters: dict[str, FilterValue] = Field(
        default_factory=dict,
        description="Equality on fields of the event's data, e.g. {'project_id': 'p1'} or {'batch_id': ['b1','b2']}.",
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Custom request headers (e.g. Authorization). Stored as secrets; shown masked.",
    )
    payload_format: PayloadFormat = PayloadFormat.standard
    signature: Signature = Field(default_factory=Signature)
    rate_limit: int | None = Field(default=None, ge=1, le=10000, description="Deliveries per second at most.")

    @field_validator("url", "events", "headers", "filters")
    @classmethod
    def _check_field(cls, value: Any, info: ValidationInfo) -> Any:
        return value if value is None else _FIELD_CHECKS[str(info.field_name)](value)


class WebhookCreate(WebhookFields):
    secret: str | None = Field(
        default=None,
        description="Custom signing secret (24 to 64 bytes; whsec_<base64> for standard-webhooks). "
        "Generated when absent.",
    )

    @field_validator("secret")
    @classmethod
    def _secret_fits_scheme(cls, value: str | None, info: ValidationInfo) -> str | None:
        return secret_for_signature(value, info, SignatureScheme.standard_webhooks)


class WebhookReplace(WebhookFields):
    """PUT: the whole webhook (the secret is changed by rotation only)."""


class WebhookPatch(Strict):
    """PATCH: only the fields given change."""

    url: str | None = None
    events: list[str] | None = Field(
        default=None, min_length=1, max_length=MAX_EVENTS, json_schema_extra=_document_patterns
    )
    description: str | None = Field(default=None, max_length=500)
    status: Literal["active", "disabled"] | None = None
    filters: dict[str, FilterValue] | None = None
    headers: dict[str, str] | None = None
    payload_format: PayloadFormat | None = None
    signature: Signature | None = None
    rate_limit: int | None = Field(default=None, ge=1, le=10000)

    @field_validator("url", "events", "headers", "filters")
    @classmethod
    def _check_field(cls, value: Any, info: ValidationInfo) -> Any:
        return value if value is None else _FIELD_CHECKS[str(info.field_name)](value)

    @model_validator(mode="after")
    def _no_nulls(self) -> WebhookPatch:
        nullable = {"rate_limit"}
        for name in self.model_fields_set - nullable:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if not self.model_fields_set:
            raise ValueError("the body must name at least one field to change")
        return self


class CallResult(BaseModel):
    status_code: int | None = None
    message: str = ""
    date: str
    body: str | None = None


class SignatureOut(BaseModel):
    scheme: SignatureScheme
    header: str | None = None


class Webhook(BaseModel):
    id: str
    webhook_id: str = Field(description="Same as id (seed 004 spelling).")
    url: str
    events: list[str]
    description: str
    status: Literal["active", "disabled"]
    disabled_reason: str | None = None
    disabled_at: str | None = None
    filters: dict[str, Any]
    headers: dict[str, str] = Field(description="Custom header names; values are masked.")
    payload_format: PayloadFormat
    signature: SignatureOut
    rate_limit: int | None = None
    last_call: CallResult | None = None
    last_error: CallResult | None = None
    created_at: str
    updated_at: str


class WebhookCreated(Webhook):
    secret: str = Field(description="The signing secret. Shown once: store it now.")


class WebhookList(BaseModel):
    data: list[Webhook]
    webhooks: list[Webhook] = Field(description="Same as data.")
    next_cursor: str | None = None
    has_more: bool


class EventTypeOut(BaseModel):
    name: str
    description: str
    example: dict[str, Any]


class EventTypeList(BaseModel):
    data: list[EventTypeOut]


class ErrorBody(BaseModel):
    """Every error the api answers: a code, a sentence, and the field at fault when there is one."""

    error: str = Field(description="not_found, conflict, payload_too_large, validation_error, ...")
    message: str
    field: str | None = Field(default=None, description="The request field at fault (dotted path).")


class FieldError(BaseModel):
    field: str
    in_: Literal["body", "query", "path", "header"] = Field(alias="in")
    message: str
    type: str


class ValidationErrorBody(ErrorBody):
    """422: the first problem in `message` and `field`; every problem in `errors` (absent for a single one)."""

    errors: list[FieldError] = Field(default_factory=list)


class AuthErrorBody(BaseModel):
    """401: no valid API key. API Gateway itself answers `{"message": "Unauthorized"}` when the header is absent."""

    message: str
    error: Literal["unauthorized"] | None = None


DeliveryStatus = Literal["pending", "delivered", "retrying", "failed", "exhausted"]


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


class DeliveryDetail(DeliverySummary):
    webhook_id: str | None = None
    url: str | None = None
    attempt_log: list[Attempt] = Field(
        description="The attempts, oldest first: the newest 50 are kept (`attempts` counts every one)."
    )


class DeliveryList(BaseModel):
    deliveries: list[DeliverySummary]
    data: list[DeliverySummary] = Field(description="Same as deliveries.")
    limit: int
    next_cursor: str | None = None
    has_more: bool


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


def delivery_summary(record: dict[str, Any]) -> DeliverySummary:
    return DeliverySummary(
        delivery_id=record["delivery_id"],
        event_id=record["event_id"],
        event_type=record["event_type"],
        status=record["status"],
        status_code=record.get("status_code"),
        timestamp=record.get("timestamp"),
        response_time_ms=record.get("response_time_ms"),
        attempts=int(record.get("attempt_count", 0)),
        created_at=record["created_at"],
        next_attempt_at=record.get("next_attempt_at") if record["status"] == "retrying" else None,
    )


def delivery_detail(record: dict[str, Any]) -> DeliveryDetail:
    return DeliveryDetail(
        **delivery_summary(record).model_dump(),
        webhook_id=record.get("webhook_id"),
        url=record.get("url"),
        attempt_log=[Attempt.model_validate(a) for a in sorted(record.get("attempts", []), key=lambda a: int(a["n"]))],
    )


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


class RotateRequest(Strict):
    secret: str | None = Field(default=None, description="A custom new secret; generated when absent.")


class RotateResult(BaseModel):
    secret: str = Field(description="The new signing secret. Shown once: store it now.")
    previous_secret_expires_at: str | None = Field(
        description="Until then the previous key keeps signing beside the new one."
    )

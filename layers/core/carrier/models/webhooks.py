"""Webhooks as the API takes and shows them: create, replace, patch, the public view, rotation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from carrier import profile
from carrier.models.catalog import document_patterns
from carrier.models.common import MASK, FilterValue, PayloadFormat, SignatureScheme, Strict
from carrier.records import WebhookRecord, filters_of
from carrier.schemes import SCHEMES
from carrier.validators import FIELD_CHECKS, check_secret, check_signature_header

MAX_EVENTS = 100


def default_scheme() -> SignatureScheme:
    """The profile's scheme (standard-webhooks for the `carrier` profile)."""
    return SignatureScheme(profile.active().webhooks.signature.scheme)


def default_header(scheme: str) -> str | None:
    """The profile's signature header when the scheme is the profile's, else the scheme's own default."""
    chosen = profile.active().webhooks.signature
    return chosen.header if chosen.scheme == scheme and chosen.header else SCHEMES[scheme].default_header


class Signature(Strict):
    scheme: SignatureScheme = Field(
        default_factory=default_scheme, description="Default: the deployment profile's (see the schema's default)."
    )
    header: str | None = Field(
        default=None,
        description="Header carrying the signature (single-signature schemes only). Defaults: the profile's, "
        "else X-Webhook-Signature for hmac-sha256-hex, X-Hub-Signature-256 otherwise.",
    )

    @model_validator(mode="after")
    def _header_fits_scheme(self) -> Signature:
        default = SCHEMES[self.scheme].default_header
        if self.header is None:
            self.header = default_header(self.scheme)
            return self
        if default is None:
            raise ValueError(f"signature.header cannot be set for {self.scheme} (its headers are fixed)")
        check_signature_header(self.header)
        return self


def secret_for_signature(value: str | None, info: ValidationInfo, default: str) -> str | None:
    """A custom secret checked against the scheme of the model's `signature` field (validated before it)."""
    signature = info.data.get("signature")
    scheme = signature.scheme if isinstance(signature, Signature) else default
    return value if value is None else check_secret(value, scheme)


class WebhookFields(Strict):
    """The fields a tenant sets; PUT replaces all of them, absent ones reset to these defaults."""

    url: str = Field(description="Receiver URL (https).", examples=["https://example.com/webhook"])
    events: list[str] = Field(
        min_length=1,
        max_length=MAX_EVENTS,
        description="Event types: exact names of the catalog (GET /v1/event-types), a prefix such as 'model.*', "
        "or '*'.",
        examples=[["model.trained", "detection.complete"]],
        json_schema_extra=document_patterns,
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
    payload_format: PayloadFormat = Field(
        default_factory=lambda: PayloadFormat(profile.active().webhooks.payload_format),
        description="Default: the deployment profile's (see the schema's default).",
    )
    signature: Signature = Field(
        default_factory=Signature, description="Default: the profile's. PUT keeps the webhook's when absent."
    )
    rate_limit: int | None = Field(default=None, ge=1, le=10000, description="Deliveries per second at most.")

    @field_validator("url", "events", "description", "headers", "filters")
    @classmethod
    def _check_field(cls, value: Any, info: ValidationInfo) -> Any:
        return value if value is None else FIELD_CHECKS[str(info.field_name)](value)


class WebhookCreate(WebhookFields):
    secret: str | None = Field(
        default=None,
        description="Custom signing secret (24 to 64 bytes; whsec_<base64> for standard-webhooks). "
        "Generated when absent.",
    )

    @field_validator("secret")
    @classmethod
    def _secret_fits_scheme(cls, value: str | None, info: ValidationInfo) -> str | None:
        return secret_for_signature(value, info, default_scheme())


class WebhookReplace(WebhookFields):
    """PUT: the whole webhook; absent fields reset, but the secret and the signature (scheme and header) are kept
    unless `signature` is given (the secret is changed by rotation only)."""


class WebhookPatch(Strict):
    """PATCH: only the fields given change."""

    url: str | None = None
    events: list[str] | None = Field(
        default=None, min_length=1, max_length=MAX_EVENTS, json_schema_extra=document_patterns
    )
    description: str | None = Field(default=None, max_length=500)
    status: Literal["active", "disabled"] | None = None
    filters: dict[str, FilterValue] | None = None
    headers: dict[str, str] | None = None
    payload_format: PayloadFormat | None = None
    signature: Signature | None = None
    rate_limit: int | None = Field(default=None, ge=1, le=10000)

    @field_validator("url", "events", "description", "headers", "filters")
    @classmethod
    def _check_field(cls, value: Any, info: ValidationInfo) -> Any:
        return value if value is None else FIELD_CHECKS[str(info.field_name)](value)

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

    @classmethod
    def of(cls, record: WebhookRecord) -> Webhook:
        """The public view of a stored webhook: header values masked, filters decoded."""
        return cls(
            id=record["id"],
            webhook_id=record["id"],
            url=record["url"],
            events=list(record["events"]),
            description=record["description"],
            status="disabled" if record["status"] == "disabled" else "active",
            disabled_reason=record.get("disabled_reason"),
            disabled_at=record.get("disabled_at"),
            filters=filters_of(record),
            headers={name: MASK for name in record["header_names"]},
            payload_format=PayloadFormat(record["payload_format"]),
            signature=SignatureOut(
                scheme=SignatureScheme(record["signature"]["scheme"]), header=record["signature"].get("header")
            ),
            rate_limit=record.get("rate_limit"),
            last_call=CallResult.model_validate(record["last_call"]) if record.get("last_call") else None,
            last_error=CallResult.model_validate(record["last_error"]) if record.get("last_error") else None,
            created_at=record["created_at"],
            updated_at=record["updated_at"],
        )


class WebhookCreated(Webhook):
    secret: str = Field(description="The signing secret. Shown once: store it now.")


class WebhookList(BaseModel):
    data: list[Webhook]
    webhooks: list[Webhook] = Field(description="Same as data.")
    next_cursor: str | None = None
    has_more: bool


class RotateRequest(Strict):
    secret: str | None = Field(default=None, description="A custom new secret; generated when absent.")


class RotateResult(BaseModel):
    secret: str = Field(description="The new signing secret. Shown once: store it now.")
    previous_secret_expires_at: str | None = Field(
        description="Until then the previous key keeps signing beside the new one."
    )

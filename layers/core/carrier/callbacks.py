"""Per-job callbacks (seed 001): an event's `callback_url` receives it too, signed with the tenant's
callback secret in the scheme the tenant chose (default hmac-sha256-base64, the seed's check)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from carrier.clock import Clock, SystemClock, iso
from carrier.errors import NotFound
from carrier.models import PayloadFormat, Signature, SignatureScheme, Strict, secret_for_signature
from carrier.ports import SecretVault, TenantSettingStore
from carrier.records import SecretDocument
from carrier.targets import Target
from carrier.vault import generate_secret

SETTING = "callbacks"
CALLBACK_SCHEME = "hmac-sha256-base64"  # seed 001's check


class CallbackConfigRequest(Strict):
    """PUT /v1/callbacks: set (or rotate) the callback secret and how callbacks are shaped."""

    signature: Signature = Field(default_factory=lambda: Signature(scheme=SignatureScheme(CALLBACK_SCHEME)))
    payload_format: PayloadFormat = PayloadFormat("data")
    secret: str | None = Field(default=None, description="Custom secret (24 to 64 bytes); generated when absent.")

    @field_validator("secret")
    @classmethod
    def _secret_fits(cls, value: str | None, info: ValidationInfo) -> str | None:
        return secret_for_signature(value, info, CALLBACK_SCHEME)


class CallbackConfig(BaseModel):
    signature: dict[str, Any]
    payload_format: str
    updated_at: str


class CallbackConfigCreated(CallbackConfig):
    secret: str = Field(description="The callback signing secret. Shown once: store it now.")


class CallbackService:
    def __init__(self, store: TenantSettingStore, vault: SecretVault, clock: Clock | None = None) -> None:
        self.store = store
        self.vault = vault
        self.clock = clock or SystemClock()

    def configure(self, tenant_id: str, request: CallbackConfigRequest) -> CallbackConfigCreated:
        now = iso(self.clock.now())
        secret = request.secret or generate_secret()
        name = self.vault.name_for(tenant_id, "callbacks")
        document: SecretDocument = {"keys": [{"secret": secret, "created_at": now, "expires_at": None}], "headers": {}}
        existing = self.store.get_tenant_setting(tenant_id, SETTING)
        if existing:
            self.vault.put(name, document)
        else:
            self.vault.create(name, document, {"tenant_id": tenant_id, "purpose": "callbacks"})
        record = {
            "signature": {"scheme": request.signature.scheme.value, "header": request.signature.header},
            "payload_format": request.payload_format.value,
            "secret_name": name,
            "updated_at": now,
        }
        self.store.put_tenant_setting(tenant_id, SETTING, record)
        return CallbackConfigCreated(**self._public(record).model_dump(), secret=secret)

    def get(self, tenant_id: str) -> CallbackConfig:
        record = self.store.get_tenant_setting(tenant_id, SETTING)
        if record is None:
            raise NotFound("no callback secret is configured: PUT /v1/callbacks first", field="callbacks")
        return self._public(record)

    def target(self, tenant_id: str, url: str) -> Target | None:
        record = self.store.get_tenant_setting(tenant_id, SETTING)
        if record is None:
            return None
        return Target(
            tenant_id=tenant_id,
            webhook_id=None,
            url=url,
            payload_format=record["payload_format"],
            scheme=record["signature"]["scheme"],
            header=record["signature"].get("header"),
            secret_name=record["secret_name"],
        )

    @staticmethod
    def _public(record: dict[str, Any]) -> CallbackConfig:
        return CallbackConfig(
            signature=record["signature"], payload_format=record["payload_format"], updated_at=record["updated_at"]
        )

"""API shapes of the platform's side: tenant keys issued by the platform, portal sessions, who is asking."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from carrier.models.common import Strict

MIN_SESSION_SECONDS, MAX_SESSION_SECONDS, DEFAULT_SESSION_SECONDS = 60, 604_800, 3_600


class TenantKeyCreated(BaseModel):
    key: str = Field(description="The tenant's API key (ck_...): shown in this answer only, store it now.")
    key_id: str
    tenant_id: str
    created_at: str


class KeyInfo(BaseModel):
    key_id: str
    created_at: str


class KeyList(BaseModel):
    data: list[KeyInfo] = Field(description="The tenant's keys: ids and creation times, never a key or a hash.")


class PortalSessionCreate(Strict):
    ttl_seconds: int = Field(
        default=DEFAULT_SESSION_SECONDS,
        ge=MIN_SESSION_SECONDS,
        le=MAX_SESSION_SECONDS,
        description="How long the session lasts: 60 s to 7 days (a session opening another: at most its own rest).",
    )
    read_only: bool = Field(default=False, description="Refuse every change (403): a window onto the tenant's data.")


class PortalSessionCreated(BaseModel):
    url: str = Field(description="The dashboard, signed in as the tenant: `<api>/dashboard#session=<token>`.")
    token: str = Field(description="A bearer token (cks_...) for the tenant routes until `expires_at`; shown once.")
    expires_at: str
    read_only: bool


class CurrentAccess(BaseModel):
    """Who this request's credential is, and what it may do (the dashboard reads it to hide what it cannot do)."""

    tenant_id: str
    role: Literal["tenant", "platform", "session"]
    read_only: bool
    expires_at: str | None = Field(default=None, description="A session's end; null for keys.")

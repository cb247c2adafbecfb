"""Who is calling, and what they may reach: a credential resolved to a `Principal`, and the rules of acting.

Three credentials, told apart by their prefix, all stored only as SHA-256 hashes (`carrier.apikeys`,
`carrier.portal`): a tenant key `ck_`, a platform key `ckp_`, a portal session token `cks_`.

| role | acts for | `/v1/admin` | `Carrier-Tenant` | changes |
| --- | --- | --- | --- | --- |
| `tenant` | its own tenant | not found (404) | ignored | yes |
| `platform` | the tenant `Carrier-Tenant` names | yes | required on tenant routes (422) | yes |
| `session` | its own tenant, until it ends (then 401) | not found (404) | ignored | unless read-only (403) |

The authorizer resolves the credential (`resolve`) and hands the principal to the api as its context
(`Principal.context`, strings only); the api reads it back (`Principal.from_context`) and applies `refusal` and
`acting_tenant`. Nothing else decides who is asking.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from carrier.apikeys import KEY_FORMAT, PLATFORM_KEY_FORMAT, check_tenant_id, hash_key
from carrier.clock import parse_iso
from carrier.errors import CarrierError, Forbidden, InvalidInput, NotFound
from carrier.store import Store

TENANT, PLATFORM, SESSION = "tenant", "platform", "session"
ROLES = (TENANT, PLATFORM, SESSION)
SESSION_TOKEN_PREFIX = "cks_"  # noqa: S105 (a prefix, not a secret)
SESSION_FORMAT = re.compile(r"cks_[A-Za-z0-9_-]{43}")  # fullmatch
TENANT_HEADER = "Carrier-Tenant"
ADMIN_PREFIX = "/v1/admin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # everything else changes something


@dataclass(frozen=True)
class Principal:
    """The caller: its role, the tenant its credential belongs to ("" for the platform), and a session's terms."""

    role: str
    tenant_id: str = ""
    read_only: bool = False
    session_id: str = ""
    expires_at: str = ""  # a session's end (ISO 8601); "" for keys

    def context(self) -> dict[str, str]:
        """The authorizer's context: strings only (what API Gateway passes on to the api)."""
        return {
            "tenant_id": self.tenant_id,
            "role": self.role,
            "read_only": "true" if self.read_only else "false",
            "session_id": self.session_id,
            "expires_at": self.expires_at,
        }

    @classmethod
    def from_context(cls, context: Mapping[str, object] | None) -> Principal | None:
        """The principal the authorizer resolved, or None (no valid credential)."""
        context = context or {}
        role = str(context.get("role") or "")
        tenant_id = str(context.get("tenant_id") or "")
        if role not in ROLES or (role != PLATFORM and not tenant_id):
            return None
        read_only = str(context.get("read_only", "false")).lower() == "true"
        session_id, expires_at = str(context.get("session_id") or ""), str(context.get("expires_at") or "")
        return cls(role, tenant_id if role != PLATFORM else "", read_only, session_id, expires_at)


def resolve(authorization: str | None, store: Store, now: datetime) -> Principal | None:
    """The principal of a `Bearer <credential>` header, or None (missing, malformed, unknown, revoked, expired)."""
    scheme, _, credential = (authorization or "").strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not _well_formed(credential):
        return None
    item = store.get_api_key(hash_key(credential))
    if item is None:
        return None
    role = str(item.get("role") or TENANT)
    if role == PLATFORM and credential.startswith("ckp_"):
        return Principal(PLATFORM)
    if role == TENANT and credential.startswith("ck_"):
        return Principal(TENANT, str(item["tenant_id"]))
    if role == SESSION and credential.startswith(SESSION_TOKEN_PREFIX) and parse_iso(str(item["expires"])) > now:
        terms = (bool(item.get("read_only")), str(item["session_id"]), str(item["expires"]))
        return Principal(SESSION, str(item["tenant_id"]), *terms)
    return None


def _well_formed(credential: str) -> bool:
    return any(form.fullmatch(credential) for form in (KEY_FORMAT, PLATFORM_KEY_FORMAT, SESSION_FORMAT))


def refusal(principal: Principal, method: str, path: str) -> CarrierError | None:
    """Why this principal may not make this request at all (before any input is read), or None.

    `/v1/admin` is the platform's alone, and does not exist for anyone else (the same 404 as an unknown route);
    a read-only session changes nothing (403 naming the capability it lacks)."""
    if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
        return None if principal.role == PLATFORM else NotFound(f"no route for {method} {path}")
    if principal.read_only and method.upper() not in SAFE_METHODS:
        message = f"this portal session is read-only: it cannot change anything ({method.upper()} {path})"
        return Forbidden(message, field="write")
    return None


def acting_tenant(principal: Principal, named: str | None) -> str:
    """The tenant a request acts for: a tenant key's or a session's own (any `Carrier-Tenant` is ignored), or the
    one a platform key names in `Carrier-Tenant` (required, and a valid tenant id; an unknown one is empty)."""
    if principal.role != PLATFORM:
        return principal.tenant_id
    if not named:
        message = f"a platform key acts for one tenant: name it in the {TENANT_HEADER} header (CLI: CARRIER_TENANT=id)"
        raise InvalidInput(message, field=TENANT_HEADER)
    return check_tenant_id(named, field=TENANT_HEADER)


def session_alive(principal: Principal, store: Store, now: datetime) -> bool:
    """A session is alive until its end, and while its tenant has not expired its sessions (its item exists).

    Read on every request of a session, so an expiry or a revocation holds even while API Gateway serves the
    authorizer's cached answer."""
    if principal.role != SESSION:
        return True
    if principal.expires_at and parse_iso(principal.expires_at) <= now:
        return False
    item = store.get_portal_session(principal.tenant_id, principal.session_id)
    return item is not None and parse_iso(str(item["expires"])) > now

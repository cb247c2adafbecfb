"""Portal sessions: a short-lived bearer token (`cks_` + 32 random bytes) for one tenant, optionally read-only,
that signs the dashboard in by URL, so a platform embeds it without handing out a key.

A token is stored only as its SHA-256 hash, with its tenant, `read_only`, its end and a DynamoDB TTL; it is never
logged. It ends at `expires_at` or when its tenant's sessions are expired (`expire_all`), whichever comes first
(`carrier.access.session_alive`). A session opening another cannot outlive itself.
"""

from __future__ import annotations

import secrets as random_source
from datetime import datetime, timedelta

from carrier.access import SESSION, SESSION_TOKEN_PREFIX, Principal
from carrier.apikeys import hash_key
from carrier.clock import iso, parse_iso
from carrier.errors import InvalidInput
from carrier.models.access import CurrentAccess, PortalSessionCreate, PortalSessionCreated
from carrier.store import Store

DASHBOARD_PATH = "/dashboard"


def open_session(
    store: Store, principal: Principal, tenant_id: str, request: PortalSessionCreate, api_root: str, now: datetime
) -> PortalSessionCreated:
    """A new session for `tenant_id` (the tenant the request acts for), its URL under `api_root`."""
    expires = now + timedelta(seconds=request.ttl_seconds)
    if principal.role == SESSION and principal.expires_at and expires > parse_iso(principal.expires_at):
        rest = max(0, int((parse_iso(principal.expires_at) - now).total_seconds()))
        message = f"a session cannot open one that outlives it: at most {rest} seconds here"
        raise InvalidInput(message, field="ttl_seconds")
    token = SESSION_TOKEN_PREFIX + random_source.token_urlsafe(32)
    key_hash = hash_key(token)
    session = {
        "tenant_id": tenant_id,
        "session_id": "ses_" + key_hash[:16],
        "read_only": request.read_only,
        "expires": iso(expires),
        "expires_at": int(expires.timestamp()) + 1,  # the TTL: DynamoDB deletes it some time after its end
        "created_at": iso(now),
    }
    store.put_portal_session(key_hash, session)
    url = f"{api_root.rstrip('/')}{DASHBOARD_PATH}#session={token}"
    return PortalSessionCreated(url=url, token=token, expires_at=session["expires"], read_only=request.read_only)


def expire_all(store: Store, tenant_id: str) -> int:
    """Every session of the tenant ends now; returns how many there were."""
    return store.delete_portal_sessions(tenant_id)


def current(principal: Principal, tenant_id: str) -> CurrentAccess:
    """What the credential of a request is, for the tenant it acts for."""
    return CurrentAccess(
        tenant_id=tenant_id,
        role=principal.role,  # one of access.ROLES, checked by Principal.from_context
        read_only=principal.read_only,
        expires_at=principal.expires_at or None,
    )

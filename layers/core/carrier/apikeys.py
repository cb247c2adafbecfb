"""Tenant API keys: `ck_` + 32 random bytes, stored only as SHA-256 hashes with their tenant id."""

from __future__ import annotations

import hashlib
import re
import secrets as random_source
from dataclasses import dataclass

from carrier.clock import Clock, SystemClock, iso
from carrier.errors import InvalidInput
from carrier.store import Store

TENANT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # fullmatch: "acme\n" is no tenant id
KEY_FORMAT = re.compile(r"ck_[A-Za-z0-9_-]{43}")  # fullmatch


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def check_tenant_id(tenant_id: str) -> str:
    if not TENANT_ID.fullmatch(tenant_id):
        raise InvalidInput("tenant id must be 1 to 64 letters, digits, '-' or '_'", field="tenant")
    return tenant_id


@dataclass(frozen=True)
class IssuedKey:
    key: str
    key_id: str
    tenant_id: str
    created_at: str


def create_key(tenant_id: str, store: Store | None = None, clock: Clock | None = None) -> str:
    """Issue a key for a tenant and return it (the only time it exists in clear)."""
    return issue_key(tenant_id, store, clock).key


def issue_key(tenant_id: str, store: Store | None = None, clock: Clock | None = None) -> IssuedKey:
    check_tenant_id(tenant_id)
    store = store or _default_store()
    key = "ck_" + random_source.token_urlsafe(32)
    key_hash = hash_key(key)
    issued = IssuedKey(key, "key_" + key_hash[:12], tenant_id, iso((clock or SystemClock()).now()))
    store.put_api_key(key_hash, issued.key_id, tenant_id, issued.created_at)
    return issued


def resolve_tenant(authorization: str | None, store: Store) -> str | None:
    """The tenant of a `Bearer ck_...` header, or None."""
    if not authorization:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not KEY_FORMAT.fullmatch(key):
        return None
    item = store.get_api_key(hash_key(key))
    return str(item["tenant_id"]) if item else None


def revoke_key(
    store: Store, *, key: str | None = None, tenant_id: str | None = None, key_id: str | None = None
) -> dict:
    """Revoke by the key itself, or by tenant and key id."""
    if key:
        return store.delete_api_key(hash_key(key))
    if tenant_id and key_id:
        found = store.find_api_key(tenant_id, key_id)
        if found is None:
            from carrier.errors import NotFound

            raise NotFound(f"no key {key_id} for tenant {tenant_id}")
        return store.delete_api_key(found["key_hash"])
    raise InvalidInput("give the key, or --tenant and --id", field="key")


def _default_store() -> Store:
    from carrier.settings import get_settings

    return Store(get_settings().table_name)

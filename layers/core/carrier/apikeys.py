"""API keys: a tenant's `ck_` key, or the platform's `ckp_` key; 32 random bytes each, stored only as SHA-256
hashes (with their tenant id, or the platform role). What a key may do is `carrier.access`'s rule."""

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
PLATFORM_KEY_FORMAT = re.compile(r"ckp_[A-Za-z0-9_-]{43}")  # fullmatch


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def check_tenant_id(tenant_id: str, field: str = "tenant") -> str:
    if not TENANT_ID.fullmatch(tenant_id):
        raise InvalidInput("tenant id must be 1 to 64 letters, digits, '-' or '_'", field=field)
    return tenant_id


@dataclass(frozen=True)
class IssuedKey:
    key: str
    key_id: str
    tenant_id: str | None  # None: a platform key
    created_at: str


def create_key(tenant_id: str, store: Store | None = None, clock: Clock | None = None) -> str:
    """Issue a key for a tenant and return it (the only time it exists in clear)."""
    return issue_key(tenant_id, store, clock).key


def issue_key(tenant_id: str, store: Store | None = None, clock: Clock | None = None) -> IssuedKey:
    return _issue("ck_", check_tenant_id(tenant_id), store, clock)


def issue_platform_key(store: Store | None = None, clock: Clock | None = None) -> IssuedKey:
    """A platform key: `/v1/admin`, and any tenant's routes for the tenant named in `Carrier-Tenant`."""
    return _issue("ckp_", None, store, clock)


def _issue(prefix: str, tenant_id: str | None, store: Store | None, clock: Clock | None) -> IssuedKey:
    store = store or _default_store()
    key = prefix + random_source.token_urlsafe(32)
    key_hash = hash_key(key)
    issued = IssuedKey(key, "key_" + key_hash[:12], tenant_id, iso((clock or SystemClock()).now()))
    store.put_api_key(key_hash, issued.key_id, tenant_id, issued.created_at)
    return issued


def list_keys(store: Store, tenant_id: str | None) -> list[dict[str, str]]:
    """A tenant's keys, or the platform's (`tenant_id` None): ids and creation times, never a key or a hash."""
    return [{"key_id": k["key_id"], "created_at": k["created_at"]} for k in store.list_api_keys(tenant_id)]


def resolve_tenant(authorization: str | None, store: Store) -> str | None:
    """The tenant of a `Bearer ck_...` header (a tenant key), or None."""
    if not authorization:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not KEY_FORMAT.fullmatch(key):
        return None
    item = store.get_api_key(hash_key(key))
    return str(item["tenant_id"]) if item and item.get("role", "tenant") == "tenant" else None


def revoke_key(
    store: Store,
    *,
    key: str | None = None,
    tenant_id: str | None = None,
    key_id: str | None = None,
    platform: bool = False,
) -> dict:
    """Revoke by the key itself (a tenant's or the platform's), or by key id with its tenant or `platform`."""
    if key:
        return store.delete_api_key(hash_key(key))
    if key_id and (tenant_id or platform):
        owner = None if platform else tenant_id
        found = store.find_api_key(owner, key_id)
        if found is None:
            from carrier.errors import NotFound

            raise NotFound(f"no key {key_id} for {'the platform' if owner is None else f'tenant {owner}'}")
        return store.delete_api_key(found["key_hash"])
    raise InvalidInput("give the key, or --id with --tenant or --platform", field="key")


def _default_store() -> Store:
    from carrier.settings import get_settings

    return Store(get_settings().table_name)

"""The table's keys: the only place a key is built. One table:

| item | pk | sk | lsi1 |
| --- | --- | --- | --- |
| API key, platform key or portal session (by hash; `role`) | `KEY#<sha256>` | `KEY` | |
| API key (by tenant) | `TENANT#<t>` | `KEYID#<key_id>` | |
| platform key (by id) | `PLATFORM` | `KEYID#<key_id>` | |
| portal session (by tenant) | `TENANT#<t>` | `SESSION#<session_id>` | |
| webhook | `TENANT#<t>` | `WH#<webhook_id>` | |
| tenant setting | `TENANT#<t>` | `SETTING#<name>` | |
| rate-limit counter | `RATE#<webhook_id>` | `<epoch second>` | |
| event (stored once, for retries and replay; `events` index: `store.events`) | `EVENT#<t>#<event_id>` | `EVENT` | |
| event claim of a fan-out chunk (`carrier.fanout`) | `EVENT#<t>#<event_id>` | `CHUNK#<n>` | |
| delivery | `WH#<webhook_id>#<shard>` or `CB#<t>#<shard>` | `DLV#<delivery_id>` | |

A delivery id starts with its event's published time (`ids.delivery_id`), so the table's own sort key lists a
webhook's log newest first: no index entry is written beside a delivery (the `lsi1` index stays in the template
only because an LSI cannot be dropped without replacing the table; no item carries `lsi1` any more). A webhook's
deliveries spread over `DELIVERY_SHARDS` partitions by a hash of their id, so one webhook takes
~`DELIVERY_SHARDS` x 1,000 delivery writes a second before a partition throttles; its log is read newest first
across the shards (`store.deliveries`), the cursor being the last id shown.

Nothing outside `carrier.store` builds a key. Deliveries and events expire through the `expires_at` TTL.
A cursor is a key, encoded; it is only valid for the partition it came from (so it cannot cross tenants), and
only in the shape that list's keys have (`CURSOR_SHAPES`): anything else is a 422 naming `cursor`, never a
malformed ExclusiveStartKey sent to DynamoDB.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import ConditionBase
from boto3.dynamodb.conditions import Key as KeyIs

from carrier.errors import InvalidInput

Key = dict[str, str]


def api_key(key_hash: str) -> Key:
    return {"pk": f"KEY#{key_hash}", "sk": "KEY"}


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def tenant_api_key(tenant_id: str, key_id: str) -> Key:
    return {"pk": tenant_pk(tenant_id), "sk": f"KEYID#{key_id}"}


def key_index(tenant_id: str | None, key_id: str) -> Key:
    """A key's item by id: in its tenant's partition, or the platform's (`tenant_id` None) for a platform key."""
    return {"pk": PLATFORM_PK if tenant_id is None else tenant_pk(tenant_id), "sk": f"{API_KEY_ID_PREFIX}{key_id}"}


def portal_session(tenant_id: str, session_id: str) -> Key:
    return {"pk": tenant_pk(tenant_id), "sk": f"{SESSION_PREFIX}{session_id}"}


API_KEY_ID_PREFIX = "KEYID#"
PLATFORM_PK = "PLATFORM"  # never a tenant's: those are all TENANT#<t>
SESSION_PREFIX = "SESSION#"
WEBHOOK_PREFIX = "WH#"
DELIVERY_PREFIX = "DLV#"


def webhook(tenant_id: str, webhook_id: str) -> Key:
    return {"pk": tenant_pk(tenant_id), "sk": f"{WEBHOOK_PREFIX}{webhook_id}"}


def tenant_setting(tenant_id: str, name: str) -> Key:
    return {"pk": tenant_pk(tenant_id), "sk": f"SETTING#{name}"}


def rate_slot(webhook_id: str, second: int) -> Key:
    return {"pk": f"RATE#{webhook_id}", "sk": str(second)}


def event(tenant_id: str, event_id: str) -> Key:
    return {"pk": f"EVENT#{tenant_id}#{event_id}", "sk": "EVENT"}


def in_tenant(tenant_id: str, sk_prefix: str) -> ConditionBase:
    """A Query condition: the tenant's items of one kind (one partition, never a Scan)."""
    return KeyIs("pk").eq(tenant_pk(tenant_id)) & KeyIs("sk").begins_with(sk_prefix)


DELIVERY_SHARDS = 4


def delivery_log(tenant_id: str, webhook_id: str | None) -> str:
    """A delivery log's name (its cursors' `pk`): a webhook's, or its tenant's per-job callbacks'."""
    return f"WH#{webhook_id}" if webhook_id else f"CB#{tenant_id}"


def delivery_shard(delivery_id: str) -> int:
    return int(hashlib.sha256(delivery_id.encode()).hexdigest()[:8], 16) % DELIVERY_SHARDS


def delivery_pks(tenant_id: str, webhook_id: str | None) -> list[str]:
    """The partitions of one delivery log."""
    log = delivery_log(tenant_id, webhook_id)
    return [f"{log}#{shard}" for shard in range(DELIVERY_SHARDS)]


def delivery(tenant_id: str, webhook_id: str | None, delivery_id: str) -> Key:
    log = delivery_log(tenant_id, webhook_id)
    pk = log if is_legacy_delivery(delivery_id) else f"{log}#{delivery_shard(delivery_id)}"
    return {"pk": pk, "sk": f"{DELIVERY_PREFIX}{delivery_id}"}


LEGACY_DELIVERY = re.compile(r"del_[0-9a-f]{26}")


def is_legacy_delivery(delivery_id: str) -> bool:
    """An id made before delivery ids began with their event's time (`del_` + 26 hex digits): its row lives in its
    log's one unsharded partition, readable and writable by id until it expires, but no longer listed. (A new id's
    time part holds letters past `f` for any time after 1970-01-02.)"""
    return LEGACY_DELIVERY.fullmatch(delivery_id) is not None


def delivery_cursor(tenant_id: str, webhook_id: str | None, delivery_id: str) -> str:
    """A log's cursor: the last delivery shown (the next page holds older ones, from every shard)."""
    return encode_cursor({"pk": delivery_log(tenant_id, webhook_id), "sk": f"{DELIVERY_PREFIX}{delivery_id}"}) or ""


def chunk_claim(tenant_id: str, event_id: str, chunk: int) -> Key:
    return {"pk": f"EVENT#{tenant_id}#{event_id}", "sk": f"CHUNK#{chunk}"}


def plain(value: Any) -> Any:
    """DynamoDB's Decimals back to int/float, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(plain(last_key), separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class CursorShape:
    """The key a list's cursor holds: its attributes and its sort key's prefix."""

    names: frozenset[str]
    sk_prefix: str


# A list's partition key prefix -> the shape of its cursors.
CURSOR_SHAPES = {
    "TENANT#": CursorShape(frozenset({"pk", "sk"}), WEBHOOK_PREFIX),  # a tenant's webhooks (the table)
    "WH#": CursorShape(frozenset({"pk", "sk"}), DELIVERY_PREFIX),  # a webhook's deliveries (every shard)
    "CB#": CursorShape(frozenset({"pk", "sk"}), DELIVERY_PREFIX),  # a tenant's callbacks (every shard)
}
MAX_KEY_BYTES = 1024  # DynamoDB's limit on a sort key


def decode_cursor(cursor: str | None, pk: str) -> dict[str, Any] | None:
    """A cursor is only valid for the partition it came from (so it cannot cross tenants), in its list's shape."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput("cursor is malformed", field="cursor") from exc
    if not isinstance(key, dict) or key.get("pk") != pk or not _fits(key, cursor_shape(pk)):
        raise InvalidInput("cursor does not belong to this list", field="cursor")
    return key


def cursor_shape(pk: str) -> CursorShape:
    return CURSOR_SHAPES[pk.split("#", 1)[0] + "#"]


def _fits(key: dict[str, Any], shape: CursorShape) -> bool:
    if set(key) != shape.names or not all(isinstance(v, str) and _key_text(v) for v in key.values()):
        return False
    sk: str = key["sk"]
    return sk.startswith(shape.sk_prefix) and len(sk) > len(shape.sk_prefix)


def _key_text(value: str) -> bool:
    """Text DynamoDB takes as a key attribute: valid Unicode, not empty, at most MAX_KEY_BYTES."""
    try:
        return 0 < len(value.encode("utf-8")) <= MAX_KEY_BYTES
    except UnicodeEncodeError:
        return False

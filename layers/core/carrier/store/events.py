"""The per-tenant time index of stored events: what replay reads (a Query per shard, never a Scan).

An event item (`EVENT#<t>#<event_id>`, stored once by the dispatcher) also carries `ev_part` and `ev_at`, set
here from the record, so the `events` index holds every published event of a tenant in time order. A test send's
event (`test`) is stored without them: it was never published, so it is never replayed.

| index | partition key | sort key | projection |
| --- | --- | --- | --- |
| `events` | `ev_part` = `EVT#<t>#<0..3>` (by event id) | `ev_at` = `<published time, ms>#<event_id>` | keys, `type` |

Cost: one index write per stored event (an entry of about 200 bytes: 1 write unit, whatever the event's size, as
`type` is the only attribute copied) and about 300 bytes of storage while the event lives (`DeliveryRetentionDays`).
A tenant's entries spread over `SHARDS` partitions, so one tenant can publish ~`SHARDS` x 1,000 events a second
before its index partition throttles. A replay reads the index in shard order (shard 0 from `since` to `until`,
then shard 1, ...): every event of the window once, in a bounded number of pages.

A cursor is a position in this order (`{"s": shard, "a": ev_at}` encoded), valid only inside the window it was
made for; the tenant is never in it (it comes from the caller), so a cursor cannot reach another tenant's events.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from typing import Any, TypedDict, cast

from boto3.dynamodb.conditions import Key

from carrier.clock import iso, parse_iso
from carrier.errors import InvalidInput
from carrier.records import EventRecord
from carrier.store import keys
from carrier.store.table import Table, strip

INDEX = "events"
SHARDS = 4
FIELDS = ("ev_part", "ev_at")
AFTER_ALL = "$"  # sorts after "#": `<until>$` bounds every event published at `until`
MAX_EVENT_ID = 128


class IndexedEvent(TypedDict):
    """One entry of the index: the event's id and type, and the cursors that resume right before and after it."""

    id: str
    type: str
    before: str
    after: str


def shard_of(event_id: str) -> int:
    return int(hashlib.sha256(event_id.encode()).hexdigest()[:8], 16) % SHARDS


def part(tenant_id: str, shard: int) -> str:
    return f"EVT#{tenant_id}#{shard}"


def published_at(timestamp: str) -> str:
    """The event's time as the index sorts it (RFC 3339, UTC, milliseconds); an unreadable one is the time now."""
    try:
        return iso(parse_iso(timestamp))
    except (ValueError, TypeError):
        return iso(datetime.now(UTC))


def indexed(record: EventRecord) -> dict[str, Any]:
    """The index fields of an event item (none for a test send's event)."""
    if record.get("test"):
        return {}
    return {
        "ev_part": part(record["tenant_id"], shard_of(record["id"])),
        "ev_at": f"{published_at(record['timestamp'])}#{record['id']}",
    }


def without_index(item: dict[str, Any]) -> EventRecord:
    return cast(EventRecord, {k: v for k, v in strip(item).items() if k not in FIELDS})


# ---- cursors -----------------------------------------------------------------------------------------------


def encode_cursor(shard: int, after: str | None) -> str:
    raw = json.dumps({"s": shard, "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, low: str, high: str) -> tuple[int, str | None]:
    """(shard, the `ev_at` to resume after); a cursor that is not one of ours, or not of this window, is a 422."""
    if not cursor:
        return 0, None
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput("cursor is malformed", field="cursor") from exc
    if not isinstance(position, dict) or set(position) != {"s", "a"}:
        raise InvalidInput("cursor is malformed", field="cursor")
    shard, after = position["s"], position["a"]
    if not isinstance(shard, int) or isinstance(shard, bool) or not 0 <= shard < SHARDS:
        raise InvalidInput("cursor is malformed", field="cursor")
    if after is not None and not _inside(after, low, high):
        raise InvalidInput("cursor does not belong to this window (since, until)", field="cursor")
    return shard, after


def _inside(after: Any, low: str, high: str) -> bool:
    if not isinstance(after, str) or not low <= after <= high:
        return False
    _, _, event_id = after.partition("#")
    return 0 < len(event_id) <= MAX_EVENT_ID and event_id.isascii() and event_id.isprintable()


def window(since: datetime, until: datetime) -> tuple[str, str]:
    """The index's sort-key bounds of a window (both ends included)."""
    return iso(since), iso(until) + AFTER_ALL


class EventItems(Table):
    """The events index: a tenant's events by time, and events read by the batch."""

    def event_page(
        self, tenant_id: str, since: datetime, until: datetime, cursor: str | None, limit: int
    ) -> tuple[list[IndexedEvent], str | None]:
        """Up to `limit` of the tenant's events published in [since, until], from `cursor` on, and the cursor of
        the rest (None when the window is done). Reads index entries only (keys and type)."""
        low, high = window(since, until)
        shard, after = decode_cursor(cursor, low, high)
        found: list[IndexedEvent] = []
        while shard < SHARDS and len(found) < limit:
            key = part(tenant_id, shard)
            kwargs: dict[str, Any] = {
                "IndexName": INDEX,
                "KeyConditionExpression": Key("ev_part").eq(key) & Key("ev_at").between(low, high),
                "Limit": limit - len(found),
            }
            if after:
                event_id = after.partition("#")[2]
                kwargs["ExclusiveStartKey"] = {**keys.event(tenant_id, event_id), "ev_part": key, "ev_at": after}
            page = self.table.query(**kwargs)
            before = encode_cursor(shard, after)
            for item in page.get("Items", []):
                at = str(item["ev_at"])
                resume = encode_cursor(shard, at)
                found.append({"id": at.partition("#")[2], "type": str(item["type"]), "before": before, "after": resume})
                before = resume
            last = page.get("LastEvaluatedKey")
            if last:
                after = str(last["ev_at"])
            else:
                shard, after = shard + 1, None
        return found, (encode_cursor(shard, after) if shard < SHARDS else None)

    def get_events(self, tenant_id: str, event_ids: list[str]) -> dict[str, EventRecord]:
        """The stored events among `event_ids`, by id (BatchGetItem, 100 keys a call; missing ones are absent)."""
        found: dict[str, EventRecord] = {}
        wanted = list(dict.fromkeys(event_ids))
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {
                self.table_name: {"Keys": [keys.event(tenant_id, event_id) for event_id in wanted[start : start + 100]]}
            }
            while request:
                answer = self.client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    record = without_index(item)
                    found[record["id"]] = record
                request = answer.get("UnprocessedKeys") or {}
        return found

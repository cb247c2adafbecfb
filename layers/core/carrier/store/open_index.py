"""The sparse index of open deliveries: what the reconciler reads (one Query per shard, never a Scan).

An open delivery (`pending` or `retrying`) carries `open_due`, the time after which it is overdue if nothing
moved it (set by the engine: a claim's stale time, a ladder step's due time, plus a grace), and `open_shard`,
set here from its id. A terminal delivery carries neither, so the `open` index holds only open deliveries.

| index | partition key | sort key | projection |
| --- | --- | --- | --- |
| `open` | `open_shard` = `OPEN#<0..7>` | `open_due` | keys + tenant_id, webhook_id, delivery_id |
"""

from __future__ import annotations

import hashlib
from typing import Any

from carrier.records import TERMINAL

INDEX = "open"
SHARDS = 8  # spreads the index's writes over partitions (one partition takes ~1,000 writes a second)
FIELDS = ("open_shard", "open_due")


def shard_of(delivery_id: str) -> str:
    return f"OPEN#{int(hashlib.sha256(delivery_id.encode()).hexdigest()[:8], 16) % SHARDS}"


def shards() -> list[str]:
    return [f"OPEN#{n}" for n in range(SHARDS)]


def indexed(delivery_id: str, changes: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The changes with the index fields kept in step: `(sets, removes)`. A terminal status leaves the index."""
    if str(changes.get("status", "")) in TERMINAL:
        return {k: v for k, v in changes.items() if k not in FIELDS}, FIELDS
    if changes.get("open_due"):
        return {**changes, "open_shard": shard_of(delivery_id)}, ()
    return changes, ()

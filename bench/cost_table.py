"""The table's shape and what a write costs in it: the key and the LSIs/GSIs with their projections (read from
template.yaml's `AWS::DynamoDB::Table`), each index entry an item has, the write units of one item write (the item's
larger state, plus each index entry it creates, changes or deletes; twice in a transaction), a Query page's read
units and the bytes stored per item. Pure functions, no I/O; `bench.cost` re-exports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.cost_units import Typed, item_size, read_units, write_units

INDEX_ENTRY_OVERHEAD = 100  # bytes DynamoDB adds to each index entry (writes and storage) and to each stored item
STORAGE_ITEM_OVERHEAD = 100


# ---- the table's shape (from template.yaml) -------------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    projection: str  # ALL, KEYS_ONLY, INCLUDE
    non_key: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableShape:
    keys: tuple[str, ...]
    indexes: tuple[Index, ...] = ()

    def key_of(self, item: Mapping[str, Typed]) -> dict[str, Typed]:
        return {k: item[k] for k in self.keys}


def table_shape(properties: Mapping[str, Any]) -> TableShape:
    """The table's key and its indexes (LSIs and GSIs alike: each entry bills the same way) from the template's
    `AWS::DynamoDB::Table` Properties."""

    def keys(schema: Sequence[Mapping[str, str]]) -> tuple[str, ...]:
        return tuple(k["AttributeName"] for k in sorted(schema, key=lambda k: k["KeyType"] != "HASH"))

    indexes = tuple(
        Index(
            name=i["IndexName"],
            keys=keys(i["KeySchema"]),
            projection=i["Projection"]["ProjectionType"],
            non_key=tuple(i["Projection"].get("NonKeyAttributes", ())),
        )
        for kind in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes")
        for i in properties.get(kind, ())
    )
    return TableShape(keys(properties["KeySchema"]), indexes)


def index_entry(item: Mapping[str, Typed] | None, table: TableShape, index: Index) -> dict[str, Typed] | None:
    """The entry `item` has in `index` (None when it lacks an index key attribute: a sparse index skips it)."""
    if not item or any(k not in item for k in index.keys):
        return None
    if index.projection == "ALL":
        return dict(item)
    kept = set(table.keys) | set(index.keys) | (set(index.non_key) if index.projection == "INCLUDE" else set())
    return {k: v for k, v in item.items() if k in kept}


def entry_size(entry: Mapping[str, Typed]) -> int:
    return item_size(entry) + INDEX_ENTRY_OVERHEAD


@dataclass(frozen=True)
class WriteCost:
    table: int
    indexes: Mapping[str, int]

    @property
    def total(self) -> int:
        return self.table + sum(self.indexes.values())


def write_cost(
    table: TableShape,
    before: Mapping[str, Typed] | None,
    after: Mapping[str, Typed] | None,
    *,
    transactional: bool = False,
) -> WriteCost:
    """Write units of one item write that turned `before` into `after` (None: no item). A refused conditional
    write leaves the item as it was (before == after): it bills the item's size, at least 1, and no index."""
    factor = 2 if transactional else 1
    units = write_units(max(item_size(before), item_size(after))) * factor
    per_index: dict[str, int] = {}
    for index in table.indexes:
        old, new = index_entry(before, table, index), index_entry(after, table, index)
        if old == new:  # absent from the index both times, or no projected attribute changed
            cost = 0
        elif old is None or new is None:
            changed = new if old is None else old
            assert changed is not None
            cost = write_units(entry_size(changed))
        elif any(old[k] != new[k] for k in index.keys):  # the entry moves: a delete and a put
            cost = write_units(entry_size(old)) + write_units(entry_size(new))
        else:
            cost = write_units(max(entry_size(old), entry_size(new)))
        per_index[index.name] = cost * factor
    return WriteCost(units, per_index)


def query_read_units(sizes: Iterable[int], consistent: bool) -> float:
    """A Query or Scan page: the sizes of every item it read (before any filter), summed, then rounded."""
    return read_units(sum(sizes), consistent)


def stored_bytes(item: Mapping[str, Typed], table: TableShape) -> int:
    """Bytes DynamoDB stores (and bills storage for) for an item and its index entries."""
    entries = (index_entry(item, table, index) for index in table.indexes)
    return item_size(item) + STORAGE_ITEM_OVERHEAD + sum(entry_size(e) for e in entries if e is not None)

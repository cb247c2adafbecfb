"""Patches that make moto fast enough for thousands of deliveries, without changing what it answers."""

from __future__ import annotations

import contextlib
import inspect
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

_ORIGINALS: dict[tuple[Any, str], Any] = {}  # (owner, attribute) -> moto's own, for `moto_as_is`


def _patch(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, value: Any) -> None:
    _ORIGINALS.setdefault((owner, name), getattr(owner, name))
    monkeypatch.setattr(owner, name, value)


@contextlib.contextmanager
def moto_as_is() -> Iterator[None]:
    """moto's own code paths for a while (tests/faults/test_harness.py compares the answers)."""
    current = [(owner, name, getattr(owner, name)) for owner, name in _ORIGINALS]
    for (owner, name), original in _ORIGINALS.items():
        setattr(owner, name, original)
    try:
        yield
    finally:
        for owner, name, value in current:
            setattr(owner, name, value)


def fast_all_items(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's `Table.all_items` (every Query and Scan starts with it) sorts every item of the table by its
    `DynamoType` keys, comparing through `cast_value` (~50 µs a comparison): with a few thousand deliveries each
    Query took 150 ms. When every key is a string (Carrier's are), the same order comes from the raw values."""
    from moto.dynamodb.models import table

    original = table.Table.all_items

    def all_items(self: Any) -> list[Any]:
        if not self.range_key_attr:
            return original(self)
        items = [item for hash_set in self.items.values() for item in hash_set.values()]
        if all(i.hash_key.type == "S" and i.range_key is not None and i.range_key.type == "S" for i in items):
            return sorted(items, key=lambda i: (i.hash_key.value, i.range_key.value))
        return original(self)

    _patch(monkeypatch, table.Table, "all_items", all_items)


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def fast_dynamodb_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto serializes each DynamoDB answer by walking botocore's output shape (5 to 20 ms for an item with its
    attempt log). A DynamoDB answer is JSON whose attribute values moto already holds in wire form
    ({"S": ...}, {"N": "1"}), so when it holds nothing but JSON types (no bytes, no dates), `json.dumps` writes the
    same document (tests/faults/test_harness.py compares the two)."""
    from moto.dynamodb import responses

    original = responses.DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        if _plain(self.result):
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(self.result)
        return original(self, context)

    _patch(monkeypatch, responses.DynamoResult, "execute_result", execute_result)


def fast_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's `Table.query` looks at every item of the table (through `all_items`), then sorts the ones that match
    by the index's keys. A Query reads one partition: of the table (or of a local index, which shares its hash key),
    or of a global index (only items that carry its hash key attribute are in it). The harness hands `query` only
    those items; what it answers is the same, because it sorts and filters them exactly as before."""
    from moto.dynamodb.models import table

    only: threading.local = threading.local()
    all_items = table.Table.all_items
    query = table.Table.query
    signature = inspect.signature(query)

    def scoped_all_items(self: Any) -> list[Any]:
        items: list[Any] | None = getattr(only, "items", None)
        return items if items is not None else all_items(self)

    def partition(self: Any, hash_key: Any, index_name: str | None) -> list[Any] | None:
        if hash_key is None or not self.range_key_attr:
            return None
        index = next((i for i in self.global_indexes or [] if i.name == index_name), None) if index_name else None
        if index is None:  # the table or a local index: one partition of the table
            return list(self.items.get(hash_key, {}).values())
        names = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
        return [i for part in self.items.values() for i in part.values() if all(n in i.attrs for n in names)]

    def scoped_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        only.items = partition(self, bound.arguments.get("hash_key"), bound.arguments.get("index_name"))
        try:
            return query(self, *args, **kwargs)
        finally:
            only.items = None

    _patch(monkeypatch, table.Table, "all_items", scoped_all_items)
    _patch(monkeypatch, table.Table, "query", scoped_query)


def unsigned_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto checks no signature: SigV4 signing (0.3 ms a call) is skipped."""
    from botocore import signers

    _patch(monkeypatch, signers.RequestSigner, "sign", lambda self, *args, **kwargs: None)

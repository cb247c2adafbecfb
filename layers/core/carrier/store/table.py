"""Table access shared by the store's item modules: the table handle, conditional writes, pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from carrier import aws
from carrier.store.keys import plain

_INTERNAL = frozenset({"pk", "sk", "lsi1", "lock_owner", "lock_until"})


def strip(item: dict[str, Any]) -> dict[str, Any]:
    """An item without its keys and lock fields, Decimals as numbers."""
    return {k: v for k, v in plain(item).items() if k not in _INTERNAL}


def is_condition_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in (
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    )


def assignments(changes: dict[str, Any]) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    """`#cN = :cN` clauses with their names and values, for an UpdateExpression's SET."""
    clauses = [f"#c{i} = :c{i}" for i in range(len(changes))]
    names = {f"#c{i}": name for i, name in enumerate(changes)}
    values = {f":c{i}": value for i, value in enumerate(changes.values())}
    return clauses, names, values


def applied(write: Callable[[], Any]) -> bool:
    """Run a conditional write; False when its condition refused it (any other error is raised)."""
    try:
        write()
    except ClientError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


class Table:
    """The DynamoDB table, made on first use (a resource can be injected)."""

    blocking = True  # every call is a network round trip: async callers run it in a thread

    def __init__(self, table_name: str, resource: Any | None = None) -> None:
        self.table_name = table_name
        self._resource = resource
        self._table: Any = None

    @property
    def table(self) -> Any:
        if self._table is None:
            self._table = (self._resource or aws.resource("dynamodb")).Table(self.table_name)
        return self._table

    @property
    def client(self) -> Any:
        """The resource's client: it (de)serializes plain Python values like the Table does."""
        return self.table.meta.client

    def _query_all(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        while True:
            page = self.table.query(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

"""The only module that talks to DynamoDB. One table, keys:

| item | pk | sk | lsi1 |
| --- | --- | --- | --- |
| API key | `KEY#<sha256>` | `KEY` | |
| API key (by tenant) | `TENANT#<t>` | `KEYID#<key_id>` | |
| webhook | `TENANT#<t>` | `WH#<webhook_id>` | |
| event (stored once, for retries) | `EVENT#<t>#<event_id>` | `EVENT` | |
| delivery | `WH#<webhook_id>` or `CB#<t>` | `DLV#<delivery_id>` | `<created_at>#<delivery_id>` |

Nothing outside this module builds a key. Deliveries and events expire through the `expires_at` TTL.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError

from carrier.errors import Conflict, InvalidInput, NotFound

ATTEMPTS_KEPT = 50  # attempts stored per delivery (about 3 KB each at most): the newest are kept
BOTO_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=3, read_timeout=10)


def plain(value: Any) -> Any:
    """DynamoDB's Decimals back to int/float, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


_INTERNAL = frozenset({"pk", "sk", "lsi1", "lock_owner", "lock_until"})


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in plain(item).items() if k not in _INTERNAL}


def _is_condition_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in (
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    )


def _assignments(changes: dict[str, Any]) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    """`#cN = :cN` clauses with their names and values, for an UpdateExpression's SET."""
    clauses = [f"#c{i} = :c{i}" for i in range(len(changes))]
    names = {f"#c{i}": name for i, name in enumerate(changes)}
    values = {f":c{i}": value for i, value in enumerate(changes.values())}
    return clauses, names, values


def _applied(write: Callable[[], Any]) -> bool:
    """Run a conditional write; False when its condition refused it (any other error is raised)."""
    try:
        write()
    except ClientError as exc:
        if _is_condition_failure(exc):
            return False
        raise
    return True


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(plain(last_key), separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, pk: str) -> dict[str, Any] | None:
    """A cursor is only valid for the partition it came from (so it cannot cross tenants)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is malformed", field="cursor") from exc
    if not isinstance(key, dict) or key.get("pk") != pk or not all(isinstance(v, str) for v in key.values()):
        raise InvalidInput("cursor does not belong to this list", field="cursor")
    return key


class Store:
    blocking = True  # every call is a network round trip: async callers run it in a thread

    def __init__(self, table_name: str, resource: Any | None = None) -> None:
        self.table_name = table_name
        self._resource = resource
        self._table: Any = None

    @property
    def table(self) -> Any:
        if self._table is None:
            resource = self._resource or boto3.resource("dynamodb", config=BOTO_CONFIG)
            self._table = resource.Table(self.table_name)
        return self._table

    @property
    def client(self) -> Any:
        """The resource's client: it (de)serializes plain Python values like the Table does."""
        return self.table.meta.client

    # ---- API keys -------------------------------------------------------------------------------

    def put_api_key(self, key_hash: str, key_id: str, tenant_id: str, created_at: str) -> None:
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": {
                            "pk": f"KEY#{key_hash}",
                            "sk": "KEY",
                            "tenant_id": tenant_id,
                            "key_id": key_id,
                            "created_at": created_at,
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": {
                            "pk": f"TENANT#{tenant_id}",
                            "sk": f"KEYID#{key_id}",
                            "key_hash": key_hash,
                            "key_id": key_id,
                            "tenant_id": tenant_id,
                            "created_at": created_at,
                        },
                    }
                },
            ]
        )

    def get_api_key(self, key_hash: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": f"KEY#{key_hash}", "sk": "KEY"}).get("Item")
        return _strip(item) if item else None

    def list_api_keys(self, tenant_id: str) -> list[dict[str, Any]]:
        return [
            _strip(item)
            for item in self._query_all(
                KeyConditionExpression=Key("pk").eq(f"TENANT#{tenant_id}") & Key("sk").begins_with("KEYID#")
            )
        ]

    def find_api_key(self, tenant_id: str, key_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": f"TENANT#{tenant_id}", "sk": f"KEYID#{key_id}"}).get("Item")
        return _strip(item) if item else None

    def delete_api_key(self, key_hash: str) -> dict[str, Any]:
        """Revoke: both items go in one transaction. Raises NotFound for an unknown key."""
        item = self.get_api_key(key_hash)
        if item is None:
            raise NotFound("no such API key")
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": {"pk": f"KEY#{key_hash}", "sk": "KEY"},
                    }
                },
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": {
                            "pk": f"TENANT#{item['tenant_id']}",
                            "sk": f"KEYID#{item['key_id']}",
                        },
                    }
                },
            ]
        )
        return item

    # ---- webhooks -------------------------------------------------------------------------------

    def put_webhook(self, record: dict[str, Any]) -> None:
        item = {"pk": f"TENANT#{record['tenant_id']}", "sk": f"WH#{record['id']}", **record}
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if _is_condition_failure(exc):
                raise Conflict("a webhook with this id already exists") from exc
            raise

    def get_webhook(self, tenant_id: str, webhook_id: str) -> dict[str, Any]:
        item = self.table.get_item(Key={"pk": f"TENANT#{tenant_id}", "sk": f"WH#{webhook_id}"}).get("Item")
        if not item:
            raise NotFound(f"webhook {webhook_id} not found", field="id")
        return _strip(item)

    def list_webhooks(self, tenant_id: str, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        pk = f"TENANT#{tenant_id}"
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with("WH#"),
            "Limit": limit,
        }
        start = decode_cursor(cursor, pk)
        if start:
            if not start.get("sk", "").startswith("WH#"):
                raise InvalidInput("cursor does not belong to this list", field="cursor")
            kwargs["ExclusiveStartKey"] = start
        page = self.table.query(**kwargs)
        return [_strip(i) for i in page.get("Items", [])], encode_cursor(page.get("LastEvaluatedKey"))

    def all_webhooks(self, tenant_id: str) -> list[dict[str, Any]]:
        """Every webhook of a tenant: one Query (paged past 1 MB), never a Scan."""
        return [
            _strip(item)
            for item in self._query_all(
                KeyConditionExpression=Key("pk").eq(f"TENANT#{tenant_id}") & Key("sk").begins_with("WH#")
            )
        ]

    def update_webhook(
        self, tenant_id: str, webhook_id: str, changes: dict[str, Any], remove: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Set (and remove) fields of an existing webhook; returns the new record."""
        clauses, names, values = _assignments(changes)
        expression = "SET " + ", ".join(clauses)
        if remove:
            removed = {f"#r{i}": name for i, name in enumerate(remove)}
            names.update(removed)
            expression += " REMOVE " + ", ".join(removed)
        try:
            result = self.table.update_item(
                Key={"pk": f"TENANT#{tenant_id}", "sk": f"WH#{webhook_id}"},
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ConditionExpression=Attr("pk").exists(),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _is_condition_failure(exc):
                raise NotFound(f"webhook {webhook_id} not found", field="id") from exc
            raise
        return _strip(result["Attributes"])

    def delete_webhook(self, tenant_id: str, webhook_id: str) -> dict[str, Any]:
        try:
            result = self.table.delete_item(
                Key={"pk": f"TENANT#{tenant_id}", "sk": f"WH#{webhook_id}"},
                ConditionExpression=Attr("pk").exists(),
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if _is_condition_failure(exc):
                raise NotFound(f"webhook {webhook_id} not found", field="id") from exc
            raise
        return _strip(result["Attributes"])

    # ---- rate limits -------------------------------------------------------------------------------

    def take_rate_slot(self, webhook_id: str, limit: int, second: int) -> bool:
        """One conditional counter per webhook and second: True while fewer than `limit` were taken."""
        return _applied(
            lambda: self.table.update_item(
                Key={"pk": f"RATE#{webhook_id}", "sk": str(second)},
                UpdateExpression="ADD taken :one SET expires_at = :expires",
                ConditionExpression=Attr("taken").not_exists() | Attr("taken").lt(limit),
                ExpressionAttributeValues={":one": 1, ":expires": second + 120},
            )
        )

    # ---- per-tenant settings (callback signing) --------------------------------------------------

    def get_tenant_setting(self, tenant_id: str, name: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": f"TENANT#{tenant_id}", "sk": f"SETTING#{name}"}).get("Item")
        return _strip(item) if item else None

    def put_tenant_setting(self, tenant_id: str, name: str, record: dict[str, Any]) -> None:
        self.table.put_item(Item={"pk": f"TENANT#{tenant_id}", "sk": f"SETTING#{name}", **record})

    # ---- events and deliveries -------------------------------------------------------------------

    @staticmethod
    def _owner(tenant_id: str, webhook_id: str | None) -> str:
        """Deliveries live with their webhook; per-job callbacks with their tenant."""
        return f"WH#{webhook_id}" if webhook_id else f"CB#{tenant_id}"

    def put_event(self, record: dict[str, Any]) -> bool:
        """Store an event once; False when it was stored before (a duplicate publish or redelivery)."""
        item = {"pk": f"EVENT#{record['tenant_id']}#{record['id']}", "sk": "EVENT", **record}
        return _applied(lambda: self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)"))

    def get_event(self, tenant_id: str, event_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": f"EVENT#{tenant_id}#{event_id}", "sk": "EVENT"}).get("Item")
        return _strip(item) if item else None

    def claim_delivery(self, record: dict[str, Any], stale_before: str) -> bool:
        """Create a delivery, or take over one left `pending` by a crashed run; False if it is someone's."""
        did = record["delivery_id"]
        item = {
            "pk": self._owner(record["tenant_id"], record.get("webhook_id")),
            "sk": f"DLV#{did}",
            "lsi1": f"{record['created_at']}#{did}",
            **record,
        }
        return _applied(
            lambda: self.table.put_item(
                Item=item,
                ConditionExpression=Attr("pk").not_exists()
                | (Attr("status").eq("pending") & Attr("claimed_at").lt(stale_before)),
            )
        )

    def record_attempt(
        self,
        tenant_id: str,
        webhook_id: str | None,
        delivery_id: str,
        attempt: dict[str, Any],
        changes: dict[str, Any],
        webhook_changes: dict[str, Any] | None = None,
    ) -> None:
        """Record an attempt and set the delivery's fields, then the webhook's.

        The attempt log is a ring of `ATTEMPTS_KEPT` slots (attempt n goes to slot (n - 1) mod ATTEMPTS_KEPT; the
        claim creates the empty list, and a slot at the list's end appends): a delivery retried by hand hundreds
        of times keeps its newest attempts and stays far below DynamoDB's 400 KB item limit. Readers order by `n`.
        """
        clauses, names, values = _assignments(changes)
        slot = (int(attempt["n"]) - 1) % ATTEMPTS_KEPT
        self.table.update_item(
            Key={"pk": self._owner(tenant_id, webhook_id), "sk": f"DLV#{delivery_id}"},
            UpdateExpression=f"SET #attempts[{slot}] = :attempt, " + ", ".join(clauses) + " ADD #count :one",
            ExpressionAttributeNames={**names, "#attempts": "attempts", "#count": "attempt_count"},
            ExpressionAttributeValues={**values, ":attempt": attempt, ":one": 1},
        )
        if not webhook_id or not webhook_changes:
            return
        # The webhook's last_call / last_error follow in their own write: a transaction would cost twice the
        # write units, and the delivery (written first) is the record of truth if this one fails.
        with contextlib.suppress(NotFound):  # the webhook was deleted meanwhile: nothing to update
            self.update_webhook(tenant_id, webhook_id, webhook_changes)

    def update_delivery(
        self,
        tenant_id: str,
        webhook_id: str | None,
        delivery_id: str,
        changes: dict[str, Any],
        expected_status: str | None = None,
    ) -> bool:
        clauses, names, values = _assignments(changes)
        condition: Any = Attr("pk").exists()
        if expected_status:
            condition = condition & Attr("status").eq(expected_status)
        return _applied(
            lambda: self.table.update_item(
                Key={"pk": self._owner(tenant_id, webhook_id), "sk": f"DLV#{delivery_id}"},
                UpdateExpression="SET " + ", ".join(clauses),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ConditionExpression=condition,
            )
        )

    def acquire_delivery_lock(
        self, tenant_id: str, webhook_id: str | None, delivery_id: str, owner: str, until: str, now: str
    ) -> bool:
        """At most one attempt of a delivery at a time (ladder and manual retries); expires at `until`."""
        return _applied(
            lambda: self.table.update_item(
                Key={"pk": self._owner(tenant_id, webhook_id), "sk": f"DLV#{delivery_id}"},
                UpdateExpression="SET lock_owner = :owner, lock_until = :until",
                ConditionExpression=Attr("pk").exists()
                & (Attr("lock_until").not_exists() | Attr("lock_until").lt(now)),
                ExpressionAttributeValues={":owner": owner, ":until": until},
            )
        )

    def release_delivery_lock(self, tenant_id: str, webhook_id: str | None, delivery_id: str, owner: str) -> None:
        try:
            self.table.update_item(
                Key={"pk": self._owner(tenant_id, webhook_id), "sk": f"DLV#{delivery_id}"},
                UpdateExpression="REMOVE lock_owner, lock_until",
                ConditionExpression=Attr("lock_owner").eq(owner),
            )
        except ClientError as exc:
            if not _is_condition_failure(exc):
                raise

    def get_delivery(self, tenant_id: str, webhook_id: str | None, delivery_id: str) -> dict[str, Any]:
        item = self.table.get_item(Key={"pk": self._owner(tenant_id, webhook_id), "sk": f"DLV#{delivery_id}"}).get(
            "Item"
        )
        if not item or item.get("tenant_id") != tenant_id:
            raise NotFound(f"delivery {delivery_id} not found", field="delivery_id")
        return _strip(item)

    def list_deliveries(
        self,
        tenant_id: str,
        webhook_id: str | None,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        event_type: str | None = None,
        since: str | None = None,
    ) -> tuple[list[dict], str | None]:
        """Newest first. Filters are applied page by page, so a page may hold fewer than `limit`."""
        pk = self._owner(tenant_id, webhook_id)
        key: Any = Key("pk").eq(pk)
        if since:
            key = key & Key("lsi1").gte(since)
        kwargs: dict[str, Any] = {
            "IndexName": "lsi1",
            "KeyConditionExpression": key,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        conditions = [Attr("tenant_id").eq(tenant_id)]
        if status:
            conditions.append(Attr("status").eq(status))
        if event_type:
            conditions.append(Attr("event_type").eq(event_type))
        condition: Any = conditions[0]
        for extra in conditions[1:]:
            condition = condition & extra
        kwargs["FilterExpression"] = condition
        start = decode_cursor(cursor, pk)
        if start:
            kwargs["ExclusiveStartKey"] = start
        items: list[dict] = []
        while True:
            page = self.table.query(**kwargs)
            items += [_strip(i) for i in page.get("Items", [])]
            last = page.get("LastEvaluatedKey")
            if not last or len(items) >= limit:
                return items[:limit], encode_cursor(last) if last else None
            kwargs["ExclusiveStartKey"] = last
            kwargs["Limit"] = limit - len(items)

    # ---- helpers --------------------------------------------------------------------------------

    def _query_all(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        while True:
            page = self.table.query(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

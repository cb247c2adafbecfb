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
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError

from carrier.errors import Conflict, InvalidInput, NotFound

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


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in plain(item).items() if k not in ("pk", "sk", "lsi1")}


def _is_condition_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in (
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    )


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
        names = {f"#f{i}": name for i, name in enumerate(changes)}
        values = {f":v{i}": value for i, value in enumerate(changes.values())}
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(changes)))
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

    # ---- helpers --------------------------------------------------------------------------------

    def _query_all(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        while True:
            page = self.table.query(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

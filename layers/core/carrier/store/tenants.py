"""API keys, per-tenant settings and rate-limit counters."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from carrier.errors import NotFound
from carrier.store import keys
from carrier.store.table import Table, applied, strip


class TenantItems(Table):
    def put_api_key(self, key_hash: str, key_id: str, tenant_id: str, created_at: str) -> None:
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": {
                            **keys.api_key(key_hash),
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
                            **keys.tenant_api_key(tenant_id, key_id),
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
        item = self.table.get_item(Key=keys.api_key(key_hash)).get("Item")
        return strip(item) if item else None

    def list_api_keys(self, tenant_id: str) -> list[dict[str, Any]]:
        return [
            strip(item)
            for item in self._query_all(
                KeyConditionExpression=Key("pk").eq(keys.tenant_pk(tenant_id))
                & Key("sk").begins_with(keys.API_KEY_ID_PREFIX)
            )
        ]

    def find_api_key(self, tenant_id: str, key_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key=keys.tenant_api_key(tenant_id, key_id)).get("Item")
        return strip(item) if item else None

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
                        "Key": keys.api_key(key_hash),
                    }
                },
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": keys.tenant_api_key(item["tenant_id"], item["key_id"]),
                    }
                },
            ]
        )
        return item

    def take_rate_slot(self, webhook_id: str, limit: int, second: int) -> bool:
        """One conditional counter per webhook and second: True while fewer than `limit` were taken."""
        return applied(
            lambda: self.table.update_item(
                Key=keys.rate_slot(webhook_id, second),
                UpdateExpression="ADD taken :one SET expires_at = :expires",
                ConditionExpression=Attr("taken").not_exists() | Attr("taken").lt(limit),
                ExpressionAttributeValues={":one": 1, ":expires": second + 120},
            )
        )

    def get_tenant_setting(self, tenant_id: str, name: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key=keys.tenant_setting(tenant_id, name)).get("Item")
        return strip(item) if item else None

    def put_tenant_setting(self, tenant_id: str, name: str, record: dict[str, Any]) -> None:
        self.table.put_item(Item={**keys.tenant_setting(tenant_id, name), **record})

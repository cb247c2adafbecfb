"""API keys, per-tenant settings and rate-limit counters."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from carrier.errors import NotFound
from carrier.store import keys
from carrier.store.table import Table, applied, strip


class TenantItems(Table):
    def put_api_key(self, key_hash: str, key_id: str, tenant_id: str | None, created_at: str) -> None:
        """A tenant's key, or the platform's (`tenant_id` None): the item by hash and the item by id, together."""
        owner = {"tenant_id": tenant_id, "role": "tenant"} if tenant_id is not None else {"role": "platform"}
        self.client.transact_write_items(
            TransactItems=[
                self._put_new({**keys.api_key(key_hash), **owner, "key_id": key_id, "created_at": created_at}),
                self._put(
                    {**keys.key_index(tenant_id, key_id), **owner, "key_hash": key_hash, "key_id": key_id}
                    | {"created_at": created_at}
                ),
            ]
        )

    def get_api_key(self, key_hash: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key=keys.api_key(key_hash)).get("Item")
        return strip(item) if item else None

    def list_api_keys(self, tenant_id: str | None) -> list[dict[str, Any]]:
        """A tenant's keys, or the platform's (`tenant_id` None)."""
        partition = keys.key_index(tenant_id, "")["pk"]
        return [
            strip(item)
            for item in self._query_all(
                KeyConditionExpression=Key("pk").eq(partition) & Key("sk").begins_with(keys.API_KEY_ID_PREFIX)
            )
        ]

    def find_api_key(self, tenant_id: str | None, key_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key=keys.key_index(tenant_id, key_id)).get("Item")
        return strip(item) if item else None

    def delete_api_key(self, key_hash: str) -> dict[str, Any]:
        """Revoke a key (tenant or platform): both items go in one transaction. NotFound for an unknown key."""
        item = self.get_api_key(key_hash)
        if item is None or item.get("role") == "session":
            raise NotFound("no such API key")
        owner = item["tenant_id"] if item.get("role", "tenant") == "tenant" else None
        self.client.transact_write_items(
            TransactItems=[
                self._delete(keys.api_key(key_hash)),
                self._delete(keys.key_index(owner, item["key_id"])),
            ]
        )
        return item

    # ---- portal sessions: the token's item by hash (what the authorizer reads) and the tenant's index ----

    def put_portal_session(self, key_hash: str, session: dict[str, Any]) -> None:
        """`session`: tenant_id, session_id, read_only, expires (ISO), expires_at (epoch: the TTL), created_at."""
        index = keys.portal_session(session["tenant_id"], session["session_id"])
        self.client.transact_write_items(
            TransactItems=[
                self._put_new({**keys.api_key(key_hash), **session, "role": "session"}),
                self._put({**index, **session, "key_hash": key_hash}),
            ]
        )

    def get_portal_session(self, tenant_id: str, session_id: str) -> dict[str, Any] | None:
        """Read consistently: a session expired a moment ago is never seen alive."""
        item = self.table.get_item(Key=keys.portal_session(tenant_id, session_id), ConsistentRead=True).get("Item")
        return strip(item) if item else None

    def delete_portal_sessions(self, tenant_id: str) -> int:
        """Every session of the tenant, both items of each; returns how many there were."""
        found = list(
            self._query_all(
                KeyConditionExpression=Key("pk").eq(keys.tenant_pk(tenant_id))
                & Key("sk").begins_with(keys.SESSION_PREFIX),
                ConsistentRead=True,
            )
        )
        with self.table.batch_writer() as batch:  # 25 deletes a call (unprocessed ones are resent), not one per session
            for item in found:
                batch.delete_item(Key=keys.api_key(str(item["key_hash"])))  # the token first: it stops working
                batch.delete_item(Key=keys.portal_session(tenant_id, str(item["session_id"])))
        return len(found)

    def _put(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"Put": {"TableName": self.table_name, "Item": item}}

    def _put_new(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"Put": {"TableName": self.table_name, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}

    def _delete(self, key: dict[str, str]) -> dict[str, Any]:
        return {"Delete": {"TableName": self.table_name, "Key": key}}

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

    def secret_names(self) -> list[tuple[str, str]]:
        """(tenant id, secret name) of every webhook and tenant setting that has a secret (`secrets migrate`)."""
        found: list[tuple[str, str]] = []
        arguments: dict[str, Any] = {
            "FilterExpression": Attr("secret_name").exists() & Attr("pk").begins_with(keys.tenant_pk("")),
            "ProjectionExpression": "pk, secret_name",
        }
        while True:
            page = self.table.scan(**arguments)
            found += [
                (str(item["pk"]).removeprefix(keys.tenant_pk("")), str(item["secret_name"])) for item in page["Items"]
            ]
            if "LastEvaluatedKey" not in page:
                return sorted(found)
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def delete_tenant_setting(self, tenant_id: str, name: str) -> None:
        self.table.delete_item(Key=keys.tenant_setting(tenant_id, name))

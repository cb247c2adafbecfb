"""Webhook items: one per subscription, in its tenant's partition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from carrier.errors import Conflict, InvalidInput, NotFound
from carrier.records import WebhookRecord, webhook_record
from carrier.store import keys
from carrier.store.table import Table, applied, assignments, is_condition_failure, strip

FAILURES = "consecutive_failures"  # a webhook's failed attempts since its last delivered one
SECRET_BOX = "secret_box"  # noqa: S105 (an attribute's name) its sealed secret document (`envelope`): kept with it, never answered by the API


class WebhookItems(Table):
    def put_webhook(self, record: WebhookRecord) -> None:
        item = {**keys.webhook(record["tenant_id"], record["id"]), **record}
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if is_condition_failure(exc):
                raise Conflict("a webhook with this id already exists") from exc
            raise

    def get_webhook(self, tenant_id: str, webhook_id: str) -> WebhookRecord:
        item = self.table.get_item(Key=keys.webhook(tenant_id, webhook_id)).get("Item")
        if not item:
            raise NotFound(f"webhook {webhook_id} not found", field="id")
        return webhook_record(strip(item))

    def list_webhooks(self, tenant_id: str, limit: int, cursor: str | None) -> tuple[list[WebhookRecord], str | None]:
        pk = keys.tenant_pk(tenant_id)
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(keys.WEBHOOK_PREFIX),
            "Limit": limit,
        }
        start = keys.decode_cursor(cursor, pk)
        if start:
            if not start.get("sk", "").startswith(keys.WEBHOOK_PREFIX):
                raise InvalidInput("cursor does not belong to this list", field="cursor")
            kwargs["ExclusiveStartKey"] = start
        page = self.table.query(**kwargs)
        return [webhook_record(strip(i)) for i in page.get("Items", [])], keys.encode_cursor(
            page.get("LastEvaluatedKey")
        )

    def all_webhooks(self, tenant_id: str) -> list[WebhookRecord]:
        """Every webhook of a tenant: one Query (paged past 1 MB), never a Scan."""
        return [
            webhook_record(strip(item))
            for item in self._query_all(
                KeyConditionExpression=Key("pk").eq(keys.tenant_pk(tenant_id))
                & Key("sk").begins_with(keys.WEBHOOK_PREFIX)
            )
        ]

    def update_webhook(
        self, tenant_id: str, webhook_id: str, changes: dict[str, Any], remove: tuple[str, ...] = ()
    ) -> WebhookRecord:
        """Set (and remove) fields of an existing webhook; returns the new record."""
        clauses, names, values = assignments(changes)
        expression = "SET " + ", ".join(clauses)
        if remove:
            removed = {f"#r{i}": name for i, name in enumerate(remove)}
            names.update(removed)
            expression += " REMOVE " + ", ".join(removed)
        return self._update_existing(tenant_id, webhook_id, expression, names, values, "ALL_NEW")

    def record_call(
        self, tenant_id: str, webhook_id: str, changes: dict[str, Any], streak: bool | None = None, uncounted: int = 0
    ) -> WebhookRecord | None:
        """After an attempt: set `changes` (last_call, last_error, a 410's status) and, in the same write, count the
        webhook's consecutive failed attempts (`streak` False: ADD 1 + `uncounted`, the failures seen since the last
        write (`recording.CallWrites`); True, a success: back to 0; None: untouched).
        Returns the webhook as it was before (ALL_OLD: what the count was, whether it was active), None when it
        was deleted meanwhile."""
        clauses, names, values = assignments(changes)
        names["#streak"] = FAILURES
        expression = "SET " + ", ".join(clauses)
        if streak is True:
            expression += ", #streak = :zero"
            values[":zero"] = 0
        elif streak is False:
            expression += " ADD #streak :one"
            values[":one"] = 1 + uncounted
        else:
            del names["#streak"]
        try:
            return self._update_existing(tenant_id, webhook_id, expression, names, values, "ALL_OLD")
        except NotFound:
            return None

    def get_secret_box(self, tenant_id: str, webhook_id: str) -> dict[str, Any] | None:
        """A webhook's sealed secret (`envelope`), read alone (strongly consistent); None when it has none."""
        item = self.table.get_item(
            Key=keys.webhook(tenant_id, webhook_id), ProjectionExpression=SECRET_BOX, ConsistentRead=True
        ).get("Item")
        return dict(item[SECRET_BOX]) if item and SECRET_BOX in item else None

    def set_secret_box(self, tenant_id: str, webhook_id: str, box: dict[str, Any]) -> None:
        self._on_existing(tenant_id, webhook_id, "SET #box = :box", {":box": box})

    def remove_secret_box(self, tenant_id: str, webhook_id: str) -> None:
        self._on_existing(tenant_id, webhook_id, "REMOVE #box", None)

    def _on_existing(self, tenant_id: str, webhook_id: str, expression: str, values: dict[str, Any] | None) -> None:
        """One UpdateItem of the secret box on a webhook that must exist (NotFound otherwise)."""
        extra = {"ExpressionAttributeValues": values} if values else {}
        if not applied(
            lambda: self.table.update_item(
                Key=keys.webhook(tenant_id, webhook_id),
                UpdateExpression=expression,
                ExpressionAttributeNames={"#box": SECRET_BOX},
                ConditionExpression=Attr("pk").exists(),
                **extra,
            )
        ):
            raise NotFound(f"webhook {webhook_id} not found", field="id")

    def delete_webhook(self, tenant_id: str, webhook_id: str) -> WebhookRecord:
        return self._existing(
            webhook_id,
            lambda: self.table.delete_item(
                Key=keys.webhook(tenant_id, webhook_id), ConditionExpression=Attr("pk").exists(), ReturnValues="ALL_OLD"
            ),
        )

    def _update_existing(
        self,
        tenant_id: str,
        webhook_id: str,
        expression: str,
        names: dict[str, str],
        values: dict[str, Any],
        returns: str,
    ) -> WebhookRecord:
        """One UpdateItem on a webhook that must exist (NotFound otherwise), answering the item as `returns` says."""
        return self._existing(
            webhook_id,
            lambda: self.table.update_item(
                Key=keys.webhook(tenant_id, webhook_id),
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ConditionExpression=Attr("pk").exists(),
                ReturnValues=returns,
            ),
        )

    @staticmethod
    def _existing(webhook_id: str, write: Callable[[], Any]) -> WebhookRecord:
        """A write conditional on the webhook existing: its record after (or before) it, or NotFound."""
        try:
            result = write()
        except ClientError as exc:
            if is_condition_failure(exc):
                raise NotFound(f"webhook {webhook_id} not found", field="id") from exc
            raise
        return webhook_record(strip(result["Attributes"]))

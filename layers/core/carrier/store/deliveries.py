"""Events (stored once, for retries) and deliveries (one per event and target, with its attempt log)."""

from __future__ import annotations

import contextlib
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from carrier import ids
from carrier.errors import NotFound
from carrier.records import AttemptRecord, DeliveryRecord, EventClaim, EventRecord, delivery_record
from carrier.store import events, keys, open_index
from carrier.store.table import applied, assignments, is_condition_failure, strip
from carrier.store.webhooks import WebhookItems

ATTEMPTS_KEPT = 50  # attempts stored per delivery (about 3 KB each at most): the newest are kept


class DeliveryItems(WebhookItems):
    """Deliveries write their webhook's `last_call`/`last_error` too."""

    def put_event(self, record: EventRecord) -> bool:
        """Store an event once, in its tenant's time index (`store.events`); False when it was stored before (a
        duplicate publish or redelivery)."""
        item = self._event_item(record)
        return applied(lambda: self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)"))

    @staticmethod
    def _event_item(record: EventRecord) -> dict[str, Any]:
        """An event's item: its key, the record, and its entry in the tenant's time index (`store.events`)."""
        return {**keys.event(record["tenant_id"], record["id"]), **record, **events.indexed(record)}

    def claim_event(self, record: EventRecord, stale_before: str) -> tuple[EventClaim, EventRecord]:
        """Store an event and claim its deliveries for this run (`record["claimed_at"]`), in one write: `new`; or,
        stored before, take over its claim when older than `stale_before` (`taken`, a run that died or a later
        copy), else leave it (`held`). Returns the event as stored (its first copy's timestamp names its
        deliveries)."""
        claim, stored = self._claim(self._event_item(record), stale_before)
        return claim, (events.without_index(stored) if stored is not None else record)

    def claim_chunk(
        self, tenant_id: str, event_id: str, chunk: int, claimed_at: str, stale_before: str, expires_at: int
    ) -> EventClaim:
        """Claim one chunk of a split fan-out (`carrier.fanout`) as `claim_event` claims a whole event."""
        item = {
            **keys.chunk_claim(tenant_id, event_id, chunk),
            "tenant_id": tenant_id,
            "claimed_at": claimed_at,
            "expires_at": expires_at,
        }
        return self._claim(item, stale_before)[0]

    def fix_chunks(self, tenant_id: str, event_id: str, count: int) -> int:
        """The number of chunks an event's fan-out is split into: `count` the first time, what was fixed after."""
        key = keys.event(tenant_id, event_id)
        if applied(
            lambda: self.table.update_item(
                Key=key,
                UpdateExpression="SET chunks = :n",
                ConditionExpression=Attr("pk").exists() & Attr("chunks").not_exists(),
                ExpressionAttributeValues={":n": count},
            )
        ):
            return count
        stored = self.table.get_item(Key=key, ConsistentRead=True, ProjectionExpression="chunks").get("Item") or {}
        return int(stored.get("chunks", count))

    def _claim(self, item: dict[str, Any], stale_before: str) -> tuple[EventClaim, dict[str, Any] | None]:
        if applied(lambda: self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")):
            return EventClaim.new, None
        key = {"pk": item["pk"], "sk": item["sk"]}
        stored = self.table.get_item(Key=key, ConsistentRead=True).get("Item")
        if stored is None:  # expired between the two calls: claim it anew
            return self._claim(item, stale_before)
        held_since = str(stored.get("claimed_at", ""))
        if held_since >= stale_before:
            return EventClaim.held, stored
        taken = applied(
            lambda: self.table.update_item(
                Key=key,
                UpdateExpression="SET claimed_at = :now",
                ConditionExpression=Attr("claimed_at").not_exists() | Attr("claimed_at").eq(held_since),
                ExpressionAttributeValues={":now": item["claimed_at"]},
            )
        )
        return (EventClaim.taken if taken else EventClaim.held), stored

    def get_event(self, tenant_id: str, event_id: str) -> EventRecord | None:
        item = self.table.get_item(Key=keys.event(tenant_id, event_id)).get("Item")
        return events.without_index(item) if item else None

    def claim_delivery(self, record: DeliveryRecord, stale_before: str) -> bool:
        """Write a delivery's first record (its first attempt's outcome, a deferral, or `skipped`): a new item, or
        over one left `pending` by a run that died (and not locked by a ladder step sending it now); False if it
        is someone's. One write, no index entry beside it (a terminal record is not in the `open` index)."""
        did = record["delivery_id"]
        sets, _ = open_index.indexed(did, dict(record))
        item = {**keys.delivery(record["tenant_id"], record.get("webhook_id"), did), **sets}
        written_at = record.get("claimed_at") or record["created_at"]
        return applied(
            lambda: self.table.put_item(
                Item=item,
                ConditionExpression=Attr("pk").not_exists()
                | (
                    Attr("status").eq("pending")
                    & Attr("claimed_at").lt(stale_before)
                    & (Attr("lock_until").not_exists() | Attr("lock_until").lt(written_at))
                ),
            )
        )

    def record_attempt(
        self,
        tenant_id: str,
        webhook_id: str | None,
        delivery_id: str,
        attempt: AttemptRecord,
        changes: dict[str, Any],
        webhook_changes: dict[str, Any] | None = None,
        leaving: tuple[str, ...] = (),
    ) -> bool:
        """Record an attempt and set the delivery's fields, then the webhook's.

        The attempt log is a ring of `ATTEMPTS_KEPT` slots (attempt n goes to slot (n - 1) mod ATTEMPTS_KEPT; the
        claim creates the empty list, and a slot at the list's end appends): a delivery retried by hand hundreds
        of times keeps its newest attempts and stays far below DynamoDB's 400 KB item limit. Readers order by `n`.
        With `leaving`, the write happens only while the delivery is in one of those states (False when refused).
        """
        sets, removes = open_index.indexed(delivery_id, changes)
        clauses, names, values = assignments(sets)
        slot = (int(attempt["n"]) - 1) % ATTEMPTS_KEPT
        expression = f"SET #attempts[{slot}] = :attempt, " + ", ".join(clauses) + " ADD #count :one"
        condition: Any = Attr("pk").exists()
        if leaving:
            condition = condition & Attr("status").is_in(list(leaving))
        written = applied(
            lambda: self.table.update_item(
                Key=keys.delivery(tenant_id, webhook_id, delivery_id),
                UpdateExpression=expression + (" REMOVE " + ", ".join(removes) if removes else ""),
                ExpressionAttributeNames={**names, "#attempts": "attempts", "#count": "attempt_count"},
                ExpressionAttributeValues={**values, ":attempt": attempt, ":one": 1},
                ConditionExpression=condition,
            )
        )
        if not written or not webhook_id or not webhook_changes:
            return written
        # The webhook's last_call / last_error follow in their own write: a transaction would cost twice the
        # write units, and the delivery (written first) is the record of truth if this one fails.
        with contextlib.suppress(NotFound):  # the webhook was deleted meanwhile: nothing to update
            self.update_webhook(tenant_id, webhook_id, webhook_changes)
        return True

    def update_delivery(
        self,
        tenant_id: str,
        webhook_id: str | None,
        delivery_id: str,
        changes: dict[str, Any],
        expected_status: str | tuple[str, ...] | None = None,
    ) -> bool:
        """Set fields of a delivery; with `expected_status`, only while it is in that state (or one of them)."""
        sets, removes = open_index.indexed(delivery_id, changes)
        clauses, names, values = assignments(sets)
        condition: Any = Attr("pk").exists()
        if expected_status:
            leaving = [expected_status] if isinstance(expected_status, str) else list(expected_status)
            condition = condition & Attr("status").is_in(leaving)
        return applied(
            lambda: self.table.update_item(
                Key=keys.delivery(tenant_id, webhook_id, delivery_id),
                UpdateExpression="SET " + ", ".join(clauses) + (" REMOVE " + ", ".join(removes) if removes else ""),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ConditionExpression=condition,
            )
        )

    def overdue_deliveries(self, now: str, limit: int) -> list[dict[str, str]]:
        """Open deliveries whose `open_due` is before `now`, oldest first per shard: their ids only."""
        found: list[dict[str, str]] = []
        for shard in open_index.shards():
            page = self.table.query(
                IndexName=open_index.INDEX,
                KeyConditionExpression=Key("open_shard").eq(shard) & Key("open_due").lt(now),
                Limit=limit,
            )
            found += [
                {"tenant_id": i["tenant_id"], "webhook_id": i.get("webhook_id") or "", "delivery_id": i["delivery_id"]}
                for i in page.get("Items", [])
            ]
        return found[:limit]

    def delivery_statuses(self, tenant_id: str, webhook_id: str, delivery_ids: list[str]) -> dict[str, str]:
        """The status of each of a webhook's deliveries that exists among `delivery_ids`."""
        return self.statuses_of(tenant_id, [(webhook_id, did) for did in delivery_ids])

    def statuses_of(self, tenant_id: str, wanted: list[tuple[str | None, str]]) -> dict[str, str]:
        """The status of each delivery that exists among `wanted` ((webhook id or None, delivery id) pairs):
        BatchGetItem, 100 keys a call, the status alone returned."""
        found: dict[str, str] = {}
        pairs = list(dict.fromkeys(wanted))
        for start in range(0, len(pairs), 100):
            batch = [keys.delivery(tenant_id, webhook_id, did) for webhook_id, did in pairs[start : start + 100]]
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": batch,
                    "ProjectionExpression": "delivery_id, tenant_id, #s",
                    "ExpressionAttributeNames": {"#s": "status"},
                }
            }
            while request:
                answer = self.client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    if item.get("tenant_id") == tenant_id:
                        found[str(item["delivery_id"])] = str(item["status"])
                request = answer.get("UnprocessedKeys") or {}
        return found

    def acquire_delivery_lock(
        self, tenant_id: str, webhook_id: str | None, delivery_id: str, owner: str, until: str, now: str
    ) -> bool:
        """At most one attempt of a delivery at a time (ladder and manual retries); expires at `until`."""
        return applied(
            lambda: self.table.update_item(
                Key=keys.delivery(tenant_id, webhook_id, delivery_id),
                UpdateExpression="SET lock_owner = :owner, lock_until = :until",
                ConditionExpression=Attr("pk").exists()
                & (Attr("lock_until").not_exists() | Attr("lock_until").lt(now)),
                ExpressionAttributeValues={":owner": owner, ":until": until},
            )
        )

    def release_delivery_lock(self, tenant_id: str, webhook_id: str | None, delivery_id: str, owner: str) -> None:
        try:
            self.table.update_item(
                Key=keys.delivery(tenant_id, webhook_id, delivery_id),
                UpdateExpression="REMOVE lock_owner, lock_until",
                ConditionExpression=Attr("lock_owner").eq(owner),
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def get_delivery(self, tenant_id: str, webhook_id: str | None, delivery_id: str) -> DeliveryRecord:
        item = self.table.get_item(Key=keys.delivery(tenant_id, webhook_id, delivery_id)).get("Item")
        if not item or item.get("tenant_id") != tenant_id:
            raise NotFound(f"delivery {delivery_id} not found", field="delivery_id")
        return delivery_record(strip(item))

    def list_deliveries(
        self,
        tenant_id: str,
        webhook_id: str | None,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        event_type: str | None = None,
        since: str | None = None,
    ) -> tuple[list[DeliveryRecord], str | None]:
        """Newest first across the log's shards: each shard's newest `limit` (after the cursor, passing the filters),
        merged. The cursor is the last delivery shown."""
        start = keys.decode_cursor(cursor, keys.delivery_log(tenant_id, webhook_id))
        below = start["sk"] if start else None
        found: list[dict[str, Any]] = []
        more = False
        for pk in keys.delivery_pks(tenant_id, webhook_id):
            items, left = self._newest(pk, tenant_id, limit, below, status, event_type, since)
            found += items
            more = more or left
        found.sort(key=lambda item: str(item["sk"]), reverse=True)
        page = found[:limit]
        last = page[-1]["delivery_id"] if page and (more or len(found) > limit) else None
        cursor_out = keys.delivery_cursor(tenant_id, webhook_id, str(last)) if last else None
        return [delivery_record(strip(item)) for item in page], cursor_out

    def _newest(
        self,
        pk: str,
        tenant_id: str,
        limit: int,
        below: str | None,
        status: str | None,
        event_type: str | None,
        since: str | None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """One shard's newest `limit` deliveries passing the filters, and whether it holds more."""
        kwargs = self._log_query(tenant_id, pk, status, event_type, since, below)
        kwargs.update(ScanIndexForward=False, Limit=limit)
        items: list[dict[str, Any]] = []
        while True:
            page = self.table.query(**kwargs)
            items += [item for item in page.get("Items", []) if item["sk"] != below]
            last = page.get("LastEvaluatedKey")
            if not last or len(items) >= limit:
                return items[:limit], bool(last) or len(items) > limit
            kwargs["ExclusiveStartKey"] = last

    def count_deliveries(
        self, tenant_id: str, webhook_id: str | None, status: str | None = None, event_type: str | None = None
    ) -> int:
        """How many deliveries of a webhook (or the tenant's callbacks) pass the filters: a COUNT query per shard,
        page by page (read units, no items returned). Only profiles that publish a `total` ask."""
        total = 0
        for pk in keys.delivery_pks(tenant_id, webhook_id):
            kwargs = {**self._log_query(tenant_id, pk, status, event_type, None, None), "Select": "COUNT"}
            while True:
                page = self.table.query(**kwargs)
                total += int(page.get("Count", 0))
                if not page.get("LastEvaluatedKey"):
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return total

    @staticmethod
    def _log_query(
        tenant_id: str, pk: str, status: str | None, event_type: str | None, since: str | None, below: str | None
    ) -> dict[str, Any]:
        """A log shard's query: its deliveries (from `since` on, before `below`), and the filters."""
        low = keys.DELIVERY_PREFIX + (ids.delivery_floor(since) if since else "")
        key: Any = Key("pk").eq(pk)
        if below:
            key = key & Key("sk").between(low, below)  # `below` itself is dropped by the caller
        elif since:
            key = key & Key("sk").gte(low)
        else:
            key = key & Key("sk").begins_with(keys.DELIVERY_PREFIX)
        conditions = [Attr("tenant_id").eq(tenant_id)]
        if status:
            conditions.append(Attr("status").eq(status))
        if event_type:
            conditions.append(Attr("event_type").eq(event_type))
        condition: Any = conditions[0]
        for extra in conditions[1:]:
            condition = condition & extra
        return {"KeyConditionExpression": key, "FilterExpression": condition}

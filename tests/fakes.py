"""Fakes of the engine's ports (`carrier.ports`): a clock, a retry scheduler, an in-memory store and vault, and
an HTTP transport that answers from a script. Unit tests and the benchmarks build a real `Dispatcher` /
`RetryService` on them: no moto, no sockets, no sleeps.

The store keeps `store.Store`'s semantics where the engine depends on them: an event is stored once, a delivery
is claimed once (or taken over when left `pending` before `stale_before`), the attempt log is a ring of
`ATTEMPTS_KEPT` slots, locks expire, conditional updates answer False, and unknown webhooks and deliveries raise
`NotFound`. Reads return copies, as DynamoDB does.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from carrier import ids
from carrier.errors import Conflict, NotFound
from carrier.operational import OperationalEvent
from carrier.records import (
    TERMINAL,
    AttemptRecord,
    DeliveryRecord,
    EventClaim,
    EventRecord,
    SecretDocument,
    WebhookRecord,
    delivery_record,
    webhook_record,
)
from carrier.store import ATTEMPTS_KEPT
from carrier.store import events as event_index
from carrier.store.events import IndexedEvent
from carrier.targets import Handoff
from carrier.transport import HttpResult

START = datetime(2026, 1, 1, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or START

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


class RecordingScheduler:
    """A retry scheduler that only remembers what it was handed."""

    def __init__(self) -> None:
        self.handoffs: list[Handoff] = []

    def schedule(self, handoff: Handoff) -> None:
        self.handoffs.append(handoff)


class RecordingPublisher:
    """An operational-event publisher that remembers what it was handed (`fail` makes every publish raise, as a
    publisher must never do: the engine is then shown to survive even that)."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.events: list[OperationalEvent] = []
        self.fail = fail

    def publish(self, events: Sequence[OperationalEvent]) -> None:
        if self.fail is not None:
            raise self.fail
        self.events.extend(events)

    def of_type(self, event_type: str) -> list[OperationalEvent]:
        return [e for e in self.events if e.type == event_type]


# ---- the store ----------------------------------------------------------------------------------------------

_LOCK_FIELDS = ("lock_owner", "lock_until")


def _delivery_copy(item: dict[str, Any]) -> DeliveryRecord:
    copy = {k: v for k, v in item.items() if k not in _LOCK_FIELDS}
    copy["attempts"] = [dict(a) for a in item.get("attempts", [])]
    return delivery_record(copy)


def _leave_open_index(item: dict[str, Any]) -> None:
    """As the store does: a terminal delivery leaves the `open` index."""
    if str(item.get("status")) in TERMINAL:
        item.pop("open_due", None)


class MemoryStore:
    """The engine's store surface (`ports.EngineStore`) in dicts."""

    blocking = False  # no network: the dispatcher calls it inline

    def __init__(self, webhooks: Iterable[Mapping[str, Any]] = ()) -> None:
        self.webhooks: dict[tuple[str, str], dict[str, Any]] = {}
        self.events: dict[tuple[str, str], dict[str, Any]] = {}
        self.event_entries: dict[tuple[str, str], tuple[int, str, str]] = {}  # (shard, ev_at, type)
        self.deliveries: dict[tuple[str, str], dict[str, Any]] = {}  # (owner, delivery_id)
        self.settings: dict[tuple[str, str], dict[str, Any]] = {}
        self.rate_slots: Counter[tuple[str, int]] = Counter()
        self.attempts_recorded = 0
        self.webhook_writes = 0  # record_call writes (coalesced by `recording.CallWrites`)
        self.claims: dict[tuple[str, str, int], str] = {}  # (tenant, event, chunk) -> claimed_at
        self._lock = threading.Lock()
        for record in webhooks:
            self.put_webhook(record)

    # ---- webhooks

    def put_webhook(self, record: Mapping[str, Any]) -> None:
        """Store a new webhook, its defaults filled in as `store.Store` does."""
        stored = webhook_record(dict(record))
        key = (stored["tenant_id"], stored["id"])
        if key in self.webhooks:
            raise Conflict("a webhook with this id already exists")
        self.webhooks[key] = dict(stored)

    def all_webhooks(self, tenant_id: str) -> list[WebhookRecord]:
        return [cast(WebhookRecord, dict(r)) for (tenant, _), r in self.webhooks.items() if tenant == tenant_id]

    def get_webhook(self, tenant_id: str, webhook_id: str) -> WebhookRecord:
        record = self.webhooks.get((tenant_id, webhook_id))
        if record is None:
            raise NotFound(f"webhook {webhook_id} not found", field="id")
        return cast(WebhookRecord, dict(record))

    def update_webhook(
        self, tenant_id: str, webhook_id: str, changes: dict[str, Any], remove: tuple[str, ...] = ()
    ) -> WebhookRecord:
        with self._lock:
            record = self.webhooks.get((tenant_id, webhook_id))
            if record is None:
                raise NotFound(f"webhook {webhook_id} not found", field="id")
            record.update(changes)
            for name in remove:
                record.pop(name, None)
            return cast(WebhookRecord, dict(record))

    def record_call(
        self, tenant_id: str, webhook_id: str, changes: dict[str, Any], streak: bool | None = None, uncounted: int = 0
    ) -> WebhookRecord | None:
        """As `store.Store`: the webhook's fields and its consecutive-failure count in one write; the webhook before."""
        with self._lock:
            record = self.webhooks.get((tenant_id, webhook_id))
            if record is None:
                return None
            before = cast(WebhookRecord, dict(record))
            record.update(changes)
            if streak is not None:
                failures = int(record.get("consecutive_failures", 0)) + 1 + uncounted
                record["consecutive_failures"] = 0 if streak else failures
            self.webhook_writes += 1
            return before

    def get_secret_box(self, tenant_id: str, webhook_id: str) -> dict[str, Any] | None:
        record = self.webhooks.get((tenant_id, webhook_id)) or {}
        return dict(record["secret_box"]) if "secret_box" in record else None

    def set_secret_box(self, tenant_id: str, webhook_id: str, box: dict[str, Any]) -> None:
        self.update_webhook(tenant_id, webhook_id, {"secret_box": dict(box)})

    def remove_secret_box(self, tenant_id: str, webhook_id: str) -> None:
        self.update_webhook(tenant_id, webhook_id, {}, ("secret_box",))

    def delete_webhook(self, tenant_id: str, webhook_id: str) -> WebhookRecord:
        record = self.webhooks.pop((tenant_id, webhook_id), None)
        if record is None:
            raise NotFound(f"webhook {webhook_id} not found", field="id")
        return cast(WebhookRecord, record)

    # ---- rate limits and tenant settings

    def take_rate_slot(self, webhook_id: str, limit: int, second: int) -> bool:
        with self._lock:
            if self.rate_slots[(webhook_id, second)] >= limit:
                return False
            self.rate_slots[(webhook_id, second)] += 1
            return True

    def get_tenant_setting(self, tenant_id: str, name: str) -> dict[str, Any] | None:
        record = self.settings.get((tenant_id, name))
        return dict(record) if record is not None else None

    def put_tenant_setting(self, tenant_id: str, name: str, record: dict[str, Any]) -> None:
        self.settings[(tenant_id, name)] = dict(record)

    def delete_tenant_setting(self, tenant_id: str, name: str) -> None:
        self.settings.pop((tenant_id, name), None)

    # ---- events

    def put_event(self, record: EventRecord) -> bool:
        with self._lock:
            key = (record["tenant_id"], record["id"])
            if key in self.events:
                return False
            self.events[key] = dict(record)
            fields = event_index.indexed(record)  # the `events` index entry, made once as the store writes it
            if fields:
                self.event_entries[key] = (int(fields["ev_part"].rsplit("#", 1)[1]), fields["ev_at"], record["type"])
            return True

    def claim_event(self, record: EventRecord, stale_before: str) -> tuple[EventClaim, EventRecord]:
        """As `store.Store`: the event stored and claimed in one write, or its stale claim taken over, or held."""
        claim = self._claim((record["tenant_id"], record["id"], 0), record.get("claimed_at", ""), stale_before)
        if claim == EventClaim.new:
            self.put_event(record)
        stored = self.events[(record["tenant_id"], record["id"])]
        return claim, cast(EventRecord, dict(stored))

    def claim_chunk(
        self, tenant_id: str, event_id: str, chunk: int, claimed_at: str, stale_before: str, expires_at: int
    ) -> EventClaim:
        return self._claim((tenant_id, event_id, chunk), claimed_at, stale_before)

    def _claim(self, key: tuple[str, str, int], claimed_at: str, stale_before: str) -> EventClaim:
        with self._lock:
            held_since = self.claims.get(key)
            if held_since is None and (key[2] or (key[0], key[1]) not in self.events):
                self.claims[key] = claimed_at
                return EventClaim.new
            if (held_since or "") >= stale_before:
                return EventClaim.held
            self.claims[key] = claimed_at
            return EventClaim.taken

    def fix_chunks(self, tenant_id: str, event_id: str, count: int) -> int:
        with self._lock:
            record = self.events[(tenant_id, event_id)]
            return int(record.setdefault("chunks", count))

    def statuses_of(self, tenant_id: str, wanted: list[tuple[str | None, str]]) -> dict[str, str]:
        found = ((did, self._delivery(tenant_id, webhook_id, did)) for webhook_id, did in wanted)
        return {did: str(item["status"]) for did, item in found if item is not None}

    def get_event(self, tenant_id: str, event_id: str) -> EventRecord | None:
        record = self.events.get((tenant_id, event_id))
        return cast(EventRecord, dict(record)) if record is not None else None

    def event_page(
        self, tenant_id: str, since: datetime, until: datetime, cursor: str | None, limit: int
    ) -> tuple[list[IndexedEvent], str | None]:
        """The `events` index: the tenant's published events by (shard, time), with the store's own cursors."""
        low, high = event_index.window(since, until)
        shard, after = event_index.decode_cursor(cursor, low, high)
        rows = sorted(
            row
            for (tenant, _), row in list(self.event_entries.items())
            if tenant == tenant_id and low <= row[1] <= high and (row[0], row[1]) > (shard, after or "")
        )
        found: list[IndexedEvent] = []
        before = event_index.encode_cursor(shard, after)
        for row_shard, at, event_type in rows[:limit]:
            resume = event_index.encode_cursor(row_shard, at)
            found.append({"id": at.partition("#")[2], "type": event_type, "before": before, "after": resume})
            before = resume
        return found, (found[-1]["after"] if len(rows) > limit else None)

    def get_events(self, tenant_id: str, event_ids: list[str]) -> dict[str, EventRecord]:
        return {i: found for i in event_ids if (found := self.get_event(tenant_id, i)) is not None}

    # ---- deliveries

    @staticmethod
    def _owner(tenant_id: str, webhook_id: str | None) -> str:
        return f"WH#{webhook_id}" if webhook_id else f"CB#{tenant_id}"

    def _delivery(self, tenant_id: str, webhook_id: str | None, delivery_id: str) -> dict[str, Any] | None:
        item = self.deliveries.get((self._owner(tenant_id, webhook_id), delivery_id))
        return item if item is not None and item.get("tenant_id") == tenant_id else None

    def claim_delivery(self, record: DeliveryRecord, stale_before: str) -> bool:
        with self._lock:
            key = (self._owner(record["tenant_id"], record.get("webhook_id")), record["delivery_id"])
            found = self.deliveries.get(key)
            unlocked = found is not None and found.get("lock_until", "") < (
                record.get("claimed_at") or record["created_at"]
            )
            if found is not None and not (
                found.get("status") == "pending" and found.get("claimed_at", "") < stale_before and unlocked
            ):
                return False
            self.deliveries[key] = {**record, "attempts": list(record["attempts"])}
            _leave_open_index(self.deliveries[key])
            return True

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
        with self._lock:
            item = self._delivery(tenant_id, webhook_id, delivery_id)
            if item is None:  # DynamoDB refuses `SET attempts[n]` on an item without the list
                raise LookupError(f"delivery {delivery_id} was never claimed")
            if leaving and item.get("status") not in leaving:
                return False
            attempts = item.setdefault("attempts", [])
            slot = (int(attempt["n"]) - 1) % ATTEMPTS_KEPT
            if slot < len(attempts):
                attempts[slot] = dict(attempt)
            else:
                attempts.append(dict(attempt))
            item.update(changes)
            _leave_open_index(item)
            item["attempt_count"] = int(item.get("attempt_count", 0)) + 1
            self.attempts_recorded += 1
        if webhook_id and webhook_changes:
            with contextlib.suppress(NotFound):
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
        leaving = (expected_status,) if isinstance(expected_status, str) else expected_status
        with self._lock:
            item = self._delivery(tenant_id, webhook_id, delivery_id)
            if item is None or (leaving and item.get("status") not in leaving):
                return False
            item.update(changes)
            _leave_open_index(item)
            return True

    def overdue_deliveries(self, now: str, limit: int) -> list[dict[str, str]]:
        """The sparse `open` index: open deliveries whose `open_due` is before `now`."""
        with self._lock:
            found = sorted(
                (item for item in self.deliveries.values() if item.get("open_due") and item["open_due"] < now),
                key=lambda item: item["open_due"],
            )
        return [
            {"tenant_id": i["tenant_id"], "webhook_id": i.get("webhook_id") or "", "delivery_id": i["delivery_id"]}
            for i in found[:limit]
        ]

    def get_delivery(self, tenant_id: str, webhook_id: str | None, delivery_id: str) -> DeliveryRecord:
        item = self._delivery(tenant_id, webhook_id, delivery_id)
        if item is None:
            raise NotFound(f"delivery {delivery_id} not found", field="delivery_id")
        return _delivery_copy(item)

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
        """Newest first (a delivery id starts with its event's time); the cursor is the page's last id."""
        owner = self._owner(tenant_id, webhook_id)
        floor = ids.delivery_floor(since) if since else ""
        rows = sorted(
            (
                item
                for (o, did), item in self.deliveries.items()
                if o == owner
                and item.get("tenant_id") == tenant_id
                and did >= floor
                and (not status or item.get("status") == status)
                and (not event_type or item.get("event_type") == event_type)
                and (not cursor or did < cursor)
            ),
            key=lambda item: str(item["delivery_id"]),
            reverse=True,
        )
        page = rows[:limit]
        next_cursor = str(page[-1]["delivery_id"]) if len(rows) > limit else None
        return [_delivery_copy(item) for item in page], next_cursor

    def count_deliveries(
        self, tenant_id: str, webhook_id: str | None, status: str | None = None, event_type: str | None = None
    ) -> int:
        rows, _ = self.list_deliveries(tenant_id, webhook_id, len(self.deliveries) + 1, None, status, event_type)
        return len(rows)

    def delivery_statuses(self, tenant_id: str, webhook_id: str, delivery_ids: list[str]) -> dict[str, str]:
        return self.statuses_of(tenant_id, [(webhook_id, did) for did in delivery_ids])

    def acquire_delivery_lock(
        self, tenant_id: str, webhook_id: str | None, delivery_id: str, owner: str, until: str, now: str
    ) -> bool:
        with self._lock:
            item = self._delivery(tenant_id, webhook_id, delivery_id)
            if item is None or ("lock_until" in item and item["lock_until"] >= now):
                return False
            item.update(lock_owner=owner, lock_until=until)
            return True

    def release_delivery_lock(self, tenant_id: str, webhook_id: str | None, delivery_id: str, owner: str) -> None:
        with self._lock:
            item = self._delivery(tenant_id, webhook_id, delivery_id)
            if item is not None and item.get("lock_owner") == owner:
                for name in _LOCK_FIELDS:
                    item.pop(name, None)

    def is_locked(self, tenant_id: str, webhook_id: str | None, delivery_id: str) -> bool:
        item = self._delivery(tenant_id, webhook_id, delivery_id)
        return item is not None and "lock_owner" in item


# ---- the vault ----------------------------------------------------------------------------------------------


def secret_document(*keys: str, headers: dict[str, str] | None = None) -> SecretDocument:
    """A vault document: the first key signs, the others beside it (no expiry); custom header values."""
    return {
        "keys": [{"secret": key, "created_at": "2026-01-01T00:00:00Z", "expires_at": None} for key in keys],
        "headers": dict(headers or {}),
    }


class MemoryVault:
    """The vault surface (`ports.SecretVault`) in a dict. `cached=False` makes `peek` miss, as a cold container's
    cache does, so callers go through `get`."""

    def __init__(self, documents: dict[str, SecretDocument] | None = None, *, cached: bool = True) -> None:
        self.documents: dict[str, SecretDocument] = dict(documents or {})
        self.cached = cached
        self.gets = 0

    def name_for(self, tenant_id: str, webhook_id: str) -> str:
        return f"memory/{tenant_id}/{webhook_id}"

    def create(self, name: str, document: SecretDocument, tags: dict[str, str]) -> dict[str, Any]:
        if name in self.documents:
            raise ValueError(f"secret {name} exists")
        self.documents[name] = document
        return {}

    def put(self, name: str, document: SecretDocument) -> None:
        self.documents[name] = document

    def get(self, name: str, *, fresh: bool = False, box: Mapping[str, Any] | None = None) -> SecretDocument:
        self.gets += 1
        try:
            return self.documents[name]
        except KeyError:
            raise LookupError(f"no secret {name}") from None

    def peek(self, name: str) -> SecretDocument | None:
        return self.documents.get(name) if self.cached else None

    def delete(self, name: str) -> None:
        self.documents.pop(name, None)


# ---- the transport ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentRequest:
    url: str
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def answer(
    status: int | None = 200,
    body: bytes = b"",
    *,
    headers: dict[str, str] | None = None,
    error_kind: str | None = None,
    error: str | None = None,
    elapsed_ms: int = 12,
) -> HttpResult:
    """One scripted result of `FakeTransport.post` (what `transport.Transport` would have returned)."""
    return HttpResult(
        status=status, headers=dict(headers or {}), body=body, elapsed_ms=elapsed_ms, error_kind=error_kind, error=error
    )


def failure(error_kind: str, error: str, *, status: int | None = None, elapsed_ms: int = 30) -> HttpResult:
    """A transport-level failure (`blocked`, `timeout`, `connection`, `tls`, `invalid_response`, `redirect`)."""
    return answer(status, error_kind=error_kind, error=error, elapsed_ms=elapsed_ms)


Script = Callable[[SentRequest], HttpResult]


@dataclass
class FakeTransport:
    """Answers each POST with the next scripted result (then `default`), or with `script(request)` when given;
    records every request."""

    replies: list[HttpResult] = field(default_factory=list)
    default: HttpResult = field(default_factory=answer)
    script: Script | None = None
    requests: list[SentRequest] = field(default_factory=list)
    closed: bool = False

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
        request = SentRequest(url, body, dict(headers))
        self.requests.append(request)
        if self.script is not None:
            result = self.script(request)
        elif self.replies:
            result = self.replies.pop(0)
        else:
            result = self.default
        return replace(result, headers=dict(result.headers))

    async def close(self) -> None:
        self.closed = True


if TYPE_CHECKING:  # the fakes fit the ports they stand in for (mypy checks these assignments)
    from carrier import ports

    _store: ports.ReplayStore = MemoryStore()
    _vault: ports.SecretVault = MemoryVault()
    _transport: ports.HttpTransport = FakeTransport()
    _clock: ports.Clock = FakeClock()
    _scheduler: ports.RetryScheduler = RecordingScheduler()

"""The engine's ports: what dispatch and the retry ladder consume, declared where they are consumed.

Each is a `typing.Protocol` of the methods the engine calls, so the production classes (`store.Store`,
`vault.Vault`, `transport.Transport`, `scheduling.StepFunctionsScheduler`) and a test's fakes
(`tests/fakes.py`) both fit without inheriting from anything. Nothing here imports boto3 or aiohttp at run
time: the types they name are read by the type checker only.

| port | consumed by | production class |
| --- | --- | --- |
| `Clock` | every service | `clock.SystemClock` |
| `RetryScheduler` | `Dispatcher` (a failed or deferred first attempt) | `scheduling.StepFunctionsScheduler` |
| `HttpTransport` | `Dispatcher.attempt`, `runs.run_once` | `transport.Transport` |
| `SecretReader` | `Dispatcher.attempt` | `vault.Vault`, `envelope.EnvelopeVault` |
| `SecretVault` | `RetryService` (callback targets), `CallbackService` | `vault.Vault`, `envelope.EnvelopeVault` |
| `DispatchStore` | `Dispatcher` | `store.Store` |
| `TenantSettingStore` | `CallbackService` | `store.Store` |
| `SecretBoxStore` | `envelope.EnvelopeVault` | `store.Store` |
| `EngineStore` | `RetryService`, `DeliveryService` | `store.Store` |
| `ReplayStore` | `ReplayService` | `store.Store` |
| `EventPublisher` | `recording.Recorder`, `RetryService.exhaust`, `WebhookService` | `operational.BusPublisher` |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # names for the type checker only: no import cycle, no aiohttp at cold start
    from carrier.operational import OperationalEvent
    from carrier.records import (
        AttemptRecord,
        DeliveryRecord,
        EventClaim,
        EventRecord,
        SecretDocument,
        WebhookRecord,
    )
    from carrier.store.events import IndexedEvent
    from carrier.targets import Handoff
    from carrier.transport import HttpResult


class Clock(Protocol):
    def now(self) -> datetime: ...


class RetryScheduler(Protocol):
    """Where a failed (or rate-limited) first attempt is handed: the retry ladder."""

    def schedule(self, handoff: Handoff) -> None: ...


class HttpTransport(Protocol):
    """One POST to a receiver. `post` never raises for what the receiver or the network does: it is in the
    result (`status`, `body`, `error_kind`, `error`, `elapsed_ms`)."""

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> HttpResult: ...

    async def close(self) -> None: ...


class SecretReader(Protocol):
    """A webhook's secret document (`records.SecretDocument`)."""

    def get(self, name: str, *, fresh: bool = False, box: Mapping[str, Any] | None = None) -> SecretDocument:
        """`box`: the sealed document the webhook's item carries (`envelope`), opened without a read."""
        ...

    def peek(self, name: str) -> SecretDocument | None:
        """The cached document without any call, or None (async callers then `get` it in a thread)."""
        ...


class SecretVault(SecretReader, Protocol):
    """A reader that also writes documents (per-tenant callback secrets)."""

    def name_for(self, tenant_id: str, webhook_id: str) -> str: ...

    def create(self, name: str, document: SecretDocument, tags: dict[str, str]) -> dict[str, Any]:
        """Store a new document; answers the fields its webhook's item keeps with it (the sealed box under
        `envelope`, written by the webhook's own put: creation is one write), or none."""
        ...

    def put(self, name: str, document: SecretDocument) -> None: ...

    def delete(self, name: str) -> None: ...


class DispatchStore(Protocol):
    """What the Dispatcher reads and writes for first attempts."""

    @property
    def blocking(self) -> bool:
        """True when every call is a network round trip (async callers run it in a thread)."""
        ...

    def claim_event(self, record: EventRecord, stale_before: str) -> tuple[EventClaim, EventRecord]:
        """Store the event and claim its deliveries in one write (`new`), or take over a stale claim (`taken`), or
        find it held; answers the event as stored."""
        ...

    def claim_chunk(
        self, tenant_id: str, event_id: str, chunk: int, claimed_at: str, stale_before: str, expires_at: int
    ) -> EventClaim: ...

    def put_event(self, record: EventRecord) -> bool: ...

    def get_event(self, tenant_id: str, event_id: str) -> EventRecord | None: ...

    def statuses_of(self, tenant_id: str, wanted: list[tuple[str | None, str]]) -> dict[str, str]: ...

    def fix_chunks(self, tenant_id: str, event_id: str, count: int) -> int:
        """How many chunks an event's fan-out is split into: `count` the first time, the first count after."""
        ...

    def all_webhooks(self, tenant_id: str) -> list[WebhookRecord]: ...

    def claim_delivery(self, record: DeliveryRecord, stale_before: str) -> bool:
        """Write a delivery's first record: new, or over a `pending` one left stale."""
        ...

    def get_delivery(self, tenant_id: str, webhook_id: str | None, delivery_id: str) -> DeliveryRecord:
        """Raises `errors.NotFound` for an unknown delivery."""
        ...

    def take_rate_slot(self, webhook_id: str, limit: int, second: int) -> bool: ...

    def record_attempt(
        self,
        tenant_id: str,
        webhook_id: str | None,
        delivery_id: str,
        attempt: AttemptRecord,
        changes: dict[str, Any],
        webhook_changes: dict[str, Any] | None = None,
        leaving: tuple[str, ...] = (),
    ) -> bool: ...

    def update_delivery(
        self,
        tenant_id: str,
        webhook_id: str | None,
        delivery_id: str,
        changes: dict[str, Any],
        expected_status: str | tuple[str, ...] | None = None,
    ) -> bool: ...

    def record_call(
        self, tenant_id: str, webhook_id: str, changes: dict[str, Any], streak: bool | None = None, uncounted: int = 0
    ) -> WebhookRecord | None:
        """Set the webhook's last_call / last_error (and more) after an attempt, and count its consecutive failed
        attempts in the same write (`streak`: False a failure, adding `uncounted` earlier ones not written yet;
        True a success resets it; None leaves it); returns the webhook as it was before the write (None when it
        was deleted)."""
        ...


class EventPublisher(Protocol):
    """Operational events onto Carrier's bus. `publish` never raises: a failure is logged and counted."""

    def publish(self, events: Sequence[OperationalEvent]) -> None: ...


class TenantSettingStore(Protocol):
    """Per-tenant settings (the callback signing configuration)."""

    def get_tenant_setting(self, tenant_id: str, name: str) -> dict[str, Any] | None: ...

    def put_tenant_setting(self, tenant_id: str, name: str, record: dict[str, Any]) -> None: ...

    def delete_tenant_setting(self, tenant_id: str, name: str) -> None: ...


class SecretBoxStore(TenantSettingStore, Protocol):
    """Where `envelope` keeps sealed documents: a webhook's on its own item, the tenant's callbacks' as a setting."""

    def get_secret_box(self, tenant_id: str, webhook_id: str) -> dict[str, Any] | None: ...

    def set_secret_box(self, tenant_id: str, webhook_id: str, box: dict[str, Any]) -> None:
        """Raises `errors.NotFound` when the webhook does not exist."""
        ...

    def remove_secret_box(self, tenant_id: str, webhook_id: str) -> None: ...


class EngineStore(DispatchStore, TenantSettingStore, Protocol):
    """The Dispatcher's surface plus what ladder steps, manual retries and the delivery log read and write."""

    def get_event(self, tenant_id: str, event_id: str) -> EventRecord | None: ...

    def get_webhook(self, tenant_id: str, webhook_id: str) -> WebhookRecord:
        """Raises `errors.NotFound` for an unknown webhook."""
        ...

    def update_webhook(
        self, tenant_id: str, webhook_id: str, changes: dict[str, Any], remove: tuple[str, ...] = ()
    ) -> WebhookRecord:
        """Raises `errors.NotFound` for an unknown webhook."""
        ...

    def list_deliveries(
        self,
        tenant_id: str,
        webhook_id: str | None,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        event_type: str | None = None,
        since: str | None = None,
    ) -> tuple[list[DeliveryRecord], str | None]: ...

    def count_deliveries(
        self, tenant_id: str, webhook_id: str | None, status: str | None = None, event_type: str | None = None
    ) -> int: ...

    def overdue_deliveries(self, now: str, limit: int) -> list[dict[str, str]]:
        """Open deliveries past their `open_due`: `tenant_id`, `webhook_id` ("" for a callback), `delivery_id`."""
        ...

    def acquire_delivery_lock(
        self, tenant_id: str, webhook_id: str | None, delivery_id: str, owner: str, until: str, now: str
    ) -> bool: ...

    def release_delivery_lock(self, tenant_id: str, webhook_id: str | None, delivery_id: str, owner: str) -> None: ...


class ReplayStore(EngineStore, Protocol):
    """What replay reads besides the engine's surface: the tenant's events by time, in batches."""

    def event_page(
        self, tenant_id: str, since: datetime, until: datetime, cursor: str | None, limit: int
    ) -> tuple[list[IndexedEvent], str | None]:
        """Up to `limit` events published in [since, until] from `cursor` on, and the cursor of the rest (None when
        done). Raises `errors.InvalidInput` (field `cursor`) for a cursor not of this window."""
        ...

    def get_events(self, tenant_id: str, event_ids: list[str]) -> dict[str, EventRecord]: ...

    def delivery_statuses(self, tenant_id: str, webhook_id: str, delivery_ids: list[str]) -> dict[str, str]:
        """delivery id -> status, for those of the webhook's deliveries that exist."""
        ...


__all__ = [
    "Clock",
    "DispatchStore",
    "EngineStore",
    "EventPublisher",
    "HttpTransport",
    "ReplayStore",
    "RetryScheduler",
    "SecretReader",
    "SecretVault",
    "TenantSettingStore",
]

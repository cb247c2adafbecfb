"""A Dispatcher and a RetryService wired to the fakes of `tests/fakes.py`: the engine with nothing outside it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from carrier.dispatch import Dispatcher
from carrier.formats import Event
from carrier.retries import RetryService
from carrier.settings import Settings
from carrier.targets import DispatchReport
from tests.fakes import (
    FakeClock,
    FakeTransport,
    MemoryStore,
    MemoryVault,
    RecordingPublisher,
    RecordingScheduler,
    secret_document,
)

TENANT = "t1"
LADDER = (300, 1800, 7200, 28800, 86400)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks docs' example key
URL = "https://receiver.example/hook"


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "table_name": "carrier-unit",
        "event_bus_name": "carrier-unit",
        "secret_prefix": "memory/",
        "retry_ladder": LADDER,
        "http_timeout_seconds": 30,
        **overrides,
    }
    return Settings(**values)


def event(event_id: str = "evt_1", event_type: str = "model.trained", **data: Any) -> Event:
    return Event(event_id, event_type, TENANT, "2026-01-01T00:00:00.000Z", data or {"model_id": "mod_1"})


@dataclass
class Engine:
    """The fakes, and the engine built on them; `hook` adds a webhook (row and secret) as the API would."""

    transport: FakeTransport = field(default_factory=FakeTransport)
    settings: Settings = field(default_factory=settings)
    store: MemoryStore = field(default_factory=MemoryStore)
    vault: MemoryVault = field(default_factory=MemoryVault)
    clock: FakeClock = field(default_factory=FakeClock)
    scheduler: RecordingScheduler = field(default_factory=RecordingScheduler)
    events: RecordingPublisher = field(default_factory=RecordingPublisher)

    @property
    def dispatcher(self) -> Dispatcher:
        return Dispatcher(
            self.settings, self.store, self.vault, self.transport, self.scheduler, self.clock, self.events
        )

    @property
    def retries(self) -> RetryService:
        return RetryService(self.settings, self.store, self.vault, self.clock, lambda: self.transport, self.events)

    def hook(
        self,
        webhook_id: str = "wh_1",
        *,
        url: str = URL,
        events: tuple[str, ...] = ("model.*",),
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> str:
        name = self.vault.name_for(TENANT, webhook_id)
        self.vault.put(name, secret_document(secret, headers=headers))
        record = {
            "tenant_id": TENANT,
            "id": webhook_id,
            "url": url,
            "events": list(events),
            "secret_name": name,
            "header_names": sorted(headers or {}),
            "created_at": "2026-01-01T00:00:00.000Z",
            "updated_at": "2026-01-01T00:00:00.000Z",
            **fields,
        }
        self.store.put_webhook(record)
        return webhook_id

    def publish(self, published: Event | None = None, **options: Any) -> DispatchReport:
        return asyncio.run(self.dispatcher.dispatch(published or event(), **options))

    def delivery(self, webhook_id: str = "wh_1", event_id: str = "evt_1") -> dict[str, Any]:
        [found] = [
            dict(self.store.get_delivery(TENANT, webhook_id, did))
            for (owner, did), item in self.store.deliveries.items()
            if owner == f"WH#{webhook_id}" and item["event_id"] == event_id
        ]
        return found

    def webhook(self, webhook_id: str = "wh_1") -> dict[str, Any]:
        return dict(self.store.get_webhook(TENANT, webhook_id))

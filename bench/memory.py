"""In-memory stand-ins for the store and the vault: the benchmark measures Carrier's own work, not DynamoDB."""

from __future__ import annotations

import threading
from typing import Any


class MemoryStore:
    blocking = False  # no network: the dispatcher calls it inline

    def __init__(self, webhooks: list[dict[str, Any]]) -> None:
        self.webhooks = webhooks
        self.events: dict[str, dict] = {}
        self.deliveries: dict[str, dict] = {}
        self.attempts = 0
        self._lock = threading.Lock()

    def put_event(self, record: dict[str, Any]) -> bool:
        with self._lock:
            return self.events.setdefault(record["id"], record) is record

    def all_webhooks(self, tenant_id: str) -> list[dict[str, Any]]:
        return self.webhooks

    def claim_delivery(self, record: dict[str, Any], stale_before: str) -> bool:
        with self._lock:
            return self.deliveries.setdefault(record["delivery_id"], record) is record

    def record_attempt(
        self,
        tenant_id: str,
        webhook_id: str | None,
        delivery_id: str,
        attempt: dict[str, Any],
        changes: dict[str, Any],
        webhook_changes: dict[str, Any] | None = None,
    ) -> None:
        with self._lock:
            self.deliveries[delivery_id].update(changes)
            self.attempts += 1


class MemoryVault:
    def __init__(self, secret: str) -> None:
        self.document = {
            "keys": [{"secret": secret, "created_at": "2026-01-01T00:00:00Z", "expires_at": None}],
            "headers": {},
        }

    def get(self, name: str, *, fresh: bool = False) -> dict[str, Any]:
        return self.document

    def peek(self, name: str) -> dict[str, Any]:
        return self.document

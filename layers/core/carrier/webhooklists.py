"""A tenant's webhook list as first attempts read it: once per `webhook_cache_seconds` per container.

Every event needs its tenant's whole list (matching is by type and filters), so reading it per event costs a
Query per event. The list is kept per container for a bounded staleness instead: a webhook created, changed,
disabled or deleted is seen by first attempts within `webhook_cache_seconds` (0 reads it every time). Ladder
steps, tenants' retries and test sends read the webhook itself, never this list.
"""

from __future__ import annotations

from datetime import datetime

from carrier.ports import Clock, DispatchStore
from carrier.records import WebhookRecord


class WebhookLists:
    def __init__(self, store: DispatchStore, clock: Clock, seconds: int) -> None:
        self.store = store
        self.clock = clock
        self.seconds = seconds
        self._lists: dict[str, tuple[datetime, list[WebhookRecord]]] = {}

    def of(self, tenant_id: str) -> list[WebhookRecord]:
        now = self.clock.now()
        kept = self._lists.get(tenant_id)
        if kept is not None and (now - kept[0]).total_seconds() < self.seconds:
            return kept[1]
        webhooks = self.store.all_webhooks(tenant_id)
        if self.seconds:
            self._lists[tenant_id] = (now, webhooks)
        return webhooks

    def forget(self, tenant_id: str) -> None:
        """This container changed one of the tenant's webhooks (a 410 disabled it): read the list again."""
        self._lists.pop(tenant_id, None)

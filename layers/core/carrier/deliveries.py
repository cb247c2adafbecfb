"""The delivery log as tenants see it, and sends a tenant asks for (test events)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carrier import ids, profile
from carrier.catalog import get_catalog
from carrier.clock import Clock, SystemClock, iso
from carrier.dispatch import Dispatcher
from carrier.errors import NotFound
from carrier.formats import Event
from carrier.ingest import sized_detail
from carrier.models import DeliveryDetail, DeliveryList, SendResult, TestRequest, delivery_detail, delivery_summary
from carrier.outcomes import DELIVERED
from carrier.ports import EngineStore, HttpTransport, SecretReader
from carrier.runs import run_once
from carrier.settings import Settings
from carrier.targets import Target
from carrier.webhooks import WebhookService


class DeliveryService:
    def __init__(
        self,
        settings: Settings,
        store: EngineStore,
        vault: SecretReader,
        webhooks: WebhookService,
        transport_factory: Callable[[], HttpTransport] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.vault = vault
        self.webhooks = webhooks
        self.clock = clock or SystemClock()
        self.transport_factory = transport_factory

    def list(
        self,
        tenant_id: str,
        webhook_id: str,
        limit: int,
        cursor: str | None,
        status: str | None,
        event_type: str | None,
    ) -> DeliveryList:
        hook = self.webhooks.get(tenant_id, webhook_id)  # 404 unless the tenant owns the webhook
        return self._page(tenant_id, webhook_id, limit, cursor, status, event_type, hook["url"])

    def get(self, tenant_id: str, webhook_id: str, delivery_id: str) -> DeliveryDetail:
        hook = self.webhooks.get(tenant_id, webhook_id)
        return self._detail(tenant_id, webhook_id, delivery_id, hook["url"])

    def list_callbacks(
        self, tenant_id: str, limit: int, cursor: str | None, status: str | None, event_type: str | None
    ) -> DeliveryList:
        """The tenant's per-job callback deliveries (their own partition: no webhook to own), newest first."""
        return self._page(tenant_id, None, limit, cursor, status, event_type)

    def get_callback(self, tenant_id: str, delivery_id: str) -> DeliveryDetail:
        """One of the tenant's callback deliveries: 404 for another tenant's, or for a webhook's delivery."""
        return self._detail(tenant_id, None, delivery_id)

    def _page(
        self,
        tenant_id: str,
        webhook_id: str | None,
        limit: int,
        cursor: str | None,
        status: str | None,
        event_type: str | None,
        webhook_url: str | None = None,
    ) -> DeliveryList:
        """One page of a log; `webhook_url` is where a delivery with no attempt yet goes (`delivery_url`)."""
        records, next_cursor = self.store.list_deliveries(tenant_id, webhook_id, limit, cursor, status, event_type)
        summaries = [delivery_summary(r, webhook_url) for r in records]
        total = None
        if profile.active().answers.delivery_total:  # seed 004's {deliveries, total, limit}
            total = self.store.count_deliveries(tenant_id, webhook_id, status, event_type)
        return DeliveryList(
            deliveries=summaries,
            data=summaries,
            total=total,
            limit=limit,
            next_cursor=next_cursor,
            has_more=bool(next_cursor),
        )

    def _detail(
        self, tenant_id: str, webhook_id: str | None, delivery_id: str, webhook_url: str | None = None
    ) -> DeliveryDetail:
        if not ids.is_valid("delivery", delivery_id):
            raise NotFound(f"delivery {delivery_id} not found", field="delivery_id")
        return delivery_detail(self.store.get_delivery(tenant_id, webhook_id, delivery_id), webhook_url)

    def send_test(self, tenant_id: str, webhook_id: str, request: TestRequest) -> SendResult:
        """Send an example event to one webhook now (recorded in its log, never retried); its data obeys the size rule
        of every event (`ingest.sized_detail`)."""
        record = self.webhooks.get(tenant_id, webhook_id)
        example = get_catalog().types[request.event_type].example
        event = Event(
            id=ids.event_id(),
            type=request.event_type,
            tenant_id=tenant_id,
            timestamp=iso(self.clock.now()),
            data=request.data if request.data is not None else _for_webhook(example, record["id"]),
            test=True,
        )
        sized_detail(event.type, {"tenant_id": tenant_id, "id": event.id, "data": event.data})  # 413 over the limit
        report = self._run(lambda d: d.dispatch(event, [Target.of_webhook(record)], match=False, retry=False))
        result = report.results[0]
        return send_result(result.delivery_id, event.id, result)

    def _run(self, work: Callable[[Dispatcher], Any]) -> Any:
        return run_once(
            self.settings,
            self.store,
            self.vault,
            self.clock,
            self.transport_factory,
            work,
            interactive=True,
            events=self.webhooks.events,  # a test send's 410 disables its webhook: said like any other
        )


def send_result(delivery_id: str, event_id: str, result: Any) -> SendResult:
    http = result.result
    return SendResult(
        delivered=result.outcome.name == DELIVERED,
        delivery_id=delivery_id,
        event_id=event_id,
        status_code=http.status,
        response_time_ms=http.elapsed_ms,
        response_body=result.attempt.get("response_body"),  # the stored excerpt: capped, secrets masked
        error=result.attempt.get("error"),
    )


def _for_webhook(example: dict[str, Any], webhook_id: str) -> dict[str, Any]:
    """A catalog example sent by /test, naming the webhook it was sent to where the example has a `webhook_id`."""
    return {**example, "webhook_id": webhook_id} if "webhook_id" in example else example

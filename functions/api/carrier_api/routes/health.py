"""/v1/webhooks/<id>/stats and /replay: how a webhook is doing, and sending it the events it missed."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from carrier import runtime
from carrier.models.health import ReplayRequest, ReplayResult, StatsWindow, WebhookStats
from carrier_api.http_errors import answers
from carrier_api.routes.params import WebhookId
from carrier_api.tenancy import tenant

router = Router()


@router.get(
    "/v1/webhooks/<webhook_id>/stats",
    tags=["webhooks"],
    summary="A webhook's health over a window: counts by status, success rate, response times, failure streak",
    responses=answers(200, 404),
)
def webhook_stats(
    webhook_id: WebhookId,
    window: Annotated[StatsWindow, Query(description="1h, 24h or 7d: deliveries created since then")] = StatsWindow.day,
) -> WebhookStats:
    return runtime.health_service().stats(tenant(router.current_event), webhook_id, window)


@router.post(
    "/v1/webhooks/<webhook_id>/replay",
    tags=["webhooks"],
    summary="Send the events of a window that the webhook matches and never got (100 examined per call)",
    description="Every stored event published in [since, until] that the webhook matches today (types, filters) "
    "and has no delivered delivery for: events from before it existed, skipped while it was disabled, or failed "
    "and exhausted ones. One delivery per (event, webhook), never two. Call again with `cursor` = `next_cursor` "
    "(the same since/until) until it is null. 409 while the webhook is disabled: enable it first.",
    responses=answers(200, 404, 409, 415),
)
def replay_webhook(webhook_id: WebhookId, body: ReplayRequest) -> ReplayResult:
    return runtime.replay_service().replay(
        tenant(router.current_event), webhook_id, body.since, body.until, body.cursor
    )

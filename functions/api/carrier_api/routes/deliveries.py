"""/v1/webhooks/<id>/deliveries and /recover: a webhook's delivery log, and sending deliveries again by hand."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from carrier import runtime
from carrier.models import DeliveryDetail, DeliveryList, DeliveryStatus, RecoverRequest, RecoverResult, SendResult
from carrier_api.http_errors import answers
from carrier_api.routes.params import DeliveryId, WebhookId
from carrier_api.tenancy import tenant

router = Router()


@router.get(
    "/v1/webhooks/<webhook_id>/deliveries",
    tags=["deliveries"],
    summary="A webhook's deliveries, newest first",
    responses=answers(200, 404),
)
def list_deliveries(
    webhook_id: WebhookId,
    limit: Annotated[int, Query(ge=1, le=250)] = 50,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    event_type: Annotated[str | None, Query(max_length=128)] = None,
) -> DeliveryList:
    tenant_id = tenant(router.current_event)
    return runtime.delivery_service().list(tenant_id, webhook_id, limit, cursor, status, event_type)


@router.get(
    "/v1/webhooks/<webhook_id>/deliveries/<delivery_id>",
    tags=["deliveries"],
    summary="A delivery and its attempts",
    responses=answers(200, 404),
)
def get_delivery(webhook_id: WebhookId, delivery_id: DeliveryId) -> DeliveryDetail:
    return runtime.delivery_service().get(tenant(router.current_event), webhook_id, delivery_id)


@router.post(
    "/v1/webhooks/<webhook_id>/deliveries/<delivery_id>/retry",
    tags=["deliveries"],
    summary="Send a delivery again now (recorded as manual)",
    responses=answers(200, 404, 409),
)
def retry_delivery(webhook_id: WebhookId, delivery_id: DeliveryId) -> SendResult:
    return runtime.retry_delivery(tenant(router.current_event), webhook_id, delivery_id)


@router.post(
    "/v1/webhooks/<webhook_id>/recover",
    tags=["deliveries"],
    summary="Re-send every failed or exhausted delivery since a time",
    responses=answers(200, 404, 409, 415),
)
def recover_deliveries(webhook_id: WebhookId, body: RecoverRequest) -> RecoverResult:
    return RecoverResult(**runtime.recover_deliveries(tenant(router.current_event), webhook_id, body.since))

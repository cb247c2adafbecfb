"""/v1/callbacks: how per-job callbacks (an event's `callback_url`) are signed, set once per tenant; and the
tenant's callback delivery log (read, retry), the same as a webhook's."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from carrier import runtime
from carrier.callbacks import CallbackConfig, CallbackConfigCreated, CallbackConfigRequest
from carrier.models import DeliveryDetail, DeliveryList, DeliveryStatus, SendResult
from carrier_api.http_errors import answers
from carrier_api.routes.params import DeliveryId
from carrier_api.tenancy import tenant

router = Router()


@router.put(
    "/v1/callbacks",
    tags=["callbacks"],
    summary="Set the per-job callback secret and scheme (secret shown once)",
    responses=answers(200, 415),
)
def configure_callbacks(body: CallbackConfigRequest) -> CallbackConfigCreated:
    return runtime.callback_service().configure(tenant(router.current_event), body)


@router.get(
    "/v1/callbacks",
    tags=["callbacks"],
    summary="How per-job callbacks are signed (never the secret)",
    responses=answers(200, 404),
)
def get_callbacks() -> CallbackConfig:
    return runtime.callback_service().get(tenant(router.current_event))


@router.get(
    "/v1/callbacks/deliveries",
    tags=["callbacks"],
    summary="The tenant's per-job callback deliveries, newest first",
    responses=answers(200),
)
def list_callback_deliveries(
    limit: Annotated[int, Query(ge=1, le=250)] = 50,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    event_type: Annotated[str | None, Query(max_length=128)] = None,
) -> DeliveryList:
    tenant_id = tenant(router.current_event)
    return runtime.delivery_service().list_callbacks(tenant_id, limit, cursor, status, event_type)


@router.get(
    "/v1/callbacks/deliveries/<delivery_id>",
    tags=["callbacks"],
    summary="A callback delivery and its attempts",
    responses=answers(200, 404),
)
def get_callback_delivery(delivery_id: DeliveryId) -> DeliveryDetail:
    return runtime.delivery_service().get_callback(tenant(router.current_event), delivery_id)


@router.post(
    "/v1/callbacks/deliveries/<delivery_id>/retry",
    tags=["callbacks"],
    summary="Send a callback delivery again now (recorded as manual)",
    responses=answers(200, 404, 409),
)
def retry_callback_delivery(delivery_id: DeliveryId) -> SendResult:
    return runtime.retry_callback(tenant(router.current_event), delivery_id)

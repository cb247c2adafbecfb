"""/v1/callbacks: how per-job callbacks (an event's `callback_url`) are signed, set once per tenant."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from carrier import runtime
from carrier.callbacks import CallbackConfig, CallbackConfigCreated, CallbackConfigRequest
from carrier_api.http_errors import answers
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

"""/v1/webhooks: create, list, read, change, delete, test, enable, disable, and rotate a webhook's secret."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from carrier import runtime
from carrier.models import (
    RotateRequest,
    RotateResult,
    SendResult,
    TestRequest,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookPatch,
    WebhookReplace,
)
from carrier.observability import logger
from carrier.webhooks import to_public
from carrier_api.http_errors import answers, json_response
from carrier_api.routes.params import WebhookId
from carrier_api.tenancy import tenant

router = Router()


@router.post(
    "/v1/webhooks",
    tags=["webhooks"],
    summary="Create a webhook (the secret is returned once)",
    responses=answers(201, 415),
)
def create_webhook(body: WebhookCreate) -> Response[WebhookCreated]:
    created = runtime.webhook_service().create(tenant(router.current_event), body)
    logger.info("webhook created", extra={"webhook_id": created.id})
    return json_response(201, created.model_dump(mode="json"))


@router.get(
    "/v1/webhooks", tags=["webhooks"], summary="List webhooks, oldest first, with a cursor", responses=answers(200)
)
def list_webhooks(
    limit: Annotated[int, Query(ge=1, le=250)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> WebhookList:
    records, next_cursor = runtime.webhook_service().list(tenant(router.current_event), limit, cursor)
    data = [to_public(record) for record in records]
    return WebhookList(data=data, webhooks=data, next_cursor=next_cursor, has_more=next_cursor is not None)


@router.get("/v1/webhooks/<webhook_id>", tags=["webhooks"], summary="Get a webhook", responses=answers(200, 404))
def get_webhook(webhook_id: WebhookId) -> Webhook:
    return to_public(runtime.webhook_service().get(tenant(router.current_event), webhook_id))


@router.patch(
    "/v1/webhooks/<webhook_id>",
    tags=["webhooks"],
    summary="Change some fields of a webhook",
    responses=answers(200, 404, 415),
)
def patch_webhook(webhook_id: WebhookId, body: WebhookPatch) -> Webhook:
    return runtime.webhook_service().patch(tenant(router.current_event), webhook_id, body)


@router.put(
    "/v1/webhooks/<webhook_id>",
    tags=["webhooks"],
    summary="Replace a webhook (absent fields reset)",
    responses=answers(200, 404, 415),
)
def replace_webhook(webhook_id: WebhookId, body: WebhookReplace) -> Webhook:
    return runtime.webhook_service().replace(tenant(router.current_event), webhook_id, body)


@router.delete(
    "/v1/webhooks/<webhook_id>",
    tags=["webhooks"],
    summary="Delete a webhook and its secret",
    responses=answers(204, 404),
)
def delete_webhook(webhook_id: WebhookId) -> Response[str]:
    runtime.webhook_service().delete(tenant(router.current_event), webhook_id)
    logger.info("webhook deleted", extra={"webhook_id": webhook_id})
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")


@router.post(
    "/v1/webhooks/<webhook_id>/test",
    tags=["webhooks"],
    summary="Send an example event now",
    responses=answers(200, 404, 413, 415),
)
def test_webhook(webhook_id: WebhookId, body: TestRequest | None = None) -> SendResult:
    return runtime.delivery_service().send_test(tenant(router.current_event), webhook_id, body or TestRequest())


@router.post(
    "/v1/webhooks/<webhook_id>/enable",
    tags=["webhooks"],
    summary="Re-enable a disabled webhook",
    responses=answers(200, 404),
)
def enable_webhook(webhook_id: WebhookId) -> Webhook:
    return runtime.webhook_service().set_status(tenant(router.current_event), webhook_id, "active")


@router.post(
    "/v1/webhooks/<webhook_id>/disable",
    tags=["webhooks"],
    summary="Disable a webhook (nothing new is sent)",
    responses=answers(200, 404),
)
def disable_webhook(webhook_id: WebhookId) -> Webhook:
    tenant_id = tenant(router.current_event)
    return runtime.webhook_service().set_status(tenant_id, webhook_id, "disabled", reason="disabled by the tenant")


@router.post(
    "/v1/webhooks/<webhook_id>/secret/rotate",
    tags=["webhooks"],
    summary="Rotate the signing secret (the new one is shown once; the old one signs beside it for 24 h)",
    responses=answers(200, 404, 415),
)
def rotate_secret(webhook_id: WebhookId, body: RotateRequest | None = None) -> RotateResult:
    rotated = runtime.rotate_secret(tenant(router.current_event), webhook_id, (body or RotateRequest()).secret)
    logger.info("secret rotated", extra={"webhook_id": webhook_id})
    return RotateResult(**rotated)

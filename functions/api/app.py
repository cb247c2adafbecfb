"""Management API: a thin Powertools resolver. Routes parse and answer; carrier.* decides."""

from __future__ import annotations

import warnings
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from carrier import __version__, runtime
from carrier.callbacks import CallbackConfig, CallbackConfigCreated, CallbackConfigRequest
from carrier.catalog import get_catalog
from carrier.errors import CarrierError, Unauthorized
from carrier.ingest import PublishRequest, PublishResult, publish
from carrier.models import (
    DeliveryDetail,
    DeliveryList,
    DeliveryStatus,
    EventTypeList,
    EventTypeOut,
    RecoverRequest,
    RecoverResult,
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
from carrier.retries import parse_since
from carrier.settings import get_settings
from carrier.webhooks import to_public

logger = Logger()
metrics = Metrics()  # test sends and manual retries emit delivery metrics; most requests emit none
warnings.filterwarnings("ignore", message="No application metrics to publish")
tracer = Tracer()
app = APIGatewayHttpResolver(enable_validation=True)

OPENAPI = {
    "title": "Carrier",
    "version": __version__,
    "description": "Outbound webhooks: register endpoints, receive signed events, inspect deliveries.",
    "security_schemes": {"bearer": HTTPBearer(description="A tenant API key: `Authorization: Bearer ck_...`")},
    "security": [{"bearer": []}],
}
app.enable_swagger(path="/docs", **OPENAPI)

WebhookId = Annotated[str, Path(description="Webhook id (wh_...)", max_length=64)]
DeliveryId = Annotated[str, Path(description="Delivery id (del_...)", max_length=64)]
_events_client = None


def events_client() -> object:
    global _events_client
    if _events_client is None:
        import boto3

        from carrier.store import BOTO_CONFIG

        _events_client = boto3.client("events", config=BOTO_CONFIG)
    return _events_client


def tenant() -> str:
    """The tenant the authorizer resolved from the API key (the api never trusts anything else)."""
    context = app.current_event.request_context.authorizer.get_lambda or {}
    tenant_id = context.get("tenant_id")
    if not tenant_id:
        raise Unauthorized("a valid API key is required: Authorization: Bearer ck_...")
    return str(tenant_id)


def json_response(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


# ---- errors: one place maps every failure to an answer ------------------------------------------


@app.exception_handler(CarrierError)
def handle_carrier_error(exc: CarrierError) -> Response:
    return json_response(exc.status_code, exc.to_dict())


_WHERE = {"body", "query", "path", "header"}


def _describe(error: dict[str, Any]) -> dict[str, str]:
    loc = [str(part) for part in error.get("loc", ())]
    where = loc[0] if loc and loc[0] in _WHERE else "body"
    field = ".".join(part for part in loc[1:] if not part.isdigit() or where != "body") or where
    message = str(error.get("msg") or error.get("type") or "invalid")
    message = message.removeprefix("Value error, ")
    if error.get("type") == "json_invalid":
        field, message = "body", "the body is not valid JSON"
    elif error.get("type") == "extra_forbidden":
        message = f"unknown field {field!r}"
    elif error.get("type") == "missing":
        message = f"{field} is required"
    return {"field": field, "in": where, "message": message, "type": str(error.get("type", ""))}


@app.exception_handler(RequestValidationError)
def handle_validation_error(exc: RequestValidationError) -> Response:
    errors = [_describe(error) for error in exc.errors()]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    body = {
        "error": "validation_error",
        "message": f"{first['field']}: {first['message']}",
        "field": first["field"],
        "errors": errors,
    }
    return json_response(422, body)


@app.not_found
def handle_not_found(exc: NotFoundError) -> Response:
    event = app.current_event
    return json_response(404, {"error": "not_found", "message": f"no route for {event.http_method} {event.path}"})


# ---- public routes --------------------------------------------------------------------------------


@app.get("/", include_in_schema=False)
def index() -> dict[str, Any]:
    return {"name": "Carrier", "version": __version__, "docs": "/docs", "openapi": "/openapi.json"}


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=app.get_openapi_json_schema(**OPENAPI),
    )


# ---- webhooks ---------------------------------------------------------------------------------------


@app.post("/v1/webhooks", tags=["webhooks"], summary="Create a webhook (the secret is returned once)")
def create_webhook(body: WebhookCreate) -> Response[WebhookCreated]:
    created = runtime.webhook_service().create(tenant(), body)
    logger.info("webhook created", extra={"webhook_id": created.id})
    return json_response(201, created.model_dump(mode="json"))


@app.get("/v1/webhooks", tags=["webhooks"], summary="List webhooks, oldest first, with a cursor")
def list_webhooks(
    limit: Annotated[int, Query(ge=1, le=250)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> WebhookList:
    records, next_cursor = runtime.webhook_service().list(tenant(), limit, cursor)
    data = [to_public(record) for record in records]
    return WebhookList(data=data, webhooks=data, next_cursor=next_cursor, has_more=next_cursor is not None)


@app.get("/v1/webhooks/<webhook_id>", tags=["webhooks"], summary="Get a webhook")
def get_webhook(webhook_id: WebhookId) -> Webhook:
    return to_public(runtime.webhook_service().get(tenant(), webhook_id))


@app.patch("/v1/webhooks/<webhook_id>", tags=["webhooks"], summary="Change some fields of a webhook")
def patch_webhook(webhook_id: WebhookId, body: WebhookPatch) -> Webhook:
    return runtime.webhook_service().patch(tenant(), webhook_id, body)


@app.put("/v1/webhooks/<webhook_id>", tags=["webhooks"], summary="Replace a webhook (absent fields reset)")
def replace_webhook(webhook_id: WebhookId, body: WebhookReplace) -> Webhook:
    return runtime.webhook_service().replace(tenant(), webhook_id, body)


@app.delete("/v1/webhooks/<webhook_id>", tags=["webhooks"], summary="Delete a webhook and its secret")
def delete_webhook(webhook_id: WebhookId) -> Response[str]:
    runtime.webhook_service().delete(tenant(), webhook_id)
    logger.info("webhook deleted", extra={"webhook_id": webhook_id})
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")


@app.post("/v1/webhooks/<webhook_id>/test", tags=["webhooks"], summary="Send an example event now")
def test_webhook(webhook_id: WebhookId, body: TestRequest | None = None) -> SendResult:
    return runtime.delivery_service().send_test(tenant(), webhook_id, body or TestRequest())


@app.post("/v1/webhooks/<webhook_id>/enable", tags=["webhooks"], summary="Re-enable a disabled webhook")
def enable_webhook(webhook_id: WebhookId) -> Webhook:
    return runtime.webhook_service().set_status(tenant(), webhook_id, "active")


@app.post("/v1/webhooks/<webhook_id>/disable", tags=["webhooks"], summary="Disable a webhook (nothing new is sent)")
def disable_webhook(webhook_id: WebhookId) -> Webhook:
    return runtime.webhook_service().set_status(tenant(), webhook_id, "disabled", reason="disabled by the tenant")


@app.post(
    "/v1/webhooks/<webhook_id>/secret/rotate",
    tags=["webhooks"],
    summary="Rotate the signing secret (the new one is shown once; the old one signs beside it for 24 h)",
)
def rotate_secret(webhook_id: WebhookId, body: RotateRequest | None = None) -> RotateResult:
    grace = get_settings().rotation_grace_seconds
    rotated = runtime.webhook_service().rotate_secret(tenant(), webhook_id, (body or RotateRequest()).secret, grace)
    logger.info("secret rotated", extra={"webhook_id": webhook_id})
    return RotateResult(**rotated)


# ---- deliveries -------------------------------------------------------------------------------------


@app.get("/v1/webhooks/<webhook_id>/deliveries", tags=["deliveries"], summary="A webhook's deliveries, newest first")
def list_deliveries(
    webhook_id: WebhookId,
    limit: Annotated[int, Query(ge=1, le=250)] = 50,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    event_type: Annotated[str | None, Query(max_length=128)] = None,
) -> DeliveryList:
    return runtime.delivery_service().list(tenant(), webhook_id, limit, cursor, status, event_type)


@app.get(
    "/v1/webhooks/<webhook_id>/deliveries/<delivery_id>", tags=["deliveries"], summary="A delivery and its attempts"
)
def get_delivery(webhook_id: WebhookId, delivery_id: DeliveryId) -> DeliveryDetail:
    return runtime.delivery_service().get(tenant(), webhook_id, delivery_id)


@app.post(
    "/v1/webhooks/<webhook_id>/deliveries/<delivery_id>/retry",
    tags=["deliveries"],
    summary="Send a delivery again now (recorded as manual)",
)
def retry_delivery(webhook_id: WebhookId, delivery_id: DeliveryId) -> SendResult:
    tenant_id = tenant()
    runtime.delivery_service().get(tenant_id, webhook_id, delivery_id)  # 404 unless the tenant owns both
    return runtime.retry_service().manual(tenant_id, webhook_id, delivery_id)


@app.post(
    "/v1/webhooks/<webhook_id>/recover",
    tags=["deliveries"],
    summary="Re-send every failed or exhausted delivery since a time",
)
def recover_deliveries(webhook_id: WebhookId, body: RecoverRequest) -> RecoverResult:
    tenant_id = tenant()
    runtime.webhook_service().get(tenant_id, webhook_id)
    return RecoverResult(**runtime.retry_service().recover(tenant_id, webhook_id, parse_since(body.since)))


# ---- events and callbacks ---------------------------------------------------------------------------


@app.post("/v1/events", tags=["events"], summary="Publish an event (for producers without AWS credentials)")
def publish_event(body: PublishRequest) -> Response[PublishResult]:
    settings = get_settings()
    tenant_id = tenant()
    if body.callback_url:
        runtime.callback_service().get(tenant_id)  # 404 until the tenant has a callback secret
    result = publish(
        tenant_id,
        body,
        bus_name=settings.event_bus_name,
        allow_private=settings.allow_private_targets,
        allow_http=settings.allow_http_targets,
        events_client=events_client(),
    )
    logger.info("event published", extra={"tenant_id": tenant_id, "event_id": result.id, "event_type": result.type})
    return json_response(202, result.model_dump(mode="json"))


@app.put("/v1/callbacks", tags=["callbacks"], summary="Set the per-job callback secret and scheme (secret shown once)")
def configure_callbacks(body: CallbackConfigRequest) -> CallbackConfigCreated:
    return runtime.callback_service().configure(tenant(), body)


@app.get("/v1/callbacks", tags=["callbacks"], summary="How per-job callbacks are signed (never the secret)")
def get_callbacks() -> CallbackConfig:
    return runtime.callback_service().get(tenant())


# ---- catalog ----------------------------------------------------------------------------------------


@app.get("/v1/event-types", tags=["event types"], summary="The event types a webhook can subscribe to")
def list_event_types() -> EventTypeList:
    catalog = get_catalog()
    return EventTypeList(
        data=[EventTypeOut(name=t.name, description=t.description, example=t.example) for t in catalog.types.values()]
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)

"""Management API: a thin Powertools resolver. Routes parse and answer; carrier.* decides."""

from __future__ import annotations

import html
import warnings
from pathlib import Path as FilePath
from re import Match
from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from carrier import __version__, runtime
from carrier.callbacks import CallbackConfig, CallbackConfigCreated, CallbackConfigRequest
from carrier.catalog import get_catalog
from carrier.errors import CarrierError, Unauthorized
from carrier.ingest import PublishRequest, PublishResult, publish
from carrier.models import (
    AuthErrorBody,
    DeliveryDetail,
    DeliveryList,
    DeliveryStatus,
    ErrorBody,
    EventTypeList,
    EventTypeOut,
    RecoverRequest,
    RecoverResult,
    RotateRequest,
    RotateResult,
    SendResult,
    TestRequest,
    ValidationErrorBody,
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


class Resolver(APIGatewayHttpResolver):
    """Path parameters percent-decoded before validation: Powertools matches API Gateway's raw (encoded) path."""

    def _convert_matches_into_route_keys(self, match: Match) -> dict[str, str]:
        return {key: unquote(value) for key, value in super()._convert_matches_into_route_keys(match).items()}


app = Resolver(enable_validation=True)


def known_query_only(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """An unknown query parameter is a 422 naming it, as an unknown body field is (a typo never passes silently)."""
    route = resolver.context.get("_route")
    known = {param.alias for param in route.dependant.query_params} if route is not None else set()
    unknown = sorted(set(resolver.current_event.query_string_parameters or {}) - known)
    if not unknown or tenant_or_none() is None:  # without a key the route answers 401 first
        return next_middleware(resolver)
    message = f"unknown query parameter {unknown[0]!r}"
    return validation_response([{"field": unknown[0], "in": "query", "message": message, "type": "extra_forbidden"}])


JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def object_body_only(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """A JSON body must be an object (or null where the body is optional): Powertools' validation would take
    the first item of an array as the whole body, so `[{...}]` or `[null, 1]` would pass as `{...}` or no body."""
    route = resolver.context.get("_route")
    if route is None or not route.dependant.body_params or not resolver.current_event.body:
        return next_middleware(resolver)
    try:
        body = resolver.current_event.json_body
    except (ValueError, RecursionError):  # invalid JSON, UTF-8 or nesting: the validation answers, naming body
        return next_middleware(resolver)
    if body is None or isinstance(body, dict) or tenant_or_none() is None:
        return next_middleware(resolver)
    message = f"the body must be a JSON object, not {JSON_KINDS.get(type(body), 'that')}"
    return validation_response([{"field": "body", "in": "body", "message": message, "type": "model_attributes_type"}])


app.use(middlewares=[known_query_only, object_body_only])

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


NO_KEY = "a valid API key is required: Authorization: Bearer ck_..."


def tenant_or_none() -> str | None:
    context = app.current_event.request_context.authorizer.get_lambda or {}
    return str(context.get("tenant_id") or "") or None


def tenant() -> str:
    """The tenant the authorizer resolved from the API key (the api never trusts anything else)."""
    tenant_id = tenant_or_none()
    if tenant_id is None:
        raise Unauthorized(NO_KEY)
    return tenant_id


def json_response(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def no_key() -> Response:
    """The 401 a request without a valid key gets, whatever else is wrong with it."""
    return handle_carrier_error(Unauthorized(NO_KEY))


def validation_response(
    errors: list[dict[str, str]], first: dict[str, str] | None = None, message: str | None = None
) -> Response:
    """Every 422: the first problem in `message` and `field`, every problem in `errors`."""
    first = first or errors[0]
    body = {"error": "validation_error", "message": message or first["message"], "field": first["field"]}
    return json_response(422, {**body, "errors": errors})


# ---- the dashboard: static files beside this module, served by name from a fixed table ------------------

DASHBOARD_DIR = FilePath(__file__).parent / "dashboard"
DASHBOARD_ASSETS = {  # name -> content type; nothing else is served (no path from the request reaches the disk)
    "index.html": "text/html; charset=utf-8",
    "index-links.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "ui.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
DASHBOARD_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def asset_response(name: str, base: str | None = None) -> Response[Any]:
    body = (DASHBOARD_DIR / name).read_text(encoding="utf-8")
    if base is not None:  # where the page's relative links point: the API may sit under a path prefix
        body = body.replace("{{base}}", html.escape(base, quote=True))
    return Response(status_code=200, content_type=DASHBOARD_ASSETS[name], body=body, headers=DASHBOARD_HEADERS)


# ---- what each route answers, documented: its success and every error status it can give -------------

ERROR_ANSWERS: dict[int, tuple[str, type[BaseModel]]] = {
    401: ("No valid API key", AuthErrorBody),
    404: ("Not found (another tenant's ids are not found either)", ErrorBody),
    409: ("The resource's state forbids this now", ErrorBody),
    413: ("Too large; `field` names the part", ErrorBody),
    415: ("The body is not JSON (Content-Type: application/json)", ErrorBody),
    422: ("Invalid input; `field` names the first field at fault", ValidationErrorBody),
}


def answers(success: int, *errors: int) -> dict[int, OpenAPIResponse]:
    """A route's documented answers: its success (schema from its return type), 401, 422 and `errors`."""
    documented: dict[int, OpenAPIResponse] = {success: {"description": "Success"}}
    if success == 204:
        documented[success] = {"description": "Done; no body", "content": {}}
    for code in sorted({401, 422, *errors}):
        description, model = ERROR_ANSWERS[code]
        documented[code] = {"description": description, "content": {content_types.APPLICATION_JSON: {"model": model}}}
    return documented


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
    if tenant_or_none() is None:  # no key: a 401 before anything is said about the input
        return no_key()
    errors = [_describe(error) for error in exc.errors()]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    return validation_response(errors, first=first, message=f"{first['field']}: {first['message']}")


UNREADABLE_BODY = {
    UnicodeDecodeError: "the body is not valid UTF-8 JSON",
    RecursionError: "the body is nested too deeply",  # json.loads of 10,000 nested arrays
}


@app.exception_handler(RequestUnsupportedContentType)
def handle_unsupported_content_type(exc: RequestUnsupportedContentType) -> Response:
    if tenant_or_none() is None:
        return no_key()
    kind = app.current_event.headers.get("content-type", "")
    message = f"the body must be JSON (Content-Type: application/json), not {kind[:100]!r}"
    return json_response(415, {"error": "unsupported_media_type", "message": message, "field": "content-type"})


@app.exception_handler(list(UNREADABLE_BODY))
def handle_unreadable_body(exc: Exception) -> Response:
    message = next(text for kind, text in UNREADABLE_BODY.items() if isinstance(exc, kind))
    return validation_response([{"field": "body", "in": "body", "message": message, "type": "json_invalid"}])


@app.not_found
def handle_not_found(exc: NotFoundError) -> Response:
    event = app.current_event
    return json_response(404, {"error": "not_found", "message": f"no route for {event.http_method} {event.path}"})


# ---- public routes --------------------------------------------------------------------------------


@app.get("/", include_in_schema=False)
def index() -> Response[Any]:
    links = {"dashboard": "/dashboard", "docs": "/docs", "openapi": "/openapi.json"}
    if "text/html" in (app.current_event.headers.get("accept") or ""):  # a browser: a page of links
        return asset_response("index-links.html")
    return json_response(200, {"name": "Carrier", "version": __version__, **links})


@app.get("/dashboard", include_in_schema=False)
def dashboard_page() -> Response[Any]:
    """The single-page dashboard; its assets sit beside it (a tenant signs in with its API key)."""
    return asset_response("index.html", base=app.current_event.path.rstrip("/") + "/")


@app.get("/dashboard/<asset>", include_in_schema=False)
def dashboard_asset(asset: str) -> Response[Any]:
    if asset not in DASHBOARD_ASSETS:
        raise NotFoundError(asset)
    return asset_response(asset)


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=app.get_openapi_json_schema(**OPENAPI),
    )


# ---- webhooks ---------------------------------------------------------------------------------------


@app.post(
    "/v1/webhooks",
    tags=["webhooks"],
    summary="Create a webhook (the secret is returned once)",
    responses=answers(201, 415),
)
def create_webhook(body: WebhookCreate) -> Response[WebhookCreated]:
    created = runtime.webhook_service().create(tenant(), body)
    logger.info("webhook created", extra={"webhook_id": created.id})
    return json_response(201, created.model_dump(mode="json"))


@app.get(
    "/v1/webhooks", tags=["webhooks"], summary="List webhooks, oldest first, with a cursor", responses=answers(200)
)
def list_webhooks(
    limit: Annotated[int, Query(ge=1, le=250)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> WebhookList:
    records, next_cursor = runtime.webhook_service().list(tenant(), limit, cursor)
    data = [to_public(record) for record in records]
    return WebhookList(data=data, webhooks=data, next_cursor=next_cursor, has_more=next_cursor is not None)


@app.get("/v1/webhooks/<webhook_id>", tags=["webhooks"], summary="Get a webhook", responses=answers(200, 404))
def get_webhook(webhook_id: WebhookId) -> Webhook:
    return to_public(runtime.webhook_service().get(tenant(), webhook_id))


@app.patch(
    "/v1/webhooks/<webhook_id>",
    tags=["webhooks"],
    summary="Change some fields of a webhook",
    responses=answers(200, 404, 415),
)
def patch_webhook(webhook_id: WebhookId, body: WebhookPatch) -> Webhook:
    return runtime.webhook_service().patch(tenant(), webhook_id, body)


@app.put(
    "/v1/webhooks/<webhook_id>",
    tags=["webhooks"],
    summary="Replace a webhook (absent fields reset)",
    responses=answers(200, 404, 415),
)
def replace_webhook(webhook_id: WebhookId, body: WebhookReplace) -> Webhook:
    return runtime.webhook_service().replace(tenant(), webhook_id, body)


@app.delete(
    "/v1/webhooks/<webhook_id>",
    tags=["webhooks"],
    summary="Delete a webhook and its secret",
    responses=answers(204, 404),
)
def delete_webhook(webhook_id: WebhookId) -> Response[str]:
    runtime.webhook_service().delete(tenant(), webhook_id)
    logger.info("webhook deleted", extra={"webhook_id": webhook_id})
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")


@app.post(
    "/v1/webhooks/<webhook_id>/test",
    tags=["webhooks"],
    summary="Send an example event now",
    responses=answers(200, 404, 415),
)
def test_webhook(webhook_id: WebhookId, body: TestRequest | None = None) -> SendResult:
    return runtime.delivery_service().send_test(tenant(), webhook_id, body or TestRequest())


@app.post(
    "/v1/webhooks/<webhook_id>/enable",
    tags=["webhooks"],
    summary="Re-enable a disabled webhook",
    responses=answers(200, 404),
)
def enable_webhook(webhook_id: WebhookId) -> Webhook:
    return runtime.webhook_service().set_status(tenant(), webhook_id, "active")


@app.post(
    "/v1/webhooks/<webhook_id>/disable",
    tags=["webhooks"],
    summary="Disable a webhook (nothing new is sent)",
    responses=answers(200, 404),
)
def disable_webhook(webhook_id: WebhookId) -> Webhook:
    return runtime.webhook_service().set_status(tenant(), webhook_id, "disabled", reason="disabled by the tenant")


@app.post(
    "/v1/webhooks/<webhook_id>/secret/rotate",
    tags=["webhooks"],
    summary="Rotate the signing secret (the new one is shown once; the old one signs beside it for 24 h)",
    responses=answers(200, 404, 415),
)
def rotate_secret(webhook_id: WebhookId, body: RotateRequest | None = None) -> RotateResult:
    grace = get_settings().rotation_grace_seconds
    rotated = runtime.webhook_service().rotate_secret(tenant(), webhook_id, (body or RotateRequest()).secret, grace)
    logger.info("secret rotated", extra={"webhook_id": webhook_id})
    return RotateResult(**rotated)


# ---- deliveries -------------------------------------------------------------------------------------


@app.get(
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
    return runtime.delivery_service().list(tenant(), webhook_id, limit, cursor, status, event_type)


@app.get(
    "/v1/webhooks/<webhook_id>/deliveries/<delivery_id>",
    tags=["deliveries"],
    summary="A delivery and its attempts",
    responses=answers(200, 404),
)
def get_delivery(webhook_id: WebhookId, delivery_id: DeliveryId) -> DeliveryDetail:
    return runtime.delivery_service().get(tenant(), webhook_id, delivery_id)


@app.post(
    "/v1/webhooks/<webhook_id>/deliveries/<delivery_id>/retry",
    tags=["deliveries"],
    summary="Send a delivery again now (recorded as manual)",
    responses=answers(200, 404, 409),
)
def retry_delivery(webhook_id: WebhookId, delivery_id: DeliveryId) -> SendResult:
    tenant_id = tenant()
    runtime.delivery_service().get(tenant_id, webhook_id, delivery_id)  # 404 unless the tenant owns both
    return runtime.retry_service().manual(tenant_id, webhook_id, delivery_id)


@app.post(
    "/v1/webhooks/<webhook_id>/recover",
    tags=["deliveries"],
    summary="Re-send every failed or exhausted delivery since a time",
    responses=answers(200, 404, 409, 415),
)
def recover_deliveries(webhook_id: WebhookId, body: RecoverRequest) -> RecoverResult:
    tenant_id = tenant()
    runtime.webhook_service().get(tenant_id, webhook_id)
    return RecoverResult(**runtime.retry_service().recover(tenant_id, webhook_id, parse_since(body.since)))


# ---- events and callbacks ---------------------------------------------------------------------------


@app.post(
    "/v1/events",
    tags=["events"],
    summary="Publish an event (for producers without AWS credentials)",
    responses=answers(202, 404, 413, 415),
)
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


@app.put(
    "/v1/callbacks",
    tags=["callbacks"],
    summary="Set the per-job callback secret and scheme (secret shown once)",
    responses=answers(200, 415),
)
def configure_callbacks(body: CallbackConfigRequest) -> CallbackConfigCreated:
    return runtime.callback_service().configure(tenant(), body)


@app.get(
    "/v1/callbacks",
    tags=["callbacks"],
    summary="How per-job callbacks are signed (never the secret)",
    responses=answers(200, 404),
)
def get_callbacks() -> CallbackConfig:
    return runtime.callback_service().get(tenant())


# ---- catalog ----------------------------------------------------------------------------------------


@app.get(
    "/v1/event-types",
    tags=["event types"],
    summary="The event types a webhook can subscribe to",
    responses=answers(200),
)
def list_event_types() -> EventTypeList:
    tenant()  # every /v1 route needs a key
    catalog = get_catalog()
    return EventTypeList(
        data=[EventTypeOut(name=t.name, description=t.description, example=t.example) for t in catalog.types.values()]
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)

"""The management API's resolver: its middleware, the OpenAPI document and Swagger UI, the exception handlers and
one `Router` per resource. Routes parse and answer; `carrier.*` decides.

Imported by the api's first request (`app.py` imports nothing heavy: a cold start pays for the resolver, its
models and its validation when a request needs them, once per container). Powertools' OpenAPI models (what
`enable_swagger` and the document need, and no other request) are imported by the first request for either:
the Swagger UI is enabled by the first request for `/docs` (`resolve`).
"""

from __future__ import annotations

from functools import cache
from re import Match
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from carrier import __version__
from carrier.errors import CarrierError
from carrier_api import dashboard, http_errors, middleware, view
from carrier_api.routes import admin, callbacks, catalog, deliveries, events, health, portal, webhooks

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import SecurityScheme
    from aws_lambda_powertools.utilities.typing import LambdaContext


class Resolver(APIGatewayHttpResolver):
    """Path parameters percent-decoded before validation: Powertools matches API Gateway's raw (encoded) path."""

    def _convert_matches_into_route_keys(self, match: Match) -> dict[str, str]:
        return {key: unquote(value) for key, value in super()._convert_matches_into_route_keys(match).items()}


app = Resolver(enable_validation=True)
app.use(middlewares=[middleware.gate, middleware.known_query_only, middleware.object_body_only])

# ---- the OpenAPI document (/openapi.json) and its Swagger UI (/docs) ----------------------------------


class OpenAPIInfo(TypedDict):
    """What `enable_swagger` and `get_openapi_json_schema` are given: the same for the UI and the document."""

    title: str
    version: str
    description: str
    security_schemes: dict[str, SecurityScheme]
    security: list[dict[str, list[str]]]


DOCS = "/docs"


@cache
def openapi_info() -> OpenAPIInfo:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return OpenAPIInfo(
        title="Carrier",
        version=__version__,
        description="Outbound webhooks: register endpoints, receive signed events, inspect deliveries.",
        security_schemes={
            "bearer": HTTPBearer(
                description="A tenant API key (`Authorization: Bearer ck_...`), a portal session token (`cks_...`), "
                "or a platform key (`ckp_...`: `/v1/admin`, and any tenant route for the tenant named in "
                "`Carrier-Tenant`)"
            )
        },
        security=[{"bearer": []}],
    )


@cache
def _swagger_ui() -> None:
    app.enable_swagger(path=DOCS, **openapi_info())


def resolve(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """`app.resolve`, the Swagger UI enabled first when this is the first request for it (the caller serializes
    requests: `app.py`'s lock)."""
    if APIGatewayProxyEventV2(event).path == DOCS:
        _swagger_ui()
    return app.resolve(event, context)


# ---- errors: every failure mapped to an answer in one place (carrier_api.http_errors) ----------------

app.exception_handler(CarrierError)(http_errors.handle_carrier_error)
app.exception_handler(RequestValidationError)(lambda exc: http_errors.handle_validation_error(exc, app.current_event))
app.exception_handler(RequestUnsupportedContentType)(
    lambda _: http_errors.handle_unsupported_content_type(app.current_event)
)
app.exception_handler(list(http_errors.UNREADABLE_BODY))(http_errors.handle_unreadable_body)
app.not_found(lambda _: http_errors.handle_not_found(app.current_event))

# ---- routes: the public pages, the document, then one router per resource ------------------------------

app.include_router(dashboard.router)


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=view.document(app.get_openapi_json_schema(**openapi_info()), app.current_event.raw_event),
    )


for resource in (webhooks, deliveries, events, callbacks, catalog, portal, admin):
    app.include_router(resource.router)
app.include_router(health.router)  # a webhook's stats and replay

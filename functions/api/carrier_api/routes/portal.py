"""/v1/portal-sessions: open a dashboard session for the tenant (a URL to embed), end them all, and say who the
current credential is (the dashboard reads it to hide what a read-only session cannot do).

A tenant key opens one for its tenant, a platform key for the tenant in `Carrier-Tenant`; a session may open a
shorter one (never a read-only one: it changes nothing). The token is in the create answer only, never logged.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from carrier import portal, runtime
from carrier.models.access import CurrentAccess, PortalSessionCreate, PortalSessionCreated
from carrier.observability import logger
from carrier_api.http_errors import answers, json_response
from carrier_api.tenancy import caller, tenant

router = Router()
ROUTE = "/v1/portal-sessions"


def api_root(event: BaseProxyEvent) -> str:
    """Where this API is served, as the caller reached it (scheme, host and any path before the route)."""
    scheme = event.get_header_value("x-forwarded-proto") or "https"
    host = event.get_header_value("host") or event.raw_event.get("requestContext", {}).get("domainName", "")
    prefix = event.path[: -len(ROUTE)] if event.path.endswith(ROUTE) else ""
    return f"{scheme}://{host}{prefix}"


@router.post(
    ROUTE,
    tags=["portal sessions"],
    summary="Open a dashboard session for the tenant (the token and URL are shown once)",
    responses=answers(201, 403, 415),
)
def open_portal_session(body: PortalSessionCreate | None = None) -> Response[PortalSessionCreated]:
    event = router.current_event
    request = body or PortalSessionCreate()
    opened = portal.open_session(
        runtime.store(), caller(event), tenant(event), request, api_root(event), runtime.clock().now()
    )
    logger.info("portal session opened", extra={"read_only": request.read_only, "expires_at": opened.expires_at})
    return json_response(201, opened.model_dump(mode="json"))


@router.delete(
    ROUTE,
    tags=["portal sessions"],
    summary="End every portal session of the tenant now",
    responses=answers(204, 403),
)
def expire_portal_sessions() -> Response[str]:
    ended = portal.expire_all(runtime.store(), tenant(router.current_event))
    logger.info("portal sessions ended", extra={"sessions": ended})
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")


@router.get(
    f"{ROUTE}/current",
    tags=["portal sessions"],
    summary="Who this request's credential is: tenant, role, read-only, a session's end",
    responses=answers(200),
)
def current_access() -> CurrentAccess:
    event = router.current_event
    return portal.current(caller(event), tenant(event))

"""Who is asking, and for which tenant: the one place that says it (the rules are `carrier.access`'s).

The api trusts only the authorizer's context for the caller (`access.Principal`), never a path or body field.
`Carrier-Tenant` names the tenant for a platform key only; a tenant key's or a session's own tenant is the only
one it ever reaches. An unknown credential reaches the api with an empty context (the authorizer can only deny
with a 403), so "no principal" means "no valid credential", and every /v1 route answers 401 before it says
anything about the input. `gate` is every refusal that comes before the input: 401 (none, or a session that has
ended), 404 (`/v1/admin` for anyone but the platform) and 403 (a read-only session changing something); it runs
once per request (the `middleware.gate` before each /v1 route, the error handlers when validation failed first).
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from carrier import runtime
from carrier.access import TENANT_HEADER, Principal, acting_tenant, refusal, session_alive
from carrier.errors import CarrierError, Unauthorized

NO_KEY = "a valid API key is required: Authorization: Bearer ck_..."
SESSION_ENDED = "this portal session has expired or was ended: open a new one"
_GATE = "carrier.gate"  # where a request's gate answer is kept (on its raw event, so it is decided once)


def principal_or_none(event: BaseProxyEvent) -> Principal | None:
    """The caller the authorizer resolved, or None when the request has no valid credential."""
    if not isinstance(event, APIGatewayProxyEventV2):  # the api serves HTTP API (payload 2.0) events only
        return None
    return Principal.from_context(event.request_context.authorizer.get_lambda)


def gate(event: BaseProxyEvent) -> CarrierError | None:
    """Why this /v1 request is refused before its input is read, or None (decided once per request)."""
    raw = event.raw_event
    if _GATE not in raw:
        raw[_GATE] = _refusal(event)
    return raw[_GATE]


def _refusal(event: BaseProxyEvent) -> CarrierError | None:
    principal = principal_or_none(event)
    if principal is None:
        return Unauthorized(NO_KEY)
    if not session_alive(principal, runtime.store(), runtime.clock().now()):
        return Unauthorized(SESSION_ENDED)
    return refusal(principal, event.http_method, event.path)


def caller(event: BaseProxyEvent) -> Principal:
    """The principal of a request that passed the gate; the gate's refusal otherwise (answered by `http_errors`)."""
    refused = gate(event)
    principal = principal_or_none(event)
    if refused is not None or principal is None:
        raise refused or Unauthorized(NO_KEY)
    return principal


def tenant(event: BaseProxyEvent) -> str:
    """The tenant the request acts for: a tenant key's or a session's own, or the one a platform key names in
    `Carrier-Tenant` (422 naming the header when it is missing or not a tenant id)."""
    return acting_tenant(caller(event), event.get_header_value(TENANT_HEADER))

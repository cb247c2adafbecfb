"""Who is asking: the tenant the authorizer resolved from the API key, or a 401.

The api never trusts anything else for the tenant: not a header, not a path or body field. An unknown key
reaches the api with an empty tenant (the authorizer can only deny with a 403), so "no tenant" means
"no valid key", and every /v1 route answers 401 before it says anything about the input.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from carrier.errors import Unauthorized

NO_KEY = "a valid API key is required: Authorization: Bearer ck_..."


def tenant_or_none(event: BaseProxyEvent) -> str | None:
    """The tenant id from the authorizer's context, or None when the request has no valid key."""
    if not isinstance(event, APIGatewayProxyEventV2):  # the api serves HTTP API (payload 2.0) events only
        return None
    context = event.request_context.authorizer.get_lambda or {}
    return str(context.get("tenant_id") or "") or None


def tenant(event: BaseProxyEvent) -> str:
    """The tenant id, or Unauthorized (answered 401 by `http_errors`)."""
    tenant_id = tenant_or_none(event)
    if tenant_id is None:
        raise Unauthorized(NO_KEY)
    return tenant_id

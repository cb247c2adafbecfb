"""HTTP API Lambda authorizer (payload 2.0, simple responses): Bearer API key -> tenant id.

An unknown key is authorized with an empty tenant so that the api function answers 401 with a JSON
body (an HTTP API authorizer can only deny with 403); the api refuses every request without a tenant.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from carrier import runtime
from carrier.apikeys import resolve_tenant
from carrier.observability import count, logger, observed


@observed
def handler(event: dict, context: LambdaContext) -> dict:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    tenant_id = resolve_tenant(headers.get("authorization"), runtime.store())
    if tenant_id is None:
        logger.info("unknown or malformed API key")
        count("ApiKeysRejected")
        return {"isAuthorized": True, "context": {"tenant_id": ""}}
    logger.append_keys(tenant_id=tenant_id)
    return {"isAuthorized": True, "context": {"tenant_id": tenant_id}}

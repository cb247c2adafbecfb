"""HTTP API Lambda authorizer (payload 2.0, simple responses): Bearer API key -> tenant id.

An unknown key is authorized with an empty tenant so that the api function answers 401 with a JSON
body (an HTTP API authorizer can only deny with 403); the api refuses every request without a tenant.
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from carrier import runtime
from carrier.apikeys import resolve_tenant

logger = Logger()
metrics = Metrics()
warnings.filterwarnings("ignore", message="No application metrics to publish")
tracer = Tracer()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    tenant_id = resolve_tenant(headers.get("authorization"), runtime.store())
    if tenant_id is None:
        logger.info("unknown or malformed API key")
        metrics.add_metric(name="ApiKeysRejected", unit=MetricUnit.Count, value=1)
        return {"isAuthorized": True, "context": {"tenant_id": ""}}
    logger.append_keys(tenant_id=tenant_id)
    return {"isAuthorized": True, "context": {"tenant_id": tenant_id}}

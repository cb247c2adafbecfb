"""/v1/events: publishing an event onto the bus, for producers without AWS credentials."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from carrier import runtime
from carrier.ingest import PublishRequest, PublishResult
from carrier.observability import logger
from carrier_api.http_errors import answers, json_response
from carrier_api.tenancy import tenant

router = Router()


@router.post(
    "/v1/events",
    tags=["events"],
    summary="Publish an event (for producers without AWS credentials)",
    responses=answers(202, 404, 413, 415),
)
def publish_event(body: PublishRequest) -> Response[PublishResult]:
    tenant_id = tenant(router.current_event)
    result = runtime.publish_event(tenant_id, body)
    logger.info("event published", extra={"tenant_id": tenant_id, "event_id": result.id, "event_type": result.type})
    return json_response(202, result.model_dump(mode="json"))

"""/v1/event-types: the catalog of event types a webhook can subscribe to (the same for every tenant)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from carrier.catalog import get_catalog
from carrier.models import EventTypeList, EventTypeOut
from carrier_api.http_errors import answers
from carrier_api.tenancy import tenant

router = Router()


@router.get(
    "/v1/event-types",
    tags=["event types"],
    summary="The event types a webhook can subscribe to",
    responses=answers(200),
)
def list_event_types() -> EventTypeList:
    tenant(router.current_event)  # every /v1 route needs a key
    catalog = get_catalog()
    return EventTypeList(
        data=[EventTypeOut(name=t.name, description=t.description, example=t.example) for t in catalog.types.values()]
    )

"""Events in: the bus envelope the dispatcher reads, and publishing for producers without AWS credentials.

One size rule holds for every body that carries event data (`POST /v1/events`, the `data` of
`POST /v1/webhooks/{id}/test`): `sized_detail` measures the event as the bus would carry it and refuses one over
`MAX_EVENT_BYTES` (413 naming `data`). One text rule (`carrier.validators`) holds for the API's request models and
for events read from the bus, where an event breaking it is rejected (`RejectedEvent`) instead of failing its batch.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field, field_validator

from carrier import ids
from carrier.canonical import unsendable_number_at
from carrier.catalog import get_catalog, is_operational
from carrier.clock import Clock, SystemClock, iso
from carrier.errors import InvalidInput, PayloadTooLarge
from carrier.fanout import Chunk, chunk_in
from carrier.formats import Event
from carrier.models.catalog import document_publishable_names
from carrier.models.common import Strict
from carrier.netguard import UrlRejected, check_url
from carrier.operational import SOURCE as OPERATIONAL_SOURCE  # Carrier's own events about its webhooks
from carrier.validators import check_event_type, lone_surrogate_at

UNSENDABLE = (
    "is a number JSON cannot carry exactly to every receiver (NaN, infinite, or an integer beyond 2**53: "
    "send it as a string)"
)
MAX_EVENT_BYTES = 256 * 1024  # EventBridge's PutEvents entry limit
SOURCE = "carrier.api"  # a tenant's POST /v1/events
EVENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")  # fullmatch


class RejectedEvent(Exception):
    """An event that can never be delivered (logged, counted, and dropped without failing its batch)."""


class PublishRequest(Strict):
    """POST /v1/events."""

    type: str = Field(
        description="An event type of the catalog.",
        examples=["model.trained"],
        json_schema_extra=document_publishable_names,
    )
    data: dict[str, Any] = Field(description="The event's data, delivered as the payload's `data`.")
    id: str | None = Field(default=None, description="Idempotency key: one delivery per webhook per id.")
    callback_url: str | None = Field(default=None, description="Also deliver this event to this URL (per job).")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if is_operational(value):
            raise ValueError(f"{value}: carrier.* types are Carrier's operational events, which only Carrier publishes")
        return check_event_type(value)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str | None) -> str | None:
        if value is not None and not EVENT_ID.fullmatch(value):
            raise ValueError("id must be 1 to 128 letters, digits or _ . : -")
        return value


class PublishResult(BaseModel):
    id: str
    type: str
    status: str = "accepted"


def detail_of(tenant_id: str, request: PublishRequest, event_id: str) -> dict[str, Any]:
    detail: dict[str, Any] = {"tenant_id": tenant_id, "id": event_id, "data": request.data}
    if request.callback_url:
        detail["callback_url"] = request.callback_url
    return detail


def sized_detail(event_type: str, detail: dict[str, Any]) -> str:
    """The event's detail as the bus carries it (compact JSON), unless the event is over MAX_EVENT_BYTES: the one
    size rule of every body that carries event data (413 naming `data`)."""
    unsendable = unsendable_number_at(detail.get("data"))
    if unsendable is not None:
        raise InvalidInput(f"{unsendable} {UNSENDABLE}", field="data")
    text = json.dumps(detail, separators=(",", ":"))
    size = len(text.encode()) + len(event_type.encode()) + len(SOURCE)
    if size > MAX_EVENT_BYTES:
        raise PayloadTooLarge(f"the event is {size} bytes; the limit is {MAX_EVENT_BYTES}", field="data")
    return text


def publish(
    tenant_id: str, request: PublishRequest, *, bus_name: str, allow_private: bool, allow_http: bool, events_client: Any
) -> PublishResult:
    """Put one event on the bus (DetailType = type, Detail = {tenant_id, data, id, callback_url?})."""
    if request.callback_url:
        try:
            check_url(request.callback_url, allow_private=allow_private, allow_http=allow_http)
        except UrlRejected as exc:
            raise InvalidInput(str(exc), field="callback_url") from exc
    event_id = request.id or ids.event_id()
    detail = sized_detail(request.type, detail_of(tenant_id, request, event_id))
    answer = events_client.put_events(
        Entries=[{"Source": SOURCE, "DetailType": request.type, "Detail": detail, "EventBusName": bus_name}]
    )
    if answer.get("FailedEntryCount"):
        failure = answer["Entries"][0]
        raise RuntimeError(f"PutEvents refused the event: {failure.get('ErrorCode')} {failure.get('ErrorMessage')}")
    return PublishResult(id=event_id, type=request.type)


def parse_bus_event(envelope: Any, clock: Clock | None = None) -> Event:
    """The EventBridge envelope (an SQS message body) as an Event; RejectedEvent names what is wrong (the
    dispatcher logs it, counts it in `EventsRejected`, and goes on with the rest of the batch)."""
    if not isinstance(envelope, dict):
        raise RejectedEvent("the message is not an EventBridge event object")
    detail = envelope.get("detail")
    event_type = envelope.get("detail-type")
    if not isinstance(detail, dict):
        raise RejectedEvent("detail is missing or not an object")
    invalid = lone_surrogate_at(detail, "detail")
    if invalid is not None:  # it could be neither stored nor sent: refused here, never retried
        raise RejectedEvent(f"{invalid} holds a lone surrogate (U+D800 to U+DFFF): text must be valid Unicode")
    tenant_id = detail.get("tenant_id")
    if not isinstance(tenant_id, str) or not tenant_id:
        raise RejectedEvent("detail.tenant_id is missing")
    if not isinstance(event_type, str) or event_type not in get_catalog():
        raise RejectedEvent(f"unknown event type {event_type!r}")
    if is_operational(event_type) and envelope.get("source") != OPERATIONAL_SOURCE:
        raise RejectedEvent(f"{event_type}: carrier.* types are Carrier's operational events, from source carrier only")
    data = detail.get("data", {})
    if not isinstance(data, dict):
        raise RejectedEvent("detail.data must be an object")
    unsendable = unsendable_number_at(data, "detail.data")
    if unsendable is not None:  # it could not be encoded for any receiver: refused here, never retried
        raise RejectedEvent(f"{unsendable} {UNSENDABLE}")
    event_id = detail.get("id") or (f"evt_{envelope['id']}" if envelope.get("id") else None)
    if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
        raise RejectedEvent("the event has no usable id")
    callback_url = detail.get("callback_url")
    if callback_url is not None and not isinstance(callback_url, str):
        raise RejectedEvent("detail.callback_url must be a string")
    timestamp = envelope.get("time") or iso((clock or SystemClock()).now())
    return Event(
        id=event_id,
        type=event_type,
        tenant_id=tenant_id,
        timestamp=str(timestamp),
        data=data,
        callback_url=callback_url,
    )


def read_message(message: Any, clock: Clock | None = None) -> tuple[Event, Chunk | None]:
    """A dispatch queue message: a bus event (`parse_bus_event`), or one chunk of an event whose fan-out a dispatcher
    split (`carrier.fanout`). RejectedEvent names what is wrong with either."""
    if isinstance(message, dict):
        try:
            found = chunk_in(message)
        except ValueError as exc:
            raise RejectedEvent(str(exc)) from exc
        if found is not None:
            return found
    return parse_bus_event(message, clock), None

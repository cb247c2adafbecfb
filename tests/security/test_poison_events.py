"""Poison events (issue 16, item 10): an event whose text cannot be encoded (a lone surrogate) could be neither
stored nor sent. The API refuses it (422 naming the field); on the bus path the dispatcher rejects it with a log
line and the `EventsRejected` metric, and the other events of its batch are delivered at once, none failed."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from carrier.ingest import RejectedEvent, parse_bus_event
from carrier.observability import logger
from tests.fakes import RecordingScheduler
from tests.pipeline import bus_event, dispatch
from tests.pipeline import pipeline as pipeline  # the fixture, shared with tests/integration
from tests.receiver import Receiver
from tests.support import call_api

SURROGATE = "\ud800"


POISON = {
    "a value in data": lambda: bus_event("model.trained", {"model_id": SURROGATE}),
    "a key in data": lambda: bus_event("model.trained", {SURROGATE: 1}),
    "deep in data": lambda: bus_event("model.trained", {"a": [{"b": ["ok", f"x{SURROGATE}"]}]}),
    "the tenant id": lambda: bus_event("model.trained", {}, tenant=f"t1{SURROGATE}"),
    "the event id": lambda: bus_event("model.trained", {}, event_id=f"evt{SURROGATE}"),
    "the callback url": lambda: bus_event("model.trained", {}, callback_url=f"https://x.example/{SURROGATE}"),
}


@pytest.mark.parametrize("where", list(POISON))
def test_the_bus_envelope_reader_rejects_a_lone_surrogate_anywhere(where: str) -> None:
    envelope = json.loads(json.dumps(POISON[where]()))  # as the SQS body carries it: escaped, then read back
    with pytest.raises(RejectedEvent, match="lone surrogate"):
        parse_bus_event(envelope)


def emf_metrics(text: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                merged.update({metric["Name"]: document[metric["Name"]] for metric in directive["Metrics"]})
    return merged


class Lines(logging.Handler):
    """The records Carrier's logger writes (its stream handler may hold another test's captured stdout)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    underlying = logging.getLogger(logger.name)  # the standard logger Powertools writes through
    underlying.addHandler(handler)
    yield handler
    underlying.removeHandler(handler)


def test_a_poison_event_on_the_bus_is_rejected_and_its_batch_goes_on(
    pipeline: RecordingScheduler, lines: Lines, capsys: pytest.CaptureFixture[str]
) -> None:
    with Receiver() as receiver:
        status, hook = call_api("POST", "/v1/webhooks", body={"url": receiver.url, "events": ["model.*"]})
        assert status == 201, hook
        capsys.readouterr()
        started = time.monotonic()
        answer = dispatch(
            bus_event("model.trained", {"model_id": "before"}),
            POISON["a value in data"](),
            bus_event("model.trained", {"model_id": "after"}),
        )
        elapsed = time.monotonic() - started
        delivered = sorted(json.loads(r.body)["data"]["model_id"] for r in receiver.requests)
    out = capsys.readouterr().out
    assert answer == {"batchItemFailures": []}, "the poison event failed its batch (SQS would send it again)"
    assert delivered == ["after", "before"]
    assert elapsed < 5, f"the batch was held up {elapsed:.1f} s"
    rejected = [r for r in lines.records if r.getMessage() == "event rejected"]
    assert len(rejected) == 1 and "lone surrogate" in rejected[0].__dict__["reason"], lines.records
    assert emf_metrics(out)["EventsRejected"] in (1, [1.0], 1.0)
    assert pipeline.handoffs == []


@pytest.mark.parametrize(
    "body",
    [
        '{"type": "model.trained", "data": {"k": "\\ud800"}}',
        '{"type": "model.trained", "data": {"\\udfff": 1}}',
        '{"type": "model.trained", "data": {"k": [1, {"d": "a\\ud83db"}]}}',
    ],
)
def test_the_api_refuses_a_poison_event_naming_data(aws: dict[str, str], body: str) -> None:
    status, answer = call_api("POST", "/v1/events", raw_body=body)
    assert status == 422 and answer["field"] == "data", answer


# Numbers JSON can write but not every receiver can read exactly: 1e400 reads as an infinity, a 400-digit integer
# is beyond a double (JavaScript reads it as Infinity), and an integer beyond 2**53 is read as a rounded double
# (9007199254740993 as ...992): refused, naming it, rather than sent changed.
POISON_NUMBERS = ["1e400", "-1e400", "1" + "0" * 400, "9007199254740993", "-123456789012345678", "NaN", "Infinity"]


@pytest.mark.parametrize("number", POISON_NUMBERS)
def test_the_bus_envelope_reader_rejects_a_number_no_receiver_can_get(number: str) -> None:
    text = json.dumps(bus_event("model.trained", {"metrics": {"loss": "X"}})).replace('"X"', number)
    with pytest.raises(RejectedEvent, match=r"detail\.data\.metrics\.loss is a number JSON cannot carry exactly"):
        parse_bus_event(json.loads(text))


@pytest.mark.parametrize("number", POISON_NUMBERS[:5])
def test_the_api_refuses_a_number_no_receiver_can_get_naming_data(aws: dict[str, str], number: str) -> None:
    status, answer = call_api("POST", "/v1/events", raw_body=f'{{"type": "model.trained", "data": {{"n": {number}}}}}')
    assert status == 422 and answer["field"] == "data" and "data.n" in answer["message"], answer
    assert answer["errors"] == [{"field": "data", "in": "body", "message": answer["message"], "type": "value_error"}]


def test_a_poison_number_on_the_bus_is_rejected_and_its_batch_goes_on(pipeline: RecordingScheduler) -> None:
    with Receiver() as receiver:
        status, hook = call_api("POST", "/v1/webhooks", body={"url": receiver.url, "events": ["model.*"]})
        assert status == 201, hook
        poison = json.loads(json.dumps(bus_event("model.trained", {"model_id": "X"})).replace('"X"', "1e400"))
        answer = dispatch(bus_event("model.trained", {"model_id": "before"}), poison)
    assert answer == {"batchItemFailures": []}, "the poison event failed its batch (SQS would send it again)"
    assert [json.loads(r.body)["data"]["model_id"] for r in receiver.requests] == ["before"]

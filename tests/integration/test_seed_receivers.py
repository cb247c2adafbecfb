"""The receivers in the seed docs, run as written, accept Carrier's requests unchanged."""

from __future__ import annotations

import pytest

from tests.integration.conftest import create
from tests.pipeline import bus_event, dispatch
from tests.seeds.receivers import serve
from tests.support import call_api

GENERATED = "whsec_" + "A" * 43 + "="


def test_seed_000_flask_receiver_accepts_classic_payloads(pipeline) -> None:
    # The seed's receiver checks X-Techsolut-Signature (hex HMAC of the body) and reads payload['event'].
    status, hook = call_api(
        "POST",
        "/v1/webhooks",
        body={
            "url": "https://placeholder.example/x",
            "events": ["model.trained", "detection.complete"],
            "payload_format": "classic",
            "signature": {"scheme": "hmac-sha256-hex", "header": "X-Techsolut-Signature"},
        },
    )
    assert status == 201
    with serve("seed_000", hook["secret"]) as (url, statuses):
        call_api("PATCH", f"/v1/webhooks/{hook['id']}", body={"url": url + "/webhook/techsolut"})
        dispatch(
            bus_event("model.trained", {"model_id": "mod_987654321", "project_id": "p"}),
            bus_event("detection.complete", {"request_id": "req_1", "detections": [{"class": "person"}]}),
        )
    assert statuses == [200, 200]


@pytest.mark.parametrize("event_type", ["optimization.completed", "vision.completed"])
def test_seed_004_flask_receiver_accepts_extended_payloads(pipeline, event_type: str) -> None:
    secret = "your-webhook-secret-0123456789"  # a custom secret, as seed 004 registers one
    with serve("seed_004", secret) as (url, statuses):
        create(
            url + "/webhook",
            events=["optimization.*", "vision.*"],
            payload_format="extended",
            signature={"scheme": "hmac-sha256-hex"},
            secret=secret,
        )
        status, example = call_api("GET", "/v1/event-types")
        data = next(t["example"] for t in example["data"] if t["name"] == event_type)
        dispatch(bus_event(event_type, data))
    assert statuses == [200]


def test_seed_004_receiver_refuses_a_wrong_secret(pipeline) -> None:
    with serve("seed_004", "a-different-secret-0123456789") as (url, statuses):
        create(
            url + "/webhook",
            events=["optimization.*"],
            payload_format="extended",
            signature={"scheme": "hmac-sha256-hex"},
            secret="your-webhook-secret-0123456789",
        )
        dispatch(bus_event("optimization.completed", {"job_id": "j", "result": {}}))
    assert statuses == [401]

"""Every function has a sample event in events/, and the samples parse as their handlers expect."""

import json

from carrier.ingest import parse_bus_event
from tests.support import ROOT, template


def test_every_function_has_a_sample_event() -> None:
    prefixes = {
        "ApiFunction": "api_",
        "AuthorizerFunction": "authorizer_",
        "DispatcherFunction": "dispatcher_",
        "AttemptFunction": "attempt_",
        "ReconcilerFunction": "reconciler_",
    }
    functions = [k for k, v in template()["Resources"].items() if v["Type"] == "AWS::Serverless::Function"]
    assert set(functions) == set(prefixes)
    names = [p.name for p in (ROOT / "events").glob("*.json")]
    for function in functions:
        assert any(name.startswith(prefixes[function]) for name in names), function


def test_the_bus_sample_is_a_valid_carrier_event() -> None:
    event = parse_bus_event(json.loads((ROOT / "events" / "bus_event_model_trained.json").read_text()))
    assert event.type == "model.trained" and event.tenant_id == "demo" and event.id == "evt_sample_0001"
    batch = json.loads((ROOT / "events" / "dispatcher_sqs_batch.json").read_text())
    assert parse_bus_event(json.loads(batch["Records"][0]["body"])) == event

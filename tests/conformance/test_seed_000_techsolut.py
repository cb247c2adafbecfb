"""Seed 000 (Techsolut, "Webhooks Setup"), as written, against `PROFILE=techsolut`.

The doc's curls (register, list, PATCH, test, DELETE) are sent unchanged but for the host, the key, the id and the
receiver's URL; the doc's Flask receiver runs verbatim (its secret literal swapped for the one the create answered)
and must answer 200 and print its lines; every delivery carries the doc's example request's headers and body keys
and passes the doc's own `verify_webhook_signature`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conformance.harness import (
    HERE,
    assert_runs,
    catalog,
    curl,
    doc_function,
    doc_json,
    doc_text,
    flask,
    is_iso_time,
    render,
    send,
    started,
    wait_until,
)
from tests.receiver import Receiver
from tests.stack import Stack, Tenant, free_port

PROFILE = "techsolut"
SEED = HERE / "seed_000"
HOST = "https://api.techsolut.fr"
DOC_URL = "https://your-app.com/webhook/techsolut"
DOC_ID = "whk_123456789abcdef"


def register(stack: Stack, customer: Tenant, url: str) -> dict[str, Any]:
    status, hook = send(SEED / "register.curl", stack, customer, HOST, **{DOC_URL: url})
    assert status == 201, hook
    return hook


def deliveries(customer: Tenant, hook_id: str) -> list[dict[str, Any]]:
    status, page = customer.api("GET", f"/v1/webhooks/{hook_id}/deliveries?limit=250")
    assert status == 200, page
    return page["deliveries"]


def answered(customer: Tenant, hook_id: str, count: int) -> list[dict[str, Any]]:
    """Wait until `count` deliveries have an answer recorded; returns them."""

    def found() -> list[dict[str, Any]]:
        answers = [d for d in deliveries(customer, hook_id) if d.get("status_code")]
        return answers if len(answers) >= count else []

    return wait_until(found, f"{count} answered deliveries of {hook_id}")


def test_the_stack_runs_the_techsolut_profile(profile_stack: Stack) -> None:
    assert_runs(profile_stack, PROFILE)


def test_the_catalog_holds_the_docs_event_examples(customer: Tenant) -> None:
    types = catalog(customer)
    documented = [doc_json(path) for path in sorted((SEED / "events").glob("*.jsonc"))]
    assert len(documented) == 4
    differ = {
        d["event"]: {"doc": d["data"], "catalog": types.get(d["event"], {}).get("example")}
        for d in documented
        if types.get(d["event"], {}).get("example") != d["data"]
    }
    assert not differ, f"examples differ from the doc's: {json.dumps(differ)}"


def test_register_answers_the_documented_fields(profile_stack: Stack, customer: Tenant) -> None:
    url = f"http://127.0.0.1:{free_port()}/webhook/techsolut"
    hook = register(profile_stack, customer, url)
    documented = doc_json(SEED / "register.response.jsonc")
    sent = json.loads(curl(SEED / "register.curl", profile_stack, customer, HOST, **{DOC_URL: url}).body or "")
    assert set(documented) <= set(hook), f"missing: {set(documented) - set(hook)}"
    assert hook["id"].startswith("whk_"), hook["id"]
    assert hook["secret"].startswith("whsec_"), "the secret must look like the doc's whsec_..."
    assert hook["url"] == url
    assert hook["events"] == sent["events"]
    assert hook["description"] == sent["description"]
    assert is_iso_time(hook["created_at"]), hook["created_at"]


def test_the_docs_flask_receiver_verifies_and_prints(profile_stack: Stack, customer: Tenant, tmp_path: Path) -> None:
    # Given the doc's webhook registered to the doc's Flask receiver, run with the secret the create answered
    port = free_port()
    hook = register(profile_stack, customer, f"http://127.0.0.1:{port}/webhook/techsolut")
    app = render(SEED / "flask_receiver.py.txt", {"'your_webhook_secret'": repr(hook["secret"])}, tmp_path, "app.py")
    receiver = flask(app, tmp_path, "seed-000-flask", port)
    types = catalog(customer)
    trained, detected = types["model.trained"]["example"], types["detection.complete"]["example"]
    with started(receiver):
        # When the platform publishes the doc's two events
        customer.publish("model.trained", trained)
        customer.publish("detection.complete", detected)
        # Then the receiver prints the doc's lines, and answered 200 to both
        receiver.wait_for_line(f"Model {trained['model_id']} has been trained")
        receiver.wait_for_line(f"Detection completed with {len(detected['detections'])} objects found")
        found = answered(customer, hook["id"], 2)
    assert sorted(d["status_code"] for d in found) == [200, 200], found
    assert '" 401 ' not in receiver.stderr


def test_deliveries_carry_the_docs_signature_header_and_payload(profile_stack: Stack, customer: Tenant) -> None:
    verify_webhook_signature = doc_function(SEED / "verify_webhook_signature.py.txt", "verify_webhook_signature")
    example = doc_text(SEED / "example_request.http")
    head, _, body = example.partition("\n\n")
    documented_headers = {line.split(":", 1)[0] for line in head.splitlines()[1:]} - {"Host", "Content-Length"}
    documented_keys = set(json.loads(body))
    with Receiver() as receiver:
        hook = register(profile_stack, customer, receiver.url + "/webhook/techsolut")
        data = catalog(customer)["model.trained"]["example"]
        event = customer.publish("model.trained", data)
        wait_until(lambda: receiver.requests, "the delivery")
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert {h.lower() for h in documented_headers} <= set(headers), f"missing: {documented_headers}"
    assert headers["content-type"] == "application/json"
    assert verify_webhook_signature(request.body, headers["x-techsolut-signature"], hook["secret"])
    payload = json.loads(request.body)
    assert set(payload) == documented_keys, payload
    assert payload["event"] == "model.trained" and payload["data"] == data
    assert payload["id"] == event["id"] and payload["id"].startswith("evt_")
    assert is_iso_time(payload["created_at"])


def test_the_docs_management_curls(profile_stack: Stack, customer: Tenant, tmp_path: Path) -> None:
    port = free_port()
    hook = register(profile_stack, customer, f"http://127.0.0.1:{port}/webhook/techsolut")
    ids = {DOC_ID: hook["id"]}
    # List Webhooks: the webhook is listed
    status, listed = send(SEED / "list.curl", profile_stack, customer, HOST)
    assert status == 200, listed
    items = [item for value in listed.values() if isinstance(value, list) for item in value]
    assert hook["id"] in {item.get("id") for item in items}, listed
    # Update a Webhook: the PATCH body, verbatim
    status, updated = send(SEED / "update.curl", profile_stack, customer, HOST, **ids)
    patch = json.loads(curl(SEED / "update.curl", profile_stack, customer, HOST, **ids).body or "")
    assert status == 200, updated
    assert updated["events"] == patch["events"] and updated["description"] == patch["description"]
    assert updated["url"] == hook["url"]
    # Test the webhook: the doc's receiver (with the webhook's secret) gets it and answers 200
    app = render(SEED / "flask_receiver.py.txt", {"'your_webhook_secret'": repr(hook["secret"])}, tmp_path, "app.py")
    receiver = flask(app, tmp_path, "seed-000-flask", port)
    with started(receiver):
        status, result = send(SEED / "test.curl", profile_stack, customer, HOST, **ids)
        assert status == 200, result
        wait_until(lambda: '"POST /webhook/techsolut HTTP/1.1" 200' in receiver.stderr, "the test request's 200")
    # Delete a Webhook: gone
    status, deleted = send(SEED / "delete.curl", profile_stack, customer, HOST, **ids)
    assert status in (200, 204), deleted
    assert customer.api("GET", f"/v1/webhooks/{hook['id']}")[0] == 404

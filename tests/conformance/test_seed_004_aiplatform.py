"""Seed 004 (AI Platform, "Webhooks Guide"), as written, against `PROFILE=aiplatform`.

The doc's curls (register, list, PUT, DELETE, test, deliveries, retry) are sent unchanged but for the host, the key,
the ids, the receivers' URLs and the placeholder secret (`your-webhook-secret` is 19 bytes; Carrier's minimum is
24, so every piece uses SECRET). The doc's Flask receiver runs verbatim; its Express receiver is
tests/conformance/node/seed_004_receiver.js (timingSafeEqual's arguments wrapped in Buffer.from, the secret and port
read from the environment). Every delivery carries the doc's headers and payload keys and passes the doc's own
`verify_webhook`; `retry_count` counts the ladder's attempts.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from pathlib import Path
from typing import Any

from tests.conformance.harness import (
    HERE,
    NODE,
    Process,
    assert_runs,
    catalog,
    curl,
    doc_function,
    doc_json,
    doc_text,
    flask,
    is_iso_time,
    node,
    render,
    send,
    started,
    wait_until,
)
from tests.receiver import Answer, Received, Receiver
from tests.stack import Stack, Tenant, free_port

PROFILE = "aiplatform"
SEED = HERE / "seed_004"
HOST = "https://api.aiplatform.io"
DOC_ID = "wh_550e8400e29b41d4"
DOC_DELIVERY = "del_550e8400e29b41d4"
SECRET = "your-webhook-secret-0123456789"  # the doc's placeholder, made 30 bytes long
SECRET_LITERAL = "your-webhook-secret"

# Data the Express receiver re-serializes with JSON.stringify before it verifies: Carrier must sign exactly that text.
TRICKY: dict[str, dict[str, Any]] = {
    "the doc's floats 8.0 and 0.95": {
        "job_id": "job-floats",
        "status": "running",
        "objective_value": 8.0,
        "approximation_ratio": 0.95,
        "accuracy": 0.92,
        "loss": 0.23,
        "round": 0,
    },
    "a float with an integral value, 100.0": {"job_id": "job-integral", "progress_percent": 100.0},
    "an exponent, 1e21 and 1.5e-07": {"job_id": "job-exponents", "large": 1e21, "tiny": 1.5e-07, "neg": -2.5e-10},
    "the largest exact integers, ±2**53": {"job_id": "job-big", "big": 9007199254740992, "neg": -9007199254740992},
    "non-ASCII text": {"job_id": "job-text", "name": "Zürich — 日本語 🚀", "accent": "café"},
    "escapes and control characters": {"job_id": "job-escapes", "text": 'q "x" \\ / </script>\n\t\u2028\u0007'},
}


def register(stack: Stack, customer: Tenant, url: str) -> dict[str, Any]:
    status, hook = send(
        SEED / "register.curl",
        stack,
        customer,
        HOST,
        **{"https://example.com/webhook": url, f'"{SECRET_LITERAL}"': f'"{SECRET}"'},
    )
    assert status == 201, hook
    return hook


def flask_receiver(folder: Path, port: int) -> Process:
    app = render(SEED / "flask_receiver.py.txt", {f"'{SECRET_LITERAL}'": repr(SECRET)}, folder, "app.py")
    return flask(app, folder, "seed-004-flask", port)


def express_receiver(folder: Path, port: int) -> Process:
    return node(NODE / "seed_004_receiver.js", folder, "seed-004-express", port, WEBHOOK_SECRET=SECRET, PORT=str(port))


def deliveries(customer: Tenant, hook_id: str) -> list[dict[str, Any]]:
    status, page = customer.api("GET", f"/v1/webhooks/{hook_id}/deliveries?limit=250")
    assert status == 200, page
    return page["deliveries"]


def first_answers(customer: Tenant, hook_id: str, event_ids: dict[str, str]) -> dict[str, int]:
    """{name: the status code of the event's delivery}, once every event's delivery has one."""

    def codes() -> dict[str, int]:
        by_event = {d["event_id"]: d.get("status_code") for d in deliveries(customer, hook_id)}
        found = {name: by_event.get(event_id) for name, event_id in event_ids.items()}
        return {name: code for name, code in found.items() if code} if all(found.values()) else {}

    return wait_until(codes, f"an answer for each of {sorted(event_ids)}")


def test_the_stack_runs_the_aiplatform_profile(profile_stack: Stack) -> None:
    assert_runs(profile_stack, PROFILE)


def test_the_catalog_lists_the_docs_types_and_examples(customer: Tenant) -> None:
    types = catalog(customer)
    listed = re.findall(r"^- `([a-z_.]+)`", doc_text(SEED / "event_types.md"), re.MULTILINE)
    assert len(listed) == 23
    assert [name for name in listed if name not in types] == []
    documented = [doc_json(path) for path in sorted((SEED / "events").glob("*.jsonc"))]
    differ = {
        d["event_type"]: {"doc": d["data"], "catalog": types.get(d["event_type"], {}).get("example")}
        for d in documented
        if types.get(d["event_type"], {}).get("example") != d["data"]
    }
    assert not differ, f"examples differ from the doc's: {json.dumps(differ)}"


def test_register_the_docs_flask_receiver_and_view_deliveries(
    profile_stack: Stack, customer: Tenant, tmp_path: Path
) -> None:
    # Given the doc's registration, to the doc's Flask receiver
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhook"
    hook = register(profile_stack, customer, url)
    documented = doc_json(SEED / "register.response.jsonc")
    assert set(documented) <= set(hook), f"missing: {set(documented) - set(hook)}"
    assert hook["webhook_id"].startswith("wh_") and hook["status"] == "active"
    assert hook["url"] == url and hook["events"] == ["optimization.completed", "vision.completed", "training.completed"]
    assert is_iso_time(hook["created_at"])
    types = catalog(customer)
    optimization, vision = types["optimization.completed"]["example"], types["vision.completed"]["example"]
    with started(flask_receiver(tmp_path, port)) as (receiver,):
        # When the doc's two events are published
        customer.publish("optimization.completed", optimization)
        customer.publish("vision.completed", vision)
        # Then the receiver verifies them and prints its lines
        receiver.wait_for_line(f"Optimization {optimization['job_id']} completed: ", prefix=True)
        receiver.wait_for_line(f"Vision analysis {vision['job_id']} found {len(vision['detections'])} objects")
        wait_until(lambda: len(deliveries(customer, hook["webhook_id"])) == 2, "two deliveries")
        # And the doc's deliveries curl answers the documented shape
        status, page = send(SEED / "deliveries.curl", profile_stack, customer, HOST, **{DOC_ID: hook["webhook_id"]})
    assert status == 200, page
    doc_page = doc_json(SEED / "deliveries.response.jsonc")
    assert set(page) >= set(doc_page), f"missing: {set(doc_page) - set(page)}"
    assert "data" not in page, "the list repeats its items under `data`"
    assert page["limit"] == 50 and page["total"] == 2 == len(page["deliveries"])
    for item in page["deliveries"]:
        assert set(item) >= set(doc_page["deliveries"][0]), f"missing: {set(doc_page['deliveries'][0]) - set(item)}"
        assert item["status"] == "success" and item["status_code"] == 200, item
        assert item["delivery_id"].startswith("del_") and item["event_id"].startswith("evt_")
        assert is_iso_time(item["timestamp"]) and isinstance(item["response_time_ms"], int)
    assert {item["event_type"] for item in page["deliveries"]} == {"optimization.completed", "vision.completed"}


def test_put_keeps_the_secret_and_the_docs_express_receiver_verifies_every_delivery(
    profile_stack: Stack, customer: Tenant, tmp_path: Path
) -> None:
    # Given a webhook registered to the Flask receiver, then moved by the doc's PUT to the Express receiver
    flask_port, express_port = free_port(), free_port()
    hook = register(profile_stack, customer, f"http://127.0.0.1:{flask_port}/webhook")
    new_url = f"http://127.0.0.1:{express_port}/webhook"
    substitutions = {DOC_ID: hook["webhook_id"], "https://example.com/new-webhook": new_url}
    put = json.loads(curl(SEED / "update.curl", profile_stack, customer, HOST, **substitutions).body or "")
    types = catalog(customer)
    optimization, vision = types["optimization.completed"]["example"], types["vision.completed"]["example"]
    with started(flask_receiver(tmp_path, flask_port), express_receiver(tmp_path, express_port)) as (old, express):
        status, replaced = send(SEED / "update.curl", profile_stack, customer, HOST, **substitutions)
        assert status == 200, replaced
        assert replaced["url"] == new_url and replaced["events"] == put["events"]
        # When the doc's events and events with awkward data are published
        published = {
            "optimization.completed example": customer.publish("optimization.completed", optimization)["id"],
            "vision.completed example": customer.publish("vision.completed", vision)["id"],
        }
        published |= {name: customer.publish("training.started", data)["id"] for name, data in TRICKY.items()}
        # Then the Express receiver verified every one of them (200) and printed the doc's lines
        express.wait_for_line(f"Optimization {optimization['job_id']} completed")
        express.wait_for_line(f"Vision analysis {vision['job_id']} completed")
        codes = first_answers(customer, hook["webhook_id"], published)
    assert codes == dict.fromkeys(published, 200), f"the Express receiver refused: {codes}"
    assert '"POST /webhook' not in old.stderr, "the Flask receiver (the URL before the PUT) got deliveries"


def test_payload_headers_and_retry_count_along_the_ladder_then_the_retry_curl(
    profile_stack: Stack, customer: Tenant
) -> None:
    verify_webhook = doc_function(SEED / "verify_webhook.py.txt", "verify_webhook")
    documented_keys = set(doc_json(SEED / "payload.jsonc"))
    attempts = itertools.count()
    lock = threading.Lock()

    def fail_twice(request: Received) -> Answer:
        with lock:
            return Answer(500 if next(attempts) < 2 else 200)

    # Given the doc's webhook to a receiver that answers 500 to the first two attempts
    with Receiver(fail_twice) as receiver:
        hook = register(profile_stack, customer, receiver.url + "/webhook")
        data = catalog(customer)["optimization.completed"]["example"]
        # When an event is published and the ladder retries it
        event = customer.publish("optimization.completed", data)
        wait_until(lambda: len(receiver.requests) >= 3, "three attempts")
        delivered = wait_until(
            lambda: [d for d in deliveries(customer, hook["webhook_id"]) if d["status"] == "success"],
            "the delivery to succeed",
        )
        # And the doc's retry curl sends it again
        ids = {DOC_ID: hook["webhook_id"], DOC_DELIVERY: delivered[0]["delivery_id"]}
        status, result = send(SEED / "retry.curl", profile_stack, customer, HOST, **ids)
        assert status == 200, result
        wait_until(lambda: len(receiver.requests) >= 4, "the manual retry")
    # Then every request is signed as the doc verifies, with its headers and payload, retry_count counting up
    bodies = [json.loads(request.body) for request in receiver.requests]
    assert [body["retry_count"] for body in bodies[:3]] == [0, 1, 2]
    for request, body in zip(receiver.requests, bodies, strict=True):
        headers = {name.lower(): value for name, value in request.headers.items()}
        assert verify_webhook(request.body, headers["x-webhook-signature"], SECRET)
        assert headers["x-webhook-id"] == hook["webhook_id"]
        assert headers["x-event-id"] == event["id"] == body["event_id"]
        assert headers["x-timestamp"]
        assert headers["content-type"] == "application/json"
        assert set(body) == documented_keys, body
        assert body["event_type"] == "optimization.completed" and is_iso_time(body["timestamp"])
        assert body["data"]["job_id"] == data["job_id"]
    assert delivered[0]["status_code"] == 200 and delivered[0]["event_id"] == event["id"]


def test_list_test_and_delete_curls(profile_stack: Stack, customer: Tenant, tmp_path: Path) -> None:
    port = free_port()
    hook = register(profile_stack, customer, f"http://127.0.0.1:{port}/webhook")
    ids = {DOC_ID: hook["webhook_id"]}
    # List Webhooks
    status, listed = send(SEED / "list.curl", profile_stack, customer, HOST)
    assert status == 200, listed
    items = [item for value in listed.values() if isinstance(value, list) for item in value]
    assert hook["webhook_id"] in {item.get("webhook_id", item.get("id")) for item in items}, listed
    # Manual Test: the doc's Flask receiver verifies the test event and answers 200
    with started(flask_receiver(tmp_path, port)) as (receiver,):
        status, result = send(SEED / "test.curl", profile_stack, customer, HOST, **ids)
        assert status == 200, result
        wait_until(lambda: '"POST /webhook HTTP/1.1" 200' in receiver.stderr, "the test request's 200")
    assert '" 401 ' not in receiver.stderr
    # Delete Webhook
    status, deleted = send(SEED / "delete.curl", profile_stack, customer, HOST, **ids)
    assert status in (200, 204), deleted
    assert customer.api("GET", f"/v1/webhooks/{hook['webhook_id']}")[0] == 404

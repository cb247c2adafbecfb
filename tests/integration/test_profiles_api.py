"""Each profile through the real API and dispatcher handlers on moto, with real local receivers: the answers are
spelled the profile's way and the deliveries are shaped and signed its way (tests/conformance runs the seed docs'
own code against the local stack; these pin the mechanics)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from carrier import profile
from tests.pipeline import bus_event, dispatch
from tests.receiver import Answer, Receiver
from tests.support import call_api

SECRET = "aiplatform-webhook-secret-0123"


@pytest.fixture
def use(pipeline: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    def _use(name: str) -> None:
        monkeypatch.setenv(profile.ENV, name)

    return _use


def test_aiplatform_answers_webhook_id_keeps_the_signature_on_put_and_lists_success_with_a_total(use: Any) -> None:
    use("aiplatform")
    with Receiver() as receiver:
        status, created = call_api(
            "POST",
            "/v1/webhooks",
            body={"url": receiver.url + "/webhook", "events": ["optimization.completed"], "secret": SECRET},
        )
        assert status == 201 and created["webhook_id"].startswith("wh_") and created["status"] == "active", created
        assert created["signature"] == {"scheme": "hmac-sha256-hex", "header": "X-Webhook-Signature"}
        assert created["payload_format"] == "extended"
        webhook_id = created["webhook_id"]
        # seed 004's PUT: url and events only; the secret and its scheme stay
        put = {"url": receiver.url + "/new-webhook", "events": ["optimization.completed", "vision.completed"]}
        status, replaced = call_api("PUT", f"/v1/webhooks/{webhook_id}", body=put)
        assert status == 200 and replaced["signature"] == created["signature"], replaced
        dispatch(bus_event("optimization.completed", {"job_id": "j1", "result": {"objective_value": 8.0}}))
        dispatch(bus_event("vision.completed", {"job_id": "j2", "detections": []}))
    assert [r.path for r in receiver.requests] == ["/new-webhook", "/new-webhook"]
    for request in receiver.requests:
        expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        assert request.headers["X-Webhook-Signature"] == expected
        assert {"X-Webhook-ID", "X-Event-ID", "X-Timestamp"} <= set(request.headers)
        body = json.loads(request.body)
        assert list(body) == ["event_id", "event_type", "timestamp", "data", "retry_count"]
    assert b'"objective_value":8}' in receiver.requests[0].body  # the canonical (JS) number form
    status, listed = call_api("GET", f"/v1/webhooks/{webhook_id}/deliveries", query={"limit": "50"})
    assert status == 200 and set(listed) == {"deliveries", "total", "limit", "next_cursor", "has_more"}, listed
    assert listed["total"] == 2 and listed["limit"] == 50
    assert {d["status"] for d in listed["deliveries"]} == {"success"}
    status, only = call_api("GET", f"/v1/webhooks/{webhook_id}/deliveries", query={"status": "success"})
    assert status == 200 and only["total"] == 2
    status, document = call_api("GET", "/openapi.json")
    assert "success" in document["components"]["schemas"]["DeliveryStatus"]["enum"]
    assert "delivered" not in document["components"]["schemas"]["DeliveryStatus"]["enum"]


def test_techsolut_ids_are_whk_and_its_defaults_sign_the_classic_payload(use: Any) -> None:
    use("techsolut")
    with Receiver() as receiver:
        body = {"url": receiver.url + "/webhook/techsolut", "events": ["model.trained"], "description": "Production"}
        status, created = call_api("POST", "/v1/webhooks", body=body)
        assert status == 201 and created["id"].startswith("whk_") and created["secret"].startswith("whsec_"), created
        status, fetched = call_api("GET", f"/v1/webhooks/{created['id']}")
        assert status == 200 and fetched["id"] == created["id"]
        dispatch(bus_event("model.trained", {"model_id": "mod_1"}))
    [request] = receiver.requests
    signature = hmac.new(created["secret"].encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Techsolut-Signature"] == signature
    assert list(json.loads(request.body)) == ["id", "event", "created_at", "data"]


def test_isahit_batch_webhook_overrides_the_project_one_and_answers_are_camel_case(use: Any) -> None:
    use("isahit")
    error = Answer(400, b'{"error": "bad task", "code": 7}', {"Content-Type": "application/json"})
    with Receiver() as project, Receiver(lambda r: error) as batch:
        common = {"events": ["task.completed"], "header": "Bearer project-token"}
        status, project_hook = call_api(
            "POST", "/v1/webhooks", body={**common, "url": project.url, "filters": {"projectId": "p"}}
        )
        assert status == 201, project_hook
        assert project_hook["header"] == "********" and "Bearer project-token" not in json.dumps(project_hook)
        status, batch_hook = call_api(
            "POST", "/v1/webhooks", body={**common, "url": batch.url, "filters": {"projectId": "p", "batchId": "b"}}
        )
        assert status == 201, batch_hook
        task = {"workflowId": "w", "type": "annotation", "taskId": "t1", "projectId": "p"}
        dispatch(
            bus_event("task.completed", {**task, "batchId": "b"}), bus_event("task.completed", {**task, "batchId": "c"})
        )
    assert [json.loads(r.body)["batchId"] for r in batch.requests] == ["b"]
    assert [json.loads(r.body)["batchId"] for r in project.requests] == ["c"]
    assert project.requests[0].headers["Authorization"] == "Bearer project-token"
    _, shown = call_api("GET", f"/v1/webhooks/{batch_hook['id']}")
    assert shown["lastError"]["statusCode"] == 400 and shown["lastError"]["body"] == {"error": "bad task", "code": 7}
    assert "updatedAt" in shown and "last_error" not in shown
    _, shown = call_api("GET", f"/v1/webhooks/{project_hook['id']}")
    assert shown["lastCall"]["statusCode"] == 200
    # replacing the project webhook keeps its log
    status, replaced = call_api(
        "PUT", f"/v1/webhooks/{project_hook['id']}", body={"url": project.url + "/v2", "events": ["task.completed"]}
    )
    assert status == 200 and replaced["lastCall"] == shown["lastCall"], replaced


def test_a_profile_never_loosens_the_security_rules(use: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from carrier import runtime

    monkeypatch.setenv("ALLOW_PRIVATE_TARGETS", "false")  # as deployed (the pipeline allows loopback receivers)
    runtime.reset()
    use("isahit")  # its docs take http:// URLs: a public one is accepted, private and metadata ones stay refused
    webhook = {"events": ["task.completed"]}
    status, body = call_api("POST", "/v1/webhooks", body={**webhook, "url": "http://hooks.example.com/isahit"})
    assert status == 201, body
    for url in ("http://169.254.169.254/latest", "http://127.0.0.1:8080/x", "http://10.0.0.1/x"):
        status, body = call_api("POST", "/v1/webhooks", body={**webhook, "url": url})
        assert status == 422 and body["field"] == "url", (url, body)
    use("aiplatform")  # its docs say https: http:// is refused
    status, body = call_api("POST", "/v1/webhooks", body={"url": "http://hooks.example.com/x", "events": ["vision.*"]})
    assert status == 422 and body["field"] == "url", body


def test_the_openapi_document_and_messages_follow_the_profile(use: Any) -> None:
    use("techsolut")
    _, document = call_api("GET", "/openapi.json")
    schemas = document["components"]["schemas"]
    assert document["info"]["x-carrier-profile"] == "techsolut"
    assert schemas["WebhookCreate"]["properties"]["payload_format"]["default"] == "classic"
    assert schemas["Signature"]["properties"]["scheme"]["default"] == "hmac-sha256-hex"
    assert schemas["WebhookCreate"]["properties"]["events"]["examples"] == [["model.trained", "detection.complete"]]
    use("tchek")
    _, document = call_api("GET", "/openapi.json")
    schemas = document["components"]["schemas"]
    assert schemas["WebhookCreate"]["properties"]["payload_format"]["default"] == "data"
    assert schemas["WebhookCreate"]["properties"]["events"]["examples"] == [
        ["inspection.created", "inspection.completed"]
    ]
    assert schemas["PublishRequest"]["properties"]["type"]["examples"] == ["inspection.created"]
    status, body = call_api("POST", "/v1/webhooks", body={"url": "https://x.example.com/h", "events": ["model.*"]})
    assert status == 422 and "a prefix such as 'inspection.*'" in body["message"], body


def test_the_test_event_names_the_webhook_it_was_sent_to(use: Any) -> None:
    use("techsolut")
    with Receiver() as receiver:
        _, created = call_api("POST", "/v1/webhooks", body={"url": receiver.url, "events": ["model.trained"]})
        status, sent = call_api("POST", f"/v1/webhooks/{created['id']}/test")
        assert status == 200 and sent["delivered"], sent
    assert json.loads(receiver.requests[0].body)["data"]["webhook_id"] == created["id"]

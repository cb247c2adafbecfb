"""The dispatcher handler end to end on moto, delivering to real local receivers."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from standardwebhooks.webhooks import Webhook as StandardWebhook

from carrier import runtime
from carrier.verify import verify
from tests.fakes import RecordingScheduler
from tests.integration.conftest import create, deliveries
from tests.pipeline import bus_event, dispatch, sqs_event
from tests.receiver import Answer, Receiver
from tests.support import FakeContext, call_api, load_handler

FORMATS = ["standard", "classic", "extended", "data"]
SCHEMES = ["standard-webhooks", "hmac-sha256-hex", "hmac-sha256-base64", "github"]
DATA = {"model_id": "mod_1", "project_id": "p1", "metrics": {"map": 0.892}}


def test_every_format_and_scheme_arrives_signed(pipeline: RecordingScheduler) -> None:
    with Receiver() as receiver:
        hooks = {
            (fmt, scheme): create(f"{receiver.url}/{fmt}/{scheme}", payload_format=fmt, signature={"scheme": scheme})
            for fmt in FORMATS
            for scheme in SCHEMES
        }
        answer = dispatch(bus_event("model.trained", DATA, event_id="evt_all"))
    assert answer == {"batchItemFailures": []}
    assert len(receiver.requests) == 16
    for request in receiver.requests:
        _, fmt, scheme = request.path.split("/")
        hook = hooks[(fmt, scheme)]
        verify(scheme, hook["secret"], request.body, request.headers, header=hook["signature"]["header"])
        if scheme == "standard-webhooks":
            StandardWebhook(hook["secret"]).verify(request.body, request.headers)
        body = json.loads(request.body)
        expected_keys = {
            "standard": {"type", "timestamp", "data"},
            "classic": {"id", "event", "created_at", "data"},
            "extended": {"event_id", "event_type", "timestamp", "data", "retry_count"},
            "data": set(DATA),
        }[fmt]
        assert set(body) == expected_keys
        assert request.headers["User-Agent"].startswith("Carrier/")
        assert request.headers["Content-Type"] == "application/json"
    for hook in hooks.values():
        [delivery] = deliveries(hook["id"])
        assert delivery["status"] == "delivered" and delivery["status_code"] == 200 and delivery["attempts"] == 1
    assert pipeline.handoffs == []  # a first-try success starts no retry


def test_hex_scheme_sends_seed_004_headers(pipeline: RecordingScheduler) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url, payload_format="extended", signature={"scheme": "hmac-sha256-hex"})
        dispatch(bus_event("model.deployed", DATA, event_id="evt_hex"))
    headers = receiver.requests[0].headers
    assert headers["X-Webhook-ID"] == hook["id"] and headers["X-Event-ID"] == "evt_hex"
    assert headers["X-Timestamp"] == "2026-01-01T00:00:00Z" and len(headers["X-Webhook-Signature"]) == 64


def test_project_and_batch_filters_route_as_seed_003(pipeline: RecordingScheduler) -> None:
    with Receiver() as receiver:
        project = create(receiver.url + "/project", events=["batch.*"], filters={"project_id": "p1"})
        batch = create(receiver.url + "/batch", events=["batch.*"], filters={"project_id": "p1", "batch_id": "b1"})
        many = create(receiver.url + "/many", events=["batch.*"], filters={"batch_id": ["b2", "b3"]})
        dispatch(
            bus_event("batch.progress", {"project_id": "p1", "batch_id": "b1"}),
            bus_event("batch.progress", {"project_id": "p1", "batch_id": "b2"}),
            bus_event("batch.completed", {"project_id": "p2", "batch_id": "b3"}),
        )
    paths = sorted(r.path for r in receiver.requests)
    assert paths == ["/batch", "/many", "/many", "/project", "/project"]
    assert (
        len(deliveries(project["id"])) == 2 and len(deliveries(batch["id"])) == 1 and len(deliveries(many["id"])) == 2
    )


def test_duplicates_of_one_event_deliver_once_per_webhook(pipeline: RecordingScheduler) -> None:
    with Receiver() as receiver:
        first = create(receiver.url + "/a")
        second = create(receiver.url + "/b")
        event = bus_event("model.trained", DATA, event_id="evt_dup")
        dispatch(event, event)  # SQS delivered the message twice in one batch
        dispatch(event)  # and once more later
        dispatch(bus_event("model.trained", DATA, event_id="evt_dup"))  # a producer published it twice
    assert sorted(r.path for r in receiver.requests) == ["/a", "/b"]
    assert len(deliveries(first["id"])) == 1 and len(deliveries(second["id"])) == 1


def test_failures_go_to_the_ladder_and_410_disables(pipeline: RecordingScheduler) -> None:
    answers = {
        "/fail": Answer(500, b"boom"),
        "/gone": Answer(410),
        "/later": Answer(429, headers={"Retry-After": "900"}),
    }
    with Receiver(lambda r: answers[r.path]) as receiver:
        fail = create(receiver.url + "/fail")
        gone = create(receiver.url + "/gone")
        later = create(receiver.url + "/later")
        dispatch(bus_event("model.trained", DATA, event_id="evt_fail"))
    handoffs = {h.webhook_id: h for h in pipeline.handoffs}
    assert set(handoffs) == {fail["id"], later["id"]}
    assert handoffs[fail["id"]].wait_seconds == 300  # the ladder's first step
    assert handoffs[later["id"]].wait_seconds == 900  # Retry-After honoured
    assert deliveries(fail["id"])[0]["status"] == "retrying"
    status, hook = call_api("GET", f"/v1/webhooks/{fail['id']}")
    assert hook["last_error"]["status_code"] == 500 and hook["last_error"]["body"] == "boom"
    status, hook = call_api("GET", f"/v1/webhooks/{gone['id']}")
    assert hook["status"] == "disabled" and "410" in hook["disabled_reason"]
    assert deliveries(gone["id"])[0]["status"] == "failed"


def test_disabled_webhooks_receive_nothing(pipeline: RecordingScheduler) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url, status="disabled")
        dispatch(bus_event("model.trained", DATA))
    # nothing is sent, and the log shows the event as skipped (recover sends it once the webhook is enabled)
    [skipped] = deliveries(hook["id"])
    assert receiver.requests == [] and skipped["status"] == "skipped" and skipped["attempts"] == 0


def test_blocked_destination_is_failed_and_not_retried(pipeline: RecordingScheduler, monkeypatch) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url)
        monkeypatch.setenv("ALLOW_PRIVATE_TARGETS", "false")
        runtime.reset()
        runtime.use_scheduler(pipeline)
        dispatch(bus_event("model.trained", DATA))
    assert receiver.requests == [] and pipeline.handoffs == []
    [delivery] = deliveries(hook["id"])
    status, detail = call_api("GET", f"/v1/webhooks/{hook['id']}/deliveries/{delivery['delivery_id']}")
    assert detail["status"] == "failed" and detail["attempt_log"][0]["outcome"] == "blocked"


def test_bad_events_are_rejected_without_failing_the_batch(pipeline: RecordingScheduler) -> None:
    with Receiver() as receiver:
        create(receiver.url)
        no_tenant = bus_event("model.trained", DATA)
        del no_tenant["detail"]["tenant_id"]
        answer = dispatch(
            "not json at all",
            no_tenant,
            bus_event("no.such.type", DATA),
            {"detail": "a string"},
            bus_event("model.trained", DATA),
        )
    assert answer == {"batchItemFailures": []}
    assert len(receiver.requests) == 1


def test_delivery_log_shape_masks_secrets_and_keeps_last_call(pipeline: RecordingScheduler) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url, headers={"Authorization": "Bearer receiver-secret-token"})
        dispatch(bus_event("model.trained", DATA, event_id="evt_log"))
    assert receiver.requests[0].headers["Authorization"] == "Bearer receiver-secret-token"
    [summary] = deliveries(hook["id"], limit="50")
    assert {
        "delivery_id",
        "event_id",
        "event_type",
        "status",
        "status_code",
        "timestamp",
        "response_time_ms",
        "attempts",
    } <= set(summary)
    status, detail = call_api("GET", f"/v1/webhooks/{hook['id']}/deliveries/{summary['delivery_id']}")
    attempt = detail["attempt_log"][0]
    assert attempt["request_headers"]["Authorization"] == "********"
    assert "receiver-secret-token" not in json.dumps(detail) and hook["secret"] not in json.dumps(detail)
    assert attempt["response_body"] == '{"status":"received"}'
    status, again = call_api("GET", f"/v1/webhooks/{hook['id']}")
    assert again["last_call"]["status_code"] == 200 and again["last_error"] is None
    # another tenant cannot read it
    assert call_api("GET", f"/v1/webhooks/{hook['id']}/deliveries", tenant="t2")[0] == 404
    path = f"/v1/webhooks/{hook['id']}/deliveries/{summary['delivery_id']}"
    assert call_api("GET", path, tenant="t2")[0] == 404


def test_delivery_list_filters_and_pages(pipeline: RecordingScheduler) -> None:
    with Receiver(lambda r: Answer(500) if json.loads(r.body)["data"].get("n", 0) % 2 else Answer()) as receiver:
        hook = create(receiver.url, events=["*"])
        for n in range(5):
            dispatch(bus_event("model.trained" if n < 3 else "batch.progress", {"n": n}))
    assert len(deliveries(hook["id"])) == 5
    assert len(deliveries(hook["id"], status="retrying")) == 2
    assert len(deliveries(hook["id"], event_type="batch.progress")) == 2
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, page = call_api("GET", f"/v1/webhooks/{hook['id']}/deliveries", query=query)
        seen += [d["delivery_id"] for d in page["deliveries"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(set(seen)) == 5
    created = [d["created_at"] for d in deliveries(hook["id"])]
    assert created == sorted(created, reverse=True)


def test_test_endpoint_sends_at_once(pipeline: RecordingScheduler) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url)
        status, result = call_api("POST", f"/v1/webhooks/{hook['id']}/test")
        assert status == 200 and result["delivered"] is True and result["status_code"] == 200
        assert json.loads(receiver.requests[0].body)["type"] == "webhook.test"
        status, result = call_api("POST", f"/v1/webhooks/{hook['id']}/test", body={"event_type": "batch.progress"})
        assert json.loads(receiver.requests[1].body)["data"]["progress_percent"] == 75
    assert call_api("POST", f"/v1/webhooks/{hook['id']}/test", tenant="t2")[0] == 404
    assert call_api("POST", f"/v1/webhooks/{hook['id']}/test", body={"event_type": "nope"})[0] == 422


def test_publish_through_the_api(pipeline: RecordingScheduler) -> None:
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="probe")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events")
    events.put_rule(Name="all", EventBusName="carrier-test", EventPattern=json.dumps({"source": ["carrier.api"]}))
    events.put_targets(Rule="all", EventBusName="carrier-test", Targets=[{"Id": "q", "Arn": arn}])
    status, body = call_api("POST", "/v1/events", body={"type": "model.trained", "data": DATA, "id": "evt_api"})
    assert status == 202 and body == {"id": "evt_api", "type": "model.trained", "status": "accepted"}
    message = json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])
    assert message["detail-type"] == "model.trained"
    assert message["detail"] == {"tenant_id": "t1", "id": "evt_api", "data": DATA}
    too_big = {"type": "model.trained", "data": {"blob": "x" * 300_000}}
    status, body = call_api("POST", "/v1/events", body=too_big)
    assert status == 413 and body["field"] == "data"
    assert call_api("POST", "/v1/events", body={"type": "nope", "data": {}})[1]["field"] == "type"
    assert call_api("POST", "/v1/events", body={"type": "model.trained"})[1]["field"] == "data"


def test_per_job_callbacks_are_signed_with_the_tenant_secret(pipeline: RecordingScheduler) -> None:
    status, body = call_api(
        "POST", "/v1/events", body={"type": "vision.completed", "data": {}, "callback_url": "https://example.com/cb"}
    )
    assert status == 404 and "callback" in body["message"]
    status, config = call_api("PUT", "/v1/callbacks", body={"secret": "test_key_for_callbacks_0001"})
    assert status == 200 and config["signature"]["scheme"] == "hmac-sha256-base64"
    assert "secret" not in call_api("GET", "/v1/callbacks")[1]
    with Receiver() as receiver:
        dispatch(
            bus_event("vision.completed", {"is_error": False, "result": {}}, callback_url=receiver.url + "/results")
        )
    [request] = receiver.requests
    # seed 001's own check
    import base64
    import hashlib
    import hmac

    def compute_signature(payload: str, secret_key: str) -> str:
        digest = hmac.new(secret_key.encode(), msg=payload.encode("utf-8"), digestmod=hashlib.sha256).digest()
        signature = base64.b64encode(digest).decode()
        return signature

    assert (
        compute_signature(request.body.decode(), "test_key_for_callbacks_0001")
        == request.headers["X-Hub-Signature-256"]
    )
    assert json.loads(request.body) == {"is_error": False, "result": {}}


def emf_documents(text: str) -> list[dict[str, Any]]:
    documents = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            documents.append(json.loads(line))
    return documents


def test_metrics_are_emitted_as_emf(pipeline: RecordingScheduler, capsys) -> None:
    with Receiver(lambda r: Answer(500) if r.path == "/fail" else Answer()) as receiver:
        create(receiver.url + "/ok")
        create(receiver.url + "/fail")
        capsys.readouterr()
        dispatch(bus_event("model.trained", DATA), "not json")
    documents = emf_documents(capsys.readouterr().out)
    assert documents, "no EMF document was printed"
    merged: dict[str, Any] = {}
    for document in documents:
        names = {m["Name"] for d in document["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
        merged.update({name: document[name] for name in names})
        assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "CarrierTest"
    assert merged["Deliveries_delivered"] in (1, [1.0], 1.0)
    assert merged["Deliveries_retry"] in (1, [1.0], 1.0)
    assert merged["EventsRejected"] in (1, [1.0], 1.0)
    latency = merged["AttemptLatency"]
    assert len(latency if isinstance(latency, list) else [latency]) == 1  # one value per event


def test_two_invocations_at_once_in_one_process_each_settle_their_own_batch(pipeline: RecordingScheduler) -> None:
    # Given a receiver answering after 50 ms, and two batches of 10 events (the local stack runs the dispatcher for
    # its two queues, events and fan-out chunks, in threads of one process)
    handler = load_handler("dispatcher").handler
    with Receiver(lambda r: Answer(200, delay=0.05)) as receiver:
        create(receiver.url)
        batches = [
            sqs_event(*[bus_event("model.trained", {"n": n}, event_id=f"evt_{b}_{n}") for n in range(10)])
            for b in (0, 1)
        ]
        # When both invocations run at once
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda batch: handler(batch, FakeContext()), batches))
    # Then each settled its own batch: what it reports failed is its own (SQS brings those back), every other event
    # of it was delivered, and no event was sent twice
    sent = Counter(r.headers["webhook-id"] for r in receiver.requests)
    assert set(sent.values()) <= {1}, sent
    for batch, answer in zip(batches, answers, strict=True):
        ids = {record["messageId"]: json.loads(record["body"])["detail"]["id"] for record in batch["Records"]}
        failed = {item["itemIdentifier"] for item in answer["batchItemFailures"]}
        assert failed <= set(ids), "a batch reported another batch's message"
        assert {event for message, event in ids.items() if message not in failed} <= set(sent)

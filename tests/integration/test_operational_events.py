"""Operational events end to end on moto: the real handlers publish on the bus, the template's own rule takes them
(`Source: carrier`) to a queue, and the real dispatcher delivers them, signed, to the tenant's webhooks subscribed
to them (real local receivers). A PutEvents failure (a botocore hook, as tests/faults injects) fails no delivery."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from carrier import aws, runtime
from carrier.ladder import LadderStop
from carrier.scheduling import execution_input
from carrier.verify import verify
from tests.fakes import RecordingScheduler
from tests.integration.conftest import create, deliveries
from tests.pipeline import bus_event, dispatch
from tests.receiver import Answer, Received, Receiver
from tests.support import ROOT, FakeContext, call_api, load_handler, template

LADDER = (300, 1800, 7200, 28800, 86400)


@pytest.fixture
def bus(pipeline: RecordingScheduler, aws: dict[str, str]) -> Iterator[Any]:
    """The template's EventsRule (its own pattern) on the test bus, into a queue; yields a drain of that queue."""
    rule = template()["Resources"]["EventsRule"]["Properties"]
    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName="carrier-test-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus_name = aws["EVENT_BUS_NAME"]
    events.put_rule(Name="carrier-test-events", EventBusName=bus_name, EventPattern=json.dumps(rule["EventPattern"]))
    events.put_targets(Rule="carrier-test-events", EventBusName=bus_name, Targets=[{"Id": "queue", "Arn": arn}])

    def drain() -> list[dict[str, Any]]:
        """Every message the rule put on the queue, each dispatched as SQS would hand it to the dispatcher."""
        bodies = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if bodies:
            assert dispatch(*bodies) == {"batchItemFailures": []}
        return bodies

    yield drain


def payload(request: Received) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.body)
    return body


def signed(hook: dict[str, Any], request: Received) -> dict[str, Any]:
    """The request's payload, once its Standard Webhooks signature checks with the webhook's secret."""
    verify("standard-webhooks", hook["secret"], request.body, request.headers)
    return payload(request)


def test_a_webhook_subscribed_to_disabled_receives_signed_the_event_for_a_sibling_a_410_disabled(bus: Any) -> None:
    # Given, in tenant t1, a webhook whose receiver answers 410 and a watcher subscribed to carrier.webhook.disabled;
    # and in tenant t2, a webhook subscribed to it too
    with (
        Receiver(lambda r: Answer(410)) as gone,
        Receiver() as watching,
        Receiver() as other_tenant,
    ):
        hook = create(gone.url, description="Production")
        watcher = create(watching.url, events=["carrier.webhook.disabled"])
        create(other_tenant.url, tenant="t2", events=["carrier.webhook.disabled", "carrier.*"])
        # When an event reaches the first webhook, and the bus's events are dispatched (twice: a redelivery)
        dispatch(bus_event("model.trained", {"model_id": "m"}, event_id="evt_gone"))
        [carried] = bus()
        dispatch(carried)
    # Then the webhook is disabled, the watcher received the operational event once, signed, and t2 nothing
    assert call_api("GET", f"/v1/webhooks/{hook['id']}")[1]["status"] == "disabled"
    assert carried["source"] == "carrier" and carried["detail-type"] == "carrier.webhook.disabled"
    [request] = watching.requests
    body = signed(watcher, request)
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert body["type"] == "carrier.webhook.disabled" and headers["webhook-id"] == carried["detail"]["id"]
    assert body["data"]["webhook_id"] == hook["id"] and body["data"]["cause"] == "gone"
    assert body["data"]["reason"] == "the receiver answered 410 Gone" and body["data"]["url"] == gone.url
    assert other_tenant.requests == [] and len(gone.requests) == 1
    # and the watcher's own log shows the delivery like any other
    [summary] = deliveries(watcher["id"])
    assert summary["event_type"] == "carrier.webhook.disabled" and summary["status"] == "delivered"


def step(action: str, state: dict[str, Any]) -> dict[str, Any]:
    try:
        return load_handler("attempt").handler({"action": action, "state": state}, FakeContext())
    except LadderStop as stop:  # the ladder's end, raised for the state machine's Catch: its state
        return stop.state


def test_the_ladder_exhausted_raises_delivery_exhausted_and_webhook_disabled(bus: Any) -> None:
    pipeline: RecordingScheduler = runtime.scheduler()  # type: ignore[assignment]  # the fixture's recorder
    with Receiver(lambda r: Answer(503)) as failing, Receiver() as watching:
        hook = create(failing.url)
        watcher = create(watching.url, events=["carrier.delivery.*", "carrier.webhook.disabled"])
        dispatch(bus_event("model.trained", {"model_id": "m"}, event_id="evt_ladder"))
        [handoff] = pipeline.handoffs
        state = {**execution_input(handoff, LADDER), "ladder": list(LADDER)}
        while (state := step("attempt", state))["outcome"] == "retry":
            pass
        assert state["outcome"] == "exhausted"
        step("exhaust", state)
        step("exhaust", state)  # Step Functions runs a task again after a lost answer: nothing is said twice
        carried = bus()
    assert sorted(c["detail-type"] for c in carried) == [
        "carrier.delivery.exhausted",
        "carrier.delivery.exhausted",
        "carrier.webhook.disabled",
        "carrier.webhook.disabled",
    ]
    received = {body["type"]: body for body in (signed(watcher, r) for r in watching.requests)}
    assert len(watching.requests) == 2 and set(received) == {"carrier.delivery.exhausted", "carrier.webhook.disabled"}
    exhausted = received["carrier.delivery.exhausted"]["data"]
    assert exhausted["webhook_id"] == hook["id"] and exhausted["event_id"] == "evt_ladder"
    assert exhausted["attempts"] == 6 and exhausted["last_error"]["status_code"] == 503
    assert received["carrier.webhook.disabled"]["data"]["cause"] == "exhausted"


def test_the_tenant_disabling_and_enabling_a_webhook_is_said_on_the_bus(bus: Any) -> None:
    with Receiver() as watching, Receiver() as quiet:
        watcher = create(watching.url, events=["carrier.webhook.*"])
        hook = create(quiet.url)
        assert call_api("POST", f"/v1/webhooks/{hook['id']}/disable")[0] == 200
        assert call_api("POST", f"/v1/webhooks/{hook['id']}/enable")[0] == 200
        bus()
    said = [signed(watcher, r) for r in watching.requests]
    assert sorted(b["type"] for b in said) == ["carrier.webhook.disabled", "carrier.webhook.enabled"]
    assert {b["data"]["webhook_id"] for b in said} == {hook["id"]}


def test_failing_and_recovered_reach_the_bus_once_per_episode(bus: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAILING_AFTER_FAILURES", "2")
    runtime.reset()
    answers = iter([500, 500, 500, 200, 200])
    with Receiver(lambda r: Answer(next(answers, 200))) as flaky:
        create(flaky.url)
        for n in range(5):
            dispatch(bus_event("model.trained", {"model_id": "m"}, event_id=f"evt_{n}"))
        carried = bus()
    assert [c["detail-type"] for c in carried] == ["carrier.webhook.failing", "carrier.webhook.recovered"]
    assert carried[0]["detail"]["data"]["consecutive_failures"] == 2
    assert carried[1]["detail"]["data"]["failed_attempts"] == 3


class PutEventsFails:
    """A `before-call` hook on boto3's session (as tests/faults injects): PutEvents answers `code` `times` times."""

    def __init__(self, code: str, times: int) -> None:
        self.code, self.times, self.calls = code, times, 0

    def __call__(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        self.calls += 1
        if self.calls > self.times:
            return None
        parsed = {
            "Error": {"Code": self.code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "fault-injected", "HTTPHeaders": {}},
        }
        return AWSResponse("https://fault.invalid/", 400, HTTPHeaders(), None), parsed


@pytest.fixture
def put_events_fails() -> Iterator[Any]:
    installed: list[PutEventsFails] = []

    def install(code: str, times: int) -> PutEventsFails:
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        hook = PutEventsFails(code, times)
        handler: Callable[..., Any] = hook  # botocore's hooks may answer the call (as tests/faults/injector.py)
        boto3.DEFAULT_SESSION.events.register("before-call.events.PutEvents", handler, unique_id="put-events-fails")
        aws.reset()  # clients made from now on see the hook
        installed.append(hook)
        return hook

    yield install
    if boto3.DEFAULT_SESSION is not None and installed:
        boto3.DEFAULT_SESSION.events.unregister("before-call.events.PutEvents", unique_id="put-events-fails")


def test_a_put_events_failure_fails_no_delivery_nor_its_batch(bus: Any, put_events_fails: Any) -> None:
    # Given PutEvents throttled on every try
    hook_calls = put_events_fails("ThrottlingException", times=100)
    pauses: list[float] = []
    runtime.events().pause = pauses.append  # type: ignore[attr-defined]  # no sleeping in tests
    with Receiver(lambda r: Answer(410)) as gone, Receiver() as healthy:
        hook = create(gone.url)
        create(healthy.url)
        # When an event disables one of two webhooks, Then the batch succeeds and both deliveries are recorded
        assert dispatch(bus_event("model.trained", {"model_id": "m"}, event_id="evt_t")) == {"batchItemFailures": []}
    assert hook_calls.calls == 3 and pauses == [0.1, 0.4]  # tried again as Carrier tries its own AWS errors
    assert call_api("GET", f"/v1/webhooks/{hook['id']}")[1]["status"] == "disabled"
    assert deliveries(hook["id"])[0]["status"] == "failed" and len(healthy.requests) == 1
    assert bus() == []  # nothing reached the bus


def test_a_put_events_throttled_once_is_published_on_the_next_try(bus: Any, put_events_fails: Any) -> None:
    put_events_fails("ThrottlingException", times=1)
    runtime.events().pause = lambda seconds: None  # type: ignore[attr-defined]
    with Receiver(lambda r: Answer(410)) as gone:
        create(gone.url)
        dispatch(bus_event("model.trained", {"model_id": "m"}, event_id="evt_t"))
    assert [c["detail-type"] for c in bus()] == ["carrier.webhook.disabled"]


def readme_rule() -> dict[str, Any]:
    """The sample rule of the README's "Operational events" (CloudFormation tags such as !Ref read as None)."""
    import re

    import yaml

    class Tagless(yaml.SafeLoader):
        pass

    Tagless.add_multi_constructor("!", lambda loader, suffix, node: None)
    section = (ROOT / "README.md").read_text().split("### Operational events", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    rule: dict[str, Any] = yaml.load(block, Loader=Tagless)["WebhookTroubleRule"]["Properties"]  # a SafeLoader
    return rule


def test_the_readme_sample_rule_routes_operational_events_and_nothing_else(bus: Any, aws: dict[str, str]) -> None:
    # Given the README's rule on the bus, into a queue of the platform's
    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName="on-call")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = json.dumps(readme_rule()["EventPattern"])
    events.put_rule(Name="webhook-trouble", EventBusName=aws["EVENT_BUS_NAME"], EventPattern=pattern)
    events.put_targets(Rule="webhook-trouble", EventBusName=aws["EVENT_BUS_NAME"], Targets=[{"Id": "q", "Arn": arn}])
    # When a 410 disables a webhook, and the platform publishes an event of its own
    with Receiver(lambda r: Answer(410)) as gone:
        hook = create(gone.url)
        dispatch(bus_event("model.trained", {"model_id": "m"}, event_id="evt_gone"))
    status, _ = call_api("POST", "/v1/events", body={"type": "model.trained", "data": {"model_id": "m"}})
    assert status == 202
    # Then the platform's queue holds the operational event only
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    [routed] = [json.loads(m["Body"]) for m in messages]
    assert routed["detail-type"] == "carrier.webhook.disabled" and routed["detail"]["data"]["webhook_id"] == hook["id"]

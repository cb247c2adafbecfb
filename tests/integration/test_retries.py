"""Ladder steps (the attempt function), exhaustion, manual retries, recover and rotation on moto."""

from __future__ import annotations

import json
from typing import Any

from standardwebhooks.webhooks import Webhook as StandardWebhook

from carrier import runtime
from carrier.ladder import LadderStop
from carrier.scheduling import execution_input
from carrier.verify import verify
from tests.fakes import RecordingScheduler
from tests.integration.conftest import create, deliveries
from tests.pipeline import bus_event, dispatch
from tests.receiver import Answer, Receiver
from tests.support import FakeContext, call_api, load_handler

LADDER = (300, 1800, 7200, 28800, 86400)


def step(action: str, state: dict[str, Any]) -> dict[str, Any]:
    try:
        return load_handler("attempt").handler({"action": action, "state": state}, FakeContext())
    except LadderStop as stop:  # the ladder's end, raised for the state machine's Catch: its state
        return stop.state


def run_ladder(first: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Drive the ladder as the state machine does (the ASL itself runs in test_state_machine.py)."""
    state, path = {**first, "ladder": list(LADDER)}, []
    while True:
        state = step("attempt", state)
        path.append(state["outcome"])
        if state["outcome"] == "exhausted":
            state = step("exhaust", state)
            return state, path
        if state["outcome"] != "retry":
            return state, path


def scripted(*statuses: int) -> Receiver:
    answers = iter(statuses)
    return Receiver(lambda r: Answer(next(answers, 200)))


def start(pipeline: RecordingScheduler, receiver: Receiver, **fields: Any) -> tuple[dict, dict]:
    hook = create(receiver.url, **fields)
    dispatch(bus_event("model.trained", {"model_id": "m"}, event_id="evt_ladder"))
    [handoff] = pipeline.handoffs
    return hook, execution_input(handoff, LADDER)


def detail(hook: dict) -> dict:
    [summary] = deliveries(hook["id"])
    return call_api("GET", f"/v1/webhooks/{hook['id']}/deliveries/{summary['delivery_id']}")[1]


def test_fails_twice_then_delivered_with_three_attempts(pipeline: RecordingScheduler) -> None:
    with scripted(500, 503) as receiver:
        hook, first = start(pipeline, receiver)
        final, path = run_ladder(first)
    assert path == ["retry", "delivered"]
    found = detail(hook)
    assert found["status"] == "delivered" and found["attempts"] == 3
    assert [a["trigger"] for a in found["attempt_log"]] == ["initial", "retry", "retry"]
    assert len(receiver.requests) == 3
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[2].headers["webhook-id"]


def test_always_failing_ends_exhausted_with_six_attempts_and_the_webhook_disabled(pipeline) -> None:
    with Receiver(lambda r: Answer(500)) as receiver:
        hook, first = start(pipeline, receiver)
        final, path = run_ladder(first)
    assert path == ["retry"] * 4 + ["exhausted"]
    found = detail(hook)
    assert found["status"] == "exhausted" and found["attempts"] == 6
    webhook = call_api("GET", f"/v1/webhooks/{hook['id']}")[1]
    assert webhook["status"] == "disabled" and "exhausted" in webhook["disabled_reason"] and webhook["disabled_at"]


def test_410_on_a_retry_disables_at_once(pipeline) -> None:
    with scripted(500, 410) as receiver:
        hook, first = start(pipeline, receiver)
        _, path = run_ladder(first)
    assert path == ["gone"]
    assert call_api("GET", f"/v1/webhooks/{hook['id']}")[1]["status"] == "disabled"
    assert detail(hook)["status"] == "failed"


def test_retry_after_is_honoured_and_capped(pipeline) -> None:
    answers = iter(
        [Answer(500), Answer(429, headers={"Retry-After": "5000"}), Answer(503, headers={"Retry-After": "999999"})]
    )
    with Receiver(lambda r: next(answers, Answer(200))) as receiver:
        _, first = start(pipeline, receiver)
        second = step("attempt", {**first, "ladder": list(LADDER)})
        third = step("attempt", second)
    assert second["wait_seconds"] == 5000 and second["step"] == 1  # more than the ladder's 1800
    assert third["wait_seconds"] == 86400  # capped at the ladder's longest wait


def test_a_deleted_or_disabled_webhook_ends_the_ladder_cleanly(pipeline) -> None:
    with Receiver(lambda r: Answer(500)) as receiver:
        hook, first = start(pipeline, receiver)
        call_api("POST", f"/v1/webhooks/{hook['id']}/disable")
        state = step("attempt", {**first, "ladder": list(LADDER)})
        assert state["outcome"] == "ended" and len(receiver.requests) == 1
        assert detail(hook)["status"] == "failed"


def test_the_catch_all_leaves_no_delivery_retrying(pipeline) -> None:
    with Receiver(lambda r: Answer(500)) as receiver:
        hook, first = start(pipeline, receiver)
    assert detail(hook)["status"] == "retrying"
    step("fail", {**first, "error": {"Error": "Lambda.Unknown", "Cause": "boom"}})
    assert detail(hook)["status"] == "failed"


def test_manual_retry_after_re_enabling_delivers(pipeline) -> None:
    with scripted(500, 500, 500, 500, 500, 500) as receiver:
        hook, first = start(pipeline, receiver)
        run_ladder(first)
        delivery_id = detail(hook)["delivery_id"]
        path = f"/v1/webhooks/{hook['id']}/deliveries/{delivery_id}/retry"
        status, body = call_api("POST", path)
        assert status == 409 and "enable" in body["message"]
        status, enabled = call_api("POST", f"/v1/webhooks/{hook['id']}/enable")
        assert status == 200 and enabled["status"] == "active"
        status, result = call_api("POST", path)
    assert status == 200 and result["delivered"] is True and result["status_code"] == 200
    found = detail(hook)
    assert found["status"] == "delivered" and found["attempt_log"][-1]["trigger"] == "manual"


def test_manual_retry_of_a_delivered_delivery_re_sends_it(pipeline) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url)
        dispatch(bus_event("model.trained", {}, event_id="evt_ok"))
        delivery_id = deliveries(hook["id"])[0]["delivery_id"]
        status, result = call_api("POST", f"/v1/webhooks/{hook['id']}/deliveries/{delivery_id}/retry")
    assert status == 200 and result["delivered"] and len(receiver.requests) == 2
    assert [a["trigger"] for a in detail(hook)["attempt_log"]] == ["initial", "manual"]


def test_unknown_or_foreign_deliveries_are_404(pipeline) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url)
        dispatch(bus_event("model.trained", {}))
    delivery_id = deliveries(hook["id"])[0]["delivery_id"]
    assert call_api("POST", f"/v1/webhooks/{hook['id']}/deliveries/del_{'a' * 26}/retry")[0] == 404
    assert call_api("POST", f"/v1/webhooks/{hook['id']}/deliveries/{delivery_id}/retry", tenant="t2")[0] == 404
    assert call_api("POST", f"/v1/webhooks/{hook['id']}/deliveries/nonsense/retry")[0] == 404


def test_one_attempt_at_a_time(pipeline) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url)
        dispatch(bus_event("model.trained", {}))
        delivery_id = deliveries(hook["id"])[0]["delivery_id"]
        store = runtime.store()
        assert store.acquire_delivery_lock(
            "t1", hook["id"], delivery_id, "ladder", "2999-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"
        )
        status, body = call_api("POST", f"/v1/webhooks/{hook['id']}/deliveries/{delivery_id}/retry")
        assert status == 409 and len(receiver.requests) == 1
        store.release_delivery_lock("t1", hook["id"], delivery_id, "ladder")
        assert call_api("POST", f"/v1/webhooks/{hook['id']}/deliveries/{delivery_id}/retry")[0] == 200


def test_recover_re_sends_failures_since_a_time(pipeline) -> None:
    broken = {"on": True}
    with Receiver(lambda r: Answer(500 if broken["on"] else 200)) as receiver:
        hook = create(receiver.url, events=["*"])
        for n in range(3):
            dispatch(bus_event("model.trained", {"n": n}))
        for handoff in pipeline.handoffs:  # the ladder gives up on all three
            runtime.store().update_delivery("t1", hook["id"], handoff.delivery_id, {"status": "exhausted"})
        broken["on"] = False
        status, result = call_api("POST", f"/v1/webhooks/{hook['id']}/recover", body={"since": "2020-01-01T00:00:00Z"})
    assert status == 200 and result["recovered"] == 3 and result["delivered"] == 3
    assert {d["status"] for d in deliveries(hook["id"])} == {"delivered"}
    assert (
        call_api("POST", f"/v1/webhooks/{hook['id']}/recover", body={"since": "2999-01-01T00:00:00Z"})[1]["field"]
        == "since"
    )
    assert call_api("POST", f"/v1/webhooks/{hook['id']}/recover", body={"since": "yesterday"})[0] == 422
    assert (
        call_api("POST", f"/v1/webhooks/{hook['id']}/recover", body={"since": "2020-01-01T00:00:00Z"}, tenant="t2")[0]
        == 404
    )


def test_rotation_signs_with_both_keys_during_the_grace_period(pipeline) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url)
        call_api("POST", f"/v1/webhooks/{hook['id']}/disable")
        status, rotated = call_api("POST", f"/v1/webhooks/{hook['id']}/secret/rotate")  # works while disabled
        assert status == 200 and rotated["secret"] != hook["secret"] and rotated["previous_secret_expires_at"]
        call_api("POST", f"/v1/webhooks/{hook['id']}/enable")
        runtime.reset()
        runtime.use_scheduler(pipeline)
        dispatch(bus_event("model.trained", {}))
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for key in (rotated["secret"], hook["secret"]):
        verify("standard-webhooks", key, request.body, request.headers)
        StandardWebhook(key).verify(request.body, request.headers)
    # never shown again
    assert rotated["secret"] not in json.dumps(call_api("GET", f"/v1/webhooks/{hook['id']}")[1])


def test_rotation_with_a_custom_secret_and_single_signature_schemes(pipeline) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url, signature={"scheme": "github"})
        new = "a-brand-new-custom-secret-000000"
        status, rotated = call_api("POST", f"/v1/webhooks/{hook['id']}/secret/rotate", body={"secret": new})
        assert status == 200 and rotated["secret"] == new
        assert (
            call_api("POST", f"/v1/webhooks/{hook['id']}/secret/rotate", body={"secret": "short"})[1]["field"]
            == "secret"
        )
        runtime.reset()
        runtime.use_scheduler(pipeline)
        dispatch(bus_event("model.trained", {}))
    verify("github", new, receiver.requests[0].body, receiver.requests[0].headers)


def test_the_attempt_log_keeps_the_newest_50_however_often_a_delivery_is_retried(pipeline) -> None:
    """A ring of 50 slots: the delivery item stays far below DynamoDB's 400 KB, whatever a tenant scripts."""
    with Receiver(lambda r: Answer(200, b"x" * 4096)) as receiver:
        hook = create(receiver.url)
        dispatch(bus_event("model.trained", {"model_id": "m"}, event_id="evt_many"))
        [summary] = deliveries(hook["id"])
        for _ in range(59):
            status, _ = call_api("POST", f"/v1/webhooks/{hook['id']}/deliveries/{summary['delivery_id']}/retry")
            assert status == 200
    found = detail(hook)
    assert found["attempts"] == 60
    assert [a["n"] for a in found["attempt_log"]] == list(range(11, 61))
    assert all(len(a["response_body"]) == 2048 for a in found["attempt_log"])

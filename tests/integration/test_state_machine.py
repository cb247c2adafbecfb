"""statemachines/retry.asl.json runs in moto's Step Functions interpreter, with scripted attempt results.

The attempt function is scripted (moto's Lambda answers from a queue; an answer with an `errorType` is a raised
exception): every route is taken, a normal answer (a retry) loops to Wait, the ladder's ends are Caught.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from moto import mock_aws

from carrier.ladder import STOPS, TRANSITIONS
from carrier_local.sfn import INTERPRETER_CONFIG, create_machine, raised, script
from carrier_local.sfn import run as sfn_run
from tests.support import ROOT, template

IDS = {"tenant_id": "t1", "webhook_id": "wh_1", "delivery_id": "del_1", "event_id": "evt_1"}


@pytest.fixture
def machine(env: dict[str, str]) -> Any:
    with mock_aws(config=INTERPRETER_CONFIG):
        yield create_machine()


def run(sfn: Any, arn: str, name: str) -> tuple[str, list[str], dict]:
    return sfn_run(sfn, arn, name, {**IDS, "step": 0, "wait_seconds": 0})


def state(outcome: str, step: int = 0) -> dict[str, Any]:
    return {**IDS, "ladder": [0, 0, 0, 0, 0], "step": step, "wait_seconds": 0, "outcome": outcome}


def ended(outcome: str, step: int = 0) -> dict[str, Any]:
    return raised("LadderEnded", state(outcome, step))


def test_first_retry_succeeds(machine) -> None:
    sfn, arn = machine
    script(ended("delivered"))
    status, entered, described = run(sfn, arn, "first-ok")
    assert status == "SUCCEEDED" and entered == ["Wait", "Attempt", "Ended"]
    assert json.loads(json.loads(described["output"])["end"]["Cause"])["errorType"] == "LadderEnded"


def test_a_full_failing_ladder_costs_at_most_12_transitions_and_ends_exhausted(machine) -> None:
    # Given an attempt function whose 5 retries all fail (the 5th raises LadderExhausted), then Exhaust answers
    sfn, arn = machine
    script(
        *[state("retry", step) for step in range(1, 5)],
        raised("LadderExhausted", state("exhausted", 4)),
        state("exhausted", 4),
    )
    # When the ladder runs
    status, entered, described = run(sfn, arn, "all-fail")
    # Then 5 attempts (6 with the dispatcher's), each after its wait, then Exhaust: 11 transitions (18 before)
    assert status == "SUCCEEDED"
    assert entered == ["Wait", "Attempt"] * 5 + ["Exhaust"]
    assert len(entered) <= 12
    assert json.loads(described["output"])["outcome"] == "exhausted"


def test_gone_blocked_and_ended_stop_the_ladder(machine) -> None:
    sfn, arn = machine
    for outcome in ["gone", "blocked", "ended"]:
        script(ended(outcome))
        status, entered, _ = run(sfn, arn, f"stop-{outcome}")
        assert status == "SUCCEEDED" and entered == ["Wait", "Attempt", "Ended"]


def test_retry_after_sets_the_next_wait(machine) -> None:
    sfn, arn = machine
    script(state("retry", 1) | {"wait_seconds": 1}, ended("delivered", 1))
    status, entered, described = run(sfn, arn, "retry-after")
    assert status == "SUCCEEDED" and entered == ["Wait", "Attempt"] * 2 + ["Ended"]
    waited = [
        e
        for e in sfn.get_execution_history(executionArn=described["executionArn"])["events"]
        if e.get("stateExitedEventDetails", {}).get("name") == "Attempt"
    ]
    assert json.loads(waited[0]["stateExitedEventDetails"]["output"])["wait_seconds"] == 1


def test_an_error_inside_carrier_past_the_retriers_is_recorded_as_a_failure(machine, monkeypatch) -> None:
    from types import SimpleNamespace

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    sleeps: list[float] = []
    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=sleeps.append))
    sfn, arn = machine
    boom = raised("RuntimeError", state("retry"))
    script(*[boom] * 6, state("failed"))
    status, entered, _ = run(sfn, arn, "catch-all")
    assert status == "FAILED" and entered == ["Wait", "Attempt", "RecordFailure", "Failed"]
    assert len(sleeps) == 5  # the States.ALL retrier retried the same step, never a ladder step


def test_the_attempt_task_passes_the_ladder_from_the_template_parameter(machine) -> None:
    sfn, arn = machine
    script(ended("delivered"))
    execution = sfn.start_execution(
        stateMachineArn=arn, name="ladder", input=json.dumps({**IDS, "step": 0, "wait_seconds": 0})
    )["executionArn"]
    deadline = time.monotonic() + 30
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    history = sfn.get_execution_history(executionArn=execution)["events"]
    scheduled = next(e["taskScheduledEventDetails"] for e in history if "taskScheduledEventDetails" in e)
    payload = json.loads(scheduled["parameters"])["Payload"]
    assert payload["ladder"] == [300, 1800, 7200, 28800, 86400] and payload["action"] == "attempt"


def test_template_asl_and_code_follow_one_ladder() -> None:
    resources = template()["Resources"]
    machine = resources["RetryStateMachine"]["Properties"]
    assert machine["DefinitionUri"] == "statemachines/retry.asl.json"
    assert machine["DefinitionSubstitutions"]["RetryLadder"] == {"Ref": "RetryLadder"}
    assert template()["Parameters"]["RetryLadder"]["Default"] == "300,1800,7200,28800,86400"
    env = template()["Globals"]["Function"]["Environment"]["Variables"]
    assert env["RETRY_LADDER"] == {"Ref": "RetryLadder"}
    asl = json.loads((ROOT / "statemachines" / "retry.asl.json").read_text())
    states = asl["States"]
    # no state only routes: no Choice, no Pass; every state says what it is for
    assert {s["Type"] for s in states.values()} == {"Wait", "Task", "Succeed", "Fail"}
    assert all(s.get("Comment") for name, s in states.items() if name != "Failed")
    attempt = states["Attempt"]
    assert asl["StartAt"] == "Wait" and states["Wait"]["Next"] == "Attempt" and attempt["Next"] == "Wait"
    assert states["Wait"]["SecondsPath"] == "$.wait_seconds"
    # the attempt function's outcomes (TRANSITIONS) are the loop, or the errors the Catch routes, never retried
    routes = {c["ErrorEquals"][0]: c["Next"] for c in attempt["Catch"]}
    for outcome, action in TRANSITIONS.items():
        if action == "wait":
            continue
        error = STOPS[action].__name__
        assert {"succeed": "Succeed", "exhaust": "Task"}[action] == states[routes[error]]["Type"], outcome
        assert error in attempt["Retry"][0]["ErrorEquals"] and attempt["Retry"][0]["MaxAttempts"] == 0
    assert attempt["Catch"][-1] == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}
    ladder = "States.StringToJson('[${RetryLadder}]')"
    assert all(s["Parameters"]["Payload"]["ladder.$"] == ladder for s in states.values() if s["Type"] == "Task")


def test_the_dispatcher_starts_one_execution_per_delivery(machine) -> None:
    from carrier.dispatch import Handoff
    from carrier.scheduling import StepFunctionsScheduler

    sfn, arn = machine
    script(ended("delivered"))
    scheduler = StepFunctionsScheduler(arn, (300, 1800))
    handoff = Handoff("t1", "wh_1", "del_once", "evt_1", 0, 0)
    scheduler.schedule(handoff)
    scheduler.schedule(handoff)  # a duplicate start (SQS redelivery) changes nothing
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert [e["name"] for e in executions] == ["del_once"]

"""statemachines/retry.asl.json runs in moto's Step Functions interpreter, with scripted attempt results.

The attempt function is scripted (moto's Lambda answers from a queue); every path of the Choice is taken.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from moto import mock_aws

from carrier.retries import TRANSITIONS
from carrier_local.sfn import INTERPRETER_CONFIG, create_machine, script
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


def test_first_retry_succeeds(machine) -> None:
    sfn, arn = machine
    script(state("delivered"))
    status, entered, _ = run(sfn, arn, "first-ok")
    assert status == "SUCCEEDED" and entered == ["Prepare", "Wait", "Attempt", "Decide", "Delivered"]


def test_every_retry_fails_then_exhausted_and_webhook_disabled(machine) -> None:
    sfn, arn = machine
    script(*[state("retry", step) for step in range(1, 5)], state("exhausted", 4), state("exhausted", 4))
    status, entered, _ = run(sfn, arn, "all-fail")
    assert status == "SUCCEEDED"
    assert entered.count("Attempt") == 5  # 5 retries after the dispatcher's first attempt: 6 in all
    assert entered[-2:] == ["Exhaust", "Exhausted"]


def test_gone_blocked_and_ended_stop_the_ladder(machine) -> None:
    sfn, arn = machine
    for outcome, final in [("gone", "Gone"), ("blocked", "Blocked"), ("ended", "Ended")]:
        script(state(outcome))
        status, entered, _ = run(sfn, arn, f"stop-{outcome}")
        assert status == "SUCCEEDED" and entered[-1] == final


def test_retry_after_sets_the_next_wait(machine) -> None:
    sfn, arn = machine
    script(state("retry", 1) | {"wait_seconds": 1}, state("delivered", 1))
    status, entered, described = run(sfn, arn, "retry-after")
    assert status == "SUCCEEDED" and entered.count("Wait") == 2
    assert json.loads(described["output"])["outcome"] == "delivered"


def test_an_unexpected_answer_is_recorded_as_a_failure(machine) -> None:
    sfn, arn = machine
    script(state("nonsense"), state("failed"))
    status, entered, _ = run(sfn, arn, "catch-all")
    assert status == "FAILED" and entered[-2:] == ["RecordFailure", "Failed"]


def test_the_prepare_state_reads_the_ladder_from_the_template_parameter(machine) -> None:
    sfn, arn = machine
    script(state("delivered"))
    execution = sfn.start_execution(
        stateMachineArn=arn, name="ladder", input=json.dumps({**IDS, "step": 0, "wait_seconds": 0})
    )["executionArn"]
    deadline = time.monotonic() + 30
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    history = sfn.get_execution_history(executionArn=execution)["events"]
    prepared = next(
        e["stateExitedEventDetails"] for e in history if e.get("stateExitedEventDetails", {}).get("name") == "Prepare"
    )
    assert json.loads(prepared["output"])["ladder"] == [300, 1800, 7200, 28800, 86400]


def test_template_asl_and_code_follow_one_ladder() -> None:
    resources = template()["Resources"]
    machine = resources["RetryStateMachine"]["Properties"]
    assert machine["DefinitionUri"] == "statemachines/retry.asl.json"
    assert machine["DefinitionSubstitutions"]["RetryLadder"] == {"Ref": "RetryLadder"}
    assert template()["Parameters"]["RetryLadder"]["Default"] == "300,1800,7200,28800,86400"
    env = template()["Globals"]["Function"]["Environment"]["Variables"]
    assert env["RETRY_LADDER"] == {"Ref": "RetryLadder"}
    asl = json.loads((ROOT / "statemachines" / "retry.asl.json").read_text())
    choices = {c["StringEquals"]: c["Next"] for c in asl["States"]["Decide"]["Choices"]}
    assert set(choices) == set(TRANSITIONS)
    kinds = {name: asl["States"][name]["Type"] for name in choices.values()}
    for outcome, action in TRANSITIONS.items():
        target = choices[outcome]
        expected = {"wait": "Wait", "succeed": "Succeed", "exhaust": "Task"}[action]
        assert kinds[target] == expected, (outcome, target)
    assert asl["States"]["Wait"]["SecondsPath"] == "$.wait_seconds"


def test_the_dispatcher_starts_one_execution_per_delivery(machine) -> None:
    from carrier.dispatch import Handoff
    from carrier.scheduling import StepFunctionsScheduler

    sfn, arn = machine
    script(state("delivered"))
    scheduler = StepFunctionsScheduler(arn, (300, 1800))
    handoff = Handoff("t1", "wh_1", "del_once", "evt_1", 0, 0)
    scheduler.schedule(handoff)
    scheduler.schedule(handoff)  # a duplicate start (SQS redelivery) changes nothing
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert [e["name"] for e in executions] == ["del_once"]

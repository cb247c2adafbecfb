"""The retry ladder survives Carrier's own errors: the ASL retries a failed step in place (never using up a
ladder step), and recording the end retries every error; the local ladder follows the same retriers."""

from __future__ import annotations

import json
from typing import Any

from carrier.targets import Handoff
from carrier_local.ladder import LocalLadder, retrier_of
from carrier_local.template import REPO_ROOT

ASL = json.loads((REPO_ROOT / "statemachines" / "retry.asl.json").read_text())


def test_every_task_retries_any_error_and_the_end_is_never_lost_to_a_transient_one() -> None:
    tasks = {name: state for name, state in ASL["States"].items() if state["Type"] == "Task"}
    assert set(tasks) == {"Attempt", "Exhaust", "RecordFailure"}
    for name, state in tasks.items():
        assert state["Retry"][-1]["ErrorEquals"] == ["States.ALL"], name  # after the Lambda service errors
    # recording the end (exhausted, failed) keeps trying for hours, not seconds
    for name in ("Exhaust", "RecordFailure"):
        retrier = retrier_of(name)
        total = sum(retrier.wait(n) for n in range(retrier.max_attempts - 1))
        assert retrier.max_attempts >= 10 and total >= 3600, name


class FlakyAttempt:
    """The attempt function: its first `failures` calls raise (a throttled DynamoDB write), then it delivers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[dict[str, Any]] = []

    def __call__(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(payload)
        if payload["action"] == "attempt" and self.failures > 0:
            self.failures -= 1
            raise RuntimeError("ThrottlingException: Rate exceeded")
        return {**payload["state"], "outcome": "delivered" if payload["action"] == "attempt" else "failed"}


def run_until_idle(ladder: LocalLadder, now: list[float]) -> None:
    for _ in range(100):
        ladder.run_due()
        if not ladder.pending():
            return
        now[0] += 10_000  # far past any retrier's wait
    raise AssertionError("the ladder never settled")


def test_the_local_ladder_retries_a_carrier_error_at_the_same_step() -> None:
    # Given an attempt function that fails twice inside Carrier, then delivers
    now = [0.0]
    flaky = FlakyAttempt(failures=2)
    ladder = LocalLadder(flaky, (300, 1800), clock=lambda: now[0])
    # When a delivery is handed to the ladder at step 0
    ladder.schedule(Handoff("t1", "wh_1", "del_1", "evt_1", 0, 0))
    run_until_idle(ladder, now)
    # Then the same step ran three times and delivered; the ladder step was not used up, nothing recorded a failure
    attempts = [c["state"] for c in flaky.calls if c["action"] == "attempt"]
    assert [a["step"] for a in attempts] == [0, 0, 0]
    assert [c["action"] for c in flaky.calls] == ["attempt"] * 3 and ladder.finished == {"del_1": "delivered"}


def test_the_local_ladder_records_a_failure_once_the_retrier_gives_up() -> None:
    now = [0.0]
    flaky = FlakyAttempt(failures=1_000)
    ladder = LocalLadder(flaky, (300,), clock=lambda: now[0])
    ladder.schedule(Handoff("t1", "wh_1", "del_1", "evt_1", 0, 0))
    run_until_idle(ladder, now)
    retrier = retrier_of("Attempt")
    assert [c["action"] for c in flaky.calls] == ["attempt"] * (retrier.max_attempts + 1) + ["fail"]
    assert ladder.finished == {"del_1": "failed"}


def test_the_local_ladder_ends_on_a_raised_ladder_end_without_retrying_it() -> None:
    # Given the real handler's way of ending the ladder: LadderEnded raised, routed by name as the ASL's Catch does
    from carrier.ladder import LadderEnded, LadderExhausted

    calls: list[str] = []

    def attempt(payload: dict[str, Any]) -> dict[str, Any]:
        calls.append(payload["action"])
        state = payload["state"]
        if payload["action"] == "exhaust":
            return {**state, "outcome": "exhausted"}
        if state["delivery_id"] == "del_ok":
            raise LadderEnded({**state, "outcome": "delivered"})
        raise LadderExhausted({**state, "outcome": "exhausted"})

    now = [0.0]
    ladder = LocalLadder(attempt, (300,), clock=lambda: now[0])
    ladder.schedule(Handoff("t1", "wh_1", "del_ok", "evt_1", 0, 0))
    ladder.schedule(Handoff("t1", "wh_1", "del_ex", "evt_1", 0, 0))
    run_until_idle(ladder, now)
    assert ladder.finished == {"del_ok": "delivered", "del_ex": "exhausted"}
    assert calls == ["attempt", "attempt", "exhaust"]  # never retried: one attempt each

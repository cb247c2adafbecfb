"""The retry ladder, locally: what the Step Functions state machine does, run by a thread.

It follows the same data as the state machine: the ladder from RETRY_LADDER (the `RetryLadder` Parameter),
the outcome -> next action table `carrier.ladder.TRANSITIONS` (checked against the ASL's Next and Catch by a
test), and the attempt function the ASL invokes (read from the template's DefinitionSubstitutions). As in the
ASL, an attempt that ends the ladder raises `LadderEnded`/`LadderExhausted`, routed by name and never retried;
the waits are the ones the dispatcher and the attempt function chose (jittered there, not here).
Waits are multiplied by CARRIER_TIME_SCALE (e.g. 0.001 turns 5 minutes into 0.3 s).
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from carrier.ladder import TRANSITIONS
from carrier.scheduling import execution_input
from carrier.targets import Handoff
from carrier_local.template import REPO_ROOT

log = logging.getLogger("carrier_local.ladder")

Invoke = Callable[[dict[str, Any]], Any]


def attempt_function_of(template: dict[str, Any]) -> str:
    """The logical id of the function the state machine's tasks invoke."""
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::StateMachine":
            arn = resource["Properties"]["DefinitionSubstitutions"]["AttemptFunctionArn"]
            return str(arn["Fn::GetAtt"][0])
    raise LookupError("template.yaml has no state machine")


@dataclass(frozen=True)
class Retrier:
    """A Task state's retrier for every error (`States.ALL`), read from the ASL: the local ladder follows it."""

    max_attempts: int
    interval_seconds: float
    backoff_rate: float

    def wait(self, tries: int) -> float:
        return self.interval_seconds * self.backoff_rate**tries


def stop_errors() -> frozenset[str]:
    """The error names the Attempt task's first retrier never retries (its MaxAttempts is 0): the ladder's end."""
    asl = json.loads((REPO_ROOT / "statemachines" / "retry.asl.json").read_text())
    first = asl["States"]["Attempt"]["Retry"][0]
    assert first["MaxAttempts"] == 0, first
    return frozenset(first["ErrorEquals"])


STOP_ERRORS = stop_errors()


def retrier_of(state_name: str) -> Retrier:
    asl = json.loads((REPO_ROOT / "statemachines" / "retry.asl.json").read_text())
    found = next(r for r in asl["States"][state_name]["Retry"] if r["ErrorEquals"] == ["States.ALL"])
    return Retrier(int(found["MaxAttempts"]), float(found["IntervalSeconds"]), float(found["BackoffRate"]))


class LocalLadder:
    """A RetryScheduler: one entry per failed delivery (a second start for the same delivery is ignored)."""

    def __init__(
        self,
        invoke: Invoke,
        ladder: tuple[int, ...],
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        workers: int = 8,
    ) -> None:
        self.invoke = invoke
        self.ladder = ladder
        self.time_scale = time_scale
        self.clock = clock
        self._due: list[tuple[float, int, dict[str, Any]]] = []
        self._running: set[str] = set()
        self._order = itertools.count()
        self._lock = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._workers = workers
        self.attempt_retrier = retrier_of("Attempt")
        self.record_retrier = retrier_of("RecordFailure")
        self._pool: ThreadPoolExecutor | None = None
        self.finished: dict[str, str] = {}  # delivery id -> how its ladder ended

    # RetryScheduler
    def schedule(self, handoff: Handoff) -> None:
        with self._lock:
            if handoff.delivery_id in self._running:
                return  # like StartExecution with an existing name
            self._running.add(handoff.delivery_id)
            self._push(execution_input(handoff, self.ladder))

    def _push(self, state: dict[str, Any]) -> None:
        due = self.clock() + float(state["wait_seconds"]) * self.time_scale
        heapq.heappush(self._due, (due, next(self._order), state))
        self._lock.notify()

    def run_due(self, submit: Callable[[Callable[[], None]], object] | None = None) -> int:
        """Run every step that is due now (inline, or through `submit`); returns how many were started.

        Like separate executions, different deliveries' steps run side by side in the thread."""
        ran = 0
        while True:
            with self._lock:
                if not self._due or self._due[0][0] > self.clock():
                    return ran
                _, _, state = heapq.heappop(self._due)
            if submit is None:
                self._step(state)
            else:
                submit(functools.partial(self._step, state))
            ran += 1

    def _step(self, state: dict[str, Any]) -> None:
        delivery_id = state["delivery_id"]
        try:
            result = self._attempt(state)
            if result is None:
                return  # an error inside Carrier: the same step runs again later, as the ASL's Retry does
            action = TRANSITIONS.get(result.get("outcome", ""), "fail")
            if action == "wait":
                with self._lock:
                    self._push(result)
                return
            if action == "exhaust":
                result = self._recording({"action": "exhaust", "state": result})
            if action == "fail":
                result = self._recording({"action": "fail", "state": {**result, "error": {"Error": "UnknownOutcome"}}})
            self._finish(delivery_id, str(result.get("outcome")))
        except Exception as exc:  # the state machine's catch-all: record, never leave it retrying
            log.exception("retry step failed for %s", delivery_id)
            self._recording(
                {"action": "fail", "state": {**state, "error": {"Error": type(exc).__name__, "Cause": str(exc)}}}
            )
            self._finish(delivery_id, "failed")

    def _attempt(self, state: dict[str, Any]) -> dict[str, Any] | None:
        """The Attempt task with its retrier: an error is retried at the same step (pushed back, not slept on)
        until the retrier's attempts are used up; then it propagates to the catch-all."""
        tries = int(state.get("carrier_retries", 0))
        try:
            result: dict[str, Any] = self.invoke({"action": "attempt", "state": state})
        except Exception as exc:
            if type(exc).__name__ in STOP_ERRORS:  # the ladder's end, as the Catch sees it: never retried
                ended: dict[str, Any] = getattr(exc, "state", None) or json.loads(str(exc))
                ended.pop("carrier_retries", None)
                return ended
            if tries >= self.attempt_retrier.max_attempts:
                raise
            log.warning("retry step of %s failed inside Carrier: the same step again", state["delivery_id"])
            with self._lock:
                self._push({**state, "carrier_retries": tries + 1, "wait_seconds": self.attempt_retrier.wait(tries)})
            return None
        result.pop("carrier_retries", None)
        return result

    def _recording(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Exhaust and RecordFailure with their retrier: every error is retried (time-scaled waits)."""
        for tries in itertools.count():
            try:
                result: dict[str, Any] = self.invoke(payload)
                return result
            except Exception:
                if tries + 1 >= self.record_retrier.max_attempts:
                    raise
                time.sleep(self.record_retrier.wait(tries) * self.time_scale)
        raise AssertionError("unreachable")

    def _finish(self, delivery_id: str, outcome: str) -> None:
        with self._lock:
            self._running.discard(delivery_id)
            self.finished[delivery_id] = outcome
            self._lock.notify_all()

    def pending(self) -> int:
        with self._lock:
            return len(self._running)

    # the thread
    def start(self) -> LocalLadder:
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="carrier-ladder-step")
        self._thread = threading.Thread(target=self._loop, name="carrier-ladder", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                wait = (self._due[0][0] - self.clock()) if self._due else 0.5
                if wait > 0:
                    self._lock.wait(min(wait, 0.5))
                    continue
            assert self._pool is not None
            self.run_due(self._pool.submit)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

"""The retry ladder: statemachines/retry.asl.json in moto's Step Functions interpreter, its tasks invoking the real
attempt handler in-process, its waits in virtual time.

What is patched in moto (5.2's parser), and why:
- `lambda_eval_utils._invoke_lambda_function`: a `lambda:invoke` task calls `load_handler("attempt").handler`
  with the task's Payload and returns what Lambda would: the handler's result as the Payload, or, when it
  raises, `FunctionError: Unhandled` with `{"errorType": <exception class>, "errorMessage"}` (so the ASL's
  `Retry`/`Catch` see `States.ALL`-matching errors exactly as in AWS);
- `WaitFunction._wait_interval` and the retrier's `time.sleep`: `World.sleep` (the ladder's 5 min ... 24 h and
  the retriers' intervals, with their jitter, cost no real time);
- `ExecutionWorker.start`: each execution is a `World` participant (started by StartExecution, run in turn);
- `execute_state.Thread`, `program.threading`: a task state's body and the program run in their execution's
  thread (moto starts a thread for each only to time it out; the ASL sets no TimeoutSeconds);
- `ExecutionWorker._get_evaluation_entrypoint`: the ASL is parsed once, not at every start (160 ms each).

Everything else is moto's interpreter as is: Parameters with States.StringToJson, Retry with
BackoffRate and MaxAttempts, Catch with ResultPath, Succeed, Fail, the execution's history and status, and
StartExecution's ExecutionAlreadyExists for a name used before.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from carrier.ladder import LadderStop
from carrier_local.sfn import definition
from tests.faults.sqs import LambdaContext
from tests.faults.world import Participant, World
from tests.support import load_handler


@dataclass
class TaskCall:
    execution: str
    action: str
    outcome: str | None  # the handler's `outcome`, or None when it raised
    error: str | None


class InlineThread:
    """A stand-in for `threading.Thread` that runs its target when started, in the caller's thread."""

    def __init__(
        self, target: Callable[..., Any], args: tuple[Any, ...] = (), daemon: bool | None = None, **_: Any
    ) -> None:
        self._target = target
        self._args = args

    def start(self) -> None:
        self._target(*self._args)

    def join(self, timeout: float | None = None) -> None:
        return None

    def is_alive(self) -> bool:
        return False


class Ladder:
    def __init__(self, world: World, monkeypatch: pytest.MonkeyPatch, function_dir: str, timeout: int) -> None:
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.program import program
        from moto.stepfunctions.parser.asl.component.state.exec import execute_state
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function
        from moto.stepfunctions.parser.backend import execution_worker

        self.world = world
        self.function_dir = function_dir
        self.timeout = timeout
        self.executions: dict[str, Participant] = {}
        self.started: Counter[str] = Counter()
        self.calls: list[TaskCall] = []
        self.waits: dict[str, list[float]] = {}  # execution name -> its Wait states' seconds, in order
        self.active = 0  # executions running
        ladder = self

        def ended(_: Participant) -> None:
            ladder.active -= 1

        def start(worker: Any) -> None:
            name = worker._evaluation_details.execution_details.name
            ladder.started[name] += 1
            ladder.active += 1
            ladder.executions[name] = world.spawn(f"sfn:{name}", worker._execution_logic, on_done=ended)

        def wait_interval(_: Any, env: Any, wait_seconds: float) -> None:
            current = world.current
            ladder.waits.setdefault(current.name.removeprefix("sfn:") if current else "?", []).append(wait_seconds)
            if wait_seconds > 0:
                world.sleep(wait_seconds)

        monkeypatch.setattr(lambda_eval_utils, "_invoke_lambda_function", self._invoke)
        monkeypatch.setattr(wait_function.WaitFunction, "_wait_interval", wait_interval)
        monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=world.sleep))
        monkeypatch.setattr(execute_state, "Thread", InlineThread)
        monkeypatch.setattr(execution_worker.ExecutionWorker, "start", start)
        monkeypatch.setattr(program, "threading", SimpleNamespace(Thread=InlineThread))
        parsed: dict[str, Any] = {}
        entrypoint = execution_worker.ExecutionWorker._get_evaluation_entrypoint

        def parse_once(worker: Any) -> Any:
            """The parsed ASL (moto parses it with ANTLR at every start, 160 ms); its components hold no
            execution state (that is in the Environment), so executions share it."""
            text = worker._evaluation_details.state_machine_details.definition
            if text not in parsed:
                parsed[text] = entrypoint(worker)
            return parsed[text]

        monkeypatch.setattr(execution_worker.ExecutionWorker, "_get_evaluation_entrypoint", parse_once)

        iam, lam = boto3.client("iam"), boto3.client("lambda")
        role = iam.create_role(RoleName="carrier-faults-ladder", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("app.py", "def handler(event, context):\n    raise RuntimeError('never invoked')\n")
        function_arn = lam.create_function(
            FunctionName="carrier-test-attempt",
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": archive.getvalue()},
        )["FunctionArn"]
        self.sfn = boto3.client("stepfunctions")
        self.arn = self.sfn.create_state_machine(
            name="carrier-test-retry-ladder", definition=definition(function_arn), roleArn=role
        )["stateMachineArn"]

    def _invoke(self, parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
        payload = json.loads(parameters["Payload"])
        state = payload.get("state") or {}
        context = LambdaContext(self.world, "attempt", self.timeout, f"task-{len(self.calls) + 1}")
        try:
            result = load_handler(self.function_dir).handler(payload, context)
        except LadderStop as stop:  # the ladder's end: an outcome, raised for the ASL's Catch
            self.calls.append(
                TaskCall(state.get("delivery_id", "?"), payload.get("action", "?"), stop.state["outcome"], None)
            )
            error = {"errorType": type(stop).__name__, "errorMessage": str(stop), "stackTrace": []}
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": error}
        except Exception as exc:
            self.calls.append(TaskCall(state.get("delivery_id", "?"), payload.get("action", "?"), None, repr(exc)))
            error = {"errorType": type(exc).__name__, "errorMessage": str(exc), "stackTrace": []}
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": error}
        result = json.loads(json.dumps(result))  # what crosses Lambda's boundary is JSON
        self.calls.append(
            TaskCall(state.get("delivery_id", "?"), payload.get("action", "?"), result.get("outcome"), None)
        )
        return {"StatusCode": 200, "Payload": result, "ExecutedVersion": "$LATEST"}

    # ---- inspection (harness calls, never faulted) --------------------------------------------------------

    def running(self) -> list[str]:
        return [name for name, p in self.executions.items() if not p.ended]

    def status(self, name: str) -> str | None:
        """RUNNING, SUCCEEDED, FAILED ... or None when no execution has this name."""
        if name not in self.executions:
            return None
        arn = self.arn.replace(":stateMachine:", ":execution:") + f":{name}"
        return str(self.sfn.describe_execution(executionArn=arn)["status"])

    def history(self, name: str) -> list[str]:
        arn = self.arn.replace(":stateMachine:", ":execution:") + f":{name}"
        events = self.sfn.get_execution_history(executionArn=arn)["events"]
        return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]

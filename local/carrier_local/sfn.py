"""Run statemachines/retry.asl.json in moto's Step Functions interpreter with scripted attempt results.

Used by the state machine tests and by the benchmark that counts state transitions. Call inside
`moto.mock_aws(config=INTERPRETER_CONFIG)`.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from moto.core.config import DefaultConfig

from carrier_local.template import REPO_ROOT, load_template

INTERPRETER_CONFIG: DefaultConfig = {"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}
ACCOUNT, REGION = "123456789012", "us-east-1"


def definition(function_arn: str) -> str:
    """The ASL with its DefinitionSubstitutions filled as the template's defaults would."""
    ladder = load_template()["Parameters"]["RetryLadder"]["Default"]
    text = (REPO_ROOT / "statemachines" / "retry.asl.json").read_text()
    return text.replace("${AttemptFunctionArn}", function_arn).replace("${RetryLadder}", str(ladder))


def _answer_errors() -> None:
    """moto's Lambda without Docker always succeeds: a scripted answer with an `errorType` is returned as Lambda
    returns an unhandled exception (`FunctionError: Unhandled`), so the ASL's Retry and Catch see its name."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    if getattr(LambdaSimpleBackend.invoke, "answers_errors", False):
        return
    plain = LambdaSimpleBackend.invoke

    def invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any) -> Any:
        result = plain(self, function_name, qualifier, body, headers, response_headers)
        if result is None:
            return result
        try:
            answer = json.loads(result)
        except ValueError:
            return result
        if isinstance(answer, dict) and "errorType" in answer:
            response_headers["x-amz-function-error"] = "Unhandled"
        return result

    invoke.answers_errors = True  # type: ignore[attr-defined]
    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]


def raised(error: str, state: dict[str, Any]) -> dict[str, Any]:
    """A scripted answer: the attempt function raised `error` (e.g. LadderEnded) with the state as its message."""
    return {"errorType": error, "errorMessage": json.dumps(state), "stackTrace": []}


def create_machine() -> tuple[Any, str]:
    """A scripted attempt function and the retry ladder state machine; returns (sfn client, machine arn)."""
    _answer_errors()
    role = boto3.client("iam").create_role(RoleName="ladder", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("app.py", "def handler(e, c): return e\n")
    function = boto3.client("lambda").create_function(
        FunctionName="attempt",
        Runtime="python3.11",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": archive.getvalue()},
    )["FunctionArn"]
    sfn = boto3.client("stepfunctions")
    arn = sfn.create_state_machine(name="ladder", definition=definition(function), roleArn=role)["stateMachineArn"]
    return sfn, arn


def script(*states: dict[str, Any]) -> None:
    """The attempt function's answers, in order."""
    from moto.moto_api._internal.models import moto_api_backend

    for state in states:
        moto_api_backend.set_lambda_simple_result(result=json.dumps(state), account_id=ACCOUNT, region=REGION)


def run(sfn: Any, arn: str, name: str, start: dict[str, Any], timeout: float = 30) -> tuple[str, list[str], dict]:
    """Start an execution and wait for its end: (status, states entered in order, describe_execution)."""
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(start))["executionArn"]
    deadline = time.monotonic() + timeout
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise TimeoutError(f"execution {name} did not end")
        time.sleep(0.05)
    history = sfn.get_execution_history(executionArn=execution)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    return described["status"], entered, described

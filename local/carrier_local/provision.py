"""Steps 3 and 4 of `LocalStack.start`: the stack created in moto's CloudFormation, then completed.

`create_stack` creates the translated template in moto's CloudFormation, waits for it to settle and records its
outputs and resources; a stack that does not reach CREATE_COMPLETE is a `StackError` with the failed resources'
reasons. `complete_stack` then creates, from the same template data, what moto's CloudFormation skips and
Carrier needs (queue policies, secrets), says in `LocalStack.skipped` what became of every other skipped
resource, puts back rule targets moto lost, checks that what Carrier needs at runtime exists, and disables
moto's own SQS event source mappings (moto would invoke through Docker; `carrier_local.poller` plays that part).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from carrier_local.cfn import StackError
from carrier_local.template import resources

if TYPE_CHECKING:
    from carrier_local.stack import LocalStack

log = logging.getLogger("carrier_local.stack")

STACK_TIMEOUT_SECONDS = 60.0

_OPERATIONS_ONLY = frozenset({"AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::Logs::QueryDefinition"})


@dataclass(frozen=True)
class StackResource:
    """A resource of the created stack, as moto's CloudFormation lists it (or as carrier_local created it)."""

    logical_id: str
    resource_type: str
    physical_id: str


def _wait_until(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise StackError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def create_stack(stack: LocalStack) -> None:
    """Create `stack.cfn_template` in moto's CloudFormation; record its outputs and resources."""
    cfn = stack.client("cloudformation")
    cfn.create_stack(
        StackName=stack.stack_name,
        TemplateBody=json.dumps(stack.cfn_template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in stack.parameter_overrides.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    status: dict[str, Any] = {}

    def settled() -> bool:
        status.update(cfn.describe_stacks(StackName=stack.stack_name)["Stacks"][0])
        return not str(status["StackStatus"]).endswith("_IN_PROGRESS")

    _wait_until(settled, STACK_TIMEOUT_SECONDS, f"stack {stack.stack_name}")
    if status["StackStatus"] != "CREATE_COMPLETE":
        events = cfn.describe_stack_events(StackName=stack.stack_name)["StackEvents"]
        reasons = [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
            for e in events
            if "FAILED" in e["ResourceStatus"]
        ]
        raise StackError(f"stack {status['StackStatus']}: {status.get('StackStatusReason')}; {reasons}")
    stack.outputs = {o["OutputKey"]: o["OutputValue"] for o in status.get("Outputs", [])}
    summaries = cfn.get_paginator("list_stack_resources").paginate(StackName=stack.stack_name)
    for page in summaries:
        for summary in page["StackResourceSummaries"]:
            if summary["LogicalResourceId"]:
                stack.resources[summary["LogicalResourceId"]] = StackResource(
                    summary["LogicalResourceId"],
                    summary["ResourceType"],
                    summary.get("PhysicalResourceId", ""),
                )


def complete_stack(stack: LocalStack) -> None:
    """Create or account for every resource moto's CloudFormation skipped, then check the stack."""
    created = set(stack.resources)
    for logical_id, resource in resources(stack.cfn_template):
        if logical_id not in created:
            _create_skipped(stack, logical_id, str(resource.get("Type")))
    _check_rules(stack)
    _check_exists(stack)
    _disable_event_source_mappings(stack)


def _create_skipped(stack: LocalStack, logical_id: str, kind: str) -> None:
    if kind.startswith("AWS::ApiGatewayV2::"):
        stack.skipped[logical_id] = "served by carrier_local.gateway"
        return
    if kind in _OPERATIONS_ONLY:
        stack.skipped[logical_id] = "operations only (CloudWatch): nothing to run locally"
        return
    if kind not in ("AWS::SQS::QueuePolicy", "AWS::SecretsManager::Secret"):
        stack.skipped[logical_id] = "not created locally"
        log.warning("%s (%s) is not created by moto nor by carrier_local", logical_id, kind)
        return
    props = stack.resolver().resolve(stack.properties(logical_id))
    if kind == "AWS::SQS::QueuePolicy":
        sqs = stack.client("sqs")
        for queue in props["Queues"]:
            sqs.set_queue_attributes(
                QueueUrl=stack.queue_url(queue), Attributes={"Policy": json.dumps(props["PolicyDocument"])}
            )
        stack.skipped[logical_id] = "created by carrier_local"
    else:
        _create_secret(stack, logical_id, props)
        stack.skipped[logical_id] = "created by carrier_local"


def _create_secret(stack: LocalStack, logical_id: str, props: Mapping[str, Any]) -> None:
    secrets = stack.client("secretsmanager")
    value = props.get("SecretString")
    generate = props.get("GenerateSecretString")
    if value is None and generate is not None:
        options = {k: v for k, v in generate.items() if k not in ("SecretStringTemplate", "GenerateStringKey")}
        password = secrets.get_random_password(**options)["RandomPassword"]
        if "GenerateStringKey" in generate:
            document = json.loads(generate.get("SecretStringTemplate", "{}"))
            document[generate["GenerateStringKey"]] = password
            value = json.dumps(document)
        else:
            value = password
    name = props.get("Name", f"{stack.stack_name}-{logical_id}")
    arguments: dict[str, Any] = {"Name": name, "SecretString": value or ""}
    if "Description" in props:
        arguments["Description"] = props["Description"]
    arn = secrets.create_secret(**arguments)["ARN"]
    stack.resources[logical_id] = StackResource(logical_id, "AWS::SecretsManager::Secret", arn)


def _check_rules(stack: LocalStack) -> None:
    """Every rule exists with the template's targets (the targets are put again if moto lost them)."""
    events = stack.client("events")
    for logical_id, _ in resources(stack.cfn_template, "AWS::Events::Rule"):
        props = stack.resolver().resolve(stack.properties(logical_id))
        bus = props.get("EventBusName", "default")
        name = stack.ref(logical_id)
        current = {t["Id"] for t in events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]}
        missing = [t for t in props.get("Targets", []) if t["Id"] not in current]
        if missing:
            log.warning("rule %s lacks targets %s; putting them", name, [t["Id"] for t in missing])
            events.put_targets(Rule=name, EventBusName=bus, Targets=missing)


def _check_exists(stack: LocalStack) -> None:
    """The resources Carrier needs at runtime answer their describe calls."""
    checks: dict[str, Callable[[str], Any]] = {
        "AWS::DynamoDB::Table": lambda p: stack.client("dynamodb").describe_table(TableName=p),
        "AWS::Events::EventBus": lambda p: stack.client("events").describe_event_bus(Name=p),
        "AWS::SQS::Queue": stack.queue_url,
        "AWS::Lambda::Function": lambda p: stack.client("lambda").get_function(FunctionName=p),
        "AWS::StepFunctions::StateMachine": lambda p: stack.client("stepfunctions").describe_state_machine(
            stateMachineArn=p
        ),
    }
    for logical_id, resource in resources(stack.cfn_template):
        check = checks.get(str(resource.get("Type")))
        if check is None:
            continue
        try:
            check(str(stack.ref(logical_id)))
        except Exception as error:
            raise StackError(f"{logical_id} ({resource['Type']}) was not created: {error}") from error


def _disable_event_source_mappings(stack: LocalStack) -> None:
    lambda_client = stack.client("lambda")
    for logical_id, _ in resources(stack.cfn_template, "AWS::Lambda::EventSourceMapping"):
        lambda_client.update_event_source_mapping(UUID=stack.ref(logical_id), Enabled=False)
        stack.skipped[logical_id] = "disabled in moto; polled by carrier_local.poller"


__all__ = ["STACK_TIMEOUT_SECONDS", "StackResource", "complete_stack", "create_stack"]

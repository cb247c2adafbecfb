"""What the fault suite reads from template.yaml (never a copy of its numbers): the functions' timeouts and
environments, the events queue's visibility timeout and redrive policy, the event source mapping, schedules."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from carrier_local.template import function_sources, sqs_event_sources
from tests.support import template as read_template


@functools.cache
def template() -> dict[str, Any]:
    """template.yaml, parsed once per run (a test must not change it)."""
    return read_template()


@dataclass(frozen=True)
class QueueConfig:
    visibility_timeout: int
    max_receive_count: int
    batch_size: int
    batching_window: int
    max_concurrency: int
    function: str  # logical id of the function it drives
    function_timeout: int


@dataclass(frozen=True)
class Schedule:
    function: str
    seconds: int


def _parameter_default(value: Any, parameters: dict[str, Any]) -> Any:
    """A literal, or a Ref to a Parameter (its default); None for anything that names a resource."""
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        return parameters[value["Ref"]].get("Default")
    if isinstance(value, str | int | float | bool):
        return value
    return None


def environment(*functions: str) -> dict[str, str]:
    """The Globals' and these functions' variables that are literals or Parameter defaults (as deployed with
    the defaults); variables naming resources (table, bus, state machine) are the harness's to set."""
    tpl = template()
    parameters = tpl.get("Parameters", {})
    variables = dict(tpl["Globals"]["Function"].get("Environment", {}).get("Variables", {}))
    for logical_id in functions:
        props = tpl["Resources"][logical_id]["Properties"]
        variables.update((props.get("Environment") or {}).get("Variables") or {})
    found = {}
    for name, value in variables.items():
        resolved = _parameter_default(value, parameters)
        if resolved is not None:
            found[name] = str(resolved).lower() if isinstance(resolved, bool) else str(resolved)
    return found


def events_queue(queue_id: str = "EventsQueue") -> QueueConfig:
    """The queue `queue_id` and the function event that reads it (`EventsQueue`: the bus's; `FanoutQueue`: the chunks
    of split fan-outs)."""
    tpl = template()
    parameters = tpl.get("Parameters", {})
    [(function, queue, props)] = [source for source in sqs_event_sources(tpl) if source[1] == queue_id]
    queue_props = tpl["Resources"][queue]["Properties"]
    scaling = props.get("ScalingConfig") or {}
    return QueueConfig(
        visibility_timeout=int(queue_props["VisibilityTimeout"]),
        max_receive_count=int(queue_props["RedrivePolicy"]["maxReceiveCount"]),
        batch_size=int(props.get("BatchSize", 10)),
        batching_window=int(props.get("MaximumBatchingWindowInSeconds", 0)),
        max_concurrency=int(_parameter_default(scaling.get("MaximumConcurrency", 1000), parameters)),
        function=function,
        function_timeout=function_sources(tpl)[function].timeout,
    )


def function_dir(logical_id: str) -> str:
    """`functions/<dir>` of a function: the name `load_handler` takes."""
    return function_sources(template())[logical_id].code_dir.name


def function_timeout(logical_id: str) -> int:
    return function_sources(template())[logical_id].timeout


def attempt_function() -> str:
    """The function the state machine's tasks invoke (its DefinitionSubstitutions)."""
    for resource in template()["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::StateMachine":
            return str(resource["Properties"]["DefinitionSubstitutions"]["AttemptFunctionArn"]["Fn::GetAtt"][0])
    raise LookupError("template.yaml has no state machine")


_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours)\)")


def schedules() -> list[Schedule]:
    """Functions the template runs on a `rate(...)` schedule (a reconciler, once there is one)."""
    tpl = template()
    parameters = tpl.get("Parameters", {})
    found = []
    for logical_id, source in function_sources(tpl).items():
        for event in source.events.values():
            if event.get("Type") not in ("Schedule", "ScheduleV2"):
                continue
            expression = (event.get("Properties") or {}).get("Schedule") or (event.get("Properties") or {}).get(
                "ScheduleExpression"
            )
            text = _expression_text(expression, parameters)
            match = _RATE.fullmatch(text or "")
            if match:
                unit = 60 if match.group(2).startswith("minute") else 3600
                found.append(Schedule(logical_id, int(match.group(1)) * unit))
    return found


def _expression_text(expression: Any, parameters: dict[str, Any]) -> str | None:
    if isinstance(expression, str):
        return expression
    resolved = _parameter_default(expression, parameters)
    if resolved is not None:
        return str(resolved)
    if isinstance(expression, dict) and "Fn::Sub" in expression:
        text = expression["Fn::Sub"]
        if isinstance(text, str):
            return re.sub(
                r"\$\{(\w+)\}", lambda m: str(parameters.get(m.group(1), {}).get("Default", m.group(0))), text
            )
    return None

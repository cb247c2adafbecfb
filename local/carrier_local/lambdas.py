"""Step 5 of `LocalStack.start`: the stack's functions as moto holds them, to run in-process.

Every function with local code (`template.function_sources`) becomes a `LocalFunction` carrying the
configuration moto resolved (name, ARN, memory size, timeout). Environment variables that refer to a resource
carrier_local created after the stack (moto resolved them before it existed) are resolved again and written back
to moto. The functions' environments are merged for the process (on a conflict the later function wins, with a
warning), layer directories go on `sys.path`, and each `Type: SQS` event becomes an `EventSource` for the poller.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carrier_local.handlers import LocalFunction
from carrier_local.template import Template, function_sources, layer_dirs, sqs_event_sources

if TYPE_CHECKING:
    from carrier_local.stack import LocalStack

log = logging.getLogger("carrier_local.stack")


@dataclass(frozen=True)
class EventSource:
    """An SQS event source mapping, read from a function's `Type: SQS` event."""

    function: str
    queue: str
    queue_url: str
    queue_arn: str
    batch_size: int = 10
    batching_window_seconds: int = 0
    report_batch_item_failures: bool = False
    maximum_concurrency: int | None = None


def load_functions(stack: LocalStack) -> dict[str, str]:
    """Put every function with local code in `stack.functions`; returns their environments, merged."""
    lambda_client = stack.client("lambda")
    merged: dict[str, str] = {}
    for logical_id, source in function_sources(stack.template, stack.root).items():
        name = stack.ref(logical_id)
        config = lambda_client.get_function_configuration(FunctionName=name)
        variables = {k: str(v) for k, v in (config.get("Environment") or {}).get("Variables", {}).items()}
        late = _variables_moto_could_not_resolve(stack, logical_id)
        if late:
            variables.update(late)
            lambda_client.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
        conflicts = sorted(k for k, v in variables.items() if merged.get(k, v) != v)
        if conflicts:
            log.warning("%s sets %s differently from another function; it wins", logical_id, conflicts)
        merged.update(variables)
        stack.functions[logical_id] = LocalFunction(
            logical_id=logical_id,
            function_name=name,
            module_file=source.module_file,
            attribute=source.attribute,
            arn=config["FunctionArn"],
            memory_size=int(config.get("MemorySize", source.memory_size)),
            timeout=int(config.get("Timeout", source.timeout)),
        )
    return merged


def add_layer_paths(template: Template, root: Path) -> None:
    """The template's layers importable, as in Lambda (`<layer>/python`, and the layer directory itself)."""
    for directory in layer_dirs(template, root):
        for path in (directory / "python", directory):
            if path.is_dir() and str(path) not in sys.path:
                sys.path.append(str(path))


def event_sources(stack: LocalStack) -> list[EventSource]:
    """The SQS event source mappings of the template's functions, with their queues in moto."""
    return [_event_source(stack, *source) for source in sqs_event_sources(stack.template)]


def _variables_moto_could_not_resolve(stack: LocalStack, logical_id: str) -> dict[str, str]:
    """Variables referring to a resource carrier_local created after the stack (moto resolved
    them before it existed), resolved again now."""
    created = {lid for lid, what in stack.skipped.items() if what == "created by carrier_local"}
    props = stack.properties(logical_id)
    variables = (props.get("Environment") or {}).get("Variables") or {}
    resolved = {}
    for name, expression in variables.items():
        text = json.dumps(expression)
        if any(f'"{lid}"' in text or f"${{{lid}" in text for lid in created):
            resolved[name] = str(stack.resolver().resolve(expression))
    return resolved


def _event_source(stack: LocalStack, function: str, queue: str, props: Mapping[str, Any]) -> EventSource:
    resolved = stack.resolver().resolve(dict(props))
    scaling = resolved.get("ScalingConfig") or {}
    return EventSource(
        function=function,
        queue=queue,
        queue_url=stack.queue_url(stack.ref(queue)),
        queue_arn=str(stack.get_att(queue, "Arn")),
        batch_size=int(resolved.get("BatchSize", 10)),
        batching_window_seconds=int(resolved.get("MaximumBatchingWindowInSeconds", 0)),
        report_batch_item_failures="ReportBatchItemFailures" in (resolved.get("FunctionResponseTypes") or []),
        maximum_concurrency=int(scaling["MaximumConcurrency"]) if "MaximumConcurrency" in scaling else None,
    )


__all__ = ["EventSource", "add_layer_paths", "event_sources", "load_functions"]

"""The deployed shape the AWS-call bench measures against: template.yaml's functions as deployed (Globals under
each function's Properties, its `Fn::If`s decided at the Parameters' defaults), a Parameter's default, the
environment a function gets (with the resources named for the bench's stage and moto's credentials) and the
table's key and indexes. Importing it puts the repository, `layers/core` and `local` on `sys.path`, as the
bench's process (`python -m bench.aws_calls`) needs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core"), str(ROOT / "local")]

from bench import cost  # noqa: E402
from carrier_local.template import load_template  # noqa: E402
from tests.support import deployed_properties  # noqa: E402

REGION = "us-east-1"
STAGE = "bench"
TENANT = "bench"


# ---- the template ---------------------------------------------------------------------------------------------


def template() -> dict[str, Any]:
    return load_template()


def _literal(value: Any, parameters: dict[str, Any]) -> str | None:
    """A template value as the deployed function sees it, when it is a literal or a Parameter's default."""
    if isinstance(value, str | int | float | bool):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        default = parameters[value["Ref"]].get("Default")
        return None if default is None else str(default)
    return None


def function_properties(name: str, tpl: dict[str, Any] | None = None) -> dict[str, Any]:
    """A function's Properties as deployed (its `Fn::If`s decided at the Parameters' defaults) with the template's
    Globals under them (MemorySize, Timeout, Environment)."""
    tpl = tpl or template()
    merged: dict[str, Any] = dict(tpl["Globals"]["Function"])
    own = deployed_properties(name)
    merged.update({k: v for k, v in own.items() if k != "Environment"})
    variables = dict(tpl["Globals"]["Function"].get("Environment", {}).get("Variables", {}))
    variables.update(own.get("Environment", {}).get("Variables", {}))
    merged["Environment"] = {"Variables": variables}
    return merged


def parameter(name: str, tpl: dict[str, Any] | None = None) -> Any:
    return (tpl or template())["Parameters"][name]["Default"]


def environment(function: str) -> dict[str, str]:
    """The function's environment as the template sets it (literals and Parameter defaults), the resources named
    for this run, and moto's credentials. Loopback receivers over http are allowed (the bench's receiver)."""
    tpl = template()
    variables = function_properties(function, tpl)["Environment"]["Variables"]
    env = {k: v for k, raw in variables.items() if (v := _literal(raw, tpl["Parameters"])) is not None}
    env.update(
        {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "STAGE": STAGE,
            "TABLE_NAME": f"carrier-{STAGE}",
            "EVENT_BUS_NAME": f"carrier-{STAGE}",
            "SECRET_PREFIX": f"carrier/{STAGE}/",
            "DATA_KEY_SECRET": f"carrier/{STAGE}/data-key",
            "STATE_MACHINE_ARN": f"arn:aws:states:{REGION}:123456789012:stateMachine:carrier-{STAGE}-retry-ladder",
            "ALLOW_PRIVATE_TARGETS": "true",
            "ALLOW_HTTP_TARGETS": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here; traces are priced by the sampling rule
            # as in Lambda: Powertools' batch keeps one event loop per container (not asyncio.run per invocation),
            # so the dispatcher's HTTP session lives across invocations, as deployed (none left unclosed to print)
            "LAMBDA_TASK_ROOT": str(ROOT / "functions" / "dispatcher"),
        }
    )
    return env


def table_shape() -> cost.TableShape:
    return cost.table_shape(deployed_properties("Table"))

"""Cold import time of each handler module against boto3 alone, each in a fresh interpreter (median of N).

Measured as Lambda imports a handler: the function's directory first on `sys.path`, the layer on PYTHONPATH, and
the environment of the template's `Globals` (its variables, Parameters at their defaults), with Lambda's own
variables (LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, AWS_REGION) and tracing as `Globals.Function.Tracing` sets
it: `Active` is tracing on (Powertools' Tracer and the X-Ray SDK load at import), anything else is off
(POWERTOOLS_TRACE_DISABLED=true). Target (issue 19, item 6): each handler <= 1.25 x `import boto3`, same run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.25  # x boto3

PROBE = """
import time, sys
started = time.perf_counter()
{body}
print(time.perf_counter() - started)
"""
HANDLER = """
import importlib.util
sys.path.insert(0, {directory!r})  # Lambda's code directory: a handler imports its sibling modules from it
spec = importlib.util.spec_from_file_location("handler", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""


# After the handler's import: what its first invocation imports through the handler's LazyLoaders (the wiring,
# the API's resolver), timed on its own. Not part of the cold import any more, but still part of a cold start.
DEFERRED = """
from aws_lambda_powertools.shared.lazy_import import LazyLoader
lazy = [value for value in vars(module).values() if isinstance(value, LazyLoader)]
started = time.perf_counter()
for value in lazy:
    dir(value)  # loads it
"""


def _plain(value: Any, parameters: dict[str, Any]) -> str:
    """A template value as Lambda would see it, Parameters at their defaults (`!Ref` and `!Sub` of Parameters)."""
    if isinstance(value, dict) and "Ref" in value:
        name = value["Ref"]
        return str(parameters.get(name, {}).get("Default", name))
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        text: str = value["Fn::Sub"]
        for name, spec in parameters.items():
            text = text.replace("${" + name + "}", str(spec.get("Default", name)))
        return text
    return str(value).lower() if isinstance(value, bool) else str(value)


def lambda_env(function: str = "bench") -> dict[str, str]:
    """The environment a deployed function imports its handler in (see the module's docstring)."""
    if str(ROOT / "local") not in sys.path:
        sys.path.insert(0, str(ROOT / "local"))
    from carrier_local.template import function_globals, load_template

    template = load_template(ROOT / "template.yaml")
    parameters = template.get("Parameters", {})
    globals_ = function_globals(template)
    variables = globals_.get("Environment", {}).get("Variables", {})
    env = {name: _plain(value, parameters) for name, value in variables.items()}
    env.update(
        PATH="/usr/bin:/bin",
        PYTHONPATH=str(ROOT / "layers" / "core"),
        LAMBDA_TASK_ROOT=str(ROOT / "functions" / function),
        AWS_LAMBDA_FUNCTION_NAME=f"carrier-{function}",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(globals_.get("MemorySize", 512)),
        AWS_EXECUTION_ENV="AWS_Lambda_python3.11",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
    )
    if not tracing_on():
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    return env


def tracing_on() -> bool:
    """The template's `Globals.Function.Tracing` (`Active`: every function traced)."""
    if str(ROOT / "local") not in sys.path:
        sys.path.insert(0, str(ROOT / "local"))
    from carrier_local.template import function_globals, load_template

    return bool(function_globals(load_template(ROOT / "template.yaml")).get("Tracing") == "Active")


def _time(body: str, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(body=body)], capture_output=True, text=True, env=env, check=True, cwd=ROOT
    ).stdout
    return float(out.strip().splitlines()[-1]) * 1000


def median_ms(body: str, runs: int, env: dict[str, str] | None = None) -> float:
    return round(statistics.median(_time(body, env or lambda_env()) for _ in range(runs)), 1)


def measure(runs: int = 7) -> dict[str, float]:
    """Milliseconds to import each module in a fresh process (the interpreter's own start is not counted). Runs
    are interleaved (boto3, aiohttp, every handler, then again), so a busy moment of the machine weighs on all."""
    apps = sorted((ROOT / "functions").glob("*/app.py"))
    probes = {"boto3": ("import boto3", lambda_env()), "aiohttp": ("import aiohttp", lambda_env())}
    for app in apps:
        body = HANDLER.format(path=str(app), directory=str(app.parent))
        probes[f"functions/{app.parent.name}"] = (body, lambda_env(app.parent.name))
    samples: dict[str, list[float]] = {name: [] for name in probes}
    for _ in range(runs):
        for name, (body, env) in probes.items():
            samples[name].append(_time(body, env))
    return {name: round(statistics.median(times), 1) for name, times in samples.items()}


def deferred(runs: int = 7) -> dict[str, float]:
    """Milliseconds each handler's first invocation spends importing what its import left to it (its LazyLoaders:
    carrier.runtime with settings, profile, store and pydantic; the api's resolver, models and OpenAPI)."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        for app in sorted((ROOT / "functions").glob("*/app.py")):
            body = HANDLER.format(path=str(app), directory=str(app.parent)) + DEFERRED
            samples.setdefault(f"functions/{app.parent.name}", []).append(_time(body, lambda_env(app.parent.name)))
    return {name: round(statistics.median(times), 1) for name, times in samples.items()}


def figures(runs: int = 7, import_ms: dict[str, float] | None = None) -> dict[str, dict[str, Any]]:
    """`import_ratio_<handler>`: its median cold import over boto3's, same run, next to the target."""
    import_ms = import_ms or measure(runs)
    later = deferred(runs)
    boto3 = import_ms["boto3"]
    found: dict[str, dict[str, Any]] = {}
    for name, ms in import_ms.items():
        if name.startswith("functions/"):
            ratio = round(ms / boto3, 2)
            found[f"import_ratio_{name.removeprefix('functions/')}"] = {
                "value": ratio,
                "target": f"<= {TARGET} x boto3",
                "met": ratio <= TARGET,
                "note": f"{ms} ms, boto3 {boto3} ms, tracing {'on' if tracing_on() else 'off'} (the template's); "
                f"its first invocation then imports for {later[name]} ms more (the wiring, pydantic, the profile)",
            }
    return found


if __name__ == "__main__":
    measured = measure()
    print(f"tracing {'on' if tracing_on() else 'off'} (template Globals.Function.Tracing)")
    for name, ms in measured.items():
        print(f"{name:24} {ms:8.1f} ms")
    for name, figure in figures(import_ms=measured).items():
        met = "met" if figure["met"] else "MISSED"
        print(f"{name:28} {figure['value']:5.2f}  {figure['target']}  {met}  {figure['note']}")

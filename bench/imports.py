"""Cold import time of each handler module against boto3 alone, each in a fresh interpreter (median of N)."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

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


def _time(body: str) -> float:
    env = {
        "PYTHONPATH": str(ROOT / "layers" / "core"),
        "POWERTOOLS_SERVICE_NAME": "carrier",
        "POWERTOOLS_METRICS_NAMESPACE": "Carrier",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(body=body)], capture_output=True, text=True, env=env, check=True, cwd=ROOT
    ).stdout
    return float(out.strip().splitlines()[-1]) * 1000


def median_ms(body: str, runs: int) -> float:
    return round(statistics.median(_time(body) for _ in range(runs)), 1)


def measure(runs: int = 7) -> dict[str, float]:
    """Milliseconds to import each module in a fresh process (the interpreter's own start is not counted)."""
    results = {"boto3": median_ms("import boto3", runs), "aiohttp": median_ms("import aiohttp", runs)}
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        results[f"functions/{app.parent.name}"] = median_ms(
            HANDLER.format(path=str(app), directory=str(app.parent)), runs
        )
    return results


if __name__ == "__main__":
    for name, ms in measure().items():
        print(f"{name:24} {ms:8.1f} ms")

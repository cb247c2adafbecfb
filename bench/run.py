"""`make bench`: every figure of issue 19 measured in one run, each next to its target; writes bench/results.json
("figures": name -> {value, target, met, note}, and the cost model's breakdown) and bench/results.md (one table).

Sources of the figures:
- `bench/aws_calls.py` (in a process of its own): AWS requests, DynamoDB units by item size, log bytes and the
  handlers' own time per delivery, on moto, from the code as it is; the ladder's transitions in moto's interpreter.
- `bench/cost.py`: those, priced (`bench/prices.json`) with what template.yaml configures.
- `bench/report.py`: the figures next to their targets, and bench/results.md's table.
- `bench.imports.figures()` (cold start), `bench.dispatch.figures()` (dispatch core), `bench.ledger.figures()`
  (latency ledger): each optional; a module or function missing, or failing, is a figure saying so, never a
  failed run.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core"), str(ROOT / "local")]

from bench import cost  # noqa: E402
from bench.report import Figure, cost_figures, figure, markdown  # noqa: E402
from bench.report import secret_storage as secret_storage  # noqa: E402  (re-exported: tests import it from here)

# What the first try would cost with other settings (the dispatcher's memory, the send timeout): results.json
SENSITIVITY: dict[str, dict[str, Any]] = {
    "dispatcher_memory_256_mb": {"dispatcher_memory_mb": 256},
    "http_timeout_10_s": {"http_timeout_seconds": 10.0},
    "both": {"dispatcher_memory_mb": 256, "http_timeout_seconds": 10.0},
}


# ---- the template's configuration ----------------------------------------------------------------------------


def config() -> tuple[cost.Config, dict[str, Any]]:
    """What template.yaml configures, for the cost model (and shown in results.json)."""
    from bench.aws_env import function_properties, parameter, template
    from carrier.settings import Settings

    tpl = template()
    dispatcher = function_properties("DispatcherFunction", tpl)
    queue = dispatcher["Events"]["Queue"]["Properties"]
    slots = dispatcher["Environment"]["Variables"].get(
        "MAX_CONCURRENCY", Settings.model_fields["max_concurrency"].default
    )
    made = cost.Config(
        batch_size=int(queue["BatchSize"]),
        dispatcher_memory_mb=int(dispatcher["MemorySize"]),
        attempt_memory_mb=int(function_properties("AttemptFunction", tpl)["MemorySize"]),
        http_timeout_seconds=float(parameter("HttpTimeoutSeconds", tpl)),
        send_slots=int(slots),
        retention_days=float(parameter("DeliveryRetentionDays", tpl)),
        api_memory_mb=int(function_properties("ApiFunction", tpl)["MemorySize"]),
        authorizer_memory_mb=int(function_properties("AuthorizerFunction", tpl)["MemorySize"]),
        batching_window_seconds=float(queue.get("MaximumBatchingWindowInSeconds", 0)),
    )
    shown = {
        **made.__dict__,
        "secret_cache_seconds": int(parameter("SecretCacheSeconds", tpl)),
        "secret_store": parameter("SecretStore", tpl),
        "tracing": tpl["Globals"]["Function"].get("Tracing"),
    }
    return made, shown


# ---- AWS calls and the cost model ----------------------------------------------------------------------------


def aws_calls() -> dict[str, Any]:
    """bench/aws_calls.py in a process of its own (its environment, logging and moto stay there)."""
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "aws_calls.json"
        subprocess.run(
            [sys.executable, "-m", "bench.aws_calls", str(out)],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,  # the handlers' own log lines (measured there)
        )
        result: dict[str, Any] = json.loads(out.read_text())
    return result


def measured(calls: Mapping[str, Any], fanout: int, event_chunks: float) -> cost.Measured:
    run = calls[f"first_try_success_fanout_{fanout}"]
    return cost.Measured(
        fanout=fanout,
        event_chunks=event_chunks,
        message_bytes=run["message_bytes"],
        wru=run["dynamodb_wru"],
        rru=run["dynamodb_rru"],
        secrets_calls=run["secretsmanager"],
        sfn_calls=run["stepfunctions"],
        own_seconds_per_invocation=run["own_seconds_per_invocation"],
        log_bytes_per_invocation=run["log_bytes_per_invocation"],
        stored_bytes=run["stored_bytes"],
    )


def cost_model(calls: Mapping[str, Any], prices: Mapping[str, float], made: cost.Config) -> dict[str, Any]:
    publish = calls["publish_via_api"]
    chunks = publish["put_events_chunks"]
    event_chunks = sum(chunks) / len(chunks)
    ladder_runs = calls["full_ladder_failure"], calls["first_retry_delivered"]
    model: dict[str, Any] = {}
    for fanout in (1, 10):
        m = measured(calls, fanout, event_chunks)
        fleet = cost.Fleet(metric_names=len(calls[f"first_try_success_fanout_{fanout}"]["metric_names"]))
        rate = fleet.deliveries / fanout / cost.MONTH_SECONDS  # events a second at the fleet's volume
        lines = cost.first_try(m, made, prices, events_per_second=rate)
        retries = cost.ladder(
            transitions_delivered=ladder_runs[1]["state_transitions"],
            transitions_exhausted=ladder_runs[0]["state_transitions"],
            attempts_exhausted=ladder_runs[0]["attempt_function_invocations"],
            attempt_wru=calls["retry_attempt_failing"]["dynamodb_wru"],
            attempt_rru=calls["retry_attempt_failing"]["dynamodb_rru"],
            config=made,
            prices=prices,
        )
        first, with_retries = cost.total(lines), cost.total(lines) + cost.total(retries)
        run = calls[f"first_try_success_fanout_{fanout}"]
        model[f"fanout_{fanout}"] = {
            "first_try_per_million": first,
            "first_try_lines": lines,
            "floor_per_million": cost.floor(fanout, prices),
            "ratio_to_floor": round(first / cost.floor(fanout, prices), 2),
            "ladder_lines": retries,
            "with_failure_mix_per_million": round(with_retries, 3),
            "events_per_second": round(rate, 2),
            "events_per_invocation": round(cost.batch_events(made, rate), 2),
            "invocation_seconds": round(
                cost.invocation_seconds(
                    m, made, cost.latency_mix(made.http_timeout_seconds), cost.batch_events(made, rate)
                ),
                3,
            ),
            "per_month_100k_webhooks": cost.monthly(
                with_retries,
                fleet,
                secret_storage(prices)["envelope"],
                run["webhook_stored_bytes"],
                prices,
            ),
            "peers_per_million": cost.peers(fanout, prices),
            "sensitivity_first_try_per_million": {
                f"{label}": cost.total(cost.first_try(m, replace(made, **change), prices, events_per_second=rate))
                for label, change in SENSITIVITY.items()
            },
        }
    api = cost.api_publish(
        api_seconds=publish["api_seconds"],
        authorizer_seconds=publish["authorizer_seconds"],
        api_rru=0.0,
        authorizer_rru=publish["dynamodb_rru"],
        log_bytes=publish["log_bytes"],
        config=made,
        prices=prices,
    )
    model["publish_via_api"] = {"per_million_events": cost.total(api), "lines": api}
    return model


# ---- the other benchmarks, each optional ---------------------------------------------------------------------


def optional(
    module: str, fallback: Callable[[Any], dict[str, Figure]] | None = None, extras: dict[str, Any] | None = None
) -> dict[str, Figure]:
    """`bench.<module>.figures()`, or `fallback(module)` when it has none; an error is a figure saying so. What
    it returns that is not a figure (no "value") goes to `extras`, for results.json."""
    try:
        loaded = importlib.import_module(f"bench.{module}")
        made = getattr(loaded, "figures", None)
        if callable(made):
            found = made()
        elif fallback is not None:
            found = fallback(loaded)
        else:
            return {module: figure(None, None, None, f"not measured: bench/{module}.py has no figures()")}
        figures = {str(k): _as_figure(v) for k, v in dict(found).items() if isinstance(v, Mapping) and "value" in v}
        if extras is not None:
            extras.update({f"{module}.{k}": v for k, v in dict(found).items() if str(k) not in figures})
        return figures
    except Exception as error:  # a broken optional benchmark is reported, the run goes on
        return {module: figure(None, None, None, f"not measured: {type(error).__name__}: {error}")}


def _as_figure(value: Mapping[str, Any]) -> Figure:
    return figure(value["value"], value.get("target"), value.get("met"), str(value.get("note", "")))


def dispatch_fallback(module: Any) -> dict[str, Figure]:
    """Today's dispatch benchmark (raw_loop, carrier_core, fanout) when bench.dispatch has no figures()."""
    import asyncio

    fast = module.ReceiverProcess()
    try:
        raw = asyncio.run(module.raw_loop(fast.url, 12000, 50))
        core, _ = asyncio.run(module.carrier_core(fast.url, 12000, 50, per_event=100))
        raw = (raw + asyncio.run(module.raw_loop(fast.url, 12000, 50))) / 2
    finally:
        fast.close()
    slow = module.ReceiverProcess(delay_ms=50)
    try:
        seconds = asyncio.run(module.fanout(slow.url, 1000, 50))
    finally:
        slow.close()
    ratio = round(core / raw, 3)
    return {
        "dispatch_ratio": figure(
            ratio, ">= 0.7, then >= 0.85", ratio >= 0.7, f"Carrier {core:.0f}/s, raw aiohttp {raw:.0f}/s"
        ),
        "fanout_ratio": figure(round(seconds / (0.05 * 1000 / 50), 3), "<= 3", seconds / 1.0 <= 3),
    }


def imports_fallback(module: Any) -> dict[str, Figure]:
    """Today's cold-import benchmark when bench.imports has no figures()."""
    ms = module.measure(runs=7)
    ratios = {k: round(v / ms["boto3"], 2) for k, v in ms.items() if k.startswith("functions")}
    worst = max(ratios.values())
    return {"import_ratio_worst": figure(worst, "<= 1.25 x boto3", worst <= 1.25, json.dumps(ms))}


# ---- results --------------------------------------------------------------------------------------------------


def main() -> dict[str, Any]:
    prices = json.loads((ROOT / "bench" / "prices.json").read_text())
    made, configured = config()
    figures: dict[str, Figure] = {}
    extras: dict[str, Any] = {}
    figures.update(optional("dispatch", dispatch_fallback, extras))
    calls = aws_calls()
    model = cost_model(calls, prices, made)
    figures.update(cost_figures(calls, model, prices, made))
    figures.update(optional("imports", imports_fallback, extras))
    figures.update(optional("ledger", None, extras))
    results = {
        "figures": figures,
        "cost_model": model,
        "configuration": configured,
        "assumptions": {
            "latency_mix": "50 % at 100 ms, 45 % at 500 ms, 5 % at HttpTimeoutSeconds",
            "batches": "full (BatchSize events per invocation); the dispatcher's sends share its duration",
            "failure_mix": cost.FailureMix().__dict__,
            "fleet": cost.Fleet().__dict__,
            "own_time": "the dispatcher handler's wall time, warm, against moto in-process, on 2 shared cores",
            "xray": f"{cost.XRAY_SAMPLED_SHARE:.0%} of invocations sampled past a reservoir of 1/s per function",
        },
        "aws_calls": calls,
        "other_benchmarks": extras,
        "prices_date": prices["date"],
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    text = markdown(figures, prices["date"])
    (ROOT / "bench" / "results.md").write_text(text)
    print(text)
    return results


if __name__ == "__main__":
    main()

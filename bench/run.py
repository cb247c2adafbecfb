"""`make bench`: every figure of issue 19 measured in one run, each next to its target; writes bench/results.json
("figures": name -> {value, target, met, note}, and the cost model's breakdown) and bench/results.md (one table).

Sources of the figures:
- `bench/aws_calls.py` (in a process of its own): AWS requests, DynamoDB units by item size, log bytes and the
  handlers' own time per delivery, on moto, from the code as it is; the ladder's transitions in moto's interpreter.
- `bench/cost.py`: those, priced (`bench/prices.json`) with what template.yaml configures.
- `bench.imports.figures()` (cold start), `bench.dispatch.figures()` (dispatch core), `bench.ledger.figures()`
  (latency ledger): each optional; a module or function missing, or failing, is a figure saying so, never a
  failed run.
"""

from __future__ import annotations

import importlib
import json
import re
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

Figure = dict[str, Any]
# What the first try would cost with other settings (the dispatcher's memory, the send timeout): results.json
SENSITIVITY: dict[str, dict[str, Any]] = {
    "dispatcher_memory_256_mb": {"dispatcher_memory_mb": 256},
    "http_timeout_10_s": {"http_timeout_seconds": 10.0},
    "both": {"dispatcher_memory_mb": 256, "http_timeout_seconds": 10.0},
}


def secret_storage(
    prices: Mapping[str, float], webhooks: int = 100_000, containers: int = 100, cache_seconds: int = 300
) -> dict[str, float]:
    """Dollars a month for the webhooks' secrets under each `SecretStore`: `per-webhook` stores one secret each;
    `envelope` stores one (the data key), read once per warm container per `SecretCacheSeconds` (the template's
    default), `containers` of them always warm (a generous bound for 100,000 webhooks)."""
    month = 30 * 24 * 3600
    envelope_reads = containers * month / cache_seconds
    return {
        "envelope": round(
            prices["secretsmanager_secret_month"] + envelope_reads * prices["secretsmanager_api_call"], 2
        ),
        "per-webhook": round(webhooks * prices["secretsmanager_secret_month"], 2),
    }


def figure(value: Any, target: str | None, met: bool | None, note: str = "") -> Figure:
    """A figure next to its target; a missed `<= n` target says by how much."""
    if met is False and target and re.fullmatch(r"<= [0-9.]+", target) and isinstance(value, int | float):
        limit = float(target[3:])
        if limit > 0:
            note = f"missed: {value / limit:.1f}x the target" + (f"; {note}" if note else "")
    return {"value": value, "target": target or "", "met": met, "note": note}


# ---- the template's configuration ----------------------------------------------------------------------------


def config() -> tuple[cost.Config, dict[str, Any]]:
    """What template.yaml configures, for the cost model (and shown in results.json)."""
    from bench.aws_calls import function_properties, parameter, template
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


def top(lines: Mapping[str, Mapping[str, float]], n: int = 3) -> str:
    ranked = sorted(lines.items(), key=lambda kv: -kv[1]["usd_per_million"])[:n]
    return ", ".join(f"{name} ${line['usd_per_million']:.2f}" for name, line in ranked)


def cost_figures(
    calls: Mapping[str, Any], model: Mapping[str, Any], prices: Mapping[str, float], made: cost.Config
) -> dict[str, Figure]:
    """Items 1, 2, 5 and 8 of issue 19."""
    out: dict[str, Figure] = {}
    secrets = secret_storage(prices)
    out["secrets_usd_month_100k_webhooks"] = figure(
        secrets["envelope"],
        "< 5 (envelope)",
        secrets["envelope"] < 5,
        f"per-webhook store: ${secrets['per-webhook']:,.0f}",
    )
    f1, f10 = calls["first_try_success_fanout_1"], calls["first_try_success_fanout_10"]
    big = calls["first_try_success_fanout_1_answer_2kb"]
    writes_1 = max(f1["dynamodb_writes"], big["dynamodb_writes"])
    out["dynamodb_writes_per_delivery_fanout_1"] = figure(writes_1, "<= 2", writes_1 <= 2)
    wru_1 = max(f1["dynamodb_wru"], big["dynamodb_wru"])
    out["dynamodb_write_units_per_delivery_fanout_1"] = figure(
        wru_1,
        "<= 2",
        wru_1 <= 2,
        f"receiver answering {f1['answer_bytes']} B: {f1['dynamodb_wru']} ({shown(f1['dynamodb_wru_by_index'])}); "
        f"answering {big['answer_bytes']} B: {big['dynamodb_wru']} ({shown(big['dynamodb_wru_by_index'])})",
    )
    out["dynamodb_writes_per_delivery_fanout_10"] = figure(
        f10["dynamodb_writes"], "<= 1.2", f10["dynamodb_writes"] <= 1.2
    )
    out["dynamodb_write_units_per_delivery_fanout_10"] = figure(
        f10["dynamodb_wru"], "<= 1.2", f10["dynamodb_wru"] <= 1.2, f"by index: {shown(f10['dynamodb_wru_by_index'])}"
    )
    largest = max(run["largest_item_bytes"] for run in (f1, f10, big))
    out["largest_item_written_first_try_bytes"] = figure(
        largest,
        "<= 1024 (one write unit, whatever the receiver answers)",
        largest <= cost.WRITE_UNIT_BYTES,
        f"the largest item a first try created, receivers answering {f1['answer_bytes']} B and {big['answer_bytes']} B",
    )
    for service in ("secretsmanager", "stepfunctions"):
        calls_per = max(f1[service], f10[service], big[service])
        out[f"{service}_calls_per_first_try_delivery"] = figure(calls_per, "0", calls_per == 0)
    ladder = calls["full_ladder_failure"]
    out["ladder_state_transitions_full"] = figure(
        ladder["state_transitions"],
        "<= 12",
        ladder["state_transitions"] <= 12 and ladder["status"] == "SUCCEEDED",
        f"{' '.join(ladder['states'])}; ends {ladder['outcome']}",
    )
    for fanout in (1, 10):
        m = model[f"fanout_{fanout}"]
        limit = round(1.3 * m["floor_per_million"], 3)
        met = m["first_try_per_million"] <= limit
        miss = "" if met else f"missed: {m['first_try_per_million'] / limit:.1f}x the target; "
        peers = m["peers_per_million"]
        out[f"usd_per_million_first_try_fanout_{fanout}"] = figure(
            m["first_try_per_million"],
            f"<= 1.3 x floor ${m['floor_per_million']:.2f} = ${limit:.2f}",
            met,
            f"{miss}{m['ratio_to_floor']}x the floor; largest: {top(m['first_try_lines'])}; at "
            f"{m['events_per_second']:g} events/s an invocation takes {m['events_per_invocation']:g} events "
            f"({m['events_per_invocation'] * fanout:g} sends) and lasts {m['invocation_seconds']:.1f} s at "
            f"{made.dispatcher_memory_mb} MB"
            f" (it waits for its slowest send: 5 % at the {made.http_timeout_seconds:.0f} s timeout); "
            f"peers: {shown(peers)}",
        )
        out[f"usd_per_million_with_failure_mix_fanout_{fanout}"] = figure(
            m["with_failure_mix_per_million"], None, None, f"ladder adds: {top(m['ladder_lines'], 2)}"
        )
        month = m["per_month_100k_webhooks"]
        out[f"usd_per_month_100k_webhooks_fanout_{fanout}"] = figure(
            month["total"],
            None,
            None,
            "100M deliveries a month; " + ", ".join(f"{k} ${v:,.2f}" for k, v in month.items() if k != "total"),
        )
        out[f"peers_usd_per_million_fanout_{fanout}"] = figure(
            peers, None, None, "list prices (bench/prices.json); Outpost and Svix per event published"
        )
    api = model["publish_via_api"]
    out["usd_per_million_events_publish_via_api"] = figure(
        api["per_million_events"], None, None, f"added per event published through POST /v1/events: {top(api['lines'])}"
    )
    return out


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


def shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {shown(v)}" for k, v in value.items())
    return "—" if value is None else str(value)


def markdown(figures: Mapping[str, Figure], prices_date: str) -> str:
    mark = {True: "yes", False: "**no**", None: ""}
    rows = []
    for name, f in figures.items():
        note = f" ({f['note']})" if f["note"] else ""
        rows.append(f"| `{name}` | {shown(f['value'])}{note} | {f['target']} | {mark[f['met']]} |")
    return (
        "# Benchmark results (`make bench`)\n\n"
        f"Prices of {prices_date} (`bench/prices.json`); the cost model's breakdown is in `bench/results.json`.\n\n"
        "| figure | measured | target | met |\n| --- | --- | --- | --- |\n" + "\n".join(rows) + "\n"
    )


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

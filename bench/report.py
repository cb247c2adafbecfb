"""The figures of `make bench` and how they are written: a figure next to its target (a missed `<= n` says by how
much), the cost figures of issue 19 (items 1, 2, 5 and 8) from the AWS-call counts and the cost model, the secrets'
monthly dollars under each `SecretStore`, and the one-table markdown of bench/results.md. No I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bench import cost

Figure = dict[str, Any]


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

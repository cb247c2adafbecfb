"""`make bench`: every benchmark side by side in one run; prints a table, writes bench/results.{json,md}.

Keys: dispatch_ratio, fanout_ratio, import_ms, aws_calls, usd_per_million (see README "Benchmarks").
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core"), str(ROOT / "local")]

from bench import aws_calls, imports  # noqa: E402
from bench import dispatch as dispatch_bench  # noqa: E402

TARGETS = {
    "dispatch_ratio": ">= 0.7",
    "fanout_ratio": "<= 3",
    "import_ratio": "<= 1.25 x boto3",
    "usd_per_million_first_try": "<= 1.50",
    "usd_secrets_per_month_100k_webhooks": "envelope < 5",
}
MEMORY_GB = 1.0  # DispatcherFunction MemorySize
BATCH = 10  # SQS BatchSize


def cost(prices: dict[str, float], calls: dict[str, Any], core_per_s: float, fanout: int) -> dict[str, float]:
    """Dollars per million first-try deliveries (events fanning out to `fanout` webhooks), and per thousand
    deliveries that fail through the whole ladder; next to EventBridge API destinations doing the sends."""
    per = calls[f"first_try_success_fanout_{fanout}"]
    deliveries = 1_000_000
    events = deliveries / fanout
    lambda_seconds = deliveries / core_per_s  # measured dispatch-core time per delivery (receiver wait excluded)
    first_try = (
        events * prices["eventbridge_put_event"]
        + events * prices["sqs_request"] * 3 / BATCH  # send (by EventBridge), receive and delete, per batch
        + events / BATCH * prices["lambda_request"]
        + lambda_seconds * MEMORY_GB * prices["lambda_arm64_gb_second"]
        + deliveries * per.get("dynamodb_writes", 0) * prices["dynamodb_write_request_unit"]
        + deliveries * (per.get("dynamodb", 0) - per.get("dynamodb_writes", 0)) * prices["dynamodb_read_request_unit"]
        + deliveries * per.get("secretsmanager", 0) * prices["secretsmanager_api_call"]
    )
    ladder = calls["full_ladder_failure"]
    per_failed = (
        ladder["state_transitions"] * prices["stepfunctions_state_transition"]
        + ladder["attempt_function_invocations"]
        * (prices["lambda_request"] + 0.2 * 0.5 * prices["lambda_arm64_gb_second"])
        + ladder["attempt_function_invocations"] * 6 * prices["dynamodb_write_request_unit"]
    )
    api_destinations = (
        deliveries * prices["eventbridge_api_destination_invocation"] + events * prices["eventbridge_put_event"]
    )
    return {
        f"first_try_per_million_fanout_{fanout}": round(first_try, 3),
        "full_ladder_failure_per_thousand": round(per_failed * 1000, 3),
        f"eventbridge_api_destinations_per_million_fanout_{fanout}": round(api_destinations, 3),
    }


def secret_storage(
    prices: dict[str, float], webhooks: int = 100_000, containers: int = 100, cache_seconds: int = 300
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


def main() -> dict[str, Any]:
    prices = json.loads((ROOT / "bench" / "prices.json").read_text())
    fast = dispatch_bench.ReceiverProcess()
    try:
        raw = asyncio.run(dispatch_bench.raw_loop(fast.url, 12000, 50))
        core, _ = asyncio.run(dispatch_bench.carrier_core(fast.url, 12000, 50, per_event=100))
        raw = (raw + asyncio.run(dispatch_bench.raw_loop(fast.url, 12000, 50))) / 2
        calls = aws_calls.measure(fast.url)
    finally:
        fast.close()
    slow = dispatch_bench.ReceiverProcess(delay_ms=50)
    try:
        fanout_seconds = asyncio.run(dispatch_bench.fanout(slow.url, 1000, 50))
    finally:
        slow.close()
    import_ms = imports.measure(runs=7)
    usd: dict[str, float] = {}
    for fanout in (1, 10):
        usd.update(cost(prices, calls, core, fanout))
    results = {
        "dispatch_ratio": round(core / raw, 3),
        "dispatch_rates_per_s": {"carrier_core": round(core), "raw_aiohttp": round(raw)},
        "fanout_ratio": round(fanout_seconds / (0.05 * 1000 / 50), 3),
        "import_ms": import_ms,
        "import_ratio": {
            k: round(v / import_ms["boto3"], 2) for k, v in import_ms.items() if k.startswith("functions")
        },
        "aws_calls": calls,
        "usd_per_million": usd,
        "usd_secrets_per_month_100k_webhooks": secret_storage(prices),
        "prices_date": prices["date"],
        "targets": TARGETS,
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["| key | value |", "| --- | --- |"] + [
        f"| `{key}` | `{json.dumps(value)}` |" for key, value in results.items()
    ]
    (ROOT / "bench" / "results.md").write_text("# Benchmark results (`make bench`)\n\n" + "\n".join(lines) + "\n")
    print("\n".join(lines))
    return results


if __name__ == "__main__":
    main()

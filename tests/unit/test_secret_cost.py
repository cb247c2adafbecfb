"""The cost model of the two secret stores (`bench/run.py`): secrets for 100,000 webhooks cost under $5 a month
with `envelope`, $40,000 with `per-webhook`."""

from __future__ import annotations

import json
from pathlib import Path

from bench.run import secret_storage

PRICES = json.loads((Path(__file__).resolve().parents[2] / "bench" / "prices.json").read_text())


def test_envelope_secrets_for_100k_webhooks_cost_under_5_dollars_a_month() -> None:
    cost = secret_storage(PRICES, webhooks=100_000)
    assert cost["envelope"] < 5
    assert cost["per-webhook"] == 40_000


def test_envelope_cost_does_not_grow_with_webhooks() -> None:
    assert secret_storage(PRICES, webhooks=1_000_000)["envelope"] == secret_storage(PRICES, webhooks=10)["envelope"]

"""The carrier CLI against the local stack: publish, webhooks list, deliveries tail."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.receiver import Receiver
from tests.stack import Stack, Tenant
from tests.support import ROOT


def carrier(stack: Stack, tenant: Tenant, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(CARRIER_STATE=str(stack.state_file), CARRIER_API_KEY=tenant.key)
    result = subprocess.run(
        [sys.executable, "-m", "carrier.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_publish_list_and_tail(stack: Stack, tenant: Tenant) -> None:
    with Receiver() as receiver:
        hook = tenant.create(receiver.url)
        assert hook["id"] in carrier(stack, tenant, "webhooks", "list")
        published = json.loads(
            carrier(stack, tenant, "publish", "model.trained", "--data", '{"model_id": "m1"}', "--output", "json")
        )
        line = carrier(
            stack,
            tenant,
            "deliveries",
            "tail",
            hook["id"],
            "--history",
            "--count",
            "1",
            "--interval",
            "0.2",
            "--output",
            "json",
        )
    delivery = json.loads(line)
    assert delivery["event_id"] == published["id"] and delivery["event_type"] == "model.trained"


def test_recover_with_progress(stack: Stack, tenant: Tenant) -> None:
    with Receiver() as receiver:
        hook = tenant.create(receiver.url)
        out = carrier(
            stack, tenant, "deliveries", "recover", hook["id"], "--since", "2026-01-01T00:00:00Z", "--output", "json"
        )
    assert json.loads(out[out.index("{") :])["recovered"] == 0

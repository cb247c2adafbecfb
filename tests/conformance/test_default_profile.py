"""No PROFILE: the stack is Carrier's own contract, unchanged by profiles (on the suites' shared `stack`)."""

from __future__ import annotations

import json

from carrier.operational import TYPES
from tests.conformance.harness import HERE, assert_runs, catalog, doc_json
from tests.stack import Stack, Tenant


def test_the_default_stack_runs_the_carrier_profile(stack: Stack) -> None:
    assert_runs(stack, "carrier")


def test_the_catalog_is_todays(tenant: Tenant) -> None:
    before = {t["name"]: t for t in doc_json(HERE / "default" / "event_types.jsonc")["event_types"]}
    now = catalog(tenant)
    assert sorted(now) == sorted([*before, *TYPES])  # today's, and Carrier's operational events (every catalog)
    differ = [name for name in before if now[name] != before[name]]
    assert not differ, json.dumps({name: {"before": before[name], "now": now[name]} for name in differ})


def test_a_new_webhook_uses_standard_webhooks_and_the_standard_payload(tenant: Tenant) -> None:
    hook = tenant.create("http://127.0.0.1:9/hook")
    assert hook["id"].startswith("wh_")
    assert hook["signature"]["scheme"] == "standard-webhooks"
    assert hook["payload_format"] == "standard"

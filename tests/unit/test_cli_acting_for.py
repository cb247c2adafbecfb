"""The CLI acts for one tenant with a platform key: CARRIER_TENANT becomes the Carrier-Tenant header."""

from __future__ import annotations

import argparse

import pytest

from carrier.cli.common import Target
from tests.receiver import Receiver


@pytest.mark.parametrize("tenant", ["acme", None])
def test_carrier_tenant_names_the_tenant_a_platform_key_acts_for(
    monkeypatch: pytest.MonkeyPatch, tenant: str | None
) -> None:
    with Receiver() as api:
        monkeypatch.setenv("CARRIER_API_URL", api.url)
        monkeypatch.setenv("CARRIER_API_KEY", "ckp_" + "x" * 43)
        if tenant:
            monkeypatch.setenv("CARRIER_TENANT", tenant)
        else:
            monkeypatch.delenv("CARRIER_TENANT", raising=False)
        Target(argparse.Namespace()).api(
            "POST", "/v1/webhooks", {"url": "https://x.example.com"}
        )  # the receiver takes POSTs
    headers = {k.lower(): v for k, v in api.requests[0].headers.items()}
    assert headers.get("carrier-tenant") == tenant and headers["carrier-view"] == "carrier"

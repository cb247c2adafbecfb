"""Fixtures and helpers of the integration tests (moto + real handlers + local receivers)."""

from __future__ import annotations

from typing import Any

from tests.pipeline import pipeline as pipeline  # the fixture, shared with tests/security
from tests.support import call_api


def create(url: str, tenant: str = "t1", **fields: Any) -> dict[str, Any]:
    status, body = call_api("POST", "/v1/webhooks", body={"url": url, "events": ["model.*"], **fields}, tenant=tenant)
    assert status == 201, body
    return body


def deliveries(webhook_id: str, tenant: str = "t1", **query: str) -> list[dict[str, Any]]:
    status, body = call_api("GET", f"/v1/webhooks/{webhook_id}/deliveries", tenant=tenant, query=query or None)
    assert status == 200, body
    return body["deliveries"]

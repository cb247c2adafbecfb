"""Fixtures and helpers of the integration tests (moto + real handlers + local receivers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from carrier import runtime
from tests.fakes import RecordingScheduler
from tests.support import call_api


@pytest.fixture
def pipeline(aws: dict, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingScheduler]:
    """Moto plus the dispatcher wired to a recording retry scheduler; loopback receivers allowed."""
    monkeypatch.setenv("ALLOW_PRIVATE_TARGETS", "true")
    monkeypatch.setenv("HTTP_TIMEOUT_SECONDS", "2")
    runtime.reset()
    scheduler = RecordingScheduler()
    runtime.use_scheduler(scheduler)
    yield scheduler
    runtime.use_scheduler(None)


def create(url: str, tenant: str = "t1", **fields: Any) -> dict[str, Any]:
    status, body = call_api("POST", "/v1/webhooks", body={"url": url, "events": ["model.*"], **fields}, tenant=tenant)
    assert status == 201, body
    return body


def deliveries(webhook_id: str, tenant: str = "t1", **query: str) -> list[dict[str, Any]]:
    status, body = call_api("GET", f"/v1/webhooks/{webhook_id}/deliveries", tenant=tenant, query=query or None)
    assert status == 200, body
    return body["deliveries"]

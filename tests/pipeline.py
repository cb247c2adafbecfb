"""Helpers to drive the dispatcher handler as SQS would, with bus events as EventBridge delivers them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from carrier import runtime
from tests.fakes import RecordingScheduler
from tests.support import FakeContext, load_handler


@pytest.fixture
def pipeline(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingScheduler]:
    """Moto plus the dispatcher wired to a recording retry scheduler; loopback receivers allowed."""
    monkeypatch.setenv("ALLOW_PRIVATE_TARGETS", "true")
    monkeypatch.setenv("HTTP_TIMEOUT_SECONDS", "2")
    # these tests change webhooks between events: the list is read per event (its cache: tests/unit/test_write_path)
    monkeypatch.setenv("WEBHOOK_CACHE_SECONDS", "0")
    runtime.reset()
    scheduler = RecordingScheduler()
    runtime.use_scheduler(scheduler)
    yield scheduler
    runtime.use_scheduler(None)


def bus_event(
    event_type: str,
    data: dict[str, Any],
    *,
    tenant: str = "t1",
    event_id: str | None = None,
    callback_url: str | None = None,
) -> dict[str, Any]:
    detail: dict[str, Any] = {"tenant_id": tenant, "data": data}
    if event_id:
        detail["id"] = event_id
    if callback_url:
        detail["callback_url"] = callback_url
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": event_type,
        "source": "platform.test",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def sqs_event(*bodies: Any) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1767225600000",
                    "SenderId": "AIDA",
                    "ApproximateFirstReceiveTimestamp": "1767225600000",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:carrier-test-events",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


def dispatch(*bodies: Any) -> dict[str, Any]:
    """Run the real dispatcher handler on one SQS batch; returns its partial-batch answer."""
    return load_handler("dispatcher").handler(sqs_event(*bodies), FakeContext())

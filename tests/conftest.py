from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.support import deployed_properties

pytest_plugins = ["tests.stack"]  # the shared local-stack fixtures: stack, tenant

TEST_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "STAGE": "test",
    "TABLE_NAME": "carrier-test",
    "EVENT_BUS_NAME": "carrier-test",
    "SECRET_PREFIX": "carrier/test/",
    "ALLOW_PRIVATE_TARGETS": "false",
    "ALLOW_HTTP_TARGETS": "false",
    "POWERTOOLS_SERVICE_NAME": "carrier",
    "POWERTOOLS_METRICS_NAMESPACE": "CarrierTest",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
    "CARRIER_PROFILE": "carrier",  # the default; tests of other profiles set theirs
}


def table_properties(name: str, **parameters: str) -> dict[str, Any]:
    """The Table resource of template.yaml as deployed with its Parameters' defaults (or `parameters`), with its
    name resolved (never a copy of its key schema)."""
    props = dict(deployed_properties("Table", **parameters))
    props["TableName"] = name
    for unsupported in ("PointInTimeRecoverySpecification", "SSESpecification", "TimeToLiveSpecification"):
        props.pop(unsupported, None)
    return props


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    from carrier import runtime

    runtime.reset()
    return dict(TEST_ENV)


@pytest.fixture
def aws(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """Moto with Carrier's table (from template.yaml), bus and nothing else."""
    from moto import mock_aws

    with mock_aws():
        boto3.client("dynamodb").create_table(**table_properties(env["TABLE_NAME"]))
        boto3.client("events").create_event_bus(Name=env["EVENT_BUS_NAME"])
        yield env
    from carrier import runtime

    runtime.reset()


@pytest.fixture(autouse=True)
def steady_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ladder's waits are their rungs exactly (carrier.ladder's jitter source pinned to the middle), so a test can say
    "300"; a test of the jitter sets `carrier.ladder.RANDOM` to a seeded source itself."""
    monkeypatch.setattr("carrier.ladder.RANDOM", lambda: 0.5)

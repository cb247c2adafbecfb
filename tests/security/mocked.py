"""Moto for a whole class of tests: nothing a row stores can leak into another (each row uses its own tenant or
stores nothing), and the class pays moto's set-up once instead of once per row."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import boto3
import pytest

from carrier import runtime
from tests.conftest import TEST_ENV, table_properties


@contextlib.contextmanager
def moto_env(**overrides: str) -> Iterator[dict[str, str]]:
    """tests/conftest.py's `aws` fixture as a context manager, with environment overrides."""
    from moto import mock_aws

    env = {**TEST_ENV, **overrides}
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            patch.delenv(key, raising=False)
        for key, value in env.items():
            patch.setenv(key, value)
        runtime.reset()
        try:
            with mock_aws():
                boto3.client("dynamodb").create_table(**table_properties(env["TABLE_NAME"]))
                boto3.client("events").create_event_bus(Name=env["EVENT_BUS_NAME"])
                yield env
        finally:
            runtime.reset()

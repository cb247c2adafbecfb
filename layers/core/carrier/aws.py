"""boto3 clients and resources: created once per container, all with the same explicit retry config.

Nothing else in `carrier` calls `boto3.client`/`boto3.resource`; tests reset the cache with `reset()`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

BOTO_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=3, read_timeout=10)


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=BOTO_CONFIG)  # type: ignore[call-overload]


@cache
def resource(service: str) -> Any:
    return boto3.resource(service, config=BOTO_CONFIG)  # type: ignore[call-overload]


def reset() -> None:
    client.cache_clear()
    resource.cache_clear()

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


# AWS error codes worth another try a moment later (throttling, a service's own 5xx); anything else is final.
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "InternalServerError",
        "InternalServiceError",
        "InternalFailure",
        "ServiceUnavailable",
    }
)


def is_transient(error: BaseException) -> bool:
    """An AWS error that another try may not meet (its cause is looked at too: Powertools wraps Secrets Manager's)."""
    for found in (error, error.__cause__, error.__context__):
        response = getattr(found, "response", None)
        if isinstance(response, dict) and response.get("Error", {}).get("Code") in TRANSIENT_CODES:
            return True
    return False

"""The embedded moto server every boto3 client of the process talks to: its quirks, handled in one place.

- `quiet_tools`: moto's notices about resource types its CloudFormation skips, its server's request log and
  the translator's metrics notice are dropped (`LocalStack.skipped` says what became of each resource);
- `serialize_dynamodb`: DynamoDB requests to the server run one at a time (moto's DynamoDB is not
  thread-safe; DynamoDB is), every other service stays concurrent;
- `aws_environment`: the environment that sends every boto3 client to the server with dummy credentials,
  and nowhere else;
- `reset_moto`: forget every resource, so a later stack in the same process starts clean.
"""

from __future__ import annotations

import logging
import os
import threading
import urllib.request
import warnings
from typing import Any

# Anything that could send a boto3 client elsewhere, or fail for want of a profile, is removed.
_AWS_ENVIRONMENT_REMOVED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def aws_environment(endpoint_url: str, region: str) -> dict[str, str | None]:
    """The environment variables to set (None: to remove), in order, so every boto3 client of the process
    talks to moto at `endpoint_url` in `region` with dummy credentials."""
    environment: dict[str, str | None] = {name: None for name in os.environ if name.startswith("AWS_ENDPOINT_URL_")}
    environment.update({name: None for name in _AWS_ENVIRONMENT_REMOVED})
    environment.update(
        {
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": endpoint_url,
        }
    )
    return environment


class _DropSkippedTypeWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No Moto CloudFormation support")


def quiet_tools() -> None:
    """moto reports skipped resource types through warnings and logs; `LocalStack.skipped` says what
    became of each. The request log of moto's server and the translator's metrics notice go too."""
    warnings.filterwarnings("ignore", message="Tried to parse .* not supported", category=UserWarning)
    moto_log = logging.getLogger("moto")
    if not any(isinstance(f, _DropSkippedTypeWarnings) for f in moto_log.filters):
        moto_log.addFilter(_DropSkippedTypeWarnings())
    for name in ("werkzeug", "samtranslator.metrics.metrics"):
        logging.getLogger(name).setLevel(logging.ERROR)


def serialize_dynamodb(server: Any) -> None:
    """moto's DynamoDB is not safe under concurrent requests (it deep-copies items while others write:
    "dictionary changed size during iteration"); DynamoDB itself is. One DynamoDB request at a time keeps the
    local stack correct; other services (SQS long polls above all) stay concurrent."""
    wsgi = server._server
    inner = wsgi.app
    lock = threading.Lock()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with lock:
                return list(inner(environ, start_response))
        return inner(environ, start_response)

    wsgi.app = app


def reset_moto(endpoint_url: str) -> None:
    """Forget every moto resource (moto's state is per process), so a later stack starts clean."""
    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own moto server
        response.read()


__all__ = ["aws_environment", "quiet_tools", "reset_moto", "serialize_dynamodb"]

"""The stage the AWS-call scenarios run on: moto with Carrier's resources (the table as template.yaml defines it,
the bus, the data-key secret, the state machine) and a function's environment, a fresh runtime and a `Ledger` on
every client (`stack`); a loopback receiver in a process of its own; a Lambda context with the function's memory and
timeout; the handlers loaded from functions/; and the events as EventBridge and SQS hand them over.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from bench.aws_env import REGION, ROOT, STAGE, TENANT, environment, table_shape
from bench.aws_ledger import Ledger
from tests.support import deployed_properties

RECEIVER = """
import asyncio, json, sys

size, status = int(sys.argv[1]), int(sys.argv[2])
answer = json.dumps({"echo": "x" * max(0, size - 11)}).encode()
head = b"HTTP/1.1 %d Answer\\r\\nContent-Type: application/json\\r\\n" % status
head += b"Content-Length: %d\\r\\n\\r\\n" % len(answer)


async def hook(reader, writer):
    try:
        while True:
            lines = await reader.readuntil(b"\\r\\n\\r\\n")
            length = 0
            for line in lines.split(b"\\r\\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            writer.write(head + answer)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def main():
    server = await asyncio.start_server(hook, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
"""


class Receiver:
    """A loopback receiver in a process of its own (never what is measured): answers `status` with `size` bytes."""

    def __init__(self, size: int = 2, status: int = 200) -> None:
        self.size = size
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RECEIVER, str(size), str(status)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}/hook"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Context:
    """A Lambda context: the function's configured memory and timeout."""

    def __init__(self, name: str, memory_mb: int, timeout_s: int) -> None:
        self.function_name = f"carrier-{STAGE}-{name}"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def _resources() -> None:
    """The table (as the template defines it), the bus, the data-key secret and the state machine, in moto."""
    props = deployed_properties("Table")  # as deployed with the Parameters' defaults (no lsi1 on a new stack)
    props["TableName"] = f"carrier-{STAGE}"
    for unsupported in ("PointInTimeRecoverySpecification", "SSESpecification", "TimeToLiveSpecification"):
        props.pop(unsupported, None)
    boto3.client("dynamodb").create_table(**props)
    boto3.client("events").create_event_bus(Name=f"carrier-{STAGE}")
    key = "k" * 64
    boto3.client("secretsmanager").create_secret(
        Name=f"carrier/{STAGE}/data-key", SecretString=json.dumps({"current": "k1", "k1": key})
    )
    role = boto3.client("iam").create_role(RoleName="ladder", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("stepfunctions").create_state_machine(
        name=f"carrier-{STAGE}-retry-ladder",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn=role,
    )


def load_handler(function: str) -> Callable[..., Any]:
    from carrier_local import handlers

    module = handlers.load_module(ROOT / "functions" / function / "app.py")
    return module.handler


def bus_envelope(n: int, event_id: str) -> dict[str, Any]:
    """A bus event as EventBridge puts it on the queue (the SQS message body)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "model.trained",
        "source": "platform.bench",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": {"tenant_id": TENANT, "id": event_id, "data": EVENT_DATA | {"n": n}},
    }


EVENT_DATA = {"model_id": "mdl_01J9Z8Q4", "version": 3, "metrics": {"accuracy": 0.931, "f1": 0.902}}


def sqs_batch(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1767225600000"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:carrier-{STAGE}-events",
                "awsRegion": REGION,
            }
            for body in bodies
        ]
    }


@contextmanager
def stack(function: str) -> Iterator[Ledger]:
    """moto with Carrier's resources, the environment of `function`, a fresh runtime and a Ledger on every client."""
    saved_env = dict(os.environ)
    os.environ.update(environment(function))
    saved_disable = logging.root.manager.disable
    logging.disable(logging.NOTSET)  # what the handlers log at the template's level, nothing switched off
    try:
        with mock_aws():
            _resources()
            from carrier import runtime

            boto3.setup_default_session()
            ledger = Ledger(table_shape())
            ledger.attach(boto3.DEFAULT_SESSION.events)  # type: ignore[union-attr]
            runtime.reset()
            yield ledger
            runtime.reset()
    finally:
        logging.disable(saved_disable)
        os.environ.clear()
        os.environ.update(saved_env)

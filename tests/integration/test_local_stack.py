"""The local stack: `python -m carrier_local` in a subprocess, and the stack and poller in-process."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from carrier.fanout import SqsChunks
from carrier_local.__main__ import READY_LINE
from carrier_local.poller import SqsPoller
from carrier_local.routes import routes_from_template
from carrier_local.stack import LocalStack
from carrier_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    state_file: Path
    stdout: Path
    stderr: Path
    port: int

    def output(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


def start_local(tmp_path: Path) -> Running:
    """Start `python -m carrier_local` and wait (polling, with a deadline) for its ready line."""
    port = free_port()
    running = Running(
        process=None,  # type: ignore[arg-type]
        state_file=tmp_path / "state" / "local.json",
        stdout=tmp_path / "stdout.txt",
        stderr=tmp_path / "stderr.txt",
        port=port,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with running.stdout.open("wb") as out, running.stderr.open("wb") as err:
        running.process = subprocess.Popen(
            [sys.executable, "-m", "carrier_local", "--port", str(port), "--state-file", str(running.state_file)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while READY_LINE not in running.stdout.read_text(errors="replace"):
        if running.process.poll() is not None:
            pytest.fail(f"carrier_local exited with {running.process.returncode}:\n{running.output()}")
        if time.monotonic() > deadline:
            running.process.kill()
            pytest.fail(f"carrier_local not ready after {START_TIMEOUT}s:\n{running.output()}")
        time.sleep(0.05)
    return running


def stop_local(running: Running) -> int:
    if running.process.poll() is None:
        running.process.send_signal(signal.SIGTERM)
    try:
        return running.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        running.process.kill()
        raise


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = start_local(tmp_path_factory.mktemp("carrier_local"))
    try:
        yield running
    finally:
        stop_local(running)


def request(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
            status, raw, found = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, raw, found = error.code, error.read(), dict(error.headers)
    content_type = {k.lower(): v for k, v in found.items()}.get("content-type", "")
    return status, found, json.loads(raw) if "json" in content_type else raw


def test_state_file(local: Running) -> None:
    state = json.loads(local.state_file.read_text())
    assert set(state) == {
        "api_url",
        "aws_endpoint_url",
        "api_key",
        "tenant_id",
        "region",
        "event_bus_name",
        "table_name",
        "events_queue_url",
        "pid",
        "profile",
        "secret_store",
    }
    assert state["profile"] == "carrier"  # no PROFILE: the default
    assert state["secret_store"] == "envelope"  # the template's SecretStore default, which the CLI follows
    assert state["api_url"] == f"http://127.0.0.1:{local.port}"
    assert state["aws_endpoint_url"].startswith("http://127.0.0.1:")
    assert state["api_key"].startswith("ck_")
    assert state["tenant_id"] == "demo"
    assert state["region"] == "us-east-1"
    assert state["pid"] == local.process.pid
    assert state["events_queue_url"].startswith(state["aws_endpoint_url"])
    assert stat.S_IMODE(local.state_file.stat().st_mode) == 0o600
    banner = local.stdout.read_text()
    assert state["api_key"] in banner and f"{state['api_url']}/docs" in banner
    assert banner.rstrip().endswith(READY_LINE)


def test_unauthenticated_request_is_401_json(local: Running) -> None:
    status, headers, body = request(f"http://127.0.0.1:{local.port}/v1/webhooks")
    assert status == 401
    assert body == {"message": "Unauthorized"}
    assert "apigw-requestid" in {k.lower() for k in headers}


def test_the_demo_key_passes_the_authorizer(local: Running) -> None:
    state = json.loads(local.state_file.read_text())
    status, _, body = request(f"{state['api_url']}/v1/webhooks", {"Authorization": f"Bearer {state['api_key']}"})
    assert status == 200, body


def test_the_route_table_comes_from_the_template() -> None:
    keys = {route.key for route in routes_from_template(load_template())}
    assert {"ANY /v1/{proxy+}", "GET /docs"} <= keys


def test_sigterm_stops_cleanly_and_removes_the_state_file(tmp_path: Path) -> None:
    running = start_local(tmp_path)
    assert running.state_file.exists()
    started = time.monotonic()
    assert stop_local(running) == 0, running.output()
    assert time.monotonic() - started < 10
    assert not running.state_file.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", running.port), timeout=1).close()


# -- in-process: the stack and the poller ------------------------------------------------------------------


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack() as local_stack:
        yield local_stack


def test_stack_resources_and_environment(stack: LocalStack) -> None:
    assert stack.endpoint_url == os.environ["AWS_ENDPOINT_URL"]
    assert stack.environment["STAGE"] == "local"
    assert stack.environment["ALLOW_PRIVATE_TARGETS"] == "true"
    assert os.environ["TABLE_NAME"] == stack.table_name
    assert set(stack.functions) >= {"ApiFunction", "AuthorizerFunction", "DispatcherFunction"}
    assert stack.functions["DispatcherFunction"].module_file == ROOT / "functions" / "dispatcher" / "app.py"
    source, chunks = stack.event_sources  # the bus's events, and the chunks of split fan-outs
    assert source.function == chunks.function == "DispatcherFunction"
    assert source.queue_url == stack.events_queue_url
    assert chunks.queue_url.endswith("-fanout") and chunks.batch_size == 1
    assert source.report_batch_item_failures and chunks.report_batch_item_failures
    assert stack.environment["FANOUT_QUEUE_URL"].endswith("/carrier-local-fanout")  # as moto's CloudFormation names it
    assert stack.dead_letter_queue_url.endswith("-dlq")
    # moto's own event source mapping is off: the poller is the only consumer of the queue
    mappings = stack.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert [m["State"] for m in mappings] == ["Disabled", "Disabled"]  # the events queue's and the fan-out queue's


def test_the_data_key_secret_is_generated_from_the_template(stack: LocalStack) -> None:
    """moto's CloudFormation skips `AWS::SecretsManager::Secret`: carrier_local makes `DataKeySecret` from its
    `GenerateSecretString` (a 64-character random key under `k1`, named current), so `envelope` runs locally."""
    assert stack.environment["SECRET_STORE"] == "envelope"
    answer = stack.client("secretsmanager").get_secret_value(SecretId=stack.environment["DATA_KEY_SECRET"])
    value = json.loads(answer["SecretString"])
    assert value["current"] == "k1" and len(value["k1"]) == 64 and value["k1"].isalnum()


def drained(stack: LocalStack, source: Any, dispatcher: Any) -> SqsPoller:
    """A poller of `source`'s queue feeding `dispatcher`, run until the queue is drained (visibility 60 s)."""
    poller = SqsPoller(
        source.queue_url,
        source.queue_arn,
        dispatcher,
        batch_size=source.batch_size,
        failure_visibility_timeout=60,
        sqs_client=stack.client("sqs"),
    )
    with poller:
        poller.drain(timeout=20)
    return poller


def test_the_dispatchers_chunks_reach_the_fan_out_queue_one_per_batch(stack: LocalStack) -> None:
    # Given the fan-out queue the dispatcher's environment names, and its own event source (BatchSize 1)
    chunks = stack.event_sources[1]
    batches: list[dict[str, Any]] = []

    def dispatcher(event: dict[str, Any]) -> dict[str, Any]:
        batches.append(event)
        return {"batchItemFailures": []}

    # When the dispatcher's chunk queue sends three chunk messages (as carrier.fanout does)
    SqsChunks(stack.environment["FANOUT_QUEUE_URL"], stack.client("sqs")).send(["one", "two", "three"])
    drained(stack, chunks, dispatcher)
    # Then each came in a batch of its own
    assert sorted(r["body"] for b in batches for r in b["Records"]) == ["one", "three", "two"]
    assert [len(b["Records"]) for b in batches] == [1, 1, 1]


def test_poller_feeds_bus_events_to_the_function_and_keeps_reported_failures(stack: LocalStack) -> None:
    source = stack.event_sources[0]  # the events queue
    batches: list[dict[str, Any]] = []

    def dispatcher(event: dict[str, Any]) -> dict[str, Any]:
        batches.append(event)
        failed = [r["messageId"] for r in event["Records"] if json.loads(r["body"])["detail"]["data"].get("fail")]
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}

    entries = [
        {
            "Source": "test",
            "DetailType": "model.trained",
            "Detail": json.dumps({"tenant_id": "t1", "data": {"n": n, "fail": n == 2}}),
            "EventBusName": stack.event_bus_name,
        }
        for n in range(3)
    ]
    entries.append({**entries[0], "Detail": json.dumps({"data": {"no": "tenant"}})})  # the rule's pattern drops it
    assert stack.client("events").put_events(Entries=entries)["FailedEntryCount"] == 0

    poller = drained(stack, source, dispatcher)
    records = [record for batch in batches for record in batch["Records"]]
    assert sorted(json.loads(r["body"])["detail"]["data"]["n"] for r in records) == [0, 1, 2]
    record = records[0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == source.queue_arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert poller.stats.deleted == 2 and poller.stats.failed == 1
    counts = poller.queue_counts()
    assert counts["ApproximateNumberOfMessages"] == 0
    assert counts["ApproximateNumberOfMessagesNotVisible"] == 1  # the failed one waits out its visibility


def test_a_batch_that_keeps_failing_ends_in_the_dead_letter_queue(stack: LocalStack) -> None:
    source = stack.event_sources[0]  # the events queue
    calls: list[int] = []

    def dispatcher(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(len(event["Records"]))
        raise RuntimeError("the dispatcher is down")

    detail = json.dumps({"tenant_id": "t1", "data": {}})
    stack.client("events").put_events(
        Entries=[{"Source": "t", "DetailType": "x", "Detail": detail, "EventBusName": stack.event_bus_name}]
    )
    sqs = stack.client("sqs")
    poller = SqsPoller(source.queue_url, source.queue_arn, dispatcher, failure_visibility_timeout=0, sqs_client=sqs)
    with poller:
        deadline = time.monotonic() + 20
        while True:
            attributes = sqs.get_queue_attributes(
                QueueUrl=stack.dead_letter_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            if attributes["ApproximateNumberOfMessages"] == "1":
                break
            assert time.monotonic() < deadline, f"not in the DLQ after {len(calls)} calls"
            time.sleep(0.05)
    redrive = json.loads(
        sqs.get_queue_attributes(QueueUrl=source.queue_url, AttributeNames=["RedrivePolicy"])["Attributes"][
            "RedrivePolicy"
        ]
    )
    assert len(calls) == int(redrive["maxReceiveCount"])
    assert poller.stats.errors == len(calls)

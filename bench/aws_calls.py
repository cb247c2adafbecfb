"""Every AWS request of a delivery, measured on moto from the code as it is: `python -m bench.aws_calls` prints JSON.

The real handlers run (the dispatcher on SQS batches shaped as Lambda hands them over, the api's POST /v1/events
and the authorizer) with the environment template.yaml gives them. botocore hooks on the default session (every
client Carrier makes inherits them) count each request; for DynamoDB each request's item is read before and after
it (by a client of its own, outside the count) and billed by size as DynamoDB would (`bench.cost`), with the
table's indexes and projections from template.yaml. What the handlers print (Logger, Metrics' EMF) during the
measured batch is captured at the file-descriptor level: the CloudWatch Logs bytes. The ladder's state
transitions come from the ASL run in moto's Step Functions interpreter with the attempt function scripted.

Run in a process of its own (bench/run.py does: `python -m bench.aws_calls OUT.json`): it sets the environment
and the logging state it measures.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core"), str(ROOT / "local")]

import boto3  # noqa: E402
import botocore.session  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench import cost  # noqa: E402
from carrier_local.template import load_template  # noqa: E402
from tests.support import deployed_properties  # noqa: E402

REGION = "us-east-1"
STAGE = "bench"
TENANT = "bench"
WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


# ---- the template ---------------------------------------------------------------------------------------------


def template() -> dict[str, Any]:
    return load_template()


def _literal(value: Any, parameters: dict[str, Any]) -> str | None:
    """A template value as the deployed function sees it, when it is a literal or a Parameter's default."""
    if isinstance(value, str | int | float | bool):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        default = parameters[value["Ref"]].get("Default")
        return None if default is None else str(default)
    return None


def function_properties(name: str, tpl: dict[str, Any] | None = None) -> dict[str, Any]:
    """A function's Properties as deployed (its `Fn::If`s decided at the Parameters' defaults) with the template's
    Globals under them (MemorySize, Timeout, Environment)."""
    tpl = tpl or template()
    merged: dict[str, Any] = dict(tpl["Globals"]["Function"])
    own = deployed_properties(name)
    merged.update({k: v for k, v in own.items() if k != "Environment"})
    variables = dict(tpl["Globals"]["Function"].get("Environment", {}).get("Variables", {}))
    variables.update(own.get("Environment", {}).get("Variables", {}))
    merged["Environment"] = {"Variables": variables}
    return merged


def parameter(name: str, tpl: dict[str, Any] | None = None) -> Any:
    return (tpl or template())["Parameters"][name]["Default"]


def environment(function: str) -> dict[str, str]:
    """The function's environment as the template sets it (literals and Parameter defaults), the resources named
    for this run, and moto's credentials. Loopback receivers over http are allowed (the bench's receiver)."""
    tpl = template()
    variables = function_properties(function, tpl)["Environment"]["Variables"]
    env = {k: v for k, raw in variables.items() if (v := _literal(raw, tpl["Parameters"])) is not None}
    env.update(
        {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "STAGE": STAGE,
            "TABLE_NAME": f"carrier-{STAGE}",
            "EVENT_BUS_NAME": f"carrier-{STAGE}",
            "SECRET_PREFIX": f"carrier/{STAGE}/",
            "DATA_KEY_SECRET": f"carrier/{STAGE}/data-key",
            "STATE_MACHINE_ARN": f"arn:aws:states:{REGION}:123456789012:stateMachine:carrier-{STAGE}-retry-ladder",
            "ALLOW_PRIVATE_TARGETS": "true",
            "ALLOW_HTTP_TARGETS": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here; traces are priced by the sampling rule
        }
    )
    return env


def table_shape() -> cost.TableShape:
    return cost.table_shape(deployed_properties("Table"))


# ---- counting every request -----------------------------------------------------------------------------------


def _raw_dynamodb() -> Any:
    """A client outside the count (its own botocore session: no hooks) to read items as they are."""
    return botocore.session.get_session().create_client("dynamodb", region_name=REGION)


def _referenced(expression: str, mapping: dict[str, Any] | None, sigil: str) -> dict[str, Any]:
    used = set(re.findall(re.escape(sigil) + r"[A-Za-z0-9_]+", expression))
    return {k: v for k, v in (mapping or {}).items() if k in used}


class Ledger:
    """Every AWS request made while `active`: counted by service and operation; DynamoDB's billed by size."""

    def __init__(self, shape: cost.TableShape) -> None:
        self.shape = shape
        self.active = False
        self.calls: Counter[str] = Counter()
        self.wru = 0.0
        self.wru_by_index: Counter[str] = Counter()
        self.rru = 0.0
        self.writes = 0
        self.created: dict[str, dict[str, Any]] = {}  # items the measured run created, by key
        self.put_events: list[int] = []  # each PutEvents entry's billed chunks
        self.executions: list[dict[str, Any]] = []  # each StartExecution's input (a ladder started)
        self.errors: list[str] = []
        self.raw = _raw_dynamodb()
        self.lock = threading.Lock()

    def attach(self, session: Any) -> None:
        session.register("before-call", self.before)
        session.register("after-call", self.after)

    def reset(self) -> None:
        self.calls.clear()
        self.wru_by_index.clear()
        self.wru = self.rru = 0.0
        self.writes = 0
        self.created.clear()
        self.put_events.clear()
        self.executions.clear()

    # -- hooks

    def before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if self.active:
            self._guarded(self._before, model, params, context)

    def after(self, context: dict[str, Any], **_: Any) -> None:
        if self.active:
            self._guarded(self._after, context)

    def _guarded(self, step: Callable[..., None], *args: Any) -> None:
        """A hook that fails is the bench's fault, never the handler's: kept, and raised by `check`."""
        try:
            step(*args)
        except Exception as error:  # reported by check()
            self.errors.append(f"{type(error).__name__}: {error}")

    def check(self) -> None:
        if self.errors:
            raise RuntimeError(f"the bench's hooks failed: {self.errors[:3]}")

    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any]) -> None:
        service, operation = model.service_model.service_name, model.name
        with self.lock:
            self.calls[f"{service}.{operation}"] += 1
        body = json.loads(params.get("body") or b"{}") if service in ("dynamodb", "events") else {}
        if service == "stepfunctions" and operation == "StartExecution":
            with self.lock:
                self.executions.append(json.loads(json.loads(params.get("body") or b"{}").get("input", "{}")))
        if service == "events" and operation == "PutEvents":
            with self.lock:
                self.put_events += [cost.chunks(cost.put_events_entry_size(e)) for e in body.get("Entries", [])]
        if service != "dynamodb":
            return
        context["bench"] = (operation, body, self._items_before(operation, body))

    def _after(self, context: dict[str, Any]) -> None:
        found = context.pop("bench", None)
        if found is None:
            return
        operation, body, before = found
        if operation in READS:
            rru = self._read_units(operation, body)
            with self.lock:
                self.rru += rru
            return
        transactional = operation == "TransactWriteItems"
        for (table, name), (key, old) in before.items():
            new = self._get(table, key)
            paid = cost.write_cost(self.shape, old, new, transactional=transactional)
            with self.lock:
                self.writes += 1
                self.wru += paid.total
                self.wru_by_index["table"] += paid.table
                self.wru_by_index.update(paid.indexes)
                if old is None and new is not None:
                    self.created[name] = new
                elif new is None:
                    self.created.pop(name, None)
                elif name in self.created:
                    self.created[name] = new

    # -- DynamoDB state, read outside the count

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.raw.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return found

    def _items_before(self, operation: str, body: dict[str, Any]) -> dict[tuple[str, str], Any]:
        """Each item a write request touches: (table, key as JSON) -> (key, the item before it or None)."""
        if operation not in WRITES | {"TransactWriteItems", "BatchWriteItem"}:
            return {}
        targets: list[tuple[str, dict[str, Any]]] = []
        if operation in WRITES:
            targets.append((body["TableName"], body.get("Key") or self.shape.key_of(body["Item"])))
        elif operation == "TransactWriteItems":
            for action in body["TransactItems"]:
                ((_, request),) = action.items()
                targets.append((request["TableName"], request.get("Key") or self.shape.key_of(request["Item"])))
        else:
            for table, requests in body["RequestItems"].items():
                for request in requests:
                    put = request.get("PutRequest")
                    key = self.shape.key_of(put["Item"]) if put else request["DeleteRequest"]["Key"]
                    targets.append((table, key))
        return {(table, json.dumps(key, sort_keys=True)): (key, self._get(table, key)) for table, key in targets}

    def _read_units(self, operation: str, body: dict[str, Any]) -> float:
        """Read units of a read request: the whole items it read (a projection or a filter saves nothing)."""
        if operation == "GetItem":
            item = self._get(body["TableName"], body["Key"])
            return cost.read_units(cost.item_size(item), bool(body.get("ConsistentRead")))
        if operation in ("BatchGetItem", "TransactGetItems"):
            if operation == "BatchGetItem":
                wanted = [(t, k, r.get("ConsistentRead")) for t, r in body["RequestItems"].items() for k in r["Keys"]]
            else:
                wanted = [(g["Get"]["TableName"], g["Get"]["Key"], True) for g in body["TransactItems"]]
            factor = 2 if operation == "TransactGetItems" else 1
            return sum(factor * cost.read_units(cost.item_size(self._get(t, k)), bool(c)) for t, k, c in wanted)
        # Query / Scan: the same page without its filter and projection, as DynamoDB reads it
        expression = body.get("KeyConditionExpression", "")
        kept = ("TableName", "IndexName", "ExclusiveStartKey", "Limit", "ScanIndexForward", "ConsistentRead")
        again: dict[str, Any] = {k: body[k] for k in kept if k in body}
        if expression:
            again["KeyConditionExpression"] = expression
            names = _referenced(expression, body.get("ExpressionAttributeNames"), "#")
            values = _referenced(expression, body.get("ExpressionAttributeValues"), ":")
            again.update({"ExpressionAttributeNames": names} if names else {})
            again.update({"ExpressionAttributeValues": values} if values else {})
        page = getattr(self.raw, "query" if operation == "Query" else "scan")(**again)
        sizes = [cost.item_size(i) for i in page.get("Items", [])]
        return cost.query_read_units(sizes, bool(body.get("ConsistentRead")))

    # -- results

    def service_calls(self, service: str) -> int:
        return sum(count for name, count in self.calls.items() if name.split(".")[0] == service)

    def stored_bytes(self) -> int:
        return sum(cost.stored_bytes(item, self.shape) for item in self.created.values())


@contextmanager
def printed() -> Iterator[dict[str, Any]]:
    """Bytes written to stdout and stderr (file descriptors 1 and 2) inside the block: what Lambda sends to
    CloudWatch Logs."""
    out: dict[str, Any] = {}
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    files = {fd: tempfile.TemporaryFile() for fd in (1, 2)}  # noqa: SIM115 (closed below, after dup2 back)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    for fd, f in files.items():
        os.dup2(f.fileno(), fd)
    try:
        yield out
    finally:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
        for fd, f in files.items():
            os.dup2(saved[fd], fd)
            os.close(saved[fd])
            f.seek(0)
            text = f.read()
            out["stdout" if fd == 1 else "stderr"] = len(text)
            out[f"text_{fd}"] = text.decode(errors="replace")
            f.close()


def metric_names(text: str) -> list[str]:
    """The custom metrics in the EMF documents printed (each name is a metric CloudWatch bills by the month)."""
    names: set[str] = set()
    for line in text.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "_aws" in document:
            for directive in document["_aws"].get("CloudWatchMetrics", []):
                names.update(m["Name"] for m in directive.get("Metrics", []))
    return sorted(names)


# ---- a receiver, the AWS resources, the handlers ---------------------------------------------------------------


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


def _handler(function: str) -> Callable[..., Any]:
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


# ---- measurements ---------------------------------------------------------------------------------------------


def dispatch(receiver: Receiver, fanout: int) -> dict[str, Any]:
    """A warm dispatcher on a full batch (the template's BatchSize) of events, each to `fanout` webhooks that all
    answer 200 (with `receiver.size` bytes): per delivery, the requests, write and read units, log bytes, and the
    handler's own time (moto's in-process answers standing for DynamoDB's)."""
    from carrier import runtime
    from carrier.models import WebhookCreate

    props = function_properties("DispatcherFunction")
    batch = int(props["Events"]["Queue"]["Properties"]["BatchSize"])
    with stack("DispatcherFunction") as ledger:
        for _ in range(fanout):
            runtime.webhook_service().create(TENANT, WebhookCreate(url=receiver.url, events=["model.*"]))
        existing = ledger.raw.scan(TableName=f"carrier-{STAGE}").get("Items", [])
        webhook_bytes = sum(cost.stored_bytes(item, ledger.shape) for item in existing) / fanout
        handler = _handler("dispatcher")
        context = Context("dispatcher", int(props["MemorySize"]), int(props["Timeout"]))
        warm = [bus_envelope(n, f"evt_warm_{n}") for n in range(batch)]
        assert not handler(sqs_batch(warm), context).get("batchItemFailures")
        bodies = [bus_envelope(n, f"evt_{uuid.uuid4().hex[:12]}") for n in range(batch)]
        ledger.reset()
        ledger.active = True
        with printed() as logs:
            started = time.perf_counter()
            answer = handler(sqs_batch(bodies), Context("dispatcher", int(props["MemorySize"]), int(props["Timeout"])))
            seconds = time.perf_counter() - started
        ledger.active = False
        ledger.check()
        assert not answer.get("batchItemFailures"), answer
        deliveries = batch * fanout
        delivered = sum(1 for item in ledger.created.values() if item.get("status") == {"S": "delivered"})
        assert delivered == deliveries, f"{delivered} of {deliveries} deliveries delivered"
    per = {name: round(count / deliveries, 3) for name, count in sorted(ledger.calls.items())}
    return {
        "fanout": fanout,
        "batch": batch,
        "deliveries": deliveries,
        "answer_bytes": receiver.size,
        "calls_per_delivery": per,
        "dynamodb_writes": round(ledger.writes / deliveries, 3),
        "dynamodb_wru": round(ledger.wru / deliveries, 3),
        "dynamodb_wru_by_index": {k: round(v / deliveries, 3) for k, v in ledger.wru_by_index.items()},
        "dynamodb_rru": round(ledger.rru / deliveries, 3),
        "stored_bytes": round(ledger.stored_bytes() / deliveries, 1),
        "largest_item_bytes": max((cost.item_size(item) for item in ledger.created.values()), default=0),
        "secretsmanager": round(ledger.service_calls("secretsmanager") / deliveries, 3),
        "stepfunctions": round(ledger.service_calls("stepfunctions") / deliveries, 3),
        "own_seconds_per_invocation": round(seconds, 4),
        "log_bytes_per_invocation": logs["stdout"] + logs["stderr"],
        "log_bytes_stderr": logs["stderr"],
        "log_stderr_first_line": logs["text_2"].split("\n", 1)[0],
        "metric_names": metric_names(logs["text_1"]),
        "webhook_stored_bytes": round(webhook_bytes, 1),
        "message_bytes": round(sum(len(json.dumps(b)) for b in bodies) / batch, 1),
    }


def retry_attempt(failing: Receiver) -> dict[str, Any]:
    """One ladder step of a delivery whose receiver keeps failing: the dispatcher's first try hands it to the ladder
    (StartExecution), then the attempt handler runs the step the ladder would (a retry, answered with its next
    wait): its requests and write units per attempt."""
    from carrier import runtime
    from carrier.models import WebhookCreate

    props = function_properties("AttemptFunction")
    dispatcher_props = function_properties("DispatcherFunction")
    ladder = [int(rung) for rung in str(parameter("RetryLadder")).split(",")]
    with stack("DispatcherFunction") as ledger:
        runtime.webhook_service().create(TENANT, WebhookCreate(url=failing.url, events=["model.*"]))
        dispatcher, attempt = _handler("dispatcher"), _handler("attempt")
        ledger.active = True
        context = Context("dispatcher", int(dispatcher_props["MemorySize"]), int(dispatcher_props["Timeout"]))
        dispatcher(sqs_batch([bus_envelope(0, "evt_failing")]), context)
        ledger.active = False
        ledger.check()
        started = list(ledger.executions)
        assert len(started) == 1, f"the failing first try started {len(started)} ladders"
        ledger.reset()
        ledger.active = True
        with printed() as logs:
            answer = attempt(
                {"action": "attempt", "state": started[0], "ladder": ladder},
                Context("attempt", int(props["MemorySize"]), int(props["Timeout"])),
            )
        ledger.active = False
        ledger.check()
    return {
        "outcome": answer.get("outcome"),
        "calls": dict(sorted(ledger.calls.items())),
        "dynamodb_writes": ledger.writes,
        "dynamodb_wru": ledger.wru,
        "dynamodb_wru_by_index": dict(ledger.wru_by_index),
        "dynamodb_rru": ledger.rru,
        "log_bytes": logs["stdout"] + logs["stderr"],
    }


def publish() -> dict[str, Any]:
    """POST /v1/events through the authorizer and the api handler, warm: requests, read units, PutEvents chunks,
    log bytes and each handler's own time."""
    from carrier import runtime
    from carrier.apikeys import create_key
    from tests.support import api_event

    api_props, auth_props = function_properties("ApiFunction"), function_properties("AuthorizerFunction")
    with stack("ApiFunction") as ledger:
        key = create_key(TENANT, runtime.store())
        api, authorizer = _handler("api"), _handler("authorizer")
        body = {"type": "model.trained", "data": EVENT_DATA | {"n": 0}}

        def once() -> tuple[float, float, dict[str, Any]]:
            started = time.perf_counter()
            authorized = authorizer(
                {"headers": {"authorization": f"Bearer {key}"}, "type": "REQUEST"},
                Context("authorizer", int(auth_props["MemorySize"]), int(auth_props["Timeout"])),
            )
            middle = time.perf_counter()
            event = api_event("POST", "/v1/events", body=body, principal=authorized["context"])
            answer = api(event, Context("api", int(api_props["MemorySize"]), int(api_props["Timeout"])))
            return middle - started, time.perf_counter() - middle, answer

        once()  # warm
        ledger.reset()
        ledger.active = True
        reads_before = ledger.rru
        with printed() as logs:
            auth_seconds, api_seconds, answer = once()
        ledger.active = False
        ledger.check()
        assert answer["statusCode"] == 202, answer
    return {
        "calls": dict(sorted(ledger.calls.items())),
        "dynamodb_rru": round(ledger.rru - reads_before, 3),
        "put_events_chunks": ledger.put_events,
        "authorizer_seconds": round(auth_seconds, 4),
        "api_seconds": round(api_seconds, 4),
        "log_bytes": logs["stdout"] + logs["stderr"],
    }


def ladder() -> dict[str, Any]:
    """State transitions of the ladder in moto's interpreter: a delivery whose first retry is delivered, and one
    that fails through the whole ladder (the attempt function raising LadderExhausted at the last rung, routed by
    the Attempt task's Catch to Exhaust)."""
    from carrier_local.sfn import INTERPRETER_CONFIG, create_machine, raised, run, script

    ids = {"tenant_id": "t", "webhook_id": "wh_1", "delivery_id": "del_1", "event_id": "e"}
    rungs = len(str(parameter("RetryLadder")).split(","))

    def state(outcome: str, step: int) -> dict[str, Any]:
        return {**ids, "ladder": [0] * rungs, "step": step, "wait_seconds": 0, "outcome": outcome}

    saved = dict(os.environ)
    os.environ.update({"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    try:
        with mock_aws(config=INTERPRETER_CONFIG):
            sfn, arn = create_machine()
            script(raised("LadderEnded", state("delivered", 0)))
            ok_status, ok_entered, _ = run(sfn, arn, "first-retry-delivered", {**ids, "step": 0, "wait_seconds": 0})
            script(
                *[state("retry", step) for step in range(1, rungs)],
                raised("LadderExhausted", state("exhausted", rungs - 1)),
                state("exhausted", rungs - 1),
            )
            status, entered, described = run(sfn, arn, "full-ladder", {**ids, "step": 0, "wait_seconds": 0})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {
        "first_retry_delivered": {"status": ok_status, "state_transitions": len(ok_entered), "states": ok_entered},
        "full_ladder_failure": {
            "status": status,
            "outcome": json.loads(described.get("output") or "{}").get("outcome"),
            "state_transitions": len(entered),
            "states": entered,
            "attempt_function_invocations": entered.count("Attempt") + entered.count("Exhaust"),
            "start_execution_calls": 1,
        },
    }


def measure() -> dict[str, Any]:
    small, large, failing = Receiver(size=11), Receiver(size=2048), Receiver(size=11, status=500)
    try:
        return {
            "first_try_success_fanout_1": dispatch(small, 1),
            "first_try_success_fanout_10": dispatch(small, 10),
            "first_try_success_fanout_1_answer_2kb": dispatch(large, 1),
            "retry_attempt_failing": retry_attempt(failing),
            "publish_via_api": publish(),
            **ladder(),
        }
    finally:
        for receiver in (small, large, failing):
            receiver.close()


if __name__ == "__main__":  # python -m bench.aws_calls OUT.json (the handlers print to stdout as in Lambda)
    Path(sys.argv[1]).write_text(json.dumps(measure(), indent=1) + "\n")

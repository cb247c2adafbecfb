"""Every AWS request of a delivery, measured on moto from the code as it is: `python -m bench.aws_calls` prints JSON.

The real handlers run (the dispatcher on SQS batches shaped as Lambda hands them over, the api's POST /v1/events
and the authorizer) with the environment template.yaml gives them. botocore hooks on the default session (every
client Carrier makes inherits them) count each request; for DynamoDB each request's item is read before and after
it (by a client of its own, outside the count) and billed by size as DynamoDB would (`bench.cost`), with the
table's indexes and projections from template.yaml. What the handlers print (Logger, Metrics' EMF) during the
measured batch is captured at the file-descriptor level: the CloudWatch Logs bytes. The ladder's state
transitions come from the ASL run in moto's Step Functions interpreter with the attempt function scripted.

This module holds the scenarios and `measure()`; the template and environment are `bench/aws_env.py`'s, the
counting hooks and unit accounting `bench/aws_ledger.py`'s, the moto stage, receiver and events `bench/aws_moto.py`'s.

Run in a process of its own (bench/run.py does: `python -m bench.aws_calls OUT.json`): it sets the environment
and the logging state it measures.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from moto import mock_aws

from bench.aws_env import REGION, STAGE, TENANT, function_properties, parameter
from bench.aws_ledger import metric_names, printed
from bench.aws_moto import EVENT_DATA, Context, Receiver, bus_envelope, load_handler, sqs_batch, stack
from bench.cost import item_size, stored_bytes


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
        webhook_bytes = sum(stored_bytes(item, ledger.shape) for item in existing) / fanout
        handler = load_handler("dispatcher")
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
        "largest_item_bytes": max((item_size(item) for item in ledger.created.values()), default=0),
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
        dispatcher, attempt = load_handler("dispatcher"), load_handler("attempt")
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
        api, authorizer = load_handler("api"), load_handler("authorizer")
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

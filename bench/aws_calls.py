"""AWS API calls per delivery, counted with botocore event hooks on moto (and the ladder's state transitions
counted from the ASL run in moto's interpreter)."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from typing import Any

import boto3
from moto import mock_aws

ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "carrier-bench",
    "EVENT_BUS_NAME": "carrier-bench",
    "SECRET_PREFIX": "carrier/bench/",
    "ALLOW_PRIVATE_TARGETS": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "CarrierBench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "HTTP_TIMEOUT_SECONDS": "2",
}


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, event_name: str, **kwargs: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.calls[f"{service}.{operation}"] += 1

    def by_service(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for name, count in self.calls.items():
            totals[name.split(".")[0]] += count
        return dict(totals)


def _table() -> None:
    from carrier_local.template import load_template

    props = dict(load_template()["Resources"]["Table"]["Properties"])
    props["TableName"] = ENV["TABLE_NAME"]
    for unsupported in ("PointInTimeRecoverySpecification", "SSESpecification", "TimeToLiveSpecification"):
        props.pop(unsupported, None)
    boto3.client("dynamodb").create_table(**props)


def first_try_success(receiver_url: str, fanout: int) -> dict[str, float]:
    """Calls per delivery of an event to `fanout` webhooks that all answer 200, on a warm container."""
    from carrier import aws, runtime
    from carrier.ingest import parse_bus_event
    from carrier.models import WebhookCreate
    from tests.fakes import RecordingScheduler

    counter = CallCounter()
    with mock_aws():
        _table()
        runtime.reset()
        runtime.use_scheduler(RecordingScheduler())
        for _ in range(fanout):
            runtime.webhook_service().create("bench", WebhookCreate(url=receiver_url, events=["model.*"]))
        dispatcher = runtime.dispatcher()

        def event(n: int) -> Any:
            return parse_bus_event(
                {
                    "id": f"e{n}",
                    "detail-type": "model.trained",
                    "time": "2026-01-01T00:00:00Z",
                    "detail": {"tenant_id": "bench", "data": {"n": n}},
                }
            )

        async def run() -> None:
            await dispatcher.dispatch(event(0))  # warm: the secret cache is filled
            runtime.store().table.meta.client.meta.events.register("before-call", counter)
            aws.client("secretsmanager").meta.events.register("before-call", counter)  # either secret store
            report = await dispatcher.dispatch(event(1))
            assert report.outcomes["delivered"] == fanout, report.outcomes
            await dispatcher.transport.close()

        asyncio.run(run())
        runtime.use_scheduler(None)
    per = {service: round(count / fanout, 3) for service, count in counter.by_service().items()}
    writes = sum(c for name, c in counter.calls.items() if name.split(".")[1] in {"PutItem", "UpdateItem"})
    per["dynamodb_writes"] = round(writes / fanout, 3)
    per["stepfunctions"] = per.get("stepfunctions", 0)
    per["secretsmanager"] = per.get("secretsmanager", 0)
    return per


def full_ladder_failure() -> dict[str, Any]:
    """State transitions of a delivery that fails through the whole ladder (ASL in moto's interpreter),
    and the attempt function invocations it makes."""
    from carrier_local.sfn import INTERPRETER_CONFIG, create_machine, run, script

    ids = {"tenant_id": "t", "webhook_id": "wh_1", "delivery_id": "del_1", "event_id": "e"}
    with mock_aws(config=INTERPRETER_CONFIG):
        sfn, arn = create_machine()
        ladder = [0] * 5
        states = [{**ids, "ladder": ladder, "step": s, "wait_seconds": 0, "outcome": "retry"} for s in range(1, 5)]
        final = {**ids, "ladder": ladder, "step": 4, "wait_seconds": 0, "outcome": "exhausted"}
        script(*states, final, final)
        status, entered, _ = run(sfn, arn, "bench", {**ids, "step": 0, "wait_seconds": 0})
    return {
        "status": status,
        "state_transitions": len(entered),
        "attempt_function_invocations": entered.count("Attempt") + entered.count("Exhaust"),
        "start_execution_calls": 1,
    }


def measure(receiver_url: str) -> dict[str, Any]:
    saved = {k: os.environ.get(k) for k in ENV}
    os.environ.update(ENV)
    try:
        return {
            "first_try_success_fanout_1": first_try_success(receiver_url, 1),
            "first_try_success_fanout_10": first_try_success(receiver_url, 10),
            "full_ladder_failure": full_ladder_failure(),
        }
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

"""The `carrier` fixture: moto (with Step Functions' interpreter), the template's settings, virtual time, the fault
injector, the events queue model, the ladder in moto's interpreter and a receiver. See README.md."""

from __future__ import annotations

import asyncio
import functools
import json
import random
from collections.abc import Iterator
from datetime import datetime, tzinfo
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from carrier import runtime
from carrier_local.sfn import INTERPRETER_CONFIG
from tests.conftest import table_properties
from tests.faults import deployment, speed
from tests.faults.harness import Carrier
from tests.faults.injector import FaultInjector
from tests.faults.ladder import Ladder
from tests.faults.receiver import Receiver
from tests.faults.sqs import EventsQueue
from tests.faults.world import VirtualLoopPolicy, World

SEED = 20260101


def _virtual_datetime(world: World) -> type[datetime]:
    """`datetime` whose `now()` is the world's (naive, as Powertools' parameter cache reads it)."""

    class VirtualDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Any:
            moment = world.now()
            return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)

    return VirtualDatetime


@pytest.fixture
def carrier(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Carrier]:
    from aws_lambda_powertools.utilities.parameters import base as parameters_base
    from moto import mock_aws

    from carrier import clock, fanout, ids, runs
    from carrier.store import table

    queue_config = deployment.events_queue()
    attempt = deployment.attempt_function()
    # The functions' settings as template.yaml deploys them with its defaults; resources are the harness's.
    for name, value in deployment.environment(queue_config.function, attempt).items():
        if name not in ("STAGE", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("ALLOW_PRIVATE_TARGETS", "true")  # receivers are at 127.0.0.1 (behind the transport port)
    monkeypatch.setenv("ALLOW_HTTP_TARGETS", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")  # thousands of attempts: warnings and errors only
    random.seed(SEED)  # the retriers' FULL jitter (moto draws it from `random`)

    speed.fast_all_items(monkeypatch)
    speed.fast_dynamodb_responses(monkeypatch)
    speed.fast_queries(monkeypatch)
    speed.unsigned_requests(monkeypatch)
    world = World()
    monkeypatch.setattr(clock.SystemClock, "now", lambda self: world.now())
    # Ids from the virtual clock and a seeded generator: a run's ids, so its injected faults, are the same each time
    ids_random = random.Random(SEED)
    monkeypatch.setattr(ids, "time", SimpleNamespace(time=lambda: world.now().timestamp()))
    monkeypatch.setattr(ids, "secrets", SimpleNamespace(randbits=ids_random.getrandbits))
    monkeypatch.setattr(parameters_base, "datetime", _virtual_datetime(world))
    # Store calls run inline on the invocation's loop (as MemoryStore's do): one participant runs at a time, so a
    # thread per call would only add real-time nondeterminism; interleaving happens at the receiver's waits.
    monkeypatch.setattr(table.Table, "blocking", False)
    receiver = Receiver(world)
    interactive_cap = float(getattr(runs, "INTERACTIVE_TIMEOUT_SECONDS", 10.0))

    @functools.lru_cache(maxsize=1)
    def dispatcher_transport() -> Any:
        settings = runtime.get_settings()
        return receiver.transport(settings.http_timeout_seconds, settings.max_concurrency)

    def fresh_transport(settings: Any, interactive: bool = False) -> Any:
        timeout = min(settings.http_timeout_seconds, interactive_cap) if interactive else settings.http_timeout_seconds
        return receiver.transport(timeout, settings.max_concurrency)

    monkeypatch.setattr(runtime, "transport", dispatcher_transport)
    monkeypatch.setattr(runs, "fresh_transport", fresh_transport)

    policy = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(VirtualLoopPolicy(world))
    injector = FaultInjector(world, seed=SEED)
    with mock_aws(config=INTERPRETER_CONFIG):
        injector.install()
        try:
            boto3.client("dynamodb").create_table(**table_properties(env["TABLE_NAME"]))
            # the template's data-key secret (SecretStore=envelope, its default), as GenerateSecretString leaves it
            data_key = f"{env['SECRET_PREFIX']}data-key"
            key_text = "".join(random.Random(SEED).choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(64))
            boto3.client("secretsmanager").create_secret(
                Name=data_key, SecretString=json.dumps({"current": "k1", "k1": key_text})
            )
            monkeypatch.setenv("DATA_KEY_SECRET", data_key)
            ladder = Ladder(world, monkeypatch, deployment.function_dir(attempt), deployment.function_timeout(attempt))
            monkeypatch.setenv("STATE_MACHINE_ARN", ladder.arn)
            runtime.reset()  # clients made from now on carry the injector's hook; settings read again
            queue = EventsQueue(world, queue_config, deployment.function_dir(queue_config.function))
            # a split fan-out's chunks (`carrier.fanout`) go back on this queue, as the template's FANOUT_QUEUE_URL
            chunks_config = deployment.events_queue("FanoutQueue")
            chunks = EventsQueue(world, chunks_config, deployment.function_dir(chunks_config.function))
            monkeypatch.setenv("FANOUT_QUEUE_URL", "https://sqs.virtual/fanout")
            monkeypatch.setattr(fanout.SqsChunks, "send", lambda self, messages: [chunks.send(m) for m in messages])
            harness = Carrier(world, injector, queue, ladder, receiver, deployment.schedules(), env["TABLE_NAME"])
            harness.chunks = chunks
            yield harness
            unfired = [f for f in injector.targeted if f.fired == 0]
            assert not unfired, f"targeted faults that never fired (the scenario missed its point): {unfired}"
        finally:
            world.shutdown()
            injector.uninstall()
            asyncio.set_event_loop_policy(policy)
            runtime.reset()

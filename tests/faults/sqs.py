"""The events queue and its event source mapping, in virtual time, with the template's numbers.

- A received message is invisible for `VisibilityTimeout` seconds from its receive; a message the function
  reported in `batchItemFailures`, or all of a batch whose invocation failed or was killed, becomes visible
  again then. The others are deleted.
- A message received `maxReceiveCount` times and still not deleted moves to the dead-letter queue instead of
  a further receive.
- The mapping polls visible messages into batches of `BatchSize` (after `MaximumBatchingWindowInSeconds`) and
  runs at most `MaximumConcurrency` invocations at once.
- Each invocation is a participant with the function's `Timeout`: if it still waits on anything then, it is
  killed where it waits (`World.kill`): what it wrote stays, nothing after runs, its messages come back.
- `duplicate(body)` delivers one more copy of a message (SQS and EventBridge are at-least-once).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from tests.faults.deployment import QueueConfig
from tests.faults.world import Participant, World
from tests.support import ROOT


@dataclass
class Message:
    id: str
    body: str
    sent_at: datetime
    visible_at: datetime
    receive_count: int = 0
    in_flight: bool = False
    received_at: datetime | None = None

    @property
    def event_id(self) -> str:
        return str(json.loads(self.body).get("detail", {}).get("id", "?"))


@dataclass
class Invocation:
    participant: Participant
    messages: list[Message]
    outcome: str = "running"  # ok | partial | error | killed
    failed: list[str] = field(default_factory=list)


class LambdaContext:
    """The context a Lambda function gets: its remaining time counts down in virtual time."""

    def __init__(self, world: World, name: str, timeout: int, request_id: str) -> None:
        self.world = world
        self.function_name = name
        self.memory_limit_in_mb = 1024
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.aws_request_id = request_id
        self.deadline = world.now() + timedelta(seconds=timeout)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self.world.now()).total_seconds() * 1000))


def container(function_dir: str, number: int) -> ModuleType:
    """A fresh import of `functions/<function_dir>/app.py` for one invocation: a container of its own.

    In Lambda, concurrent invocations run in separate containers, each with its own module state (the batch
    processor, anything kept per container); here they run interleaved in one process, so each gets its own
    module instance (a cold start every time). What `carrier.runtime` caches is shared by all of them."""
    path = ROOT / "functions" / function_dir / "app.py"
    name = f"carrier_faults_{function_dir}_{number}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


class EventsQueue:
    def __init__(self, world: World, config: QueueConfig, function_dir: str) -> None:
        self.world = world
        self.config = config
        self.function_dir = function_dir
        self.messages: dict[str, Message] = {}
        self.dead: list[Message] = []
        self.invocations: list[Invocation] = []
        self.running = 0
        self._ids = itertools.count(1)
        self._polls: set[datetime] = set()
        self.handler: Callable[[dict[str, Any], LambdaContext], Any] | None = None  # the function, by default

    # ---- producers ----------------------------------------------------------------------------------------

    def send(self, body: dict[str, Any] | str, delay: float = 0.0) -> Message:
        text = body if isinstance(body, str) else json.dumps(body)
        at = self.world.now() + timedelta(seconds=delay)
        message = Message(f"msg-{next(self._ids)}", text, at, at)
        self.messages[message.id] = message
        self._poll_at(at + timedelta(seconds=self.config.batching_window))
        return message

    def redrive(self) -> list[Message]:
        """Move the DLQ's messages back to the queue (`carrier dlq redrive`, StartMessageMoveTask)."""
        moved = [self.send(m.body) for m in self.dead]
        self.dead.clear()
        return moved

    def duplicate(self, message: Message, delay: float = 0.0) -> Message:
        """Another copy of a message (a second delivery by EventBridge or SQS)."""
        return self.send(message.body, delay)

    # ---- state --------------------------------------------------------------------------------------------

    def drained(self) -> bool:
        return not self.messages and self.running == 0

    def visible(self) -> list[Message]:
        now = self.world.now()
        found = [m for m in self.messages.values() if not m.in_flight and m.visible_at <= now]
        return sorted(found, key=lambda m: (m.visible_at, int(m.id.split("-")[1])))

    # ---- the event source mapping -------------------------------------------------------------------------

    def _poll_at(self, when: datetime) -> None:
        if when in self._polls:
            return
        self._polls.add(when)

        def poll() -> None:
            self._polls.discard(when)
            self._poll()

        self.world.at(when, poll)

    def _poll(self) -> None:
        while self.running < self.config.max_concurrency:
            batch: list[Message] = []
            for message in self.visible():
                if message.receive_count >= self.config.max_receive_count:
                    del self.messages[message.id]  # the redrive policy: into the DLQ, never received again
                    self.dead.append(message)
                    continue
                batch.append(message)
                if len(batch) == self.config.batch_size:
                    break
            if not batch:
                return
            self._invoke(batch)

    def _invoke(self, batch: list[Message]) -> None:
        now = self.world.now()
        for message in batch:
            message.in_flight, message.received_at = True, now
            message.receive_count += 1
        number = len(self.invocations) + 1
        event = {"Records": [self._record(m) for m in batch]}
        context = LambdaContext(
            self.world, f"dispatcher-{number}", self.config.function_timeout, f"00000000-0000-0000-0000-{number:012d}"
        )

        def work() -> Any:
            if self.handler is not None:
                return self.handler(event, context)
            module = container(self.function_dir, number)
            try:
                return module.handler(event, context)
            finally:
                sys.modules.pop(module.__name__, None)

        self.running += 1
        participant = self.world.spawn(
            f"dispatcher#{number}", work, timeout=self.config.function_timeout, on_done=self._finished
        )
        self.invocations.append(Invocation(participant, batch))

    def _finished(self, participant: Participant) -> None:
        invocation = next(i for i in reversed(self.invocations) if i.participant is participant)
        self.running -= 1
        if participant.killed:
            invocation.outcome, back = "killed", invocation.messages
        elif participant.error is not None:
            invocation.outcome, back = "error", invocation.messages
        else:
            failures = {f["itemIdentifier"] for f in (participant.result or {}).get("batchItemFailures", [])}
            back = [m for m in invocation.messages if m.id in failures]
            invocation.outcome = "partial" if back else "ok"
        invocation.failed = [m.id for m in back]
        for message in invocation.messages:
            message.in_flight = False
            if message in back:
                assert message.received_at is not None
                message.visible_at = message.received_at + timedelta(seconds=self.config.visibility_timeout)
                self._poll_at(message.visible_at)
            else:
                self.messages.pop(message.id, None)
        self._poll_at(self.world.now())

    def _record(self, message: Message) -> dict[str, Any]:
        sent = int(message.sent_at.timestamp() * 1000)
        return {
            "messageId": message.id,
            "receiptHandle": f"{message.id}#{message.receive_count}",
            "body": message.body,
            "attributes": {
                "ApproximateReceiveCount": str(message.receive_count),
                "SentTimestamp": str(sent),
                "SenderId": "AIDAEVENTBRIDGE",
                "ApproximateFirstReceiveTimestamp": str(sent),
            },
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:carrier-test-events",
            "awsRegion": "us-east-1",
        }

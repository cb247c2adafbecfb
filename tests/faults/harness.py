"""The fault harness: Carrier's real handlers on moto, driven in virtual time (see tests/faults/README.md).

`Carrier` wires the pieces a scenario uses: the `World` (clock and participants), the `FaultInjector`, the events
queue and its dispatcher invocations (`EventsQueue`), the retry ladder in moto's interpreter (`Ladder`), the
receivers (`Receiver`), and the template's scheduled functions (a reconciler, once the template has one).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from carrier import ids, runtime
from carrier.records import DeliveryRecord
from carrier.store import Store
from tests.faults.deployment import Schedule, function_dir
from tests.faults.injector import FaultInjector
from tests.faults.ladder import Ladder
from tests.faults.receiver import Receiver
from tests.faults.sqs import EventsQueue, LambdaContext, Message
from tests.faults.world import Participant, World
from tests.support import FakeContext, api_event, load_handler

TENANT = "t1"
BASE_URL = "http://127.0.0.1:9"  # never connected to: the receiver sits at the transport port


Predicate = Callable[[dict[str, Any]], bool]


def about(*needles: str) -> Predicate:
    """A predicate on an AWS call's parameters: their JSON holds every needle (a key prefix, a field name)."""

    def matches(params: dict[str, Any]) -> bool:
        text = json.dumps(params, default=str)
        return all(needle in text for needle in needles)

    return matches


def _answer(response: dict[str, Any]) -> tuple[int, Any]:
    text = response.get("body")
    return response["statusCode"], (json.loads(text) if text else None)


def both(*predicates: Predicate) -> Predicate:
    return lambda params: all(p(params) for p in predicates)


ALWAYS = 10**9  # `times` for a fault that lasts as long as its predicate holds (an outage, not a blip)


@dataclass
class Webhook:
    id: str
    path: str
    record: dict[str, Any]


class Carrier:
    def __init__(
        self,
        world: World,
        injector: FaultInjector,
        queue: EventsQueue,
        ladder: Ladder,
        receiver: Receiver,
        schedules: list[Schedule],
        table_name: str,
    ) -> None:
        self.world = world
        self.injector = injector
        self.queue = queue
        self.chunks: EventsQueue | None = None  # the fan-out queue: chunks of split fan-outs, one per invocation
        self.ladder = ladder
        self.receiver = receiver
        self.schedules = schedules
        self.store = Store(table_name)
        self.webhooks: list[Webhook] = []
        self.published: list[dict[str, Any]] = []
        self.scheduled_runs = 0
        for schedule in schedules:
            self._every(schedule)

    # ---- setup (the harness's own calls: never faulted) ---------------------------------------------------

    def configure(self, **variables: str) -> None:
        """Deploy with other Parameter values (environment variables of the functions), as a new deployment."""
        for name, value in variables.items():
            os.environ[name] = value
        runtime.reset()

    def api(self, method: str, path: str, *, tenant: str = TENANT, body: Any = None) -> tuple[int, Any]:
        """The real api handler, called now as a participant (a send it makes waits in virtual time)."""
        response = self.world.call(f"api {method} {path}", self._api_call(method, path, tenant, body))
        return _answer(response)

    def api_later(
        self, seconds: float, method: str, path: str | Callable[[], str], *, tenant: str = TENANT, body: Any = None
    ) -> Callable[[], tuple[int, Any]]:
        """Call the api handler `seconds` from now, while everything else runs; returns a reader of its answer. A
        callable `path` is made when the call starts (a delivery's id is known once its event is stored)."""
        done: list[Participant] = []

        def start() -> None:
            made = path() if callable(path) else path
            done.append(self.world.spawn(f"api {method} {made}", self._api_call(method, made, tenant, body)))

        self.world.after(seconds, start)

        def answer() -> tuple[int, Any]:
            assert done and done[0].done, f"the {method} {path} call has not ended"
            if done[0].error is not None:
                raise done[0].error
            return _answer(done[0].result)

        return answer

    @staticmethod
    def _api_call(method: str, path: str, tenant: str, body: Any) -> Callable[[], dict[str, Any]]:
        def work() -> dict[str, Any]:
            response: dict[str, Any] = load_handler("api").handler(
                api_event(method, path, body=body, tenant=tenant), FakeContext()
            )
            return response

        return work

    def create_webhook(self, name: str, *, events: list[str] | None = None, **fields: Any) -> Webhook:
        path = f"/hooks/{name}"
        body = {"url": BASE_URL + path, "events": events or ["model.*"], **fields}
        status, record = self.api("POST", "/v1/webhooks", body=body)
        assert status == 201, record
        webhook = Webhook(record["id"], path, record)
        self.webhooks.append(webhook)
        return webhook

    def publish(self, event_type: str = "model.trained", data: dict[str, Any] | None = None, **kw: Any) -> Message:
        """An event as the bus rule puts it on the queue (the dispatcher reads `detail`)."""
        event_id = kw.pop("event_id", None) or ids.event_id()
        detail: dict[str, Any] = {"tenant_id": kw.pop("tenant", TENANT), "id": event_id, "data": data or {}}
        if "callback_url" in kw:
            detail["callback_url"] = kw.pop("callback_url")
        body = {
            "version": "0",
            "id": f"eventbridge-{len(self.published) + 1}",
            "detail-type": event_type,
            "source": "platform.test",
            "account": "123456789012",
            "time": self.world.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        }
        self.published.append(body)
        return self.queue.send(body, **kw)

    # ---- running ------------------------------------------------------------------------------------------

    def settled(self) -> bool:
        """The queue is empty, no invocation runs and no ladder execution runs (periodic schedules aside)."""
        return self.queue.drained() and (self.chunks is None or self.chunks.drained()) and self.ladder.active == 0

    def drain(self, horizon: timedelta = timedelta(days=3)) -> None:
        """Run until the queue and the ladder are done (or the horizon: the ladder's 24 h step and more)."""
        until = self.world.now() + horizon
        self.world.run(until=until, idle=self.settled)
        if self.schedules:  # a scheduled repair may give work an owner again: let it run its rounds too
            for _ in range(3):
                self.world.run_for(max(s.seconds for s in self.schedules) + 1)
                self.world.run(until=until, idle=self.settled)

    def _every(self, schedule: Schedule) -> None:
        def tick() -> None:
            self.scheduled_runs += 1
            context = LambdaContext(self.world, schedule.function, 900, f"schedule-{self.scheduled_runs}")
            event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
            module = load_handler(function_dir(schedule.function))
            self.world.spawn(f"schedule:{schedule.function}", lambda: module.handler(event, context), timeout=900)
            self.world.after(schedule.seconds, tick)

        self.world.after(schedule.seconds, tick)

    # ---- reading the outcome (harness calls) --------------------------------------------------------------

    def made_by(self, name: str) -> Predicate:
        """Calls made by the participant called `name` (`dispatcher#1`: the first receive's invocation): a fault
        that lasts through the engine's own in-process retries, for as long as that participant runs."""
        return lambda params: self.world.current is not None and self.world.current.name == name

    def run_until(self, condition: Callable[[], bool], horizon: timedelta = timedelta(days=3)) -> None:
        """Run until `condition()` holds (checked after every timer) or the horizon."""
        self.world.run(until=self.world.now() + horizon, idle=condition)

    def delivery_id(self, event_id: str, webhook: Webhook) -> str:
        return self.store_delivery_id(event_id, webhook.id)

    def store_delivery_id(self, event_id: str, target_key: str) -> str:
        """A delivery id by its target key (`callback:<url>` for a per-job callback): named by when a dispatcher
        first stored the event (before that, no delivery of it can exist: an id that matches none)."""
        record = self.store.get_event(TENANT, event_id)
        if record is None:
            return f"del_unstored_{event_id}"
        return ids.delivery_id(TENANT, event_id, target_key, record.get("received_at") or record["timestamp"])

    def delivery(self, event_id: str, webhook: Webhook) -> DeliveryRecord | None:
        from carrier.errors import NotFound

        try:
            return self.store.get_delivery(TENANT, webhook.id, self.delivery_id(event_id, webhook))
        except NotFound:
            return None

    def webhook(self, webhook: Webhook) -> dict[str, Any]:
        return dict(self.store.get_webhook(TENANT, webhook.id))

    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery item in the table (a Scan: the harness may)."""
        table = self.store.table
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = table.scan(**kwargs)
            items += [i for i in page.get("Items", []) if str(i.get("sk", "")).startswith("DLV#")]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def requests_of(self, event_id: str, webhook: Webhook) -> list[Any]:
        return self.receiver.of(webhook.path, event_id)

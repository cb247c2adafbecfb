"""Operational events on the engine's fakes: each trigger raises its event once, a failing episode is said once and
ended by `recovered`, nothing is raised about an operational event's own delivery, and a publish that fails never
fails a delivery."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError

from carrier import operational
from carrier.catalog import get_catalog, matches
from carrier.ingest import PublishRequest, RejectedEvent, parse_bus_event
from carrier.operational import BusPublisher, OperationalEvent
from carrier.records import DeliveryStatus, WebhookStatus
from carrier.scheduling import execution_input
from carrier.webhooks import WebhookService
from tests.fakes import FakeTransport, RecordingPublisher, answer
from tests.unit.engine import LADDER, TENANT, Engine, event, settings

OPERATIONAL = ("carrier.*",)
WEBHOOK = "wh_" + "0" * 26  # an id the API's services take


def run_ladder(engine: Engine, handoff_index: int = 0) -> dict[str, Any]:
    """Drive one delivery's ladder as the state machine does, Exhaust included."""
    state = execution_input(engine.scheduler.handoffs[handoff_index], LADDER)
    while True:
        state = engine.retries.attempt(state)
        if state["outcome"] == "exhausted":
            return engine.retries.exhaust(state)
        if state["outcome"] != "retry":
            return state


def types(engine: Engine) -> list[str]:
    return [e.type for e in engine.events.events]


# ---- each trigger raises its event once ----------------------------------------------------------------------


def test_a_410_raises_webhook_disabled_once_with_its_reason() -> None:
    # Given a webhook whose receiver answers 410 Gone
    engine = Engine(transport=FakeTransport(default=answer(410)))
    engine.hook("wh_1", description="Production")
    # When an event is delivered to it, and the same event's message comes back
    engine.publish()
    engine.publish()
    # Then carrier.webhook.disabled is raised once, about that webhook, in its tenant, with the reason
    [said] = engine.events.events
    assert said.type == "carrier.webhook.disabled" and said.tenant_id == TENANT
    assert said.data["webhook_id"] == "wh_1" and said.data["cause"] == "gone"
    assert said.data["reason"] == "the receiver answered 410 Gone" and said.data["description"] == "Production"
    assert engine.webhook()["status"] == WebhookStatus.disabled


def test_the_ladder_exhausted_raises_delivery_exhausted_and_webhook_disabled_once() -> None:
    # Given a webhook that fails every attempt
    engine = Engine(transport=FakeTransport(default=answer(503)))
    engine.hook()
    engine.publish()
    # When its delivery goes up the whole ladder, and Exhaust runs again (Step Functions retries a task)
    final = run_ladder(engine)
    engine.retries.exhaust(final)
    # Then carrier.delivery.exhausted and carrier.webhook.disabled are raised, twice with the same ids (one delivery)
    exhausted = engine.events.of_type("carrier.delivery.exhausted")
    disabled = engine.events.of_type("carrier.webhook.disabled")
    assert len({e.id for e in exhausted}) == 1 and len({e.id for e in disabled}) == 1
    data = exhausted[0].data
    delivery = engine.delivery()
    assert data["delivery_id"] == delivery["delivery_id"] and data["event_id"] == "evt_1"
    assert data["event_type"] == "model.trained" and data["webhook_id"] == "wh_1" and data["attempts"] == 6
    assert data["last_error"]["status_code"] == 503
    assert disabled[0].data["cause"] == "exhausted" and "retries exhausted" in disabled[0].data["reason"]


def test_the_tenant_disabling_and_enabling_a_webhook_raises_each_once() -> None:
    engine = Engine()
    engine.hook(WEBHOOK)
    service = WebhookService(cast(Any, engine.store), cast(Any, engine.vault), engine.clock, engine.events)
    service.set_status(TENANT, WEBHOOK, WebhookStatus.disabled, reason="maintenance")
    service.set_status(TENANT, WEBHOOK, WebhookStatus.disabled)  # no change: nothing said
    engine.clock.advance(60)
    service.set_status(TENANT, WEBHOOK, WebhookStatus.active)
    assert types(engine) == ["carrier.webhook.disabled", "carrier.webhook.enabled"]
    disabled, enabled = engine.events.events
    assert disabled.data["cause"] == "tenant" and disabled.data["reason"] == "maintenance"
    assert enabled.data["webhook_id"] == WEBHOOK and enabled.data["enabled_at"] == "2026-01-01T00:01:00.000Z"


# ---- failing: once per episode, ended by recovered --------------------------------------------------------------


def test_failing_is_raised_once_per_episode_and_recovered_ends_it() -> None:
    # Given a webhook raising failing after 3 consecutive failed attempts, whose receiver fails
    engine = Engine(settings=settings(failing_after_failures=3), transport=FakeTransport(default=answer(500)))
    engine.hook()
    for n in range(1, 6):  # When five events fail their first attempt
        engine.publish(event(f"evt_{n}"), retry=False)
    # Then failing is raised once, by the third, with the count and the last error
    [failing] = engine.events.events
    assert failing.type == "carrier.webhook.failing"
    assert failing.data["consecutive_failures"] == 3 and failing.data["threshold"] == 3
    assert failing.data["last_error"]["status_code"] == 500
    assert engine.webhook()["consecutive_failures"] == 5
    # When the receiver answers again: recovered once (the first success), then nothing
    engine.transport.default = answer(200)
    engine.publish(event("evt_6"), retry=False)
    engine.publish(event("evt_7"), retry=False)
    assert types(engine) == ["carrier.webhook.failing", "carrier.webhook.recovered"]
    assert engine.events.events[1].data["failed_attempts"] == 5 and engine.webhook()["consecutive_failures"] == 0
    # When it fails three times again: a new episode, a new failing (another id)
    engine.transport.default = answer(500)
    for n in range(8, 11):
        engine.publish(event(f"evt_{n}"), retry=False)
    assert types(engine) == ["carrier.webhook.failing", "carrier.webhook.recovered", "carrier.webhook.failing"]
    assert engine.events.events[0].id != engine.events.events[2].id


def test_failures_below_the_threshold_then_a_success_raise_nothing() -> None:
    engine = Engine(settings=settings(failing_after_failures=3), transport=FakeTransport(default=answer(500)))
    engine.hook()
    engine.publish(event("evt_1"), retry=False)
    engine.publish(event("evt_2"), retry=False)
    engine.transport.default = answer(200)
    engine.publish(event("evt_3"), retry=False)
    assert engine.events.events == [] and engine.webhook()["consecutive_failures"] == 0


# ---- no loops -------------------------------------------------------------------------------------------------


def ops_event(event_id: str = "evt_op_1", event_type: str = "carrier.webhook.disabled") -> Any:
    return event(event_id, event_type, webhook_id="wh_other", reason="the receiver answered 410 Gone", cause="gone")


def test_nothing_is_raised_about_the_delivery_of_an_operational_event() -> None:
    # Given a webhook that receives only Carrier's operational events, failing, with failing after 1 attempt
    engine = Engine(settings=settings(failing_after_failures=1), transport=FakeTransport(default=answer(500)))
    engine.hook("wh_ops", events=OPERATIONAL)
    # When operational events fail to reach it, up the whole ladder
    engine.publish(ops_event("evt_op_1"))
    engine.publish(ops_event("evt_op_2"), retry=False)
    final = run_ladder(engine)
    # Then nothing is raised (no failing, no exhausted, no disabled), and the failure count is untouched
    assert final["outcome"] == "exhausted" and engine.delivery("wh_ops", "evt_op_1")["status"] == "exhausted"
    assert engine.events.events == []
    assert engine.webhook("wh_ops").get("consecutive_failures", 0) == 0
    assert engine.webhook("wh_ops")["status"] == WebhookStatus.disabled  # the ladder still disables it


def test_a_410_to_an_operational_event_disables_its_webhook_and_says_nothing() -> None:
    engine = Engine(transport=FakeTransport(default=answer(410)))
    engine.hook("wh_ops", events=OPERATIONAL)
    engine.publish(ops_event())
    assert engine.webhook("wh_ops")["status"] == WebhookStatus.disabled and engine.events.events == []


def test_an_operational_delivery_neither_ends_nor_extends_a_failing_episode() -> None:
    # Given a webhook that receives both kinds, in a failing episode (threshold 2)
    engine = Engine(settings=settings(failing_after_failures=2), transport=FakeTransport(default=answer(500)))
    engine.hook("wh_1", events=("model.*", "carrier.*"))
    engine.publish(event("evt_1"), retry=False)
    engine.publish(event("evt_2"), retry=False)
    assert types(engine) == ["carrier.webhook.failing"]
    # When an operational event is delivered to it, Then it is no recovery (the count stays)
    engine.transport.default = answer(200)
    engine.publish(ops_event(), retry=False)
    assert types(engine) == ["carrier.webhook.failing"] and engine.webhook()["consecutive_failures"] == 2
    # When a platform event is delivered, Then it recovers
    engine.publish(event("evt_3"), retry=False)
    assert types(engine) == ["carrier.webhook.failing", "carrier.webhook.recovered"]


def test_operational_events_reach_only_webhooks_that_name_them() -> None:
    engine = Engine()
    for webhook_id, events in {
        "wh_all": ("*",),
        "wh_exact": ("carrier.webhook.disabled",),
        "wh_group": ("carrier.*",),
        "wh_webhooks": ("carrier.webhook.*",),
        "wh_exhausted": ("carrier.delivery.exhausted",),
    }.items():
        engine.hook(webhook_id, events=events)
    engine.publish(ops_event())
    sent_to = sorted(r.url for r in engine.transport.requests)
    assert len(sent_to) == 3
    assert matches(["*"], "model.trained") and not matches(["*"], "carrier.webhook.disabled")
    assert get_catalog().unknown_patterns(["carrier.*", "carrier.webhook.*", "carrier.delivery.*"]) == []


def test_only_carrier_publishes_operational_events() -> None:
    # A tenant cannot publish one through the API
    with pytest.raises(ValueError, match="which only Carrier publishes"):
        PublishRequest(type="carrier.webhook.disabled", data={})
    # and one on the bus from any source but Carrier's own is rejected (never delivered)
    envelope = {
        "detail-type": "carrier.webhook.disabled",
        "source": "platform.billing",
        "detail": {"tenant_id": TENANT, "id": "evt_x", "data": {"webhook_id": "wh_1"}},
    }
    with pytest.raises(RejectedEvent, match="from source carrier only"):
        parse_bus_event(envelope)
    assert parse_bus_event({**envelope, "source": "carrier"}).type == "carrier.webhook.disabled"


# ---- publishing never fails a delivery ------------------------------------------------------------------------


def test_a_publisher_that_raises_fails_no_delivery() -> None:
    # Given a publisher that raises (breaking its contract), and a receiver answering 410
    engine = Engine(transport=FakeTransport(default=answer(410)), events=RecordingPublisher(fail=RuntimeError("down")))
    engine.hook()
    # When an event is delivered, Then the delivery is recorded and the webhook disabled all the same
    report = engine.publish()
    assert report.outcomes["gone"] == 1 and report.failed_targets == 0
    assert engine.delivery()["status"] == DeliveryStatus.failed
    assert engine.webhook()["status"] == WebhookStatus.disabled


class FlakyEvents:
    """An EventBridge client whose PutEvents answers from a script (an exception, or entries' error codes)."""

    def __init__(self, *script: Exception | list[str | None]) -> None:
        self.script = list(script)
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # boto3's name
        self.calls.append(Entries)
        step = self.script.pop(0) if self.script else [None] * len(Entries)
        if isinstance(step, Exception):
            raise step
        entries = [{"ErrorCode": code, "ErrorMessage": "no"} if code else {"EventId": "e"} for code in step]
        return {"FailedEntryCount": sum(1 for code in step if code), "Entries": entries}


def throttled() -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutEvents")


def sample(n: int = 2) -> list[OperationalEvent]:
    return [
        OperationalEvent("carrier.webhook.failing", TENANT, f"evt_op_{i}", {"webhook_id": "wh_1"}) for i in range(n)
    ]


def publisher(client: FlakyEvents, pauses: list[float]) -> BusPublisher:
    return BusPublisher("carrier-unit", client=lambda: client, pause=pauses.append)


def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    metrics: dict[str, int] = {}
    monkeypatch.setattr(operational, "count", lambda name, value=1: metrics.__setitem__(name, value))
    return metrics


def test_a_transient_put_events_error_is_tried_again_as_carrier_tries_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    metrics, pauses = counted(monkeypatch), list[float]()
    client = FlakyEvents(throttled(), ["ThrottlingException", None])
    publisher(client, pauses).publish(sample())
    # the call again after 0.1 s, then only the refused entry after 0.4 s
    assert pauses == [0.1, 0.4] and [len(c) for c in client.calls] == [2, 2, 1]
    assert client.calls[2][0]["Detail"] == client.calls[0][0]["Detail"]
    assert "OperationalEventsFailed" not in metrics


def test_a_put_events_failure_is_logged_and_counted_never_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    metrics, pauses = counted(monkeypatch), list[float]()
    client = FlakyEvents(throttled(), throttled(), throttled())
    publisher(client, pauses).publish(sample())  # raises nothing
    assert pauses == [0.1, 0.4] and len(client.calls) == 3 and metrics["OperationalEventsFailed"] == 2
    # a final error is not tried again
    metrics.clear()
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "PutEvents")
    client = FlakyEvents(denied)
    pauses.clear()
    publisher(client, pauses).publish(sample(1))
    assert pauses == [] and len(client.calls) == 1 and metrics["OperationalEventsFailed"] == 1


def test_an_entry_is_an_event_like_any_other() -> None:
    [said] = sample(1)
    entry = said.entry("carrier-unit")
    assert entry["Source"] == "carrier" and entry["DetailType"] == "carrier.webhook.failing"
    assert entry["EventBusName"] == "carrier-unit"
    detail = json.loads(entry["Detail"])
    assert detail == {"tenant_id": TENANT, "data": {"webhook_id": "wh_1"}, "id": "evt_op_0"}
    parsed = parse_bus_event({"detail-type": said.type, "source": entry["Source"], "detail": detail})
    assert (parsed.id, parsed.tenant_id, parsed.data) == (said.id, TENANT, said.data)


# ---- the README's table is the code's ---------------------------------------------------------------------------


def test_the_readme_table_lists_each_operational_event_with_the_data_it_carries() -> None:
    from carrier.profile import builtin_types
    from tests.unit.readme import table

    rows = {row[0].strip("`"): [name.strip("` ") for name in row[2].split(",")] for row in table("operational event")}
    assert tuple(rows) == operational.TYPES
    examples = {t.name: t.example for t in builtin_types()}
    record = {"tenant_id": TENANT, "id": "wh_1", "url": "https://x.example", "description": ""}
    delivery = {"tenant_id": TENANT, "delivery_id": "del_1", "event_id": "e", "event_type": "model.trained"}
    built = {
        "carrier.webhook.disabled": operational.webhook_disabled(record, "r", "gone", "t", "k"),
        "carrier.webhook.enabled": operational.webhook_enabled(record, "t"),
        "carrier.delivery.exhausted": operational.delivery_exhausted(delivery, "https://x.example", "t"),
        "carrier.webhook.failing": operational.webhook_failing(record, 10, 10, {"message": "m"}, "k"),
        "carrier.webhook.recovered": operational.webhook_recovered(record, 12, "t", "k"),
    }
    for name, fields in rows.items():  # the catalog's example and what Carrier sends hold exactly the documented keys
        assert sorted(examples[name]) == sorted(fields) == sorted(built[name].data), name
        assert built[name].type == name and examples[name] and get_catalog().types[name].description

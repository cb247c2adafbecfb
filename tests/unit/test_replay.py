"""Replay on the engine's fakes: what it sends, never twice, in bounded calls, and what it refuses."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from carrier.errors import Conflict, InvalidInput
from carrier.formats import Event
from carrier.models.health import REPLAY_LIMIT, ReplayResult
from carrier.records import event_record
from carrier.replay import ReplayService
from carrier.store import events as event_index
from carrier.targets import Target
from tests.fakes import START, answer
from tests.support import template
from tests.unit.engine import TENANT, Engine

NOW = START + timedelta(days=1)
SINCE = "2026-01-01T00:00:00Z"


def engine() -> Engine:
    built = Engine()
    built.clock.advance((NOW - START).total_seconds())
    return built


def stored(built: Engine, n: int, event_type: str = "model.trained", tenant: str = TENANT, **data: Any) -> Event:
    """An event as the dispatcher stores it, published `n` seconds after START (written straight to the store)."""
    published = Event(f"evt_{n:05d}", event_type, tenant, (START + timedelta(seconds=n)).isoformat(), data)
    expires = int(NOW.timestamp()) + 30 * 86400
    assert built.store.put_event(event_record(published, expires))
    return published


def replayer(built: Engine) -> ReplayService:
    return ReplayService(built.settings, built.store, built.retries, built.clock)


def replay(built: Engine, webhook_id: str = "wh_1", **window: Any) -> ReplayResult:
    window = {"since": SINCE, "until": None, "cursor": None, **window}
    result = replayer(built).replay(TENANT, webhook_id, window["since"], window["until"], window["cursor"])
    assert result.examined == result.sent + result.already_delivered + result.in_progress + result.not_matching
    assert result.sent == result.delivered + result.failed == len(result.delivery_ids)
    return result


def replay_all(built: Engine, webhook_id: str = "wh_1", **window: Any) -> tuple[list[ReplayResult], int]:
    """Replay a window to its end, following next_cursor; the answers and the number of calls."""
    answers, cursor = [], None
    while True:
        result = replay(built, webhook_id, cursor=cursor, **window)
        answers.append(result)
        cursor = result.next_cursor
        if cursor is None:
            return answers, len(answers)
        assert len(answers) < 1000, "replay does not end"


def sent_event_ids(built: Engine) -> Counter[str]:
    return Counter(request.headers["webhook-id"] for request in built.transport.requests)


def total(answers: list[ReplayResult], name: str) -> int:
    return sum(getattr(a, name) for a in answers)


def test_a_webhook_created_after_its_events_gets_each_once_and_a_second_replay_sends_nothing() -> None:
    built = engine()
    published = [stored(built, n, model_id=f"m{n}") for n in range(50)]
    built.hook()
    answers, _ = replay_all(built)
    assert sent_event_ids(built) == Counter({e.id: 1 for e in published})
    assert total(answers, "sent") == total(answers, "delivered") == 50
    assert all(built.delivery(event_id=e.id)["status"] == "delivered" for e in published)
    again, _ = replay_all(built)
    assert total(again, "sent") == 0 and total(again, "already_delivered") == 50
    assert len(built.transport.requests) == 50


def test_ten_thousand_events_replay_in_a_bounded_number_of_calls() -> None:
    built = engine()
    for n in range(10_000):
        stored(built, n, model_id="m")
    built.hook()
    answers, calls = replay_all(built)
    assert calls <= 10_000 // REPLAY_LIMIT + event_index.SHARDS + 1
    assert all(a.examined <= REPLAY_LIMIT for a in answers)
    sent = sent_event_ids(built)
    assert len(sent) == 10_000 and set(sent.values()) == {1}
    assert total(answers, "examined") == total(answers, "sent") == 10_000


def test_only_events_of_the_webhooks_types_and_filters_are_sent() -> None:
    built = engine()
    wanted = [stored(built, 1, project_id="p1"), stored(built, 2, "model.deployed", project_id="p1")]
    stored(built, 3, project_id="p2")
    stored(built, 4, "detection.complete", project_id="p1")
    built.hook(events=("model.*",), filters='{"project_id": "p1"}')
    [result] = replay_all(built)[0]
    assert sent_event_ids(built) == Counter({e.id: 1 for e in wanted})
    assert (result.sent, result.not_matching, result.examined) == (2, 2, 4)


def test_another_tenants_events_and_test_sends_are_never_replayed() -> None:
    built = engine()
    mine = stored(built, 1, model_id="m")
    stored(built, 2, tenant="t2", model_id="m")
    probe = Event("evt_probe", "model.trained", TENANT, (START + timedelta(seconds=3)).isoformat(), {}, test=True)
    built.store.put_event(event_record(probe, int(NOW.timestamp()) + 86400))
    built.hook()
    answers, _ = replay_all(built)
    assert sent_event_ids(built) == Counter({mine.id: 1}) and total(answers, "examined") == 1


def test_ended_deliveries_are_sent_again_by_the_recover_path_and_open_or_delivered_ones_are_left() -> None:
    """Given one event per state of a webhook's deliveries, replay sends the skipped, failed and exhausted ones again
    (recorded as `replay` attempts on the same delivery) and leaves delivered, pending and retrying ones alone."""
    built = engine()
    built.hook()
    states = ["skipped", "failed", "exhausted", "delivered", "pending", "retrying"]
    published = {state: stored(built, n, model_id=state) for n, state in enumerate(states)}
    target = Target.of_webhook(built.store.get_webhook(TENANT, "wh_1"))
    for state, event in published.items():
        record = built.dispatcher.claims.new(event, target, NOW)
        assert built.store.claim_delivery({**record, "status": state}, stale_before="")
    [result] = replay_all(built)[0]
    assert sent_event_ids(built) == Counter({published[s].id: 1 for s in ("skipped", "failed", "exhausted")})
    assert (result.sent, result.already_delivered, result.in_progress) == (3, 1, 2)
    for state in ("skipped", "failed", "exhausted"):
        delivery = built.delivery(event_id=published[state].id)
        assert delivery["status"] == "delivered" and [a["trigger"] for a in delivery["attempts"]] == ["replay"]
    assert built.delivery(event_id=published["pending"].id)["status"] == "pending"


def test_a_failed_send_is_recorded_failed_and_sent_again_by_the_next_replay() -> None:
    built = engine()
    event = stored(built, 1, model_id="m")
    built.hook()
    built.transport.replies = [answer(500)]
    [first] = replay_all(built)[0]
    assert (first.sent, first.delivered, first.failed) == (1, 0, 1)
    assert built.delivery(event_id=event.id)["status"] == "failed" and built.scheduler.handoffs == []
    [second] = replay_all(built)[0]
    assert (second.sent, second.delivered) == (1, 1)
    assert built.delivery(event_id=event.id)["status"] == "delivered"


def test_a_rate_limited_webhook_gets_its_rate_and_the_cursor_resumes_at_the_first_event_left() -> None:
    built = engine()
    published = [stored(built, n, model_id="m") for n in range(7)]
    built.hook(rate_limit=3)
    answers: list[ReplayResult] = []
    cursor = None
    while True:
        answers.append(replay(built, cursor=cursor))
        cursor = answers[-1].next_cursor
        if cursor is None:
            break
        built.clock.advance(1)  # the next second's slots
    assert [a.sent for a in answers] == [3, 3, 1]
    assert [a.deferred for a in answers] == [4, 1, 0]
    assert sent_event_ids(built) == Counter({e.id: 1 for e in published})


@pytest.mark.parametrize(
    ("since", "until", "field"),
    [
        ("2026-01-01T12:00:00Z", "2026-01-01T11:00:00Z", "since"),  # since after until
        ("2025-12-01T00:00:00Z", None, "since"),  # before the event retention (30 days before now)
        ("2026-01-03T00:00:00Z", None, "since"),  # in the future
        ("yesterday", None, "since"),
        (SINCE, "tomorrow", "until"),
    ],
)
def test_a_bad_window_is_refused_naming_its_field(since: str, until: str | None, field: str) -> None:
    built = engine()
    built.hook()
    with pytest.raises(InvalidInput) as refused:
        replay(built, since=since, until=until)
    assert refused.value.field == field
    assert built.transport.requests == []


def test_a_disabled_webhook_is_refused_until_it_is_enabled() -> None:
    built = engine()
    stored(built, 1, model_id="m")
    built.hook(status="disabled")
    with pytest.raises(Conflict) as refused:
        replay(built)
    assert refused.value.field == "webhook_id" and built.transport.requests == []


def test_a_cursor_of_another_window_is_refused() -> None:
    built = engine()
    for n in range(3):
        stored(built, n * 3600, model_id="m")
    built.hook()
    first = replay(built)
    entry_cursor = built.store.event_page(TENANT, START, NOW, None, 1)[0][0]["after"]
    with pytest.raises(InvalidInput) as refused:
        replay(built, since="2026-01-01T23:00:00Z", cursor=entry_cursor)
    assert refused.value.field == "cursor" and first.sent == 3


def test_the_events_index_copies_the_type_alone_never_the_event() -> None:
    """The template's `events` index is keyed as `store.events` writes it, and projects keys and `type` only: one
    small index write per event, never a second copy of its data (issue 19's cost goal)."""
    indexes = template()["Resources"]["Table"]["Properties"]["GlobalSecondaryIndexes"]
    [index] = [i for i in indexes if i["IndexName"] == event_index.INDEX]
    keys = {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]}
    assert (keys["HASH"], keys["RANGE"]) == event_index.FIELDS
    assert index["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["type"]}

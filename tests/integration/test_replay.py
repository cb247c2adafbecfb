"""Replay and stats on moto, end to end: bus events through the real dispatcher, the real api handler, real
receivers. The issue's "done when": a webhook created after 50 events, or re-enabled after events were skipped,
receives each of those events exactly once after a replay (and a second replay sends nothing)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carrier import profile, runtime
from carrier.clock import iso
from carrier.verify import verify
from tests.fakes import RecordingScheduler
from tests.integration.conftest import create, deliveries
from tests.pipeline import bus_event, dispatch
from tests.receiver import Answer, Receiver
from tests.support import call_api

AN_HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture(autouse=True)
def few_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sends 8 at a time: the test receiver (a ThreadingHTTPServer, listen backlog 5) would drop the SYNs of 50
    concurrent connections under moto's load and time them out."""
    monkeypatch.setenv("MAX_CONCURRENCY", "8")
    runtime.get_settings.cache_clear()


def published(n: int, event_type: str = "model.trained", tenant: str = "t1", **data: Any) -> dict[str, Any]:
    """A bus event published half an hour ago (inside the event retention)."""
    event = bus_event(event_type, data or {"model_id": f"m{n}"}, tenant=tenant, event_id=f"evt_replay_{n:03d}")
    event["time"] = iso(datetime.now(UTC) - timedelta(minutes=30))
    return event


def publish(*events: dict[str, Any]) -> None:
    for start in range(0, len(events), 10):  # SQS batches of 10
        assert dispatch(*events[start : start + 10]) == {"batchItemFailures": []}


def replay(webhook_id: str, tenant: str = "t1", **body: Any) -> tuple[int, Any]:
    return call_api(
        "POST", f"/v1/webhooks/{webhook_id}/replay", body={"since": iso(AN_HOUR_AGO), **body}, tenant=tenant
    )


def replay_all(webhook_id: str) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    cursor = None
    while True:
        status, body = replay(webhook_id, **({"cursor": cursor} if cursor else {}))
        assert status == 200, body
        answers.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return answers
        assert len(answers) < 20


def total(answers: list[dict[str, Any]], name: str) -> int:
    return sum(a[name] for a in answers)


def received(receiver: Receiver) -> Counter[str]:
    return Counter(r.headers["webhook-id"] for r in receiver.requests)


def test_a_webhook_created_after_50_events_receives_each_once_after_a_replay(pipeline: RecordingScheduler) -> None:
    events = [published(n) for n in range(50)]
    publish(*events)  # no webhook yet: stored, delivered to nobody
    with Receiver() as receiver:
        hook = create(receiver.url)
        answers = replay_all(hook["id"])
        assert received(receiver) == Counter({e["detail"]["id"]: 1 for e in events})
        assert total(answers, "sent") == total(answers, "delivered") == 50
        for request in receiver.requests:
            verify("standard-webhooks", hook["secret"], request.body, request.headers)
        again = replay_all(hook["id"])
        assert total(again, "sent") == 0 and total(again, "already_delivered") == 50
        assert len(receiver.requests) == 50
    assert {d["status"] for d in deliveries(hook["id"], limit="100")} == {"delivered"}


def test_a_webhook_re_enabled_after_events_were_skipped_receives_each_once_after_a_replay(pipeline) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url)
        assert call_api("POST", f"/v1/webhooks/{hook['id']}/disable")[0] == 200
        events = [published(n) for n in range(12)]
        publish(*events)
        assert {d["status"] for d in deliveries(hook["id"])} == {"skipped"} and receiver.requests == []
        status, body = replay(hook["id"])
        assert (status, body["field"]) == (409, "webhook_id")  # disabled: enable it first
        assert call_api("POST", f"/v1/webhooks/{hook['id']}/enable")[0] == 200
        answers = replay_all(hook["id"])
        assert received(receiver) == Counter({e["detail"]["id"]: 1 for e in events})
        assert total(answers, "sent") == 12 and total(replay_all(hook["id"]), "sent") == 0
        assert len(receiver.requests) == 12
    found = deliveries(hook["id"])
    assert len(found) == 12 and {d["status"] for d in found} == {"delivered"}  # the same deliveries, now delivered
    detail = call_api("GET", f"/v1/webhooks/{hook['id']}/deliveries/{found[0]['delivery_id']}")[1]
    assert [a["trigger"] for a in detail["attempt_log"]] == ["replay"]


def test_types_filters_and_tenants_are_respected(pipeline: RecordingScheduler) -> None:
    wanted = [published(1, project_id="p1"), published(2, "model.deployed", project_id="p1")]
    others = [
        published(3, project_id="p2"),
        published(4, "detection.complete", project_id="p1"),
        published(5, tenant="t2", project_id="p1"),
    ]
    publish(*wanted, *others)
    with Receiver() as receiver:
        hook = create(receiver.url, events=["model.*"], filters={"project_id": "p1"})
        [answer] = replay_all(hook["id"])
        assert received(receiver) == Counter({e["detail"]["id"]: 1 for e in wanted})
    assert (answer["sent"], answer["not_matching"], answer["examined"]) == (2, 2, 4)  # t2's event is never read


def test_bad_input_is_refused_naming_the_field(pipeline: RecordingScheduler) -> None:
    hook = create("https://receiver.example/hook")
    now = datetime.now(UTC)
    cases = [
        ({"since": iso(now - timedelta(hours=1)), "until": iso(now - timedelta(hours=2))}, "since"),
        ({"since": iso(now - timedelta(days=31))}, "since"),  # beyond DeliveryRetentionDays (30)
        ({"since": "last tuesday"}, "since"),
        ({"since": iso(now - timedelta(hours=1)), "until": "later"}, "until"),
        ({"since": iso(now - timedelta(hours=1)), "cursor": "bm90IG91cnM"}, "cursor"),
        ({"until": iso(now)}, "since"),
    ]
    for body, field in cases:
        status, answer = call_api("POST", f"/v1/webhooks/{hook['id']}/replay", body=body)
        assert (status, answer["field"]) == (422, field), (body, answer)
    assert replay(hook["id"], tenant="t2")[0] == 404  # another tenant's webhook
    status, answer = call_api("GET", f"/v1/webhooks/{hook['id']}/stats", query={"window": "30d"})
    assert (status, answer["field"]) == (422, "window")
    assert call_api("GET", f"/v1/webhooks/{hook['id']}/stats", tenant="t2")[0] == 404


def test_stats_count_what_the_log_holds(pipeline: RecordingScheduler) -> None:
    """Given 4 events acknowledged and then 2 refused with a 500 (on the ladder now), the last hour's stats say so."""
    answers = iter([200] * 4 + [500] * 2)
    with Receiver(lambda request: Answer(next(answers, 200))) as receiver:
        hook = create(receiver.url)
        for n in range(6):
            publish(published(n))
    status, stats = call_api("GET", f"/v1/webhooks/{hook['id']}/stats", query={"window": "1h"})
    assert status == 200 and stats["window"] == "1h" and stats["total"] == 6
    counts = {c["status"]: c["count"] for c in stats["counts"]}
    assert counts["delivered"] == 4 and counts["retrying"] == 2 and sum(counts.values()) == 6
    assert stats["success_rate"] == round(4 / 6, 4) and stats["consecutive_failures"] == 2
    assert stats["response_time_ms_p50"] is not None and stats["response_time_ms_p95"] >= stats["response_time_ms_p50"]
    assert stats["last_success_at"] and stats["sampled"] is False
    assert call_api("GET", f"/v1/webhooks/{hook['id']}/stats")[1]["window"] == "24h"  # the default


def test_replay_and_stats_answer_in_the_profiles_words(
    pipeline: RecordingScheduler, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under seed 004's profile (`delivered` is `success`), the stats' statuses are its words, and Carrier's own for
    the dashboard (`Carrier-View: carrier`); the routes themselves speak Carrier's names only."""
    monkeypatch.setenv(profile.ENV, "aiplatform")
    publish(published(1, "optimization.completed", job_id="j1"))
    with Receiver() as receiver:
        body = {"url": receiver.url + "/webhook", "events": ["optimization.completed"], "secret": "a" * 30}
        status, created = call_api("POST", "/v1/webhooks", body=body)
        assert status == 201, created
        status, answer = replay(created["webhook_id"])
        assert status == 200 and answer["sent"] == answer["delivered"] == 1, answer
    assert len(receiver.requests) == 1
    path = f"/v1/webhooks/{created['webhook_id']}/stats"
    theirs = {c["status"]: c["count"] for c in call_api("GET", path)[1]["counts"]}
    ours = {c["status"]: c["count"] for c in call_api("GET", path, headers={"Carrier-View": "carrier"})[1]["counts"]}
    assert theirs["success"] == 1 and "delivered" not in theirs
    assert ours["delivered"] == 1 and "success" not in ours

"""`tests.fakes.MemoryStore` keeps the promises of `carrier.store.Store` the engine relies on: the same checks run
on both, the real one on moto. A unit test on the fake is only as true as this contract."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from carrier import ids
from carrier.errors import InvalidInput, NotFound
from carrier.ports import EngineStore, ReplayStore
from carrier.records import EventClaim
from carrier.store import ATTEMPTS_KEPT, Store, keys
from carrier.store import events as event_index
from tests.conftest import table_properties
from tests.fakes import MemoryStore

T = "t1"


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[EngineStore]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        env = request.getfixturevalue("aws")
        yield Store(env["TABLE_NAME"])


def webhook(store: EngineStore, webhook_id: str = "wh_1") -> None:
    record: Any = {
        "tenant_id": T,
        "id": webhook_id,
        "url": "https://receiver.example/",
        "events": ["*"],
        "description": "",
        "status": "active",
        "filters": "{}",
        "payload_format": "standard",
        "signature": {"scheme": "standard-webhooks", "header": None},
        "header_names": [],
        "secret_name": f"s/{webhook_id}",
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
    }
    store.put_webhook(record)  # type: ignore[attr-defined]  # setup only: not part of the engine's port


def claim(store: EngineStore, delivery_id: str, created_at: str = "2026-01-01T00:00:00.000Z", **fields: Any) -> bool:
    record: Any = {
        "tenant_id": T,
        "webhook_id": "wh_1",
        "delivery_id": delivery_id,
        "event_id": f"evt_{delivery_id}",
        "event_type": "model.trained",
        "status": "pending",
        "created_at": created_at,
        "claimed_at": created_at,
        "attempts": [],
        "attempt_count": 0,
        **fields,
    }
    return store.claim_delivery(record, stale_before="2026-01-01T00:00:00.000Z")


def attempt(n: int) -> Any:
    return {"n": n, "at": "2026-01-01T00:00:00.000Z", "trigger": "retry", "outcome": "retry"}


def test_an_event_is_stored_once(store: EngineStore) -> None:
    record: Any = {"tenant_id": T, "id": "evt_1", "type": "model.trained", "timestamp": "t", "data": "{}"}
    assert store.put_event(record) is True
    changed: Any = {**record, "data": '{"changed": 1}'}
    assert store.put_event(changed) is False
    assert store.get_event(T, "evt_1") == record
    assert store.get_event(T, "evt_2") is None


def test_a_delivery_is_claimed_once_unless_left_pending_too_long(store: EngineStore) -> None:
    assert claim(store, "del_a", created_at="2026-01-01T00:00:05.000Z")
    assert not claim(store, "del_a", created_at="2026-01-01T00:00:05.000Z")
    assert claim(store, "del_old", created_at="2025-12-31T23:00:00.000Z")
    assert claim(store, "del_old", created_at="2025-12-31T23:00:00.000Z")  # stale and pending: taken over
    assert claim(store, "del_done", created_at="2025-12-31T23:00:00.000Z", status="delivered")
    assert not claim(store, "del_done", created_at="2025-12-31T23:00:00.000Z")  # not pending: never


def test_attempts_are_a_ring_and_the_webhook_gets_its_changes(store: EngineStore) -> None:
    webhook(store)
    claim(store, "del_a")
    for n in range(1, ATTEMPTS_KEPT + 3):
        store.record_attempt(T, "wh_1", "del_a", attempt(n), {"status": "retrying"}, {"last_call": {"n": n}})
    delivery = store.get_delivery(T, "wh_1", "del_a")
    assert delivery["attempt_count"] == ATTEMPTS_KEPT + 2 and delivery["status"] == "retrying"
    assert len(delivery["attempts"]) == ATTEMPTS_KEPT
    assert [a["n"] for a in delivery["attempts"][:3]] == [ATTEMPTS_KEPT + 1, ATTEMPTS_KEPT + 2, 3]
    assert store.get_webhook(T, "wh_1")["last_call"] == {"n": ATTEMPTS_KEPT + 2}  # type: ignore[comparison-overlap]


def test_recording_for_a_deleted_webhook_still_records_the_attempt(store: EngineStore) -> None:
    claim(store, "del_a")
    store.record_attempt(T, "wh_1", "del_a", attempt(1), {"status": "failed"}, {"last_call": {}})
    assert store.get_delivery(T, "wh_1", "del_a")["status"] == "failed"


def test_a_conditional_update_answers_false_when_refused(store: EngineStore) -> None:
    claim(store, "del_a")
    assert not store.update_delivery(T, "wh_1", "del_a", {"status": "failed"}, expected_status="retrying")
    assert store.update_delivery(T, "wh_1", "del_a", {"status": "failed"}, expected_status="pending")
    assert store.get_delivery(T, "wh_1", "del_a")["status"] == "failed"
    assert not store.update_delivery(T, "wh_1", "del_missing", {"status": "failed"})


def test_a_lock_has_one_owner_until_it_expires(store: EngineStore) -> None:
    claim(store, "del_a")
    assert store.acquire_delivery_lock(T, "wh_1", "del_a", "one", until="10:00:45", now="10:00:00")
    assert not store.acquire_delivery_lock(T, "wh_1", "del_a", "two", until="10:01:00", now="10:00:30")
    store.release_delivery_lock(T, "wh_1", "del_a", "two")  # not its lock: nothing happens
    assert not store.acquire_delivery_lock(T, "wh_1", "del_a", "two", until="10:01:00", now="10:00:30")
    assert store.acquire_delivery_lock(T, "wh_1", "del_a", "two", until="10:02:00", now="10:01:00")  # expired
    store.release_delivery_lock(T, "wh_1", "del_a", "two")
    assert store.acquire_delivery_lock(T, "wh_1", "del_a", "three", until="10:03:00", now="10:01:01")
    assert "lock_owner" not in store.get_delivery(T, "wh_1", "del_a")
    assert not store.acquire_delivery_lock(T, "wh_1", "del_missing", "one", until="10:00:45", now="10:00:00")


def test_unknown_items_are_not_found(store: EngineStore) -> None:
    claim(store, "del_a")
    with pytest.raises(NotFound):
        store.get_delivery(T, "wh_1", "del_missing")
    with pytest.raises(NotFound):
        store.get_delivery("other-tenant", "wh_1", "del_a")
    with pytest.raises(NotFound):
        store.get_webhook(T, "wh_missing")
    with pytest.raises(NotFound):
        store.update_webhook(T, "wh_missing", {"status": "disabled"})


def test_a_webhook_update_sets_and_removes_fields(store: EngineStore) -> None:
    webhook(store)
    changed = store.update_webhook(T, "wh_1", {"status": "disabled", "disabled_reason": "r"})
    assert changed["status"] == "disabled" and changed["disabled_reason"] == "r"
    again = store.update_webhook(T, "wh_1", {"status": "active"}, remove=("disabled_reason",))
    assert again["status"] == "active" and "disabled_reason" not in again
    assert [w["id"] for w in store.all_webhooks(T)] == ["wh_1"] and store.all_webhooks("other") == []


def published(second: int) -> str:
    return f"2026-01-01T00:{second // 60:02d}:{second % 60:02d}.000Z"


def test_a_hot_webhooks_deliveries_spread_over_shards_and_list_newest_first(store: EngineStore) -> None:
    # Given 60 deliveries of one webhook, each of an event a second after the last (ids as the engine names them)
    made = []
    for n in range(60):
        delivery_id = ids.delivery_id(T, f"evt_{n}", "wh_1", published(n))
        status = "failed" if n % 2 else "delivered"
        assert claim(store, delivery_id, created_at=published(n), event_id=f"evt_{n}", status=status)
        made.append(delivery_id)
    # Then they are spread over every shard of the webhook's log (no partition takes them all) ...
    shards = {keys.delivery(T, "wh_1", did)["pk"] for did in made}
    assert shards == set(keys.delivery_pks(T, "wh_1")) and len(shards) == keys.DELIVERY_SHARDS
    # ... and read back newest first across the shards, page by page (7 a page), each once
    pages, cursor = [], None
    while True:
        page, cursor = store.list_deliveries(T, "wh_1", 7, cursor)
        pages.append([d["delivery_id"] for d in page])
        if not cursor:
            break
    assert [d for page in pages for d in page] == made[::-1]
    assert all(len(page) == 7 for page in pages[:-1])
    failed, _ = store.list_deliveries(T, "wh_1", 3, None, status="failed")
    assert [d["event_id"] for d in failed] == ["evt_59", "evt_57", "evt_55"]
    recent, _ = store.list_deliveries(T, "wh_1", 100, None, since=published(57))
    assert [d["event_id"] for d in recent] == ["evt_59", "evt_58", "evt_57"]
    assert store.count_deliveries(T, "wh_1") == 60 and store.count_deliveries(T, "wh_1", status="failed") == 30
    # And another tenant or webhook reads none of them
    assert (
        store.list_deliveries("t2", "wh_1", 10, None)[0] == [] and store.list_deliveries(T, "wh_2", 10, None)[0] == []
    )


def event_claim(claimed_at: str) -> Any:
    return {
        "tenant_id": T,
        "id": "evt_1",
        "type": "model.trained",
        "timestamp": published(0),
        "data": "{}",
        "claimed_at": claimed_at,
    }


def test_an_event_is_claimed_by_one_run_until_its_claim_is_stale(store: EngineStore) -> None:
    # A new event: stored and claimed in one write
    claim_, stored = store.claim_event(event_claim(published(10)), stale_before=published(0))
    assert claim_ == EventClaim.new and stored["timestamp"] == published(0)
    # A copy while the claim is fresh: held, and answered with the first copy's timestamp
    copy: Any = {**event_claim(published(20)), "timestamp": published(15)}
    claim_, stored = store.claim_event(copy, stale_before=published(5))
    assert claim_ == EventClaim.held and stored["timestamp"] == published(0)
    # A copy after the claim is stale: taken over once (a second copy at the same moment finds it held)
    assert store.claim_event(event_claim(published(200)), stale_before=published(50))[0] == EventClaim.taken
    assert store.claim_event(event_claim(published(201)), stale_before=published(50))[0] == EventClaim.held
    # A chunk of a split fan-out is claimed the same way, on its own
    assert store.claim_chunk(T, "evt_1", 3, published(10), published(0), 2_000_000_000) == EventClaim.new
    assert store.claim_chunk(T, "evt_1", 3, published(11), published(0), 2_000_000_000) == EventClaim.held
    assert store.claim_chunk(T, "evt_1", 3, published(300), published(100), 2_000_000_000) == EventClaim.taken
    assert store.claim_chunk(T, "evt_1", 4, published(11), published(0), 2_000_000_000) == EventClaim.new
    # The number of chunks is fixed once
    assert store.fix_chunks(T, "evt_1", 5) == 5 and store.fix_chunks(T, "evt_1", 9) == 5


def test_statuses_are_read_by_the_batch_across_webhooks(store: EngineStore) -> None:
    claim(store, "del_a")
    claim(store, "del_b", status="delivered", webhook_id="wh_2")
    found = store.statuses_of(T, [("wh_1", "del_a"), ("wh_2", "del_b"), ("wh_1", "del_b"), (None, "del_a")])
    assert found == {"del_a": "pending", "del_b": "delivered"}


def test_a_rate_slot_is_one_of_limit_per_second(store: EngineStore) -> None:
    assert [store.take_rate_slot("wh_1", 2, 100) for _ in range(3)] == [True, True, False]
    assert store.take_rate_slot("wh_1", 2, 101) and store.take_rate_slot("wh_2", 2, 100)


def test_tenant_settings_round_trip(store: EngineStore) -> None:
    assert store.get_tenant_setting(T, "callbacks") is None
    store.put_tenant_setting(T, "callbacks", {"payload_format": "data"})
    assert store.get_tenant_setting(T, "callbacks") == {"payload_format": "data"}


def test_open_deliveries_past_due_are_in_the_sparse_index_until_they_end(store: EngineStore) -> None:
    # Given an open delivery due at 01:00, one due at 03:00, and one created skipped (terminal from the start)
    claim(store, "del_a", open_due="2026-01-01T01:00:00.000Z")
    claim(store, "del_b", open_due="2026-01-01T03:00:00.000Z")
    claim(store, "del_c", status="skipped", open_due="2026-01-01T01:00:00.000Z")
    # Then at 02:00 only the first is overdue
    assert [d["delivery_id"] for d in store.overdue_deliveries("2026-01-01T02:00:00.000Z", 10)] == ["del_a"]
    # When it moves on along the ladder, it is due again later; when it ends, it leaves the index
    changes = {"status": "retrying", "open_due": "2026-01-01T05:00:00.000Z"}
    store.record_attempt(T, "wh_1", "del_a", attempt(1), changes)
    assert store.overdue_deliveries("2026-01-01T02:00:00.000Z", 10) == []
    store.update_delivery(T, "wh_1", "del_b", {"status": "exhausted"})
    store.record_attempt(T, "wh_1", "del_a", attempt(2), {"status": "delivered"})
    assert store.overdue_deliveries("2026-01-02T00:00:00.000Z", 10) == []
    assert "open_due" not in store.get_delivery(T, "wh_1", "del_a")


# ---- replay's reads: the events index and delivery statuses by the batch ------------------------------------


def stored_event(store: ReplayStore, event_id: str, at: str, tenant: str = T, **fields: Any) -> Any:
    record: Any = {
        "tenant_id": tenant,
        "id": event_id,
        "type": "model.trained",
        "timestamp": at,
        "data": "{}",
        **fields,
    }
    assert store.put_event(record)
    return record


def page_all(store: ReplayStore, since: datetime, until: datetime, limit: int) -> tuple[list[str], int]:
    found, cursor, calls = [], None, 0
    while True:
        page, cursor = store.event_page(T, since, until, cursor, limit)
        calls += 1
        found += [entry["id"] for entry in page]
        if cursor is None:
            return found, calls
        assert calls < 100


def test_a_tenants_events_are_read_by_time_each_once_with_a_cursor(store: ReplayStore) -> None:
    """Given events of the tenant inside and outside a window, another tenant's and a test send's, when the window
    is read a few at a time, then each of the tenant's published events in it comes once, and nothing else."""
    records = [stored_event(store, f"evt_{n:02d}", f"2026-01-01T00:{n:02d}:00Z") for n in range(1, 23)]
    inside = [record["id"] for record in records]
    stored_event(store, "evt_early", "2025-12-31T23:59:59.999Z")
    stored_event(store, "evt_late", "2026-01-01T00:30:00.001Z")
    stored_event(store, "evt_other", "2026-01-01T00:05:00Z", tenant="t2")
    stored_event(store, "evt_test", "2026-01-01T00:05:00Z", test=True)
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    found, calls = page_all(store, since, until, limit=5)
    assert sorted(found) == inside and len(found) == len(set(found))
    assert calls <= len(inside) // 5 + 1 + event_index.SHARDS
    assert sorted(page_all(store, since, until, limit=100)[0]) == inside
    assert store.get_events(T, ["evt_01", "evt_other", "evt_missing"]) == {"evt_01": records[0]}
    assert store.get_event(T, "evt_01") == records[0]  # the index's fields stay in the store


def test_an_entry_resumes_before_or_after_itself(store: ReplayStore) -> None:
    for n in range(1, 7):
        stored_event(store, f"evt_{n}", f"2026-01-01T00:0{n}:00Z")
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)
    every, _ = store.event_page(T, since, until, None, 100)
    third = every[2]
    after, _ = store.event_page(T, since, until, third["after"], 100)
    before, _ = store.event_page(T, since, until, third["before"], 100)
    assert [e["id"] for e in after] == [e["id"] for e in every[3:]]
    assert [e["id"] for e in before] == [e["id"] for e in every[2:]]
    assert {e["type"] for e in every} == {"model.trained"}


def test_a_cursor_of_another_window_or_none_of_ours_is_refused(store: ReplayStore) -> None:
    stored_event(store, "evt_1", "2026-01-01T00:10:00Z")
    stored_event(store, "evt_2", "2026-01-01T00:20:00Z")
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)
    [first] = [e for e in store.event_page(T, since, until, None, 100)[0] if e["id"] == "evt_1"]
    for cursor, later in ((first["after"], datetime(2026, 1, 1, 0, 15, tzinfo=UTC)), ("not-a-cursor", since)):
        with pytest.raises(InvalidInput) as refused:
            store.event_page(T, later, until, cursor, 100)
        assert refused.value.field == "cursor"


def test_delivery_statuses_are_read_by_the_batch_for_one_webhook(store: ReplayStore) -> None:
    claim(store, "del_a")
    claim(store, "del_b", status="delivered")
    found = store.delivery_statuses(T, "wh_1", ["del_a", "del_b", "del_missing"])
    assert found == {"del_a": "pending", "del_b": "delivered"}
    assert store.delivery_statuses("other-tenant", "wh_1", ["del_a"]) == {}
    assert store.delivery_statuses(T, "wh_2", ["del_a"]) == {}


def test_a_stack_made_before_keeps_its_unused_delivery_index_and_works_the_same(aws: dict[str, str]) -> None:
    # Given the table as a stack made before 0.19 has it (KeepDeliveryIndex=true: the lsi1 index, which an update
    # cannot remove), and a new stack's (none)
    assert "LocalSecondaryIndexes" not in table_properties("new")
    boto3.client("dynamodb").create_table(**table_properties("carrier-old", KeepDeliveryIndex="true"))
    old = Store("carrier-old")
    # When deliveries are written and listed there, Then nothing writes the index and the log reads the same
    for n in range(5):
        assert claim(
            old, ids.delivery_id(T, f"evt_{n}", "wh_1", published(n)), created_at=published(n), event_id=f"evt_{n}"
        )
    page, _ = old.list_deliveries(T, "wh_1", 10, None)
    assert [d["event_id"] for d in page] == ["evt_4", "evt_3", "evt_2", "evt_1", "evt_0"]
    index = boto3.client("dynamodb").scan(TableName="carrier-old", IndexName="lsi1")
    assert index["Items"] == []


def test_a_delivery_recorded_before_ids_began_with_their_time_is_still_read_and_written_by_id(
    store: EngineStore,
) -> None:
    # Given a delivery whose id is of the old form (26 hex digits), in its log's old unsharded partition
    webhook(store)
    legacy = "del_2d711642b726b04401627ca9fb"
    assert keys.delivery(T, "wh_1", legacy)["pk"] == "WH#wh_1"
    assert claim(store, legacy, status="retrying")
    # Then its ladder, a tenant's retry or a link to it still find it and record into it
    assert store.record_attempt(T, "wh_1", legacy, attempt(2), {"status": "delivered"}, None, ("retrying",))
    assert store.get_delivery(T, "wh_1", legacy)["status"] == "delivered"
    assert store.statuses_of(T, [("wh_1", legacy)]) == {legacy: "delivered"}

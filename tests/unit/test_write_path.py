"""Issue 19 items 2 and 4 on the engine's fakes: a first-try delivery is one row written once (after the event's
claim), within one write unit whatever the receiver answers; the webhook's last_call is written on a change of
outcome or once per `last_call_every_seconds`; the tenant's webhook list is read once per `webhook_cache_seconds`."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from carrier import ids
from carrier.dispatch import Dispatcher
from carrier.recording import FIRST_RECORD_BYTES
from carrier.records import DeliveryStatus
from carrier.store.sizes import item_bytes
from tests.fakes import FakeTransport, answer
from tests.unit.engine import TENANT, URL, Engine, event, settings


@dataclass
class Counting(Engine):
    """One Dispatcher kept across events (a warm container), and the store's writes counted."""

    def __post_init__(self) -> None:
        self.kept = Dispatcher(
            self.settings, self.store, self.vault, self.transport, self.scheduler, self.clock, self.events
        )
        self.writes: list[str] = []
        self.queries = 0
        for name in ("claim_event", "claim_delivery", "record_attempt", "record_call", "update_delivery"):
            self._count(name)
        all_webhooks = self.store.all_webhooks

        def counted(tenant_id: str) -> Any:
            self.queries += 1
            return all_webhooks(tenant_id)

        self.store.all_webhooks = counted  # type: ignore[method-assign]

    def _count(self, name: str) -> None:
        method = getattr(self.store, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.writes.append(name)
            return method(*args, **kwargs)

        setattr(self.store, name, counted)

    def send(self, event_id: str) -> Any:
        return asyncio.run(self.kept.dispatch(event(event_id)))


def test_a_first_try_delivery_writes_its_event_once_and_its_row_once() -> None:
    # Given a warm dispatcher (the webhook's last_call written by an earlier delivery)
    engine = Counting()
    engine.hook()
    engine.send("evt_0")
    engine.writes.clear()
    # When 20 events are delivered on the first try, a second apart
    for n in range(1, 21):
        engine.clock.advance(0.5)
        assert engine.send(f"evt_{n}").outcomes == {"delivered": 1}
    # Then each wrote its event (the claim) and its delivery's row, and the webhook's last_call once in 10 s
    assert engine.writes.count("claim_event") == 20 and engine.writes.count("claim_delivery") == 20
    assert engine.writes.count("record_call") == 1 and "record_attempt" not in engine.writes
    assert engine.store.get_webhook(TENANT, "wh_1")["last_call"]["date"] == "2026-01-01T00:00:10.000Z"


def test_a_change_of_outcome_writes_last_call_at_once_and_skipped_failures_are_counted() -> None:
    # Given a warm dispatcher whose receiver answers 200, then 500 five times, then 200 (failing after 4)
    replies = [answer(200)] + [answer(500)] * 5 + [answer(200)]
    engine = Counting(transport=FakeTransport(replies=replies), settings=settings(failing_after_failures=4))
    engine.hook()
    for n in range(7):
        engine.send(f"evt_{n}")
        if n == 3:  # after the fourth attempt, the second and third failures are not written yet
            webhook = engine.store.get_webhook(TENANT, "wh_1")
            assert webhook["last_error"]["status_code"] == 500 and webhook.get("consecutive_failures") == 1
    # Then: the first 500 was written at once (the outcome changed), the next two skipped but counted by the fourth
    # failure's write (it reaches failing_after: `failing` raised on time), the fifth skipped, and the recovery
    # written at once, counting it
    assert engine.writes.count("record_call") == 4
    webhook = engine.store.get_webhook(TENANT, "wh_1")
    assert webhook["last_call"]["status_code"] == 200 and webhook["consecutive_failures"] == 0
    raised = [
        (e.type, e.data.get("consecutive_failures") or e.data.get("failed_attempts")) for e in engine.events.events
    ]
    assert raised == [("carrier.webhook.failing", 4), ("carrier.webhook.recovered", 5)], raised


def test_failures_are_written_once_per_interval_with_the_ones_seen_in_between() -> None:
    # Given failures a second apart (500 each), failing after 3, written at most every 10 s
    engine = Counting(transport=FakeTransport(default=answer(500)), settings=settings(failing_after_failures=3))
    engine.hook()
    for n in range(14):
        engine.send(f"evt_{n}")
        engine.clock.advance(1)
    # Then the count is written at the first failure, at the third (failing), and 10 s later with the 9 in between
    assert engine.writes.count("record_call") == 3
    assert engine.store.get_webhook(TENANT, "wh_1")["consecutive_failures"] == 13
    assert [e.type for e in engine.events.events] == ["carrier.webhook.failing"]


def test_a_first_try_row_stays_within_one_write_unit_whatever_the_receiver_answers() -> None:
    for body in (b"", b"x" * 600, "é".encode() * 5000):
        engine = Engine(transport=FakeTransport(default=answer(200, body)))
        engine.hook(url=URL + "/" + "p" * 200)
        engine.publish()
        row = engine.delivery()
        assert item_bytes(row) <= FIRST_RECORD_BYTES, (len(body), item_bytes(row))
        excerpt = row["attempts"][0].get("response_body") or ""
        assert body.decode().startswith(excerpt.removesuffix("…"))
        # and nothing beside it: not in the open index, no claim time once ended
        assert "open_due" not in row and "claimed_at" not in row and row["status"] == DeliveryStatus.delivered


def test_a_new_or_disabled_webhook_is_seen_within_the_cache_time_and_not_read_per_event() -> None:
    # Given a warm dispatcher keeping webhook lists 10 s
    engine = Counting(settings=settings(webhook_cache_seconds=10))
    engine.hook("wh_1")
    engine.send("evt_0")
    # When a second webhook is created, events in the next 10 s do not see it, and read no list
    engine.hook("wh_2", url=URL + "/2")
    engine.clock.advance(9)
    assert engine.send("evt_1").matched == 1 and engine.queries == 1
    # Then 10 s after the list was read, it is read again and the new webhook gets the event
    engine.clock.advance(1)
    assert engine.send("evt_2").matched == 2 and engine.queries == 2
    # And a webhook disabled is left out within the same bound
    engine.store.update_webhook(TENANT, "wh_2", {"status": "disabled"})
    engine.clock.advance(10)
    report = engine.send("evt_3")
    assert report.matched == 1 and report.skipped_disabled == 1


def test_a_delivery_id_sorts_by_when_its_event_was_first_stored() -> None:
    older = ids.delivery_id(TENANT, "evt_z", "wh_1", "2026-01-01T00:00:00.001Z")
    newer = ids.delivery_id(TENANT, "evt_a", "wh_1", "2026-01-01T00:00:00.002Z")
    assert older < newer and ids.is_valid("delivery", older) and ids.is_valid("delivery", newer)
    assert (
        ids.delivery_floor("2026-01-01T00:00:00.002Z") <= newer
        and ids.delivery_floor("2026-01-01T00:00:00.003Z") > newer
    )
    # a copy of the event published later (another envelope time) names the same delivery: the stored time counts
    engine = Engine()
    engine.hook()
    engine.publish()
    copy = event()
    copy = type(copy)(copy.id, copy.type, copy.tenant_id, "2026-01-01T00:05:00.000Z", copy.data)
    engine.clock.advance(engine.settings.claim_stale_seconds + 1)
    report = engine.publish(copy)
    assert report.duplicates == 1 and len(engine.transport.requests) == 1


@given(st.binary(min_size=10, max_size=10))
def test_a_delivery_ids_hash_part_is_crockford_base32_of_its_80_bits(raw: bytes) -> None:
    # ids.delivery_id encodes with the C base32 and a translation: the same text as the id's own alphabet
    fast = base64.b32encode(raw).decode().translate(ids._CROCKFORD)
    assert fast == ids._b32(int.from_bytes(raw, "big"), 16)


def test_a_webhook_this_container_disables_on_a_410_is_left_out_of_its_cached_list_at_once() -> None:
    # Given a warm dispatcher keeping webhook lists 10 s, and a receiver that answers 410 Gone
    engine = Counting(transport=FakeTransport(replies=[answer(410)]), settings=settings(webhook_cache_seconds=10))
    engine.hook()
    engine.send("evt_0")
    assert engine.store.get_webhook(TENANT, "wh_1")["status"] == "disabled"
    # When the next event comes a second later, inside the cache time
    engine.clock.advance(1)
    report = engine.send("evt_1")
    # Then the list was read again: the webhook is disabled, its delivery skipped, nothing sent to it
    assert engine.queries == 2 and report.matched == 0 and report.skipped_disabled == 1
    assert len(engine.transport.requests) == 1

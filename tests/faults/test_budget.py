"""A fan-out that cannot finish in one invocation. 250 webhooks on a receiver that hangs for the whole
HttpTimeoutSeconds (30 s) at MAX_CONCURRENCY 50 need 5 rounds of 30 s, past the dispatcher's 120 s Timeout. The
harness kills an invocation that still waits at its Timeout, leaving what it claimed.

Issue 19 item 3: the dispatcher splits such an event into chunks on the queue (`carrier.fanout`), each an invocation
that surely ends; without a queue to split onto, one invocation hands what it cannot send in time to the ladder."""

from __future__ import annotations

from tests.faults.harness import Carrier
from tests.faults.receiver import hang

WEBHOOKS = 250


def test_4_a_fan_out_past_the_timeout_ends_with_every_delivery_owned_in_one_receive(carrier: Carrier) -> None:
    # Given 250 webhooks whose receiver hangs past the timeout, and no queue to split the fan-out onto
    carrier.configure(FANOUT_QUEUE_URL="")
    hooks = [carrier.create_webhook(f"w{i:03d}") for i in range(WEBHOOKS)]
    carrier.receiver.script = lambda request: hang(accepts=False)
    # When one event is dispatched and its first invocation ends
    message = carrier.publish()
    carrier.run_until(lambda: bool(carrier.queue.invocations) and carrier.queue.invocations[0].participant.ended)
    # Then the invocation was not killed and the message is done: every delivery is owned by the ladder
    invocation = carrier.queue.invocations[0]
    assert invocation.outcome == "ok", invocation.outcome
    assert message.id not in carrier.queue.messages and message.receive_count == 1
    statuses = {h.id: carrier.delivery(message.event_id, h) for h in hooks}
    pending = [i for i, d in statuses.items() if d is None or d["status"] == "pending"]
    assert pending == []
    unowned = [h.id for h in hooks if carrier.ladder.status(carrier.delivery_id(message.event_id, h)) != "RUNNING"]
    assert unowned == []


def test_4b_a_fan_out_past_the_timeout_is_split_into_chunks_each_ending_in_its_invocation(carrier: Carrier) -> None:
    # Given 250 webhooks whose receiver hangs past the timeout (one invocation surely sends 50 x (110 // 40) = 100)
    hooks = [carrier.create_webhook(f"w{i:03d}") for i in range(WEBHOOKS)]
    carrier.receiver.script = lambda request: hang(accepts=False)
    # When one event is dispatched and the queues are drained of it and its chunks
    message = carrier.publish()
    assert carrier.chunks is not None
    carrier.run_until(lambda: carrier.queue.drained() and bool(carrier.chunks and carrier.chunks.invocations))
    carrier.run_until(lambda: bool(carrier.chunks and carrier.chunks.drained()))
    # Then the event's invocation and each chunk's own (one chunk each) ended in time (none killed), and every
    # delivery is owned by its ladder, sent once
    assert [i.outcome for i in carrier.queue.invocations] == ["ok"]
    assert [(i.outcome, len(i.messages)) for i in carrier.chunks.invocations] == [("ok", 1), ("ok", 1)]
    statuses = {h.id: carrier.delivery(message.event_id, h) for h in hooks}
    assert [i for i, d in statuses.items() if d is None or d["status"] != "retrying"] == []
    unowned = [h.id for h in hooks if carrier.ladder.status(carrier.delivery_id(message.event_id, h)) != "RUNNING"]
    assert unowned == []
    assert sorted(len(carrier.requests_of(message.event_id, h)) for h in hooks) == [1] * WEBHOOKS

"""Issue item 7: locks. A tenant's retry and the engine's own attempts never send one delivery twice at once, and a
writer that read the delivery before someone else moved it never writes back a stale status."""

from __future__ import annotations

from typing import Any

from tests.faults.harness import Carrier, about
from tests.faults.receiver import OK, in_turn, status


def test_7a_a_manual_retry_during_the_first_attempt_is_refused_not_sent_alongside(carrier: Carrier) -> None:
    # Given a first attempt whose receiver takes 20 s and then fails
    hook = carrier.create_webhook("a")
    carrier.receiver.script = in_turn(status(500, seconds=20), OK)
    message = carrier.publish()
    # When the tenant retries the delivery by hand 5 s into that first attempt
    path = lambda: f"/v1/webhooks/{hook.id}/deliveries/{carrier.delivery_id(message.event_id, hook)}/retry"  # noqa: E731
    answer = carrier.api_later(6, "POST", path)
    carrier.drain()
    # Then the retry was refused (the delivery's row is written with its first attempt's outcome: until then there
    # is no delivery to retry, a 404), nothing was sent alongside, and the first attempt's ladder delivered it
    status_code, body = answer()
    assert status_code == 404, body
    assert carrier.receiver.duplicates().concurrent == []
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "delivered", delivery


def test_7b_a_manual_retry_that_read_retrying_never_reopens_an_exhausted_delivery(carrier: Carrier) -> None:
    # Given a delivery at the end of its ladder whose Exhaust write is slow (5 s), and a receiver whose answer to the
    # tenant's retry then takes 20 s and fails
    hook = carrier.create_webhook("a")
    message = carrier.publish()
    attempts = 6  # the first attempt and the ladder's five
    carrier.receiver.script = in_turn(*[status(500)] * attempts, status(500, seconds=20))
    answers: list[Any] = []

    def retry_now() -> None:  # the tenant's retry starts while the exhaust write is on its way
        did = carrier.delivery_id(message.event_id, hook)
        answers.append(carrier.api_later(1, "POST", f"/v1/webhooks/{hook.id}/deliveries/{did}/retry"))

    exhausting = about(f"WH#{hook.id}#", '"exhausted"')
    carrier.injector.delay("dynamodb", "UpdateItem", 5, when=exhausting, then=retry_now)
    # When the ladder ends while the retry is sending
    carrier.drain()
    # Then the retry (which read `retrying`) did not write `retrying` over `exhausted`
    status_code, body = answers[0]()
    assert status_code == 200 and body["delivered"] is False, body
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "exhausted", delivery
    assert carrier.webhook(hook)["status"] == "disabled"


def test_7c_a_ladder_step_delayed_before_its_lock_never_resends_a_delivery_a_tenant_just_delivered(
    carrier: Carrier,
) -> None:
    # Given a delivery on its ladder whose step is slow to take its lock (5 s), and a tenant's retry in between
    hook = carrier.create_webhook("a")
    carrier.receiver.script = in_turn(status(500), OK)
    message = carrier.publish()
    answers: list[Any] = []

    def retry_now() -> None:
        did = carrier.delivery_id(message.event_id, hook)
        answers.append(carrier.api_later(1, "POST", f"/v1/webhooks/{hook.id}/deliveries/{did}/retry"))

    ladder_lock = about(f"WH#{hook.id}#", "lock_owner")
    carrier.injector.delay(
        "dynamodb",
        "UpdateItem",
        5,
        when=lambda p: (
            carrier.world.current is not None and carrier.world.current.name.startswith("sfn:") and ladder_lock(p)
        ),
        then=retry_now,
    )
    # When the step takes its lock after the tenant's retry delivered the delivery
    carrier.drain()
    # Then the step sent nothing: the receiver accepted the delivery once
    status_code, body = answers[0]()
    assert status_code == 200 and body["delivered"] is True, body
    assert carrier.receiver.accepted(hook.path, message.event_id) == 1
    delivery = carrier.delivery(message.event_id, hook)
    assert delivery is not None and delivery["status"] == "delivered", delivery

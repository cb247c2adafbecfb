"""The retry ladder on the local stack, time-scaled (CARRIER_TIME_SCALE), with real failing receivers."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook as StandardWebhook

from tests.receiver import Answer, Receiver
from tests.stack import Stack, Tenant

TERMINAL = {"delivered", "exhausted", "failed"}


def settled(tenant: Tenant, hook_id: str, count: int = 1):
    def check():
        found = tenant.deliveries(hook_id)
        return found if len(found) == count and all(d["status"] in TERMINAL for d in found) else None

    return check


def test_fails_twice_then_delivered_with_three_attempts(stack: Stack, tenant: Tenant) -> None:
    answers = iter([500, 500])
    with Receiver(lambda r: Answer(next(answers, 200))) as receiver:
        hook = tenant.create(receiver.url)
        tenant.publish("model.trained", {})
        [delivery] = stack.wait_for(settled(tenant, hook["id"]), what="delivered")
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3


def test_always_failing_is_exhausted_after_six_attempts_and_disabled(stack: Stack, tenant: Tenant) -> None:
    with Receiver(lambda r: Answer(500)) as receiver:
        hook = tenant.create(receiver.url)
        tenant.publish("model.trained", {})
        [delivery] = stack.wait_for(settled(tenant, hook["id"]), what="exhausted")
        assert delivery["status"] == "exhausted" and delivery["attempts"] == 6
        status, webhook = tenant.api("GET", f"/v1/webhooks/{hook['id']}")
        assert webhook["status"] == "disabled" and "exhausted" in webhook["disabled_reason"]
        # re-enabled, a manual retry delivers
        receiver.script = lambda r: Answer(200)
        assert tenant.api("POST", f"/v1/webhooks/{hook['id']}/enable")[1]["status"] == "active"
        status, result = tenant.api("POST", f"/v1/webhooks/{hook['id']}/deliveries/{delivery['delivery_id']}/retry")
    assert status == 200 and result["delivered"] is True
    status, detail = tenant.api("GET", f"/v1/webhooks/{hook['id']}/deliveries/{delivery['delivery_id']}")
    assert detail["status"] == "delivered" and detail["attempt_log"][-1]["trigger"] == "manual"
    assert len(detail["attempt_log"]) == 7


def test_410_disables_at_once(stack: Stack, tenant: Tenant) -> None:
    with Receiver(lambda r: Answer(410 if r.path == "/gone" else 200)) as receiver:
        hook = tenant.create(receiver.url + "/gone")
        tenant.publish("model.trained", {})
        stack.wait_for(settled(tenant, hook["id"]), what="failed")
        assert tenant.api("GET", f"/v1/webhooks/{hook['id']}")[1]["status"] == "disabled"
        sentinel = tenant.create(receiver.url + "/sentinel")
        tenant.publish("model.trained", {})  # a disabled webhook receives nothing new
        stack.wait_for(settled(tenant, sentinel["id"]), what="the sentinel's delivery")
    assert [r.path for r in receiver.requests] == ["/gone", "/sentinel"]
    # the second event met the webhook disabled: it is in the log as skipped (recover sends it once re-enabled)
    assert sorted(d["status"] for d in tenant.deliveries(hook["id"])) == ["failed", "skipped"]


def test_rotation_sends_two_signatures_each_valid(stack: Stack, tenant: Tenant) -> None:
    with Receiver() as receiver:
        hook = tenant.create(receiver.url)
        status, rotated = tenant.api("POST", f"/v1/webhooks/{hook['id']}/secret/rotate")
        assert status == 200
        status, sent = tenant.api("POST", f"/v1/webhooks/{hook['id']}/test")
        assert sent["delivered"]
    signatures = receiver.requests[0].headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    for secret in (rotated["secret"], hook["secret"]):
        StandardWebhook(secret).verify(receiver.requests[0].body, receiver.requests[0].headers)

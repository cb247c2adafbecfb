"""Logs of a run on the local stack: every delivery's ids are keys of its log lines; no secret is logged."""

from __future__ import annotations

import json

from tests.receiver import Answer, Receiver
from tests.stack import Stack, Tenant


def log_records(stack: Stack) -> list[dict]:
    records = []
    for line in stack.logs().splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


def test_every_delivery_is_logged_with_its_ids_and_no_secret(stack: Stack, tenant: Tenant) -> None:
    token = "Bearer receiver-token-that-must-never-be-logged"
    answers = iter([500])
    with Receiver(lambda r: Answer(next(answers, 200))) as receiver:
        hooks = [tenant.create(receiver.url + f"/{n}", headers={"Authorization": token}) for n in range(3)]
        event = tenant.publish("model.trained", {"model_id": "m"})
        stack.wait_for(
            lambda: (
                all(d["status"] == "delivered" for h in hooks for d in tenant.deliveries(h["id"]))
                and sum(len(tenant.deliveries(h["id"])) for h in hooks) == 3
            ),
            what="three deliveries",
        )
        rotated = tenant.api("POST", f"/v1/webhooks/{hooks[0]['id']}/secret/rotate")[1]
    deliveries = {d["delivery_id"]: h["id"] for h in hooks for d in tenant.deliveries(h["id"])}
    attempts = [r for r in log_records(stack) if r.get("message") == "delivery attempt"]
    for delivery_id, webhook_id in deliveries.items():
        mine = [r for r in attempts if r.get("delivery_id") == delivery_id]
        assert mine, f"no log line for {delivery_id}"
        assert all(r["webhook_id"] == webhook_id and r["event_id"] == event["id"] for r in mine)
        assert all(r["tenant_id"] == tenant.name for r in mine)
    logs = stack.logs()
    for secret in [h["secret"] for h in hooks] + [rotated["secret"], token, tenant.key]:
        assert secret not in logs

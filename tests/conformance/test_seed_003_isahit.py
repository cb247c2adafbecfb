"""Seed 003 (Isahit Lab, "Webhook usage"), as documented, against `PROFILE=isahit`.

The doc's code is its SDK (`lab.setup_webhook(project_id=..., batch_id=..., webhook_url=..., webhook_header=...)`),
so its calls are made as the API requests they stand for: a project webhook is `filters: {projectId}`, a batch's
webhook `filters: {projectId, batchId}`, `header` is the Authorization header. The webhook a batch has overrides
its project's for that batch's events; the receiver gets `Authorization: <header>` and the doc's
`{workflowId, type, taskId, batchId, projectId}`; GET shows the doc's Output (`lastCall`, `lastError` with the
receiver's JSON body, `updatedAt`), kept when the project webhook is set again (PUT).
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from tests.conformance.harness import HERE, assert_runs, catalog, doc_json, doc_text, is_iso_time, wait_until
from tests.receiver import Answer, Received, Receiver
from tests.stack import Stack, Tenant

PROFILE = "isahit"
SEED = HERE / "seed_003"
TOKEN = "<my_authorization_token>"  # the doc's own placeholder, sent as it is
PROJECT, BATCH, OTHER_BATCH = "proj_conformance", "batch_b", "batch_c"
ERROR_BODY = {"error": "Bad Request", "details": [{"field": "taskId", "reason": "unknown task"}]}


def request_keys() -> list[str]:
    return re.findall(r'"(\w+)":', doc_text(SEED / "request.txt"))


def task(task_id: str, batch_id: str) -> dict[str, Any]:
    return {"workflowId": "wf_1", "type": "annotation", "taskId": task_id, "batchId": batch_id, "projectId": PROJECT}


def task_type(customer: Tenant) -> str:
    """The catalog's task type: its example has the doc's request keys."""
    types = catalog(customer)
    names = [name for name, t in types.items() if sorted(t["example"]) == sorted(request_keys())]
    assert names, f"no event type whose example is the doc's request: {sorted(types)}"
    return names[0]


def setup_webhook(
    customer: Tenant, url: str, event_type: str, filters: dict[str, str], hook_id: str | None = None
) -> dict[str, Any]:
    """lab.setup_webhook(project_id=..., [batch_id=...,] webhook_url=url, webhook_header=TOKEN) as an API call:
    a create, or with `hook_id` the PUT that sets an existing webhook again."""
    body = {"url": url, "events": [event_type], "filters": filters, "header": TOKEN}
    if hook_id is None:
        status, hook = customer.api("POST", "/v1/webhooks", body)
        assert status == 201, hook
    else:
        status, hook = customer.api("PUT", f"/v1/webhooks/{hook_id}", body)
        assert status == 200, hook
    return hook


def get(customer: Tenant, hook_id: str) -> dict[str, Any]:
    status, hook = customer.api("GET", f"/v1/webhooks/{hook_id}")
    assert status == 200, hook
    return hook


def bodies(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in receiver.requests]


def test_the_stack_runs_the_isahit_profile(profile_stack: Stack) -> None:
    assert_runs(profile_stack, PROFILE)


def test_project_and_batch_webhooks_headers_body_and_the_log(customer: Tenant) -> None:
    output = doc_json(SEED / "get_webhook.output.jsonc")
    event_type = task_type(customer)
    failed_once = threading.Event()

    def project_answers(request: Received) -> Answer:
        if json.loads(request.body)["taskId"] == "task_bad" and not failed_once.is_set():
            failed_once.set()
            return Answer(400, json.dumps(ERROR_BODY).encode(), {"Content-Type": "application/json"})
        return Answer(200, b"OK")

    with Receiver(project_answers) as project, Receiver() as batch:
        # Given a webhook on the project (http:// accepted) and one on batch b
        project_hook = setup_webhook(customer, project.url + "/isahit", event_type, {"projectId": PROJECT})
        batch_hook = setup_webhook(
            customer, batch.url + "/isahit", event_type, {"projectId": PROJECT, "batchId": BATCH}
        )
        assert project_hook["url"].startswith("http://")
        # When a task of batch b and a task of batch c are done
        customer.publish(event_type, task("task_b1", BATCH))
        customer.publish(event_type, task("task_c1", OTHER_BATCH))
        wait_until(lambda: bodies(batch) and bodies(project), "both webhooks' deliveries")
        # Then batch b's webhook alone got batch b's task; the project's got batch c's
        assert bodies(batch) == [task("task_b1", BATCH)]
        assert bodies(project) == [task("task_c1", OTHER_BATCH)]
        for request in [*batch.requests, *project.requests]:
            assert {k.lower(): v for k, v in request.headers.items()}["authorization"] == TOKEN
            assert list(json.loads(request.body)) == request_keys()
        # When the project's receiver answers 400 with a JSON body once, then 200 to the ladder's retry
        customer.publish(event_type, task("task_bad", OTHER_BATCH))
        wait_until(lambda: [b["taskId"] for b in bodies(project)].count("task_bad") == 2, "the retry after the 400")

        # Then GET shows the doc's Output: lastCall (the 200) and lastError (the 400, its body as JSON)
        def logged() -> dict[str, Any]:
            hook = get(customer, project_hook["id"])
            last_call = hook.get("lastCall") or {}
            return hook if hook.get("lastError") and last_call.get("statusCode") == 200 else {}

        shown = wait_until(logged, "lastCall and lastError in GET")
    assert set(output) <= set(shown), f"missing: {set(output) - set(shown)}"
    assert set(shown["lastCall"]) >= set(output["lastCall"]) and set(shown["lastError"]) >= set(output["lastError"])
    assert shown["lastCall"]["message"] == "OK" and is_iso_time(shown["lastCall"]["date"])
    assert shown["lastError"]["statusCode"] == 400 and shown["lastError"]["message"] == "Bad Request"
    assert shown["lastError"]["body"] == ERROR_BODY, "lastError.body must be the receiver's JSON object"
    assert is_iso_time(shown["updatedAt"])
    batch_shown = get(customer, batch_hook["id"])
    assert batch_shown["lastCall"]["statusCode"] == 200

    # When the project's webhook is set again (a PUT replacing it)
    replaced = setup_webhook(
        customer, project.url + "/isahit-v2", event_type, {"projectId": PROJECT}, project_hook["id"]
    )
    assert replaced["url"] == project.url + "/isahit-v2"
    # Then its log (lastCall, lastError) is kept
    again = get(customer, project_hook["id"])
    assert again["lastCall"] == shown["lastCall"] and again["lastError"] == shown["lastError"]
    assert is_iso_time(again["updatedAt"])

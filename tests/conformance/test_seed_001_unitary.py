"""Seed 001 (Unitary, "Integrating Webhooks"), as written, against `PROFILE=unitary`.

A job's `callback_url` (an event published with one) receives the job's result, the event's data alone, signed in
`X-Hub-Signature-256` (base64 HMAC-SHA256) with the tenant's callback secret (PUT /v1/callbacks: generated, or the
tenant's own). The doc's two FastAPI examples run under uvicorn as written (indentation restored; the validation
example's SECRET_KEY swapped for the callback secret) and must print "Body validated" and "GARM category detected".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conformance.harness import (
    HERE,
    Process,
    assert_runs,
    catalog,
    doc_function,
    render,
    started,
    uvicorn,
    wait_until,
)
from tests.receiver import Receiver
from tests.stack import Stack, Tenant

PROFILE = "unitary"
SEED = HERE / "seed_001"
CUSTOM_SECRET = "unitary-custom-secret-2026-0001"  # "Set up a custom one and share it with us" (31 bytes)


def is_job_type(example: dict[str, Any]) -> bool:
    """The fields the doc's code reads from a result: is_error (a bool) and result (an object)."""
    return isinstance(example.get("is_error"), bool) and isinstance(example.get("result"), dict)


def job_result(customer: Tenant, garm_categories: list[str], is_error: bool = False) -> tuple[str, dict[str, Any]]:
    """A job type of the catalog and a result built on its example."""
    types = catalog(customer)
    name = next(n for n, t in sorted(types.items()) if is_job_type(t["example"]) and t["example"]["is_error"] is False)
    example = types[name]["example"]
    return name, {**example, "is_error": is_error, "result": {**example["result"], "garm_categories": garm_categories}}


def set_callback_secret(customer: Tenant, **body: str) -> str:
    status, config = customer.api("PUT", "/v1/callbacks", body)
    assert status == 200, config
    return str(config["secret"])


def validator(folder: Path, name: str, secret: str | None) -> Process:
    """The doc's validation example; `secret` None keeps its own SECRET_KEY ("test_key")."""
    substitutions = {'SECRET_KEY = "test_key"': f"SECRET_KEY = {secret!r}"} if secret is not None else {}
    app = render(SEED / "fastapi_validate.py.txt", substitutions, folder, f"{name.replace('-', '_')}.py")
    return uvicorn(app, folder, name)


def test_the_stack_runs_the_unitary_profile(profile_stack: Stack) -> None:
    assert_runs(profile_stack, PROFILE)


def test_the_catalog_has_the_job_result_types(customer: Tenant) -> None:
    types = catalog(customer)
    jobs = {name for name, t in types.items() if is_job_type(t["example"])}
    assert jobs, f"no type whose example is a job result (is_error, result): {sorted(types)}"
    assert any(types[name]["example"]["result"].get("garm_categories") for name in jobs), "no GARM example"
    others = {name for name in set(types) - jobs if not name.startswith(("webhook.", "carrier."))}
    assert others == set(), "types that are not Unitary job results"


def test_a_jobs_callback_gets_the_result_alone_signed_in_base64(customer: Tenant) -> None:
    compute_signature = doc_function(SEED / "fastapi_validate.py.txt", "compute_signature")
    secret = set_callback_secret(customer)
    event_type, result = job_result(customer, ["violence"])
    with Receiver() as receiver:
        customer.publish(event_type, result, callback_url=receiver.url + "/results")
        wait_until(lambda: receiver.requests, "the callback")
    [request] = receiver.requests
    assert request.path == "/results"
    assert json.loads(request.body) == result
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["x-hub-signature-256"] == compute_signature(request.body.decode(), secret)
    assert headers["content-type"] == "application/json"


def test_the_docs_validation_code_with_the_generated_secret(customer: Tenant, tmp_path: Path) -> None:
    secret = set_callback_secret(customer)
    event_type, result = job_result(customer, ["violence"])
    with started(validator(tmp_path, "seed-001-validate", secret)) as (receiver,):
        customer.publish(event_type, result, callback_url=receiver.url + "/results")
        lines = receiver.wait_for_line("Body validated")
    assert lines == ["Body validated"]
    assert "Body not validated" not in receiver.lines()


def test_the_docs_validation_code_with_a_custom_secret(customer: Tenant, tmp_path: Path) -> None:
    # Given the tenant's own secret, the doc's code with it, and the doc's code as printed ("test_key")
    assert set_callback_secret(customer, secret=CUSTOM_SECRET) == CUSTOM_SECRET
    event_type, result = job_result(customer, [])
    custom = validator(tmp_path, "seed-001-custom", CUSTOM_SECRET)
    verbatim = validator(tmp_path, "seed-001-test-key", None)
    with started(custom, verbatim):
        customer.publish(event_type, result, callback_url=custom.url + "/results")
        customer.publish(event_type, result, callback_url=verbatim.url + "/results")
        custom.wait_for_line("Body validated")
        verbatim.wait_for_line("Body not validated")  # the check is a real one: another key fails it


def test_the_docs_first_example_logs_jobs_with_a_garm_category(customer: Tenant, tmp_path: Path) -> None:
    set_callback_secret(customer)
    app = render(SEED / "fastapi_results.py.txt", {}, tmp_path, "results.py")
    receiver = uvicorn(app, tmp_path, "seed-001-results", access_log=True)
    event_type, garm = job_result(customer, ["violence"])
    _, clean = job_result(customer, [])
    _, failed = job_result(customer, ["violence"], is_error=True)
    with started(receiver):
        for result in (clean, failed, garm):
            customer.publish(event_type, result, callback_url=receiver.url + "/results")
        wait_until(lambda: receiver.stdout.count('"POST /results HTTP/1.1" 200') >= 3, "three callbacks answered 200")
    printed = [line for line in receiver.lines() if not line.startswith("INFO:")]
    assert printed == ["GARM category detected"]  # the GARM result only: not the clean one, not the error


def test_callback_deliveries_are_listed_and_retried(customer: Tenant, tmp_path: Path) -> None:
    secret = set_callback_secret(customer)
    event_type, result = job_result(customer, ["violence"])
    with started(validator(tmp_path, "seed-001-validate", secret)) as (receiver,):
        url = receiver.url + "/results"
        event = customer.publish(event_type, result, callback_url=url)
        receiver.wait_for_line("Body validated")

        def listed() -> list[dict[str, Any]]:
            status, page = customer.api("GET", "/v1/callbacks/deliveries")
            assert status == 200, page
            return [d for d in page["deliveries"] if d["event_id"] == event["id"] and d.get("status_code")]

        [delivery] = wait_until(listed, "the callback delivery in GET /v1/callbacks/deliveries")
        assert delivery["url"] == url and delivery["status_code"] == 200 and delivery["status"] == "delivered"
        status, retried = customer.api("POST", f"/v1/callbacks/deliveries/{delivery['delivery_id']}/retry")
        assert status == 200, retried
        assert retried["delivered"] is True
        receiver.wait_for_line("Body validated", count=2)

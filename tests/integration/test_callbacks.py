"""Per-job callbacks (seed 001): the tenant's callback delivery log (list, read, retry) and the operator's
`carrier callbacks` commands, on moto with real local receivers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import boto3
import pytest

from carrier import runtime
from carrier.cli import main
from tests.fakes import RecordingScheduler
from tests.integration.conftest import create, deliveries
from tests.pipeline import bus_event, dispatch
from tests.receiver import Answer, Receiver
from tests.support import call_api

SECRET = "test_key_for_callbacks_0001"


def compute_signature(payload: str, secret_key: str) -> str:
    """Seed 001's validation code, as printed."""
    digest = hmac.new(secret_key.encode(), msg=payload.encode("utf-8"), digestmod=hashlib.sha256).digest()
    signature = base64.b64encode(digest).decode()
    return signature


def configure(tenant: str = "t1") -> None:
    status, body = call_api("PUT", "/v1/callbacks", body={"secret": SECRET}, tenant=tenant)
    assert status == 200, body


def callback_log(tenant: str = "t1", **query: str) -> dict[str, Any]:
    status, body = call_api("GET", "/v1/callbacks/deliveries", tenant=tenant, query=query or None)
    assert status == 200, body
    return body


# ---- the callback delivery log -----------------------------------------------------------------------------


def test_callback_deliveries_are_listed_with_their_status_and_url(pipeline: RecordingScheduler) -> None:
    configure()
    with Receiver() as receiver:
        hook = create(receiver.url + "/hook")  # a webhook gets the same event: its delivery stays in its own log
        callback_url = receiver.url + "/results"
        dispatch(bus_event("model.trained", {"job": 1}, event_id="evt_cb_1", callback_url=callback_url))
        dispatch(bus_event("detection.complete", {"job": 2}, event_id="evt_cb_2", callback_url=callback_url))
    assert sorted(r.path for r in receiver.requests) == ["/hook", "/results", "/results"]
    page = callback_log()
    listed = page["deliveries"]
    assert [d["event_id"] for d in listed] == ["evt_cb_2", "evt_cb_1"]  # newest first
    assert all(d["status"] == "delivered" and d["url"] == callback_url for d in listed)
    assert page["data"] == listed and page["has_more"] is False and page["limit"] == 50
    # the webhook's log holds its own delivery only, and the callbacks never show there
    [webhook_delivery] = deliveries(hook["id"])
    assert webhook_delivery["event_id"] == "evt_cb_1" and webhook_delivery["url"] == receiver.url + "/hook"
    assert webhook_delivery["delivery_id"] not in {d["delivery_id"] for d in listed}
    # one delivery with its attempts
    status, found = call_api("GET", f"/v1/callbacks/deliveries/{listed[0]['delivery_id']}")
    assert status == 200 and found["url"] == callback_url and found["webhook_id"] is None
    assert [(a["trigger"], a["status_code"]) for a in found["attempt_log"]] == [("initial", 200)]
    assert "X-Hub-Signature-256" in found["attempt_log"][0]["request_headers"]
    assert SECRET not in json.dumps(found)
    # a webhook's delivery id is not a callback delivery
    assert call_api("GET", f"/v1/callbacks/deliveries/{webhook_delivery['delivery_id']}")[0] == 404


def test_filters_and_pages_like_a_webhooks_log(pipeline: RecordingScheduler) -> None:
    configure()
    broken = {"on": False}
    with Receiver(lambda r: Answer(500 if broken["on"] else 200)) as receiver:
        for n in range(3):
            dispatch(bus_event("model.trained", {"n": n}, event_id=f"evt_page_{n}", callback_url=receiver.url))
        broken["on"] = True
        dispatch(bus_event("detection.complete", {}, event_id="evt_page_fail", callback_url=receiver.url))
    assert [d["event_id"] for d in callback_log(status="retrying")["deliveries"]] == ["evt_page_fail"]
    assert len(callback_log(event_type="model.trained")["deliveries"]) == 3
    assert callback_log(event_type="batch.progress")["deliveries"] == []
    seen, cursor = [], None
    while True:
        page = callback_log(limit="3", **({"cursor": cursor} if cursor else {}))
        seen += [d["event_id"] for d in page["deliveries"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["evt_page_fail", "evt_page_2", "evt_page_1", "evt_page_0"]


def test_a_failed_callback_is_retried_by_hand_and_then_delivered(pipeline: RecordingScheduler) -> None:
    configure()
    broken = {"on": True}
    with Receiver(lambda r: Answer(500 if broken["on"] else 200)) as receiver:
        dispatch(bus_event("model.trained", {"job": 7}, event_id="evt_cb_retry", callback_url=receiver.url + "/cb"))
        [listed] = callback_log()["deliveries"]
        assert listed["status"] == "retrying" and listed["status_code"] == 500
        [handoff] = pipeline.handoffs
        assert handoff.webhook_id is None and handoff.delivery_id == listed["delivery_id"]
        path = f"/v1/callbacks/deliveries/{listed['delivery_id']}/retry"
        # another tenant can neither see nor retry it: 404, like an id that exists nowhere
        for tenant in ("t2", "t1"):
            status, answer = call_api("POST", f"/v1/callbacks/deliveries/del_{'a' * 26}/retry", tenant=tenant)
            assert status == 404 and answer["field"] == "delivery_id"
        assert call_api("POST", path, tenant="t2")[0] == 404
        assert call_api("GET", f"/v1/callbacks/deliveries/{listed['delivery_id']}", tenant="t2")[0] == 404
        assert callback_log(tenant="t2")["deliveries"] == []
        assert len(receiver.requests) == 1
        broken["on"] = False
        status, result = call_api("POST", path)
    assert status == 200 and result["delivered"] is True and result["status_code"] == 200
    assert result["delivery_id"] == listed["delivery_id"] and result["event_id"] == "evt_cb_retry"
    retried = receiver.requests[-1]
    assert compute_signature(retried.body.decode(), SECRET) == retried.headers["X-Hub-Signature-256"]
    status, found = call_api("GET", f"/v1/callbacks/deliveries/{listed['delivery_id']}")
    assert status == 200 and found["status"] == "delivered" and found["url"] == receiver.url + "/cb"
    assert [a["trigger"] for a in found["attempt_log"]] == ["initial", "manual"]
    assert callback_log(status="delivered")["deliveries"][0]["delivery_id"] == listed["delivery_id"]


def test_a_callback_being_attempted_is_not_retried_twice(pipeline: RecordingScheduler) -> None:
    from carrier import runtime

    configure()
    with Receiver(lambda r: Answer(500)) as receiver:
        dispatch(bus_event("model.trained", {}, callback_url=receiver.url))
        [listed] = callback_log()["deliveries"]
        store, did = runtime.store(), listed["delivery_id"]
        assert store.acquire_delivery_lock("t1", None, did, "ladder", "2999-01-01T00:00:00.000Z", "2026-01-01")
        status, body = call_api("POST", f"/v1/callbacks/deliveries/{did}/retry")
    assert status == 409 and body["field"] == "delivery_id" and len(receiver.requests) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "251"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": "e30"}, "cursor"),  # {}: not this list's shape
        ({"status": "lost"}, "status"),
        ({"event_type": "x" * 129}, "event_type"),
    ],
)
def test_bad_query_parameters_are_422_naming_the_field(aws: dict, query: dict[str, str], field: str) -> None:
    status, body = call_api("GET", "/v1/callbacks/deliveries", query=query)
    assert status == 422 and body["field"] == field, body


def test_a_cursor_only_pages_the_list_it_came_from(pipeline: RecordingScheduler) -> None:
    configure()
    with Receiver() as receiver:
        hook = create(receiver.url)
        for n in range(2):
            dispatch(bus_event("model.trained", {}, event_id=f"evt_cur_{n}", callback_url=receiver.url + "/cb"))
    cursor = callback_log(limit="1")["next_cursor"]
    assert cursor
    status, body = call_api("GET", "/v1/callbacks/deliveries", query={"cursor": cursor}, tenant="t2")
    assert status == 422 and body["field"] == "cursor"  # another tenant's
    status, body = call_api("GET", f"/v1/webhooks/{hook['id']}/deliveries", query={"cursor": cursor})
    assert status == 422 and body["field"] == "cursor"  # a webhook's log
    status, page = call_api("GET", f"/v1/webhooks/{hook['id']}/deliveries", query={"limit": "1"})
    status, body = call_api("GET", "/v1/callbacks/deliveries", query={"cursor": page["next_cursor"]})
    assert status == 422 and body["field"] == "cursor"


def test_the_routes_are_documented_under_callbacks(aws: dict) -> None:
    status, spec = call_api("GET", "/openapi.json", tenant=None)
    assert status == 200
    for path, method in [
        ("/v1/callbacks/deliveries", "get"),
        ("/v1/callbacks/deliveries/{delivery_id}", "get"),
        ("/v1/callbacks/deliveries/{delivery_id}/retry", "post"),
    ]:
        operation = spec["paths"][path][method]
        assert operation["tags"] == ["callbacks"] and operation["summary"], (path, method)


# ---- the operator's CLI ------------------------------------------------------------------------------------


@pytest.fixture(params=["per-webhook", "envelope"])
def cli(
    pipeline: RecordingScheduler, aws: dict, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> RecordingScheduler:
    """The operator's CLI and the functions on one deployment, under each `SecretStore`."""
    monkeypatch.setenv("CARRIER_TABLE", aws["TABLE_NAME"])  # carrier-test: secrets under carrier/test/
    monkeypatch.setenv("CARRIER_STATE", "/nonexistent/local.json")
    monkeypatch.setenv("SECRET_STORE", request.param)  # the functions' setting, which the CLI follows
    monkeypatch.setenv("DATA_KEY_SECRET", "carrier/test/data-key")
    boto3.client("secretsmanager").create_secret(
        Name="carrier/test/data-key", SecretString=json.dumps({"current": "k1", "k1": "d" * 64})
    )
    runtime.reset()
    runtime.use_scheduler(pipeline)
    return pipeline


def delivered_callback(tenant: str) -> tuple[str, dict[str, str]]:
    """Publish an event with a callback URL for `tenant`; the body and headers the receiver got."""
    with Receiver() as receiver:
        dispatch(bus_event("model.trained", {"job": tenant}, tenant=tenant, callback_url=receiver.url + "/results"))
    [request] = receiver.requests
    return request.body.decode(), request.headers


def test_cli_generates_a_secret_printed_once_that_verifies_callbacks(cli: RecordingScheduler, capsys) -> None:
    assert main(["callbacks", "set", "--tenant", "acme"]) == 0
    out = capsys.readouterr().out
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("whsec_") and out.count(secret) == 1
    assert main(["callbacks", "show", "--tenant", "acme"]) == 0
    shown = capsys.readouterr().out
    assert "hmac-sha256-base64" in shown and "data" in shown and secret not in shown
    assert main(["callbacks", "show", "--tenant", "acme", "--output", "json"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["signature"]["scheme"] == "hmac-sha256-base64" and "secret" not in config
    # the API sees the same configuration (one source: CallbackService)
    status, api_config = call_api("GET", "/v1/callbacks", tenant="acme")
    assert status == 200 and api_config["signature"] == config["signature"]
    body, headers = delivered_callback("acme")
    assert compute_signature(body, secret) == headers["X-Hub-Signature-256"]  # seed 001's check
    assert json.loads(body) == {"job": "acme"}


def test_cli_takes_a_custom_secret_and_a_scheme(cli: RecordingScheduler, capsys) -> None:
    custom = "customer-chosen-secret-0001"
    assert main(["callbacks", "set", "--tenant", "beta", "--secret", custom, "--output", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["secret"] == custom and answer["tenant_id"] == "beta"
    body, headers = delivered_callback("beta")
    assert compute_signature(body, custom) == headers["X-Hub-Signature-256"]
    args = ["--scheme", "hmac-sha256-hex", "--header", "X-Job-Signature", "--payload-format", "classic"]
    assert main(["callbacks", "set", "--tenant", "gamma", "--secret", custom, *args]) == 0
    capsys.readouterr()
    body, headers = delivered_callback("gamma")
    expected = hmac.new(custom.encode(), body.encode(), hashlib.sha256).hexdigest()
    assert headers["X-Job-Signature"] == expected and json.loads(body)["event"] == "model.trained"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--secret", "too-short"], "--secret"),
        (["--secret", "x" * 65], "--secret"),
        (["--secret", "has a space in this secret 01"], "--secret"),
        (["--secret", "not-a-whsec-secret-at-all-0001", "--scheme", "standard-webhooks"], "--secret"),
        (["--scheme", "standard-webhooks", "--header", "X-Sig"], "--scheme/--header"),
        (["--header", "bad header"], "--scheme/--header"),
    ],
)
def test_cli_refuses_what_the_api_refuses_naming_the_option(
    cli: RecordingScheduler, capsys, args: list[str], option: str
) -> None:
    assert main(["callbacks", "set", "--tenant", "delta", *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"carrier: {option}: ") and captured.out == ""
    assert main(["callbacks", "show", "--tenant", "delta"]) == 2  # nothing was stored
    assert "no callback secret" in capsys.readouterr().err


def test_cli_checks_the_tenant_and_the_secret_prefix(cli: RecordingScheduler, capsys, monkeypatch) -> None:
    assert main(["callbacks", "set", "--tenant", "bad tenant!"]) == 2
    assert "tenant id" in capsys.readouterr().err
    monkeypatch.setenv("CARRIER_TABLE", "some-other-table")
    assert main(["callbacks", "set", "--tenant", "acme"]) == 2
    assert "CARRIER_SECRET_PREFIX" in capsys.readouterr().err

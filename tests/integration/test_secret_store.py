"""The two secret stores (`SecretStore=envelope|per-webhook`) on moto: the same webhook and callback lifecycle in
both; under `envelope` a warm delivery makes no Secrets Manager call, a rotated data key still opens old boxes, a box
moved to another webhook does not open (that delivery fails alone), nothing secret is stored in clear; and
`carrier secrets migrate` both ways, idempotent and resumable."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from carrier import aws, runtime
from carrier.envelope import BOX_SETTING, DataKeys, EnvelopeVault, SecretUnreadable
from carrier.records import SecretDocument
from carrier.store import Store
from carrier.verify import verify
from tests.fakes import RecordingScheduler
from tests.integration.conftest import create, deliveries
from tests.pipeline import bus_event, dispatch
from tests.receiver import Receiver
from tests.support import call_api

DATA_KEY = "carrier/test/data-key"
HEADER_VALUE = "hdr-value-that-is-secret-0001"


def use_store(monkeypatch: pytest.MonkeyPatch, kind: str, scheduler: RecordingScheduler) -> None:
    monkeypatch.setenv("SECRET_STORE", kind)
    monkeypatch.setenv("DATA_KEY_SECRET", DATA_KEY)
    runtime.reset()  # a new container: settings, vault and caches read again
    runtime.use_scheduler(scheduler)


@pytest.fixture
def data_key(pipeline: RecordingScheduler) -> Iterator[RecordingScheduler]:
    """The template's data-key secret, as `GenerateSecretString` leaves it ({"current": "k1", "k1": <64 chars>})."""
    boto3.client("secretsmanager").create_secret(
        Name=DATA_KEY, SecretString=json.dumps({"current": "k1", "k1": "A" * 32 + "b" * 32})
    )
    yield pipeline


@pytest.fixture(params=["envelope", "per-webhook"])
def backend(request: pytest.FixtureRequest, data_key: RecordingScheduler, monkeypatch: pytest.MonkeyPatch) -> str:
    use_store(monkeypatch, request.param, data_key)
    return str(request.param)


@pytest.fixture
def envelope(data_key: RecordingScheduler, monkeypatch: pytest.MonkeyPatch) -> RecordingScheduler:
    use_store(monkeypatch, "envelope", data_key)
    return data_key


class Calls:
    """Every AWS API call made through a client, counted by service (a botocore `before-call` hook)."""

    def __init__(self) -> None:
        self.by_service: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.by_service[model.service_model.service_name] += 1


def secrets_in_manager() -> list[str]:
    return sorted(s["Name"] for s in boto3.client("secretsmanager").list_secrets()["SecretList"])


def table_items() -> list[dict[str, Any]]:
    return boto3.resource("dynamodb").Table("carrier-test").scan()["Items"]


# ---- the same lifecycle under both backends -----------------------------------------------------------------------


def test_webhook_lifecycle_is_the_same_under_both_stores(backend: str) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url, headers={"X-Api-Key": HEADER_VALUE})
        dispatch(bus_event("model.trained", {"n": 1}))
        status, _ = call_api("PATCH", f"/v1/webhooks/{hook['id']}", body={"headers": {"X-Api-Key": "changed-value"}})
        assert status == 200
        status, rotated = call_api("POST", f"/v1/webhooks/{hook['id']}/secret/rotate", body={})
        assert status == 200, rotated
        dispatch(bus_event("model.trained", {"n": 2}))
    first, second = receiver.requests
    verify("standard-webhooks", hook["secret"], first.body, first.headers)
    assert first.headers["X-Api-Key"] == HEADER_VALUE
    verify("standard-webhooks", rotated["secret"], second.body, second.headers)
    verify("standard-webhooks", hook["secret"], second.body, second.headers)  # the old key signs through the grace
    assert second.headers["X-Api-Key"] == "changed-value"
    status, shown = call_api("GET", f"/v1/webhooks/{hook['id']}")
    assert status == 200 and "secret" not in shown and HEADER_VALUE not in json.dumps(shown)

    assert call_api("DELETE", f"/v1/webhooks/{hook['id']}")[0] == 204
    name = f"carrier/test/t1/{hook['id']}"
    assert secrets_in_manager() == [DATA_KEY]  # per-webhook: deleted; envelope: never there
    assert not [i for i in table_items() if i["sk"] == f"SETTING#{BOX_SETTING}{hook['id']}"]
    with pytest.raises(Exception):  # noqa: B017 (each backend says "no such secret" its own way)
        runtime.vault().get(name, fresh=True)


def test_callbacks_are_the_same_under_both_stores(backend: str) -> None:
    status, first = call_api("PUT", "/v1/callbacks", body={})
    assert status == 200, first
    status, second = call_api("PUT", "/v1/callbacks", body={})  # set again: replaced, not created twice
    assert status == 200
    target = runtime.callback_service().target("t1", "https://example.com/cb")
    assert target is not None
    document = runtime.vault().get(target.secret_name, fresh=True)
    assert [key["secret"] for key in document["keys"]] == [second["secret"]]
    expected = [DATA_KEY, "carrier/test/t1/callbacks"] if backend == "per-webhook" else [DATA_KEY]
    assert secrets_in_manager() == sorted(expected)


def test_a_failed_create_leaves_nothing_under_either_store(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> None:
        raise RuntimeError("the table is down")

    monkeypatch.setattr(Store, "put_webhook", refuse)
    status, body = call_api("POST", "/v1/webhooks", body={"url": "https://example.com/h", "events": ["model.*"]})
    assert status == 503 or status == 500, body
    assert secrets_in_manager() == [DATA_KEY]
    assert not [i for i in table_items() if str(i["sk"]).startswith(f"SETTING#{BOX_SETTING}")]


# ---- envelope ----------------------------------------------------------------------------------------------------


def test_a_warm_delivery_makes_no_secrets_manager_call(envelope: RecordingScheduler) -> None:
    with Receiver() as receiver:
        hook = create(receiver.url)
        runtime.reset()  # a cold container
        runtime.use_scheduler(envelope)
        cold, warm = Calls(), Calls()
        aws.client("secretsmanager").meta.events.register("before-call", cold)
        dispatch(bus_event("model.trained", {"n": 1}))
        aws.client("secretsmanager").meta.events.unregister("before-call", cold)
        aws.client("secretsmanager").meta.events.register("before-call", warm)
        dispatch(bus_event("model.trained", {"n": 2}))
    assert cold.by_service["secretsmanager"] == 1  # the data key, once per container
    assert warm.by_service["secretsmanager"] == 0
    assert len(receiver.requests) == 2
    for request in receiver.requests:
        verify("standard-webhooks", hook["secret"], request.body, request.headers)


def test_a_cold_container_opens_each_webhooks_box_from_the_webhook_list_without_a_read_of_its_own(
    envelope: RecordingScheduler,
) -> None:
    # Given 20 webhooks created under `envelope` (each box on its webhook's item, none in a setting of its own)
    with Receiver() as receiver:
        hooks = [create(receiver.url + f"/{n}") for n in range(20)]
        assert all(item.get("secret_box") for item in table_items() if str(item["sk"]).startswith("WH#"))
        assert not [item for item in table_items() if str(item["sk"]).startswith("SETTING#secret:")]
        # When a cold container dispatches an event to all of them
        runtime.reset()
        runtime.use_scheduler(envelope)
        operations: Counter[str] = Counter()
        count = lambda model, **_: operations.update([model.name])  # noqa: E731
        aws.resource("dynamodb").meta.client.meta.events.register("before-call", count)
        dispatch(bus_event("model.trained", {"n": 1}))
    # Then the boxes came with the tenant's webhook list: one Query, no GetItem, and every request signed right
    assert operations["Query"] == 1 and operations["GetItem"] == 0, operations
    assert len(receiver.requests) == 20
    for request in receiver.requests:
        verify("standard-webhooks", hooks[int(request.path[1:])]["secret"], request.body, request.headers)


def test_a_rotated_data_key_opens_old_boxes_and_seals_new_ones(envelope: RecordingScheduler) -> None:
    store = runtime.store()
    vault = EnvelopeVault("carrier/test/", store, DataKeys(DATA_KEY, 0), cache_seconds=0)
    hooks = {name: create(f"https://example.com/{name}")["id"] for name in ("old", "new")}  # their boxes' items
    old: SecretDocument = {
        "keys": [{"secret": "whsec_old", "created_at": "2026-01-01T00:00:00Z", "expires_at": None}],
        "headers": {},
    }
    vault.put(f"carrier/test/t1/{hooks['old']}", old)
    boto3.client("secretsmanager").put_secret_value(
        SecretId=DATA_KEY, SecretString=json.dumps({"current": "k2", "k1": "A" * 32 + "b" * 32, "k2": "C" * 64})
    )
    new: SecretDocument = {
        "keys": [{"secret": "whsec_new", "created_at": "2026-02-01T00:00:00Z", "expires_at": None}],
        "headers": {},
    }
    vault.put(f"carrier/test/t1/{hooks['new']}", new)
    assert vault.sealed(f"carrier/test/t1/{hooks['old']}")["key_id"] == "k1"  # type: ignore[index]
    assert vault.sealed(f"carrier/test/t1/{hooks['new']}")["key_id"] == "k2"  # type: ignore[index]
    assert vault.get(f"carrier/test/t1/{hooks['old']}", fresh=True) == old
    assert vault.get(f"carrier/test/t1/{hooks['new']}", fresh=True) == new
    # a container that read the data key before the rotation opens the new box too (it reads the key again once)
    stale = EnvelopeVault("carrier/test/", store, DataKeys(DATA_KEY, 3600), cache_seconds=0)
    stale.data_keys._keys, stale.data_keys._current, stale.data_keys._read_at = {}, "k1", 0.0
    stale.data_keys._now = lambda: 1.0
    assert stale.get(f"carrier/test/t1/{hooks['new']}", fresh=True) == new


def test_a_box_moved_to_another_webhook_does_not_open_and_fails_that_delivery_alone(
    envelope: RecordingScheduler,
) -> None:
    with Receiver() as receiver:
        good = create(receiver.url + "/good")
        moved = create(receiver.url + "/moved")
        other_tenant = create(receiver.url + "/other", tenant="t2")
        store = runtime.store()
        box = store.get_secret_box("t1", good["id"])  # kept on the webhook's own item
        assert box is not None and store.get_tenant_setting("t1", BOX_SETTING + good["id"]) is None
        store.set_secret_box("t1", moved["id"], box)
        store.set_secret_box("t2", other_tenant["id"], box)
        runtime.reset()  # a cold container: nothing opened yet
        runtime.use_scheduler(envelope)
        assert dispatch(bus_event("model.trained", {"n": 1})) == {"batchItemFailures": []}
        dispatch(bus_event("model.trained", {"n": 1}, tenant="t2"))
    assert [r.path for r in receiver.requests] == ["/good"]
    [delivered] = deliveries(good["id"])
    assert delivered["status"] == "delivered"
    [failed] = deliveries(moved["id"])
    assert failed["status"] != "delivered"
    status, detail = call_api("GET", f"/v1/webhooks/{moved['id']}/deliveries/{failed['delivery_id']}")
    assert status == 200
    reason = json.dumps(detail)
    assert "SecretUnreadable" in reason and "was not sealed for this webhook" in reason
    assert good["secret"] not in reason
    with pytest.raises(SecretUnreadable):
        runtime.vault().get(f"carrier/test/t2/{other_tenant['id']}", fresh=True)


def test_no_secret_is_stored_in_clear(envelope: RecordingScheduler) -> None:
    hook = create("https://example.com/h", headers={"X-Api-Key": HEADER_VALUE})
    call_api("PUT", "/v1/callbacks", body={})
    stored = json.dumps(table_items(), default=str)
    secret = hook["secret"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    forms = [
        secret,
        secret.removeprefix("whsec_"),
        base64.b64encode(secret.encode()).decode(),
        secret.encode().hex(),
        key.hex(),
        HEADER_VALUE,
        base64.b64encode(HEADER_VALUE.encode()).decode(),
        HEADER_VALUE.encode().hex(),
    ]
    assert [form for form in forms if form in stored] == []
    assert secrets_in_manager() == [DATA_KEY]


# ---- migration -----------------------------------------------------------------------------------------------------


def migrate(to: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    from carrier.cli import main

    capsys.readouterr()
    assert main(["secrets", "migrate", "--to", to, "--output", "json"]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def test_migrate_both_ways_is_idempotent_and_resumable(
    data_key: RecordingScheduler, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARRIER_STATE", "/nonexistent/local.json")
    monkeypatch.setenv("CARRIER_TABLE", "carrier-test")
    monkeypatch.setenv("CARRIER_SECRET_PREFIX", "carrier/test/")
    use_store(monkeypatch, "per-webhook", data_key)
    with Receiver() as receiver:
        hooks = [create(receiver.url, headers={"X-Api-Key": HEADER_VALUE}) for _ in range(3)]
        hooks.append(create(receiver.url, tenant="t2"))
        assert call_api("PUT", "/v1/callbacks", body={})[0] == 200
        assert len(secrets_in_manager()) == 6  # 4 webhooks, 1 callback setting, the data key
        # an earlier run stopped after sealing one secret, before deleting its old copy
        first = f"carrier/test/t1/{hooks[0]['id']}"
        runtime.vault().get(first)
        EnvelopeVault("carrier/test/", runtime.store(), DataKeys(DATA_KEY, 0)).put(first, runtime.vault().get(first))

        assert migrate("envelope", capsys) == {"moved": 4, "already": 1, "missing": 0, "failed": []}
        assert secrets_in_manager() == [DATA_KEY]
        assert migrate("envelope", capsys) == {"moved": 0, "already": 5, "missing": 0, "failed": []}

        use_store(monkeypatch, "envelope", data_key)
        dispatch(bus_event("model.trained", {"n": 1}))
        assert migrate("per-webhook", capsys) == {"moved": 5, "already": 0, "missing": 0, "failed": []}
        assert len(secrets_in_manager()) == 6
        assert not [i for i in table_items() if str(i["sk"]).startswith(f"SETTING#{BOX_SETTING}")]
        assert migrate("per-webhook", capsys) == {"moved": 0, "already": 5, "missing": 0, "failed": []}

        use_store(monkeypatch, "per-webhook", data_key)
        dispatch(bus_event("model.trained", {"n": 2}))
    assert len(receiver.requests) == 6  # 3 webhooks of t1, once under each store, each signed by its own secret
    for n in (1, 2):
        sent = [r for r in receiver.requests if json.loads(r.body)["data"]["n"] == n]
        assert len(sent) == 3 and all(r.headers["X-Api-Key"] == HEADER_VALUE for r in sent)
        assert sorted(h["id"] for h in hooks[:3] for r in sent if _signed_by(h["secret"], r)) == sorted(
            h["id"] for h in hooks[:3]
        )


def _signed_by(secret: str, request: Any) -> bool:
    try:
        verify("standard-webhooks", secret, request.body, request.headers)
    except Exception:
        return False
    return True

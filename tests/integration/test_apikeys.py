"""API keys: hashed at rest, resolved by the authorizer, revoked at once; and the carrier CLI."""

from __future__ import annotations

import boto3

from carrier.apikeys import hash_key, issue_key, resolve_tenant, revoke_key
from carrier.cli import main
from carrier.store import Store
from tests.support import FakeContext, load_handler


def authorize(header: str | None) -> dict:
    event = {"version": "2.0", "type": "REQUEST", "headers": {"authorization": header} if header else {}}
    return load_handler("authorizer").handler(event, FakeContext())


def test_keys_are_stored_only_as_hashes(aws: dict) -> None:
    store = Store(aws["TABLE_NAME"])
    issued = issue_key("acme", store)
    assert issued.key.startswith("ck_")
    items = boto3.resource("dynamodb").Table(aws["TABLE_NAME"]).scan()["Items"]
    assert issued.key not in repr(items)
    assert any(item["pk"] == f"KEY#{hash_key(issued.key)}" for item in items)


def test_authorizer_resolves_the_tenant_and_refuses_bad_keys(aws: dict) -> None:
    issued = issue_key("acme", Store(aws["TABLE_NAME"]))
    context = authorize(f"Bearer {issued.key}")["context"]
    assert (context["tenant_id"], context["role"], context["read_only"]) == ("acme", "tenant", "false")
    for bad in [None, "Bearer ck_nope", f"Basic {issued.key}", "Bearer " + "ck_" + "x" * 43, issued.key]:
        assert authorize(bad)["context"] == {"tenant_id": "", "role": ""}


def test_revoked_key_is_refused_at_once(aws: dict) -> None:
    store = Store(aws["TABLE_NAME"])
    issued = issue_key("acme", store)
    revoke_key(store, tenant_id="acme", key_id=issued.key_id)
    assert resolve_tenant(f"Bearer {issued.key}", store) is None
    assert store.list_api_keys("acme") == []


def test_cli_creates_lists_and_revokes_keys(aws: dict, capsys, monkeypatch) -> None:
    monkeypatch.setenv("CARRIER_TABLE", aws["TABLE_NAME"])
    monkeypatch.setenv("CARRIER_STATE", "/nonexistent/local.json")
    assert main(["keys", "create", "--tenant", "other"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    store = Store(aws["TABLE_NAME"])
    assert resolve_tenant(f"Bearer {key}", store) == "other"
    assert main(["keys", "list", "--tenant", "other", "--output", "json"]) == 0
    assert '"key_id"' in capsys.readouterr().out
    assert main(["keys", "revoke", key]) == 0
    assert resolve_tenant(f"Bearer {key}", store) is None
    assert main(["keys", "revoke", key]) == 2
    assert main(["keys", "create", "--tenant", "bad tenant!"]) == 2

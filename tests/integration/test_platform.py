"""The platform's side on moto with the real authorizer and api handlers: platform keys, /v1/admin, acting for a
tenant with `Carrier-Tenant`, and portal sessions (bounds, bearer, read-only, expiry on an injected clock, ending).

Each request goes as on AWS: the authorizer handler resolves the credential, its context goes to the api handler.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from carrier import runtime
from carrier.apikeys import hash_key, issue_key, issue_platform_key, resolve_tenant
from carrier.cli import main
from carrier.store import Store
from tests.fakes import FakeClock
from tests.support import FakeContext, api_event, load_handler

HOOK = {"url": "https://example.com/hook", "events": ["model.*"]}


def authorize(credential: str) -> dict[str, str]:
    event = {"version": "2.0", "type": "REQUEST", "headers": {"authorization": f"Bearer {credential}"}}
    return load_handler("authorizer").handler(event, FakeContext())["context"]


def call(
    credential: str | dict[str, str], method: str, path: str, *, acting_for: str | None = None, **kwargs: Any
) -> tuple[int, Any]:
    """The api as API Gateway calls it: the authorizer's context for `credential` (or a context kept from an earlier
    call, as API Gateway's cache would), and `Carrier-Tenant` when acting for a tenant."""
    context = authorize(credential) if isinstance(credential, str) else credential
    headers = {**kwargs.pop("headers", {}), **({"Carrier-Tenant": acting_for} if acting_for else {})}
    event = api_event(method, path, principal=context, headers=headers, **kwargs)
    response = load_handler("api").handler(event, FakeContext())
    body = response.get("body")
    return response["statusCode"], (json.loads(body) if body else None)


@pytest.fixture
def clock(aws: dict) -> Iterator[FakeClock]:
    moving = FakeClock()
    runtime.use_clock(moving)
    yield moving
    runtime.use_clock(None)


@pytest.fixture
def platform(aws: dict) -> str:
    return issue_platform_key(Store(aws["TABLE_NAME"])).key


def session(
    credential: str, acting_for: str | None = None, headers: dict[str, str] | None = None, **body: Any
) -> dict[str, Any]:
    status, opened = call(
        credential, "POST", "/v1/portal-sessions", body=body or None, acting_for=acting_for, headers=headers or {}
    )
    assert status == 201, opened
    return opened


# ---- platform keys and /v1/admin ------------------------------------------------------------------------------


def test_a_platform_key_onboards_a_tenant_and_runs_its_webhooks_through_carrier_tenant(
    aws: dict, platform: str
) -> None:
    # Given a platform key, When it issues a key for tenant acme
    status, issued = call(platform, "POST", "/v1/admin/tenants/acme/keys")
    assert status == 201, issued
    assert issued["key"].startswith("ck_") and issued["tenant_id"] == "acme" and issued["key_id"].startswith("key_")
    # Then that key is acme's
    assert resolve_tenant(f"Bearer {issued['key']}", Store(aws["TABLE_NAME"])) == "acme"

    # When the platform creates and changes a webhook acting for acme
    status, hook = call(platform, "POST", "/v1/webhooks", body=HOOK, acting_for="acme")
    assert status == 201, hook
    status, patched = call(
        platform, "PATCH", f"/v1/webhooks/{hook['id']}", body={"description": "by the platform"}, acting_for="acme"
    )
    assert (status, patched["description"]) == (200, "by the platform")
    # Then acme sees it with its own key, and another tenant named in the header does not
    status, listing = call(issued["key"], "GET", "/v1/webhooks")
    assert [w["id"] for w in listing["data"]] == [hook["id"]]
    assert call(platform, "GET", f"/v1/webhooks/{hook['id']}", acting_for="globex")[0] == 404
    assert call(platform, "GET", "/v1/webhooks", acting_for="globex")[1]["data"] == []

    # The key list shows ids and times, never a key or a hash
    status, keys = call(platform, "GET", "/v1/admin/tenants/acme/keys")
    assert status == 200 and keys == {"data": [{"key_id": issued["key_id"], "created_at": issued["created_at"]}]}
    assert issued["key"] not in json.dumps(keys) and hash_key(issued["key"]) not in json.dumps(keys)

    # Revoking it ends it at once; an unknown key id is a 404
    assert call(platform, "DELETE", f"/v1/admin/tenants/acme/keys/{issued['key_id']}") == (204, None)
    assert authorize(issued["key"]) == {"tenant_id": "", "role": ""}
    assert call(platform, "DELETE", f"/v1/admin/tenants/acme/keys/{issued['key_id']}")[0] == 404
    assert call(platform, "GET", "/v1/admin/tenants/acme/keys")[1] == {"data": []}


def test_admin_input_is_checked(aws: dict, platform: str) -> None:
    status, body = call(platform, "POST", "/v1/admin/tenants/bad%20tenant/keys")
    assert (status, body["field"]) == (422, "tenant_id")
    assert call(platform, "DELETE", "/v1/admin/tenants/acme/keys/key_000000000000")[0] == 404


ADMIN_ROUTES = [
    ("POST", "/v1/admin/tenants/t2/keys"),
    ("GET", "/v1/admin/tenants/t2/keys"),
    ("DELETE", "/v1/admin/tenants/t2/keys/key_000000000000"),
    ("POST", "/v1/admin/tenants/bad%20tenant/keys"),  # invalid input too: the route does not exist for them
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_a_tenant_key_or_a_session_never_reaches_admin(aws: dict, method: str, path: str) -> None:
    tenant_key = issue_key("t1", Store(aws["TABLE_NAME"])).key
    for credential in (tenant_key, session(tenant_key)["token"]):
        status, body = call(credential, method, path, acting_for="t2")
        unknown = call(credential, method, "/v1/nothing-here")[1]
        assert status == 404, body
        assert body == {"error": "not_found", "message": unknown["message"].replace("/v1/nothing-here", path)}
    assert Store(aws["TABLE_NAME"]).list_api_keys("t2") == []
    # Without any valid credential it is a 401, like every /v1 route
    assert call({"tenant_id": "", "role": ""}, method, path)[0] == 401


def test_a_tenant_keys_carrier_tenant_is_ignored(aws: dict) -> None:
    store = Store(aws["TABLE_NAME"])
    own, other = issue_key("t1", store).key, issue_key("t2", store).key
    theirs = call(other, "POST", "/v1/webhooks", body=HOOK)[1]
    status, mine = call(own, "POST", "/v1/webhooks", body=HOOK, acting_for="t2")
    assert status == 201
    listing = call(own, "GET", "/v1/webhooks", acting_for="t2")[1]
    assert [w["id"] for w in listing["data"]] == [mine["id"]]
    assert call(own, "GET", f"/v1/webhooks/{theirs['id']}", acting_for="t2")[0] == 404
    assert [w["id"] for w in call(other, "GET", "/v1/webhooks")[1]["data"]] == [theirs["id"]]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/v1/webhooks", None), ("POST", "/v1/webhooks", HOOK), ("POST", "/v1/portal-sessions", None)],
)
def test_a_platform_key_on_a_tenant_route_must_name_a_valid_tenant(
    aws: dict, platform: str, method: str, path: str, body: Any
) -> None:
    status, answer = call(platform, method, path, body=body)
    assert (status, answer["field"], answer["error"]) == (422, "Carrier-Tenant", "validation_error")
    assert "Carrier-Tenant" in answer["message"]
    for invalid in ("bad tenant", "a" * 65, "t1\n", "../t1"):
        status, answer = call(platform, method, path, body=body, acting_for=invalid)
        assert (status, answer["field"]) == (422, "Carrier-Tenant"), invalid
    # An unknown tenant is simply an empty one
    assert call(platform, "GET", "/v1/webhooks", acting_for="nobody-yet")[1]["data"] == []


# ---- the authorizer ---------------------------------------------------------------------------------------------


def test_the_authorizer_resolves_each_kind_of_credential(aws: dict, platform: str, clock: FakeClock) -> None:
    store = Store(aws["TABLE_NAME"])
    tenant_key = issue_key("acme", store).key
    assert authorize(platform) == {
        "tenant_id": "",
        "role": "platform",
        "read_only": "false",
        "session_id": "",
        "expires_at": "",
    }
    assert authorize(tenant_key)["role"] == "tenant"
    opened = session(tenant_key, ttl_seconds=120, read_only=True)
    context = authorize(opened["token"])
    assert (context["tenant_id"], context["role"], context["read_only"]) == ("acme", "session", "true")
    assert context["expires_at"] == opened["expires_at"] and context["session_id"].startswith("ses_")
    # A look-alike of each kind, a token of another prefix, and an ended session resolve to nothing
    for bad in ("ckp_" + "x" * 43, "cks_" + "x" * 43, "ck" + opened["token"][3:], "cks_" + platform[4:]):
        assert authorize(bad) == {"tenant_id": "", "role": ""}, bad
    clock.advance(121)
    assert authorize(opened["token"]) == {"tenant_id": "", "role": ""}


def test_the_cli_creates_lists_and_revokes_platform_keys(
    aws: dict, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARRIER_TABLE", aws["TABLE_NAME"])
    monkeypatch.setenv("CARRIER_STATE", "/nonexistent/local.json")
    assert main(["keys", "create", "--platform"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"ckp_[\w-]{43}", key) and authorize(key)["role"] == "platform"
    assert main(["keys", "create", "--platform", "--output", "json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert main(["keys", "list", "--platform", "--output", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {k["key_id"] for k in listed} == {"key_" + hash_key(key)[:12], second["key_id"]}
    assert key not in json.dumps(listed)
    assert main(["keys", "revoke", key]) == 0
    assert authorize(key) == {"tenant_id": "", "role": ""}
    assert main(["keys", "revoke", "--platform", "--id", second["key_id"]]) == 0
    assert authorize(second["key"]) == {"tenant_id": "", "role": ""}
    assert main(["keys", "revoke", "--platform", "--id", second["key_id"]]) == 2
    with pytest.raises(SystemExit):
        main(["keys", "create"])  # neither --tenant nor --platform
    with pytest.raises(SystemExit):
        main(["keys", "create", "--tenant", "acme", "--platform"])


# ---- portal sessions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ttl", [59, 604_801, 0, -1, "an hour", 3600.5, None])
def test_ttl_out_of_range_is_a_422_naming_ttl_seconds(aws: dict, ttl: Any) -> None:
    key = issue_key("acme", Store(aws["TABLE_NAME"])).key
    status, body = call(key, "POST", "/v1/portal-sessions", body={"ttl_seconds": ttl})
    assert (status, body["field"]) == (422, "ttl_seconds"), body


def test_a_session_is_a_bearer_for_its_tenant_until_it_expires(aws: dict, clock: FakeClock) -> None:
    store = Store(aws["TABLE_NAME"])
    key = issue_key("acme", store).key
    hook = call(key, "POST", "/v1/webhooks", body=HOOK)[1]
    call(issue_key("globex", store).key, "POST", "/v1/webhooks", body=HOOK)
    # The bounds, and the default of an hour
    for ttl in (60, 604_800):
        assert session(key, ttl_seconds=ttl)["expires_at"]
    opened = session(key, headers={"Host": "api.example.com", "X-Forwarded-Proto": "https"})
    assert opened["url"] == f"https://api.example.com/dashboard#session={opened['token']}"
    assert opened["expires_at"] == "2026-01-01T01:00:00.000Z" and opened["read_only"] is False
    assert re.fullmatch(r"cks_[\w-]{43}", opened["token"])
    # Stored hashed, with a TTL
    items = boto3.resource("dynamodb").Table(aws["TABLE_NAME"]).scan()["Items"]
    assert opened["token"] not in repr(items)
    stored = next(i for i in items if i["pk"] == f"KEY#{hash_key(opened['token'])}")
    assert stored["expires_at"] > clock.now().timestamp() + 3599 and stored["tenant_id"] == "acme"

    # The token works on the tenant routes: the tenant's own webhooks, changes included
    token = opened["token"]
    assert [w["id"] for w in call(token, "GET", "/v1/webhooks")[1]["data"]] == [hook["id"]]
    assert call(token, "POST", f"/v1/webhooks/{hook['id']}/disable", acting_for="globex")[0] == 200
    status, me = call(token, "GET", "/v1/portal-sessions/current")
    assert (status, me) == (
        200,
        {"tenant_id": "acme", "role": "session", "read_only": False, "expires_at": "2026-01-01T01:00:00.000Z"},
    )
    # Until it expires: then a 401, even with the authorizer's answer cached from before
    cached = authorize(token)
    clock.advance(3600)
    for credential in (token, cached):
        status, body = call(credential, "GET", "/v1/webhooks")
        assert (status, body["error"]) == (401, "unauthorized"), body


def test_a_session_cannot_open_one_that_outlives_it(aws: dict, clock: FakeClock) -> None:
    key = issue_key("acme", Store(aws["TABLE_NAME"])).key
    parent = session(key, ttl_seconds=600)["token"]
    status, body = call(parent, "POST", "/v1/portal-sessions", body={"ttl_seconds": 601})
    assert (status, body["field"]) == (422, "ttl_seconds")
    child = session(parent, ttl_seconds=600, read_only=True)
    assert child["expires_at"] == "2026-01-01T00:10:00.000Z"
    # A read-only session opens nothing
    status, body = call(child["token"], "POST", "/v1/portal-sessions", body={"ttl_seconds": 60})
    assert (status, body["error"]) == (403, "forbidden")


def test_a_platform_key_opens_a_session_for_the_tenant_it_names(aws: dict, platform: str) -> None:
    call(platform, "POST", "/v1/webhooks", body=HOOK, acting_for="acme")
    opened = session(platform, acting_for="acme", read_only=True)
    assert authorize(opened["token"])["tenant_id"] == "acme"
    assert len(call(opened["token"], "GET", "/v1/webhooks", acting_for="globex")[1]["data"]) == 1
    me = call(platform, "GET", "/v1/portal-sessions/current", acting_for="acme")[1]
    assert me == {"tenant_id": "acme", "role": "platform", "read_only": False, "expires_at": None}


def tenant_operations() -> list[tuple[str, str]]:
    """Every operation of the served OpenAPI document on a tenant route (not /v1/admin)."""
    status, document = call({"tenant_id": "", "role": ""}, "GET", "/openapi.json")
    assert status == 200
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if path.startswith("/v1/") and not path.startswith("/v1/admin")
    ]


def test_a_read_only_session_is_refused_on_every_route_that_changes_something(aws: dict) -> None:
    key = issue_key("acme", Store(aws["TABLE_NAME"])).key
    hook = call(key, "POST", "/v1/webhooks", body=HOOK)[1]
    reader = session(key, read_only=True)["token"]
    ids = {"webhook_id": hook["id"], "delivery_id": "del_00000000000000000000000000"}
    operations = tenant_operations()
    changing = [(m, p) for m, p in operations if m != "GET"]
    assert len(changing) >= 12 and ("DELETE", "/v1/portal-sessions") in changing, changing
    answers = {}
    for method, path in changing:  # the document's own list: a new route is covered the day it is added
        for body in ({"description": "x"}, None, "not json"):
            raw = body if isinstance(body, str) else None
            status, answer = call(reader, method, path.format(**ids), body=None if raw else body, raw_body=raw)
            answers[(method, path, str(body))] = (status, answer["error"], answer["field"], method in answer["message"])
    assert set(answers.values()) == {(403, "forbidden", "write", True)}, answers
    # Nothing changed, and every read still works
    assert call(key, "GET", f"/v1/webhooks/{hook['id']}")[1]["status"] == "active"
    assert call(reader, "GET", "/v1/webhooks")[0] == 200
    assert call(reader, "GET", "/v1/portal-sessions/current")[1]["read_only"] is True
    assert authorize(reader)["role"] == "session"


def test_ending_the_tenants_sessions_ends_every_one_at_once(aws: dict, platform: str) -> None:
    store = Store(aws["TABLE_NAME"])
    key, other = issue_key("acme", store).key, issue_key("globex", store).key
    tokens = [
        session(key)["token"],
        session(key, read_only=True)["token"],
        session(platform, acting_for="acme")["token"],
    ]
    cached = [authorize(token) for token in tokens]
    survivor = session(other)["token"]
    assert call(key, "DELETE", "/v1/portal-sessions") == (204, None)
    for token, context in zip(tokens, cached, strict=True):
        assert authorize(token) == {"tenant_id": "", "role": ""}
        status, body = call(context, "GET", "/v1/webhooks")  # API Gateway's cached answer: still refused
        assert (status, body["error"]) == (401, "unauthorized")
    assert call(survivor, "GET", "/v1/webhooks")[0] == 200  # another tenant's sessions go on
    assert call(platform, "DELETE", "/v1/portal-sessions", acting_for="globex") == (204, None)
    assert call(survivor, "GET", "/v1/webhooks")[0] == 401
    # A session may end its own tenant's sessions, itself included; keys are untouched
    last = session(key)["token"]
    assert call(last, "DELETE", "/v1/portal-sessions") == (204, None)
    assert call(last, "GET", "/v1/webhooks")[0] == 401
    assert call(key, "GET", "/v1/webhooks")[0] == 200

"""`carrier.access`: the rules of who reaches what, and the template's authorizer config that they rely on."""

from __future__ import annotations

import pytest

from carrier.access import Principal, acting_tenant, refusal
from carrier.errors import Forbidden, InvalidInput, NotFound
from tests.support import template

TENANT = Principal("tenant", "acme")
PLATFORM = Principal("platform")
READER = Principal("session", "acme", read_only=True, session_id="ses_1", expires_at="2026-01-01T01:00:00.000Z")
WRITER = Principal("session", "acme", session_id="ses_2", expires_at="2026-01-01T01:00:00.000Z")


def test_the_authorizer_answer_depends_on_the_credential_alone() -> None:
    """API Gateway caches the authorizer's answer by its identity source: it must be `Authorization` only, since
    `Carrier-Tenant` is read by the api on every request (a cache keyed on it would not be needed, nor one without it
    safe if the authorizer read it)."""
    auth = template()["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["ApiKeyAuthorizer"]
    assert auth["Identity"]["Headers"] == ["Authorization"]
    assert auth["Identity"]["ReauthorizeEvery"] <= 300


@pytest.mark.parametrize("principal", [TENANT, PLATFORM, READER, WRITER])
def test_the_context_carries_the_principal_whole(principal: Principal) -> None:
    context = principal.context()
    assert all(isinstance(value, str) for value in context.values())  # what API Gateway passes on
    assert Principal.from_context(context) == principal


@pytest.mark.parametrize(
    "context",
    [
        None,
        {},
        {"tenant_id": "", "role": ""},
        {"tenant_id": "acme"},
        {"tenant_id": "", "role": "tenant"},
        {"tenant_id": "acme", "role": "root"},
        {"tenant_id": "", "role": "session"},
    ],
)
def test_anything_else_is_no_principal(context: dict[str, str] | None) -> None:
    assert Principal.from_context(context) is None


@pytest.mark.parametrize(
    ("principal", "method", "path", "refused"),
    [
        (TENANT, "GET", "/v1/admin/tenants/x/keys", NotFound),
        (READER, "POST", "/v1/admin/tenants/x/keys", NotFound),
        (WRITER, "DELETE", "/v1/admin", NotFound),
        (PLATFORM, "POST", "/v1/admin/tenants/x/keys", None),
        (READER, "GET", "/v1/webhooks", None),
        (READER, "HEAD", "/v1/webhooks", None),
        (READER, "POST", "/v1/webhooks", Forbidden),
        (READER, "patch", "/v1/webhooks/wh_1", Forbidden),
        (READER, "DELETE", "/v1/portal-sessions", Forbidden),
        (WRITER, "POST", "/v1/webhooks", None),
        (TENANT, "POST", "/v1/administrator", None),  # a prefix of words, not of characters
    ],
)
def test_refusals(principal: Principal, method: str, path: str, refused: type | None) -> None:
    found = refusal(principal, method, path)
    assert type(found) is refused if refused else found is None
    if isinstance(found, Forbidden):
        assert found.to_dict()["field"] == "write" and method.upper() in found.message


def test_the_tenant_acted_for() -> None:
    assert acting_tenant(TENANT, "globex") == "acme" and acting_tenant(READER, "globex") == "acme"
    assert acting_tenant(PLATFORM, "globex") == "globex"
    for named in (None, "", "bad tenant", "x" * 65, "acme\n"):
        with pytest.raises(InvalidInput) as refused:
            acting_tenant(PLATFORM, named)
        assert refused.value.field == "Carrier-Tenant"

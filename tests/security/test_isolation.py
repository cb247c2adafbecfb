"""Tenant isolation on the local stack: another tenant's ids are not found, lists never cross, revoked keys fail.

Every route is taken from the served OpenAPI document, so a new route is covered the day it is added (a route
whose body the table below cannot fill answers 422, and the test says so).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.receiver import Receiver
from tests.stack import Stack, Tenant
from tests.support import ROOT

HEADER_VALUE = "Bearer isolation-header-value-of-tenant-a"
DESCRIPTION = "tenant A's private description"
# A valid body for the routes that need one (any other route is sent without a body).
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/v1/webhooks/{webhook_id}"): {"url": "https://b.example.com/hook", "events": ["*"]},
    ("PATCH", "/v1/webhooks/{webhook_id}"): {"description": "taken over by B"},
    ("POST", "/v1/webhooks/{webhook_id}/recover"): {"since": "2020-01-01T00:00:00Z"},
    ("POST", "/v1/webhooks/{webhook_id}/replay"): {"since": "2020-01-01T00:00:00Z"},
}
STRANGER_IDS = {
    "webhook_id": "wh_00000000000000000000000000",
    "delivery_id": "del_00000000000000000000000000",
    "tenant_id": "t-isolation-nobody",  # the platform's /v1/admin routes
    "key_id": "key_000000000000",
}


class Owned:
    def __init__(self, tenant: Tenant, hook: dict[str, Any], delivery: dict[str, Any], url: str) -> None:
        self.tenant, self.hook, self.delivery, self.url = tenant, hook, delivery, url

    @property
    def ids(self) -> dict[str, str]:
        return {"webhook_id": self.hook["id"], "delivery_id": self.delivery["delivery_id"]}

    def traces(self) -> list[str]:
        """Everything of A that B must never see."""
        return [
            *self.ids.values(),
            self.url,
            DESCRIPTION,
            self.hook["secret"],
            HEADER_VALUE,
            self.delivery["event_id"],
            self.tenant.name,
        ]


@pytest.fixture(scope="module")
def owner(stack: Stack) -> Iterator[Owned]:
    with Receiver() as receiver:
        tenant = Tenant(stack, "t-isolation-a")
        url = receiver.url + "/tenant-a-private-path"
        hook = tenant.create(url, description=DESCRIPTION, headers={"Authorization": HEADER_VALUE})
        status, sent = tenant.api("POST", f"/v1/webhooks/{hook['id']}/test")
        assert status == 200, sent
        yield Owned(tenant, hook, sent, url)


@pytest.fixture(scope="module")
def intruder(stack: Stack) -> Tenant:
    return Tenant(stack, "t-isolation-b")


def served_operations(stack: Stack) -> list[tuple[str, str]]:
    document = requests.get(stack.url + "/openapi.json", timeout=30).json()
    return [(method.upper(), path) for path, item in document["paths"].items() for method in item]


def call(stack: Stack, tenant: Tenant, method: str, path: str, ids: dict[str, str]) -> requests.Response:
    body = BODIES.get((method, path))
    return stack.session.request(
        method,
        stack.url + path.format(**ids),
        json=body,
        headers={"Authorization": f"Bearer {tenant.key}"},
        timeout=60,
    )


def test_every_route_answers_404_to_another_tenants_ids_and_leaks_nothing(
    stack: Stack, owner: Owned, intruder: Tenant
) -> None:
    routes = [(m, p) for m, p in served_operations(stack) if "{webhook_id}" in p]
    assert len(routes) >= 10, routes
    for method, path in routes:
        answer = call(stack, intruder, method, path, owner.ids)
        assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
        body = answer.text
        for id_name, value in owner.ids.items():  # B sent these ids itself: the answer may echo them, no more
            body = body.replace(value, STRANGER_IDS[id_name])
        for trace in owner.traces():
            assert trace not in body, (method, path, trace)
        # Indistinguishable from ids that exist nowhere: no oracle of what A owns.
        stranger = call(stack, intruder, method, path, STRANGER_IDS)
        assert (stranger.status_code, stranger.json()) == (404, json.loads(body)), (method, path)
    # And A's webhook is untouched by all of it.
    status, hook = owner.tenant.api("GET", f"/v1/webhooks/{owner.hook['id']}")
    assert status == 200 and hook["description"] == DESCRIPTION and hook["url"] == owner.url


def test_lists_never_cross_tenants(stack: Stack, owner: Owned, intruder: Tenant) -> None:
    with Receiver() as receiver:
        own = intruder.create(receiver.url + "/b")
        status, listing = intruder.api("GET", "/v1/webhooks?limit=250")
        assert status == 200
        assert [h["id"] for h in listing["data"]] == [own["id"]]
        for trace in owner.traces():
            assert trace not in str(listing)
        status, mine = intruder.api("GET", f"/v1/webhooks/{own['id']}/deliveries")
        assert status == 200 and mine["deliveries"] == []
    status, theirs = owner.tenant.api("GET", "/v1/webhooks?limit=250")
    assert own["id"] not in str(theirs)


def test_a_revoked_key_is_refused_at_once(stack: Stack) -> None:
    """The local stack has no authorizer cache: the next request after a revocation is a 401 (on AWS, the
    HTTP API's cache may let the key through for up to ReauthorizeEvery = 300 s, as the README states)."""
    tenant = Tenant(stack, "t-isolation-revoked")
    assert tenant.api("GET", "/v1/webhooks")[0] == 200
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    subprocess.run(
        [sys.executable, "-m", "carrier.cli", "keys", "revoke", tenant.key],
        cwd=ROOT,
        env={**env, "CARRIER_STATE": str(stack.state_file)},
        check=True,
        capture_output=True,
    )
    for method, path in served_operations(stack):
        answer = call(stack, tenant, method, path, STRANGER_IDS)
        assert answer.status_code == 401, (method, path, answer.status_code, answer.text)
        assert answer.json()["error"] == "unauthorized"

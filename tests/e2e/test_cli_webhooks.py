"""`carrier webhooks` against the local stack: every action through the API, the table and JSON outputs, and the
API's refusals printed as `message (field)` with a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.receiver import Receiver
from tests.stack import Stack, Tenant
from tests.support import ROOT


def run(stack: Stack, tenant: Tenant, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(CARRIER_STATE=str(stack.state_file), CARRIER_API_KEY=tenant.key)
    return subprocess.run(
        [sys.executable, "-m", "carrier.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def ok(stack: Stack, tenant: Tenant, *args: str) -> str:
    done = run(stack, tenant, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def as_json(stack: Stack, tenant: Tenant, *args: str) -> dict:
    return json.loads(ok(stack, tenant, *args, "--output", "json"))


def test_create_get_update_toggle_rotate_test_and_delete(stack: Stack, tenant: Tenant) -> None:
    with Receiver() as receiver:
        # create: the secret printed once under the table format
        out = ok(
            stack, tenant, "webhooks", "create", "--url", receiver.url + "/in", "--events", "model.*, webhook.test"
        )
        assert "shown once" in out
        secret = out.strip().splitlines()[-1]
        assert secret.startswith("whsec_")
        [hook] = tenant.api("GET", "/v1/webhooks")[1]["data"]
        assert hook["events"] == ["model.*", "webhook.test"]

        # get: one row per field
        got = ok(stack, tenant, "webhooks", "get", hook["id"])
        assert f"URL             {receiver.url}/in" in got and "model.*, webhook.test" in got

        # update: only the fields given change
        updated = as_json(
            stack, tenant, "webhooks", "update", hook["id"], "--description", "Orders", "--rate-limit", "5",
            "-H", "X-Team: orders", "--filters", '{"project_id": "p1"}',
        )  # fmt: skip
        assert updated["description"] == "Orders" and updated["rate_limit"] == 5
        assert updated["filters"] == {"project_id": "p1"} and list(updated["headers"]) == ["X-Team"]
        assert updated["url"] == receiver.url + "/in"

        # disable / enable
        assert as_json(stack, tenant, "webhooks", "disable", hook["id"])["status"] == "disabled"
        assert "STATUS          active" in ok(stack, tenant, "webhooks", "enable", hook["id"])

        # rotate: a new secret, printed once
        rotated = as_json(stack, tenant, "webhooks", "rotate", hook["id"])
        assert rotated["secret"].startswith("whsec_") and rotated["secret"] != secret

        # test: sent now; the receiver's answer shown
        sent = as_json(stack, tenant, "webhooks", "test", hook["id"])
        assert sent["delivered"] is True and sent["status_code"] == 200
        assert receiver.requests[-1].path == "/in"

        # delete: then it is gone
        assert "yes" in ok(stack, tenant, "webhooks", "delete", hook["id"])
        gone = run(stack, tenant, "webhooks", "get", hook["id"])
        assert gone.returncode == 1
        assert gone.stderr.strip() == f"carrier: webhook {hook['id']} not found (id)"


def test_a_failed_test_send_exits_non_zero_and_says_why(stack: Stack, tenant: Tenant) -> None:
    hook = tenant.create("http://127.0.0.1:9/closed")
    done = run(stack, tenant, "webhooks", "test", hook["id"])
    assert done.returncode == 1
    assert "could not connect to 127.0.0.1:9" in done.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["webhooks", "create", "--url", "ftp://example.com/x", "--events", "*"], "(url)"),
        (["webhooks", "create", "--url", "https://example.com/x", "--events", "nope.nope"], "(events)"),
        (["webhooks", "update", "wh_00000000000000000000000000", "--description", "x"], "not found (id)"),
        (["publish", "nope.nope"], "(type)"),
    ],
)
def test_api_errors_print_the_message_and_the_field(
    stack: Stack, tenant: Tenant, args: list[str], expected: str
) -> None:
    done = run(stack, tenant, *args)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines and all(line.startswith("carrier: ") for line in lines), done.stderr
    assert lines[0].endswith(expected), done.stderr
    assert "{" not in done.stderr and "Traceback" not in done.stderr  # never a dict or a stack


def test_publish_honours_the_output_format(stack: Stack, tenant: Tenant) -> None:
    table = ok(stack, tenant, "publish", "model.trained", "--data", '{"model_id": "m1"}', "--output", "table")
    with pytest.raises(ValueError):
        json.loads(table)
    assert table.splitlines()[0].split() == ["FIELD", "VALUE"]
    assert any(line.split()[:2] == ["type", "model.trained"] for line in table.splitlines())
    published = as_json(stack, tenant, "publish", "model.trained", "--data", '{"model_id": "m2"}')
    assert published["type"] == "model.trained"


def test_replay_sends_what_a_new_webhook_missed(stack: Stack, tenant: Tenant) -> None:
    with Receiver() as receiver:
        # Given three events published (and dispatched: a witness webhook got them) before the webhook existed
        since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
        tenant.create(receiver.url + "/witness", events=["model.trained"])
        for n in range(3):
            tenant.publish("model.trained", {"model_id": f"m{n}"})
        stack.wait_for(lambda: len(receiver.requests) == 3, what="the witness's three deliveries")
        hook = tenant.create(receiver.url + "/late", events=["model.trained"])
        late = lambda: [r for r in receiver.requests if r.path == "/late"]  # noqa: E731

        # When they are replayed from the CLI
        done = as_json(stack, tenant, "webhooks", "replay", hook["id"], "--since", since)

        # Then each is sent once, and a second replay sends nothing again
        assert done["sent"] == 3 and len(late()) == 3, done
        assert sorted(json.loads(r.body)["data"]["model_id"] for r in late()) == ["m0", "m1", "m2"]
        again = as_json(stack, tenant, "webhooks", "replay", hook["id"], "--since", since)
        assert again["sent"] == 0 and again["already_delivered"] == 3
        assert len(late()) == 3

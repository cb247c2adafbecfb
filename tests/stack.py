"""The local stack (`python -m carrier_local`) in a subprocess on a free port, driven over HTTP.

A pytest plugin (registered in tests/conftest.py): the e2e, dashboard and security suites share one stack.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from tests.support import ROOT

TIME_SCALE = "0.00002"  # the 24-hour ladder in about 2.5 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


T = TypeVar("T")


def wait_until(condition: Callable[[], T], what: str, timeout: float = 60, interval: float = 0.05) -> T:
    """Poll `condition` until it returns something truthy; fail naming `what` at the deadline (no fixed sleeps:
    the deadline only bounds a hang)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


class Stack:
    def __init__(self, state: dict[str, Any], state_file: Path, log: Path) -> None:
        self.state = state
        self.state_file = state_file
        self.log = log
        self.url = state["api_url"]
        self.profile: str = state.get("profile", "carrier")  # written by carrier_local (absent before profiles)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {state['api_key']}"

    def api(self, method: str, path: str, body: Any = None, key: str | None = None, **kwargs: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = self.session.request(method, self.url + path, json=body, headers=headers, timeout=60, **kwargs)
        return response.status_code, (response.json() if response.content else None)

    def wait_for(
        self, condition: Callable[[], Any], timeout: float = 60, what: str = "condition", interval: float = 0.05
    ) -> Any:
        """Poll until `condition()` is truthy (no fixed sleeps; the deadline only bounds a hang)."""
        return wait_until(condition, what, timeout, interval)

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def start_stack(
    tmp_path_factory: pytest.TempPathFactory, profile: str | None = None, parameters: Sequence[str] = ()
) -> Iterator[Stack]:
    """`python -m carrier_local` in a subprocess on a free port until the block ends: with `PROFILE=<profile>`,
    or with the default profile (a `PROFILE` in the caller's environment is not passed on), the ladder
    time-scaled and `HttpTimeoutSeconds=2` (plus `parameters`, `NAME=VALUE`)."""
    folder = tmp_path_factory.mktemp(f"stack-{profile}" if profile else "stack")
    state_file, log = folder / "local.json", folder / "stack.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "TABLE_", "EVENT_BUS", "SECRET_PREFIX", "CARRIER_PROFILE")) and k != "PROFILE"
    }
    env.update(CARRIER_TIME_SCALE=TIME_SCALE, PYTHONUNBUFFERED="1")
    if profile:
        env["PROFILE"] = profile
    command = [
        sys.executable,
        "-m",
        "carrier_local",
        "--port",
        str(free_port()),
        "--state-file",
        str(state_file),
        "-p",
        "HttpTimeoutSeconds=2",
        *(arg for pair in parameters for arg in ("-p", pair)),
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while "Carrier local stack ready" not in log.read_text(errors="replace"):
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the local stack did not start"
                time.sleep(0.05)
            yield Stack(json.loads(state_file.read_text()), state_file, log)
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack the e2e, dashboard and security suites share (the default profile)."""
    with start_stack(tmp_path_factory) as started:
        yield started


class Tenant:
    """A fresh tenant on the shared local stack (its key made with the `carrier` CLI)."""

    def __init__(self, stack: Stack, name: str) -> None:
        env = {**os.environ, "CARRIER_STATE": str(stack.state_file)}
        env = {k: v for k, v in env.items() if not k.startswith("AWS_")}
        done = subprocess.run(
            [sys.executable, "-m", "carrier.cli", "keys", "create", "--tenant", name, "--output", "json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"carrier keys create --tenant {name}: {done.stderr or done.stdout}"
        self.key = json.loads(done.stdout)["key"]
        self.name = name
        self.stack = stack

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return self.stack.api(method, path, body, key=self.key)

    def create(self, url: str, **fields: Any) -> dict[str, Any]:
        status, hook = self.api("POST", "/v1/webhooks", {"url": url, "events": ["*"], **fields})
        assert status == 201, hook
        return hook

    def publish(self, event_type: str, data: dict[str, Any], **fields: Any) -> dict[str, Any]:
        status, body = self.api("POST", "/v1/events", {"type": event_type, "data": data, **fields})
        assert status == 202, body
        return body

    def deliveries(self, webhook_id: str, **query: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"limit": "250", **query, **({"cursor": cursor} if cursor else {})}
            status, page = self.stack.api("GET", f"/v1/webhooks/{webhook_id}/deliveries", key=self.key, params=params)
            assert status == 200, page
            found += page["deliveries"]
            cursor = page["next_cursor"]
            if not cursor:
                return found


@pytest.fixture
def tenant(stack: Stack, request: pytest.FixtureRequest) -> Tenant:
    return Tenant(stack, "t-" + request.node.name.replace("[", "-").replace("]", "")[:50].replace("_", "-"))

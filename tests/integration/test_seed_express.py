"""Seed 004's Express receiver, run as written in Node (tests/conformance/node/seed_004_receiver.js), accepts Carrier's
deliveries: it verifies the HMAC over `JSON.stringify(req.body)`, not over the bytes it received, so it passes only
when Carrier's body is a fixed point of JSON.parse + JSON.stringify (floats like 8.0 and 1e21, non-ASCII text,
integer-like keys). Only its secret, its port (both from the environment) and its timingSafeEqual call (on Buffers:
as printed it throws on strings) differ from the seed. `make node` installs its express (npm ci)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from carrier.canonical import encode
from tests.canonical_cases import bodies
from tests.integration.conftest import create, deliveries
from tests.pipeline import bus_event, dispatch

NODE_DIR = Path(__file__).resolve().parents[1] / "conformance" / "node"
RECEIVER = "seed_004_receiver.js"
NODE = shutil.which("node")
SECRET = "your-webhook-secret-0123456789"  # a custom secret (>= 24 bytes), as seed 004 registers one

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not on PATH: the Express receiver needs Node")


def exact(value: Any) -> Any:
    """The generated value with integers beyond 2**53 (refused at publish: see test_poison_events) clamped to it."""
    if isinstance(value, bool) or not isinstance(value, int | dict | list):
        return value
    if isinstance(value, int):
        return max(-(2**53), min(2**53, value))
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    return [exact(v) for v in value]


DATA: list[dict[str, Any]] = [
    {
        "job_id": "job_8",
        "score": 8.0,
        "big": 1e21,
        "ratio": 0.1,
        "tiny": 1e-7,
        "small": 0.000015,
        "negative_zero": -0.0,
        "id": 9007199254740991,  # the largest safe integer (past 2**53 is refused at publish)
        "name": "Zürich — 東京 😀 \u2028",
        "labels": {"b": 1, "10": "ten", "2": "two", "0": "zero", "07": 7, "-1": -1},
        "boxes": [[0.5, 1.0, 2.5e-8], {"1": 1.0, "a": None}],
    },
    {"job_id": "job_9", "result": {"3": [1e300, -1.5e-300, 5e-324], "é": '\x00\x1f\x7f"\\/', "1": True}},
    *({"job_id": f"job_{n}", "result": exact(body)} for n, body in enumerate(bodies(404, 24, surrogates=False))),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def express(secret: str, tmp_path: Path) -> Iterator[str]:
    """The seed's receiver in a real node process; yields its /webhook URL once its port accepts connections."""
    assert NODE is not None
    if not (NODE_DIR / "node_modules" / "express").is_dir():
        pytest.fail(f"express is not installed in {NODE_DIR}: run `make node` (npm ci)")
    port = free_port()
    log = tmp_path / "express.log"
    env = {**os.environ, "PORT": str(port), "WEBHOOK_SECRET": secret}
    with log.open("wb") as out:
        process = subprocess.Popen([NODE, RECEIVER], cwd=NODE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                pytest.fail(f"the Express receiver exited ({process.returncode}): {log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the Express receiver did not listen on {port} within 20 s: {log.read_text()}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def post(url: str, body: bytes, secret: str) -> int:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Webhook-Signature": signature}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # the loopback receiver, nothing else
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def hook_to(url: str) -> dict[str, Any]:
    return create(
        url,
        events=["optimization.*", "vision.*"],
        payload_format="extended",
        signature={"scheme": "hmac-sha256-hex"},
        secret=SECRET,
    )


def test_the_express_receiver_verifies_every_delivery(pipeline, tmp_path: Path) -> None:
    with express(SECRET, tmp_path) as url:
        hook = hook_to(url)
        types = ["optimization.completed", "vision.completed"]
        dispatch(*(bus_event(types[n % 2], data) for n, data in enumerate(DATA)))
        sent = deliveries(hook["id"], limit="100")
    assert len(sent) == len(DATA)
    assert {(d["status"], d["status_code"]) for d in sent} == {("delivered", 200)}, sent


def test_the_express_receiver_refuses_a_wrong_secret(pipeline, tmp_path: Path) -> None:
    with express("a-different-secret-0123456789", tmp_path) as url:
        hook = hook_to(url)
        dispatch(bus_event("optimization.completed", DATA[0]))
        [sent] = deliveries(hook["id"])
    assert sent["status_code"] == 401


def test_the_express_receiver_refuses_what_python_json_writes(tmp_path: Path) -> None:
    # The same value, signed right: Python's json.dumps text is refused, the canonical one accepted.
    body = {"event_id": "evt_1", "event_type": "optimization.completed", "data": DATA[0], "retry_count": 0}
    python = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    with express(SECRET, tmp_path) as url:
        assert (post(url, python, SECRET), post(url, encode(body), SECRET)) == (401, 200)

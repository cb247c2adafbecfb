"""Node itself says Carrier's bodies are fixed points of `JSON.stringify(JSON.parse(body))`: thousands of varied
JSON values and the known vectors, each encoded with `carrier.canonical.encode`, checked in one node process
(canonical_roundtrip.js). Each is also sent with its Python `json.dumps` text, from which JSON.stringify must write
the very same body: the body holds the value JavaScript reads from the data, not merely some fixed point."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from carrier.canonical import encode
from tests.canonical_cases import VECTORS, bodies

SCRIPT = Path(__file__).with_name("canonical_roundtrip.js")
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not on PATH: the cross-check needs Node's JSON")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def node_answers(lines: list[str]) -> list[str]:
    assert NODE is not None
    run = subprocess.run(
        [NODE, str(SCRIPT)], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120, check=True
    )
    answers = run.stdout.splitlines()
    assert len(answers) == len(lines), run.stderr
    return answers


def test_every_body_round_trips_through_node() -> None:
    values: list[Any] = [v for v, _ in VECTORS] + bodies(20260101, 4000)
    lines = [f"{b64(encode(v))} {b64(json.dumps(v).encode('ascii'))}" for v in values]
    answers = node_answers(lines)
    failures = [
        (v, encode(v), base64.b64decode(a.split()[1]) if a.startswith("differs") else a)
        for v, a in zip(values, answers, strict=True)
        if a != "ok"
    ]
    assert failures == [], f"{len(failures)} of {len(values)} differ; first: {failures[:3]!r}"


def test_the_checker_catches_a_body_that_is_not_a_fixed_point() -> None:
    # Python's own json.dumps text fails where JS writes otherwise: the check is not vacuous
    python = [b"[8.0]", b'{"b":1,"0":2}', b'"\\ud83d\\ude00"', b"[1e-07]", json.dumps([1.5]).encode(), b'{"a": 1}']
    answers = node_answers([b64(text) for text in python])
    assert [a.split()[0] for a in answers] == ["differs", "differs", "differs", "differs", "ok", "differs"]
    assert base64.b64decode(answers[0].split()[1]) == b"[8]"

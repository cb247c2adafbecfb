"""How the conformance suite runs the seed docs' own pieces against a profile's local stack.

- Doc files (`seed_*/`) are the doc's text byte for byte under a header comment; every substitution (host, port,
  secret, ids) is made when a test runs, and each one must find its literal in the file, so a file that drifts from
  the doc fails loudly instead of silently testing something else.
- A curl file is parsed with shlex (method, headers, `-d` body, URL) and sent with `requests`.
- A receiver is a real process (Flask's runner, uvicorn, node) on a free port, its stdout and stderr in files; the
  suite waits for its port by polling connect, for its output by polling, and terminates it (its whole process
  group) at the end.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from tests.stack import Stack, Tenant, free_port
from tests.stack import wait_until as stack_wait_until

HERE = Path(__file__).parent
NODE = HERE / "node"
NODE_MODULES = NODE / "node_modules"
DEADLINE = 30.0  # seconds: only bounds a hang, never a timing assertion

T = TypeVar("T")


def wait_until(condition: Callable[[], T], what: str, timeout: float = DEADLINE) -> T:
    """`tests.stack.wait_until` with the conformance deadline."""
    return stack_wait_until(condition, what, timeout)


# ---- doc files ---------------------------------------------------------------------------------------------------


def doc_text(path: Path) -> str:
    """The doc's text: the file without its header comment (its leading lines that start as its first line does,
    with `#`, `//` or `<!--`)."""
    lines = path.read_text().splitlines(keepends=True)
    marker = next((m for m in ("<!--", "//", "#") if lines and lines[0].startswith(m)), None)
    while marker and lines and lines[0].startswith(marker):
        lines.pop(0)
    return "".join(lines)


def substitute(text: str, substitutions: Mapping[str, str], where: str = "") -> str:
    """Replace each literal; a literal that the text does not hold is an error (the file drifted from the doc)."""
    for old, new in substitutions.items():
        assert old in text, f"{where}: {old!r} is not in the doc's text"
        text = text.replace(old, new)
    return text


def doc_json(path: Path) -> Any:
    """A `.jsonc` doc file: its JSON (a `...` elision in the doc reads as nothing)."""
    return json.loads(doc_text(path).replace("...\n", "\n"))


def doc_function(path: Path, name: str) -> Any:
    """A function the doc defines (its Python file run as written, in a fresh namespace)."""
    namespace: dict[str, Any] = {}
    exec(compile(doc_text(path), path.name, "exec"), namespace)
    return namespace[name]


def render(path: Path, substitutions: Mapping[str, str], folder: Path, name: str) -> Path:
    """A runnable copy of a doc file in `folder`, with the run's substitutions made."""
    target = folder / name
    target.write_text(substitute(path.read_text(), substitutions, path.name))
    return target


# ---- curl files --------------------------------------------------------------------------------------------------


@dataclass
class Curl:
    method: str
    url: str
    headers: dict[str, str]
    body: str | None

    def send(self) -> requests.Response:
        data = self.body.encode() if self.body is not None else None
        return requests.request(self.method, self.url, headers=self.headers, data=data, timeout=60)


def parse_curl(text: str) -> Curl:
    """curl's own reading of the command: -X/--request, -H/--header, -d/--data(-raw), the URL."""
    tokens = shlex.split(text.replace("\\\n", " "))
    assert tokens and tokens[0] == "curl", text
    method, url, body = None, None, None
    headers: dict[str, str] = {}
    rest = iter(tokens[1:])
    for token in rest:
        if token in ("-X", "--request"):
            method = next(rest)
        elif token in ("-H", "--header"):
            name, _, value = next(rest).partition(":")
            headers[name.strip()] = value.strip()
        elif token in ("-d", "--data", "--data-raw", "--data-binary"):
            body = next(rest)
        elif token.startswith("-"):
            raise AssertionError(f"curl option {token} is not read by this harness")
        else:
            assert url is None, f"two URLs: {url} {token}"
            url = token
    assert url, text
    return Curl(method or ("POST" if body is not None else "GET"), url, headers, body)


def curl(path: Path, stack: Stack, tenant: Tenant, doc_host: str, **substitutions: str) -> Curl:
    """The curl file with the doc's host pointed at the stack, YOUR_API_KEY at the tenant's key, and `substitutions`
    (doc literal -> value) made in its text."""
    text = substitute(doc_text(path), {doc_host: stack.url, "YOUR_API_KEY": tenant.key, **substitutions}, path.name)
    return parse_curl(text)


def send(path: Path, stack: Stack, tenant: Tenant, doc_host: str, **substitutions: str) -> tuple[int, Any]:
    response = curl(path, stack, tenant, doc_host, **substitutions).send()
    return response.status_code, (response.json() if response.content else None)


# ---- receivers as processes --------------------------------------------------------------------------------------


class Process:
    """A receiver process listening on 127.0.0.1:`port`; stdout and stderr kept in files beside it."""

    def __init__(self, command: Sequence[str], port: int, folder: Path, name: str, **env: str) -> None:
        self.command = list(command)
        self.port = port
        self.name = name
        self.stdout_file = folder / f"{name}.stdout"
        self.stderr_file = folder / f"{name}.stderr"
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
        self.cwd = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stdout(self) -> str:
        return self.stdout_file.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_file.read_text(errors="replace")

    def lines(self) -> list[str]:
        return [line.strip() for line in self.stdout.splitlines() if line.strip()]

    def wait_for_line(self, line: str, count: int = 1, prefix: bool = False) -> list[str]:
        """Wait until stdout holds `line` (a whole line, or the start of one) `count` times; returns the lines."""

        def found() -> list[str]:
            lines = [s for s in self.lines() if (s.startswith(line) if prefix else s == line)]
            return lines if len(lines) >= count else []

        return wait_until(
            found,
            f"{self.name} to print {line!r}{'...' if prefix else ''} x{count} "
            f"(stdout: {self.stdout[-2000:]!r}, stderr: {self.stderr[-2000:]!r})",
        )

    def _listening(self) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, f"{self.name} exited: {self.stderr[-3000:]}"
        with socket.socket() as probe:
            probe.settimeout(0.5)
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def __enter__(self) -> Process:
        with self.stdout_file.open("wb") as out, self.stderr_file.open("wb") as err:
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=out, stderr=err, start_new_session=True
            )
        try:
            wait_until(self._listening, f"{self.name} to listen on port {self.port}")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def flask(app_file: Path, folder: Path, name: str, port: int | None = None) -> Process:
    """The doc's Flask app served by Flask's own runner (`flask --app <file> run`)."""
    port = port or free_port()
    command = [sys.executable, "-m", "flask", "--app", str(app_file), "run", "--host", "127.0.0.1", "--port", str(port)]
    return Process(command, port, folder, name)


def uvicorn(app_file: Path, folder: Path, name: str, port: int | None = None, access_log: bool = False) -> Process:
    """The doc's FastAPI app under uvicorn. Without the access log, stdout holds only what the doc's code prints;
    with it, stdout also has uvicorn's `INFO: ... "POST /results HTTP/1.1" 200 OK` lines."""
    port = port or free_port()
    module = app_file.stem
    command = [
        sys.executable, "-m", "uvicorn", f"{module}:app", "--app-dir", str(app_file.parent),
        "--host", "127.0.0.1", "--port", str(port), *([] if access_log else ["--no-access-log"]),
    ]  # fmt: skip
    return Process(command, port, folder, name)


def node(script: Path, folder: Path, name: str, port: int, **env: str) -> Process:
    """A doc's Express app under node, with express from tests/conformance/node (`make node` installs it)."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed (the seed docs' Express receivers need it)")
    assert (NODE_MODULES / "express").is_dir(), (
        "express is not installed: run `make node` (npm ci in tests/conformance/node)"
    )
    return Process(["node", str(script)], port, folder, name, NODE_PATH=str(NODE_MODULES), **env)


@contextmanager
def started(*processes: Process) -> Iterator[tuple[Process, ...]]:
    """Start every process (waiting for each port), terminate every one at the end, whatever happened."""
    entered: list[Process] = []
    try:
        for process in processes:
            entered.append(process.__enter__())
        yield processes
    finally:
        for process in reversed(entered):
            process.__exit__(None, None, None)


# ---- the stack's answers -----------------------------------------------------------------------------------------


def catalog(tenant: Tenant) -> dict[str, dict[str, Any]]:
    """GET /v1/event-types as {name: type}."""
    status, body = tenant.api("GET", "/v1/event-types")
    assert status == 200, body
    return {t["name"]: t for t in body["data"]}


def is_iso_time(value: Any) -> bool:
    return (
        isinstance(value, str)
        and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value) is not None
    )


def assert_runs(stack: Stack, profile: str) -> None:
    """The stack said which profile it runs: in its state file and its banner."""
    assert stack.state.get("profile") == profile, f"state file: {stack.state}"
    banner = stack.logs().split("Carrier local stack (started", 1)[-1].split("Carrier local stack ready", 1)[0]
    assert profile in banner, f"banner does not name the profile: {banner}"

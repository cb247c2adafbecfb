"""Cold start (issue 19, item 6): importing a handler loads nothing but what its import needs.

Each handler is imported as Lambda imports it (a fresh interpreter, the template's environment: `bench.imports`),
and `sys.modules` is read afterwards. The heavy modules are loaded at first use: the X-Ray SDK only when tracing
is on, pydantic with the wiring (settings, profile, store) at the first invocation, the API's resolver, models
and OpenAPI document at its first request, aiohttp at the first send, cryptography at the first sealed secret,
PyYAML at the first profile read. Timings live in `bench/imports.py`, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.imports import HANDLER, lambda_env
from tests.support import ROOT, api_event

HANDLERS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))
LOADED_LATER = (
    "aws_xray_sdk",
    "aiohttp",
    "cryptography",
    "yaml",
    "pydantic",
    "requests",
    "sqlite3",
    "carrier.runtime",
    "carrier.settings",
    "carrier.profile",
    "carrier.models",
    "carrier.envelope",
    "carrier.transport",
    "aws_lambda_powertools.event_handler.openapi.models",
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
    "carrier_api.routes",
)


def watched_after(body: str, function: str, *, tracing: bool) -> set[str]:
    """The modules of `LOADED_LATER` (and their submodules) loaded after running `body` in a fresh interpreter."""
    probe = (
        "import sys, json\n"
        + body
        + f"\nwatched = {LOADED_LATER!r}\n"
        + "print(json.dumps(sorted(m for m in sys.modules if any(m == w or m.startswith(w + '.') for w in watched))))"
    )
    env = lambda_env(function)
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    if not tracing:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def loaded_at_import(function: str, *, tracing: bool) -> list[str]:
    """What importing the handler loaded of `LOADED_LATER`, less what `import boto3` loads by itself (botocore
    imports pyOpenSSL, and with it cryptography, wherever pyOpenSSL is installed)."""
    app = ROOT / "functions" / function / "app.py"
    handler = watched_after(HANDLER.format(path=str(app), directory=str(app.parent)), function, tracing=tracing)
    return sorted(handler - watched_after("import boto3", function, tracing=tracing))


@pytest.mark.parametrize("function", HANDLERS)
def test_with_tracing_off_a_handler_import_loads_none_of_the_heavy_modules(function: str) -> None:
    assert loaded_at_import(function, tracing=False) == []


@pytest.mark.parametrize("function", HANDLERS)
def test_with_tracing_on_only_the_tracer_and_its_botocore_patch_are_added(function: str) -> None:
    loaded = loaded_at_import(function, tracing=True)
    assert "aws_xray_sdk.core" in loaded and "aws_xray_sdk.ext.botocore.patch" in loaded
    assert [m for m in loaded if not m.startswith("aws_xray_sdk")] == []
    patched = {m.split(".")[2] for m in loaded if m.startswith("aws_xray_sdk.ext.") and m.count(".") >= 3}
    assert patched == {"botocore"}  # not every library the SDK knows (requests, sqlite3, httpx, ...)


OPENAPI_MODELS = "aws_lambda_powertools.event_handler.openapi.models"
ANSWER = """
import json
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "carrier-api", 512, "r"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:carrier-api"
for event in json.loads({events!r}):
    status = module.handler(event, Context())["statusCode"]
    print(json.dumps([event["rawPath"], status, {models!r} in sys.modules]))
"""


def test_the_openapi_models_load_with_the_first_request_for_the_document_or_the_ui() -> None:
    """Given a fresh api container, when a /v1 request comes first, then /docs, then /openapi.json: Powertools'
    OpenAPI models are not loaded by the first, and both pages answer."""
    app = ROOT / "functions" / "api" / "app.py"
    events = [api_event("GET", path, tenant=None) for path in ("/v1/webhooks", "/docs", "/openapi.json")]
    probe = (
        "import sys\n"
        + HANDLER.format(path=str(app), directory=str(app.parent))
        + ANSWER.format(events=json.dumps(events), models=OPENAPI_MODELS)
    )
    env = {**lambda_env("api"), "POWERTOOLS_TRACE_DISABLED": "true"}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('["/')]
    assert answers == [["/v1/webhooks", 401, False], ["/docs", 200, True], ["/openapi.json", 200, True]]


def test_the_handlers_found_are_every_function() -> None:
    assert HANDLERS == ["api", "attempt", "authorizer", "dispatcher", "reconciler"]

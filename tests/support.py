"""Test helpers shared by every level: template data, API Gateway v2 events, handler loading.

The template and the handlers are read by the local stack's own loaders (`carrier_local.template`,
`carrier_local.handlers`), so tests and `make local` see the same template and the same handler modules.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

from carrier_local import handlers
from carrier_local.template import load_template

ROOT = Path(__file__).resolve().parents[1]


def template() -> dict[str, Any]:
    """template.yaml, parsed with its short-form intrinsic functions (!Ref, !Sub, ...)."""
    return load_template(ROOT / "template.yaml")


def deployed_properties(logical_id: str, **parameters: str) -> dict[str, Any]:
    """A resource's Properties as CloudFormation deploys template.yaml with its Parameters' defaults (or
    `parameters`): its `Fn::If`s decided and `AWS::NoValue` left out."""
    tpl = template()
    values = {k: str(v.get("Default", "")) for k, v in tpl["Parameters"].items()} | parameters
    found = _deployed(tpl["Resources"][logical_id]["Properties"], tpl.get("Conditions", {}), values)
    return dict(found)


NO_VALUE = object()


def _deployed(value: Any, conditions: dict[str, Any], parameters: dict[str, str]) -> Any:
    """`value` with its `Fn::If`s decided (conditions of `Fn::Equals`/`Fn::Not` on Parameters) and `AWS::NoValue`
    left out, as CloudFormation deploys it."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        condition, yes, no = value["Fn::If"]
        return _deployed(yes if _holds(conditions[condition], conditions, parameters) else no, conditions, parameters)
    if value == {"Ref": "AWS::NoValue"}:
        return NO_VALUE
    if isinstance(value, dict):
        found = {k: _deployed(v, conditions, parameters) for k, v in value.items()}
        return {k: v for k, v in found.items() if v is not NO_VALUE}
    if isinstance(value, list):
        items = [_deployed(v, conditions, parameters) for v in value]
        return [v for v in items if v is not NO_VALUE]
    return value


def _holds(condition: Any, conditions: dict[str, Any], parameters: dict[str, str]) -> bool:
    if "Fn::Not" in condition:
        return not _holds(condition["Fn::Not"][0], conditions, parameters)
    if "Condition" in condition:
        return _holds(conditions[condition["Condition"]], conditions, parameters)
    left, right = (parameters[v["Ref"]] if isinstance(v, dict) else str(v) for v in condition["Fn::Equals"])
    return bool(left == right)


def load_handler(function: str) -> ModuleType:
    """The module of functions/<function>/app.py, imported once by the local stack's loader (with its
    directory on sys.path while it imports, as Lambda's code directory is)."""
    return handlers.load_module(ROOT / "functions" / function / "app.py")


class FakeContext:
    function_name = "carrier-test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:carrier-test"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 120_000  # a fresh invocation of the dispatcher (its Timeout)


def api_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    tenant: str | None = "t1",
    query: dict[str, str] | None = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    principal: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API v2 event, as the authorizer and API Gateway would hand it over.

    The authorizer's context is a tenant key's for `tenant` (none when `tenant` is None), or `principal` as given
    (what `carrier.access.Principal.context()` returns, e.g. a platform key's or a session's)."""
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    if principal is None:
        principal = {"tenant_id": tenant, "role": "tenant"} if tenant else {"tenant_id": "", "role": ""}
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": {"content-type": "application/json", **(headers or {})},
        "queryStringParameters": query,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "authorizer": {"lambda": principal},
            "domainName": "localhost",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1767225600000,
        },
        "body": text,
        "isBase64Encoded": False,
    }


def call_api(method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    """Call the real api handler; returns (status, parsed JSON body or None)."""
    response = load_handler("api").handler(api_event(method, path, **kwargs), FakeContext())
    body = response.get("body")
    return response["statusCode"], (json.loads(body) if body else None)

"""The profile's spelling of the API, translated at the edge: requests in, answers and the OpenAPI document out.

Routes, models and the store speak Carrier's own names. A profile (`carrier.profile`) may rename answer fields
(`last_call` -> `lastCall`), name delivery statuses its own way (`delivered` -> `success`), drop the `data` alias of
lists, read a custom header from a body field (`header` -> the `Authorization` header) and show a receiver's JSON
error body as JSON. One table (the profile's `answers` and `requests`) drives all three directions, so the document
always says what the API does. User data (filters, headers, event data, examples, bodies) is never renamed.

The dashboard is Carrier's own client: it asks for Carrier's spelling with `Carrier-View: carrier`.
"""

from __future__ import annotations

import json
from typing import Any

from carrier import profile
from carrier.models.common import MASK

CANONICAL_VIEW = ("carrier-view", "carrier")  # header and value: answer in Carrier's own names
OPAQUE = frozenset({"filters", "headers", "data", "example", "request_headers", "response_body", "body", "result"})
LIST_KEYS = ("deliveries", "webhooks")  # a list's own name; `data` repeats it unless the profile keeps the alias


def _rules(event: dict[str, Any]) -> profile.Profile | None:
    """The active profile, or None when there is nothing to translate (the default, or the dashboard asking)."""
    active = profile.active()
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    if headers.get(CANONICAL_VIEW[0]) == CANONICAL_VIEW[1]:
        return None
    answers, requests = active.answers, active.requests
    plain = not (answers.rename or answers.delivery_status or requests.header_aliases)
    if plain and answers.list_alias and not answers.error_body_json:
        return None
    return active


# ---- requests ------------------------------------------------------------------------------------------------


def request(event: dict[str, Any]) -> dict[str, Any]:
    """The API Gateway event with the profile's names turned into Carrier's (body keys, header aliases, status)."""
    rules = _rules(event)
    if rules is None:
        return event
    event = dict(event)
    statuses = {theirs: ours for ours, theirs in rules.answers.delivery_status.items()}
    query = event.get("queryStringParameters")
    if query and query.get("status") in statuses:
        event["queryStringParameters"] = {**query, "status": statuses[query["status"]]}
    body = event.get("body")
    if not body or event.get("isBase64Encoded"):
        return event
    try:
        parsed = json.loads(body)
    except ValueError:
        return event  # the route's validation names it
    if isinstance(parsed, dict):
        event["body"] = json.dumps(_request_body(parsed, rules))
    return event


def _request_body(body: dict[str, Any], rules: profile.Profile) -> dict[str, Any]:
    names = {theirs: ours for ours, theirs in rules.answers.rename.items()}
    out = {names.get(key, key): value for key, value in body.items()}
    for field, header in rules.requests.header_aliases.items():
        if field in out:
            value = out.pop(field)
            given = out.get("headers")
            headers: dict[str, Any] = given if isinstance(given, dict) else {}
            out["headers"] = {**headers, header: value}  # a non-string value is refused by the headers rule
    return out


# ---- answers -------------------------------------------------------------------------------------------------


def answer(result: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """The resolver's result with its JSON body in the profile's names."""
    rules = _rules(event)
    body = result.get("body")
    if rules is None or not body or result.get("isBase64Encoded"):
        return result
    content_type = {str(k).lower(): v for k, v in (result.get("headers") or {}).items()}.get("content-type", "")
    if "json" not in str(content_type):
        return result
    try:
        parsed = json.loads(body)
    except ValueError:
        return result
    if isinstance(parsed, dict) and not rules.answers.list_alias and any(key in parsed for key in LIST_KEYS):
        parsed.pop("data", None)
    return {**result, "body": json.dumps(_answer(parsed, rules, None), ensure_ascii=False)}


def _answer(value: Any, rules: profile.Profile, key: str | None) -> Any:
    if isinstance(value, list):
        return [_answer(item, rules, key) for item in value]
    if not isinstance(value, dict):
        return value
    answers = rules.answers
    out: dict[str, Any] = {}
    for name, item in value.items():
        opaque = name in OPAQUE and not (name == "data" and isinstance(item, list))  # `data` is also a list alias
        shown = item if opaque else _answer(item, rules, name)
        if name == "status" and isinstance(item, str):
            shown = answers.delivery_status.get(item, item)
        elif name == "field" and isinstance(item, str):  # an error naming a field names it the profile's way
            shown = answers.rename.get(item, item)
        elif name == "body" and key == "last_error" and answers.error_body_json and isinstance(item, str):
            shown = _json_or_text(item)
        out[answers.rename.get(str(name), str(name))] = shown
    headers = value.get("headers")
    if isinstance(headers, dict):
        for field, header in rules.requests.header_aliases.items():
            if header in headers:
                out[field] = MASK
    return out


def _json_or_text(text: str) -> Any:
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return parsed if isinstance(parsed, dict | list) else text


# ---- the OpenAPI document --------------------------------------------------------------------------------------


def document(openapi_json: str, event: dict[str, Any]) -> str:
    """The OpenAPI document in the profile's names: schema properties renamed, the delivery statuses its own."""
    rules = _rules(event)
    doc = json.loads(openapi_json)
    active = profile.active()
    doc.setdefault("info", {})["x-carrier-profile"] = active.name
    _profile_defaults(doc, active)
    if rules is None:
        return json.dumps(doc)
    answers = rules.answers
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        properties = schema.get("properties")
        if isinstance(properties, dict):
            schema["properties"] = {answers.rename.get(k, k): v for k, v in properties.items()}
            for field, header in rules.requests.header_aliases.items():
                if "headers" in properties:
                    schema["properties"][field] = {"type": "string", "description": f"The {header} header (masked)."}
            if not answers.list_alias and any(k in properties for k in LIST_KEYS):
                schema["properties"].pop("data", None)
        if isinstance(properties, dict) and "required" in schema:
            renamed = [answers.rename.get(k, k) for k in schema["required"]]
            schema["required"] = [k for k in renamed if k in schema["properties"]]
        if name == "DeliveryStatus" and "enum" in schema:
            schema["enum"] = [answers.delivery_status.get(s, s) for s in schema["enum"]]
    _rename_status_params(doc, answers.delivery_status)
    return json.dumps(doc)


def _profile_defaults(doc: dict[str, Any], active: profile.Profile) -> None:
    """The defaults and examples the models cannot know before the profile is read: the default payload format and
    signature a new webhook takes, and event types from the profile's own catalog."""
    own = [t.name for t in active.catalog if t.name.split(".")[0] not in ("webhook", "carrier")]
    for schema in doc.get("components", {}).get("schemas", {}).values():
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            continue
        if "payload_format" in properties and "url" in properties:  # a webhook's fields (create, replace)
            properties["payload_format"]["default"] = active.webhooks.payload_format
        if "scheme" in properties and "header" in properties:  # Signature
            properties["scheme"]["default"] = active.webhooks.signature.scheme
        if "examples" in properties.get("events", {}):
            properties["events"]["examples"] = [own[:2]]
        if "examples" in properties.get("type", {}):
            properties["type"]["examples"] = own[:1]


def _rename_status_params(doc: dict[str, Any], statuses: dict[str, str]) -> None:
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                enum = parameter.get("schema", {}).get("enum")
                if parameter.get("name") == "status" and enum:
                    parameter["schema"]["enum"] = [statuses.get(s, s) for s in enum]

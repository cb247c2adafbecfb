"""Profiles as data: every shipped file is valid, a broken one is named with its key, and each part of Carrier that a
profile drives (catalog, ids, defaults, matching, headers, the API's spelling) follows the active one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from carrier import ids, profile
from carrier.catalog import get_catalog
from carrier.formats import Event
from carrier.models import WebhookCreate, WebhookReplace
from carrier.profile import ProfileError, load
from carrier.signing import base_headers
from carrier.targets import matching, most_specific
from tests.support import ROOT, load_handler


def view() -> Any:
    """carrier_api.view, imported as Lambda imports it, inside a test (its env set), never at collection."""
    return load_handler("api").view


SHIPPED = ["aiplatform", "carrier", "isahit", "tchek", "techsolut", "unitary"]


@pytest.fixture
def use(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    def _use(name: str) -> profile.Profile:
        monkeypatch.setenv(profile.ENV, name)
        return profile.active()

    return _use


def test_every_shipped_profile_loads_and_the_top_level_folder_is_the_layers() -> None:
    assert profile.available() == SHIPPED
    assert sorted(p.stem for p in (ROOT / "profiles").glob("*.yaml")) == SHIPPED  # profiles/ is the layer's folder
    for name in SHIPPED:
        loaded = load(name)
        assert loaded.name == name and "webhook.test" in [t.name for t in loaded.event_types()]


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / f"{name}.yaml").write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("name: x\ndescription: d\ncatalog: [{name: a.b}]\nwebhoks: {}\n", "key webhoks: unknown key"),
        (
            "name: x\ndescription: d\ncatalog: [{name: a.b}]\nwebhooks: {payload_format: clasic}\n",
            "webhooks.payload_format",
        ),
        (
            "name: x\ndescription: d\ncatalog: [{name: a.b}]\nwebhooks: {signature: {scheme: hmac}}\n",
            "webhooks.signature.scheme",
        ),
        (
            "name: x\ndescription: d\ncatalog: [{name: a.b}]\nanswers: {delivery_status: {done: success}}\n",
            "answers.delivery_status",
        ),
        ("name: x\ndescription: d\ncatalog: [{name: A b}]\n", "catalog.0.name"),
        ("name: x\ndescription: d\ncatalog: []\n", "key catalog"),
        ("name: y\ndescription: d\ncatalog: [{name: a.b}]\n", "key name"),
        ("name: x\n  description: [\n", "not readable YAML"),
    ],
)
def test_a_broken_profile_is_refused_with_the_file_and_the_key_named(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ProfileError) as error:
        load("x", write(tmp_path, "x", text))
    assert str(tmp_path / "x.yaml") in str(error.value) and named in str(error.value)


def test_an_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match=r"unknown profile .acme.*aiplatform, carrier, isahit"):
        load("acme")
    with pytest.raises(ProfileError, match="not a name"):
        load("../carrier")


def test_the_catalog_ids_and_defaults_follow_the_profile(use: Any) -> None:
    use("tchek")
    assert {"inspection.created", "damage.created", "webhook.test"} <= set(get_catalog().names())
    assert "model.trained" not in get_catalog()
    use("techsolut")
    webhook_id = ids.webhook_id()
    assert webhook_id.startswith("whk_") and ids.is_valid("webhook", webhook_id)
    assert ids.is_valid("webhook", "wh_" + "0" * 26) and not ids.is_valid("webhook", "del_" + "0" * 26)
    created = WebhookCreate.model_validate({"url": "https://example.com/h", "events": ["model.trained"]})
    assert created.payload_format == "classic"
    assert (created.signature.scheme, created.signature.header) == ("hmac-sha256-hex", "X-Techsolut-Signature")
    use("carrier")
    created = WebhookCreate.model_validate({"url": "https://example.com/h", "events": ["model.trained"]})
    assert (created.payload_format, created.signature.scheme) == ("standard", "standard-webhooks")
    assert ids.webhook_id().startswith("wh_")


def test_put_without_a_signature_keeps_the_webhooks(use: Any) -> None:
    use("aiplatform")
    body = WebhookReplace.model_validate({"url": "https://example.com/h", "events": ["vision.completed"]})
    assert "signature" not in body.model_fields_set  # the service keeps the stored one (tests/integration)
    assert body.payload_format == "extended"


def test_isahit_accepts_http_and_aiplatform_does_not(use: Any) -> None:
    from carrier import runtime

    use("isahit")
    assert runtime.target_policy().allow_http
    use("aiplatform")
    assert not runtime.target_policy().allow_http


def webhook(filters: dict[str, Any], status: str = "active", name: str = "w") -> dict[str, Any]:
    return {
        "id": name,
        "tenant_id": "t",
        "url": "https://example.com/" + name,
        "events": ["*"],
        "status": status,
        "filters": json.dumps(filters),
        "payload_format": "data",
        "signature": {"scheme": "standard-webhooks", "header": None},
        "header_names": [],
        "secret_name": "s",
    }


def event(data: dict[str, Any]) -> Event:
    return Event(id="evt_1", type="task.completed", tenant_id="t", timestamp="2026-01-01T00:00:00Z", data=data)


def test_the_most_specific_rule_lets_a_batch_webhook_override_its_projects() -> None:
    project = webhook({"projectId": "p"}, name="project")
    batch = webhook({"projectId": "p", "batchId": "b"}, name="batch")
    other = webhook({"projectId": "q", "batchId": "b"}, name="other")
    unfiltered = webhook({}, name="all")
    hooks: list[Any] = [project, batch, other, unfiltered]
    for_b, _ = matching(hooks, event({"projectId": "p", "batchId": "b"}), "most-specific")
    assert [t.webhook_id for t in for_b] == ["batch"]  # project and unfiltered are both overridden
    for_c, _ = matching(hooks, event({"projectId": "p", "batchId": "c"}), "most-specific")
    assert [t.webhook_id for t in for_c] == ["project"]
    every, _ = matching(hooks, event({"projectId": "p", "batchId": "b"}), "all")
    assert [t.webhook_id for t in every] == ["project", "batch", "all"]
    # a disabled batch webhook still overrides (its delivery is skipped, visibly), and equal filters never do
    active, disabled = matching(
        [project, webhook({"projectId": "p", "batchId": "b"}, "disabled", "b2")],  # type: ignore[list-item]
        event({"projectId": "p", "batchId": "b"}),
        "most-specific",
    )
    assert (active, [t.webhook_id for t in disabled]) == ([], ["b2"])
    twins: list[Any] = [webhook({"projectId": "p"}, name="a"), webhook({"projectId": "p"}, name="b")]
    assert len(most_specific(twins)) == 2


def test_the_profiles_delivery_headers_go_on_every_request_but_not_over_carriers(
    use: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "X-Platform" not in base_headers()
    text = (ROOT / "profiles" / "tchek.yaml").read_text().replace("name: tchek", "name: custom")
    text += "delivery_headers: {X-Platform: acme, User-Agent: spoofed}\n"
    monkeypatch.setattr(profile, "PROFILES_DIR", write(tmp_path, "custom", text))
    use("custom")
    headers = base_headers()
    assert headers["X-Platform"] == "acme" and headers["User-Agent"].startswith("Carrier/")


def api_event(body: Any = None, query: dict[str, str] | None = None, **headers: str) -> dict[str, Any]:
    return {"headers": headers, "body": json.dumps(body) if body is not None else None, "queryStringParameters": query}


def json_result(body: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def test_isahit_requests_and_answers_are_spelled_its_way(use: Any) -> None:
    use("isahit")
    request = view().request(api_event({"url": "http://h/x", "header": "tok", "payloadFormat": "data"}))
    assert json.loads(request["body"]) == {
        "url": "http://h/x",
        "headers": {"Authorization": "tok"},
        "payload_format": "data",
    }
    stored = {
        "id": "wh_1",
        "filters": {"projectId": "p", "created_at": "kept"},
        "headers": {"Authorization": "********"},
        "last_call": {"status_code": 200, "message": "OK", "date": "d"},
        "last_error": {"status_code": 400, "message": "Bad Request", "body": '{"error": "bad"}', "date": "d"},
        "updated_at": "u",
    }
    shown = json.loads(view().answer(json_result(stored), api_event())["body"])
    assert shown["lastCall"] == {"statusCode": 200, "message": "OK", "date": "d"}
    assert shown["lastError"]["body"] == {"error": "bad"} and shown["updatedAt"] == "u"
    assert shown["filters"] == {"projectId": "p", "created_at": "kept"}  # user data is never renamed
    assert shown["header"] == "********"
    listed = json.loads(view().answer(json_result({"data": [stored], "has_more": False}), api_event())["body"])
    assert listed["data"][0]["lastCall"]["statusCode"] == 200 and listed["hasMore"] is False
    # the dashboard asks for Carrier's own names
    assert "last_call" in json.loads(
        view().answer(json_result(stored), api_event(None, None, **{"Carrier-View": "carrier"}))["body"]
    )


def test_aiplatform_says_success_and_lists_deliveries_once(use: Any) -> None:
    use("aiplatform")
    listing = {"deliveries": [{"status": "delivered"}], "data": [{"status": "delivered"}], "limit": 50, "total": 1}
    shown = json.loads(view().answer(json_result(listing), api_event())["body"])
    assert shown == {"deliveries": [{"status": "success"}], "limit": 50, "total": 1}
    request = view().request(api_event(query={"status": "success", "limit": "50"}))
    assert request["queryStringParameters"] == {"status": "delivered", "limit": "50"}
    webhook_answer = json.loads(view().answer(json_result({"status": "active"}), api_event())["body"])
    assert webhook_answer == {"status": "active"}


def test_the_carrier_profile_changes_nothing(use: Any) -> None:
    use("carrier")
    event_in = api_event({"last_call": 1, "header": "x"}, query={"status": "delivered"})
    assert view().request(event_in) is event_in
    result = json_result({"data": [1], "deliveries": [1]})
    assert view().answer(result, event_in) is result

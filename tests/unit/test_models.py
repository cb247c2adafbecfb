import pytest
from pydantic import BaseModel, ValidationError

from carrier.callbacks import CallbackConfigRequest
from carrier.ingest import PublishRequest
from carrier.models import (
    RecoverRequest,
    RotateRequest,
    SignatureScheme,
    Strict,
    WebhookCreate,
    WebhookPatch,
    WebhookReplace,
    check_secret,
)
from carrier.models import TestRequest as SendTestRequest

VALID = {"url": "https://example.com/hook", "events": ["model.trained"]}


@pytest.fixture(autouse=True)
def _settings(env: dict[str, str]) -> None:
    """Models read AllowPrivateTargets from the settings."""


def fields_of(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in err["loc"]) for err in exc.errors()}


def test_defaults() -> None:
    body = WebhookCreate.model_validate(VALID)
    assert body.payload_format == "standard"
    assert body.signature.scheme is SignatureScheme("standard-webhooks")
    assert body.signature.header is None
    assert body.status == "active"


def test_single_signature_schemes_get_their_default_header() -> None:
    body = WebhookCreate.model_validate({**VALID, "signature": {"scheme": "hmac-sha256-hex"}})
    assert body.signature.header == "X-Webhook-Signature"
    body = WebhookCreate.model_validate({**VALID, "signature": {"scheme": "github"}})
    assert body.signature.header == "X-Hub-Signature-256"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"events": []}, "events"),
        ({"events": ["model.trained", "model.trained"]}, "events"),
        ({"events": ["unknown.type"]}, "events"),
        ({"url": "http://example.com"}, "url"),
        ({"payload_format": "xml"}, "payload_format"),
        ({"signature": {"scheme": "md5"}}, "signature.scheme"),
        ({"signature": {"scheme": "standard-webhooks", "header": "X-Sig"}}, "signature"),
        ({"headers": {"Content-Type": "text/plain"}}, "headers"),
        ({"headers": {"Bad Header": "x"}}, "headers"),
        ({"headers": {"X-A": "line\r\nbreak"}}, "headers"),
        ({"secret": "too-short"}, "secret"),
        ({"secret": "x" * 65}, "secret"),
        ({"secret": "a" * 30}, "secret"),  # standard-webhooks wants whsec_<base64>
        ({"unknown": 1}, "unknown"),
        ({"filters": {"bad key!": 1}}, "filters"),
        ({"rate_limit": 0}, "rate_limit"),
    ],
)
def test_bad_fields_are_named(change: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WebhookCreate.model_validate({**VALID, **change})
    assert field in fields_of(caught.value)


def test_custom_secret_for_hmac_schemes_is_any_24_to_64_bytes() -> None:
    body = WebhookCreate.model_validate(
        {**VALID, "secret": "your-webhook-secret-000000", "signature": {"scheme": "hmac-sha256-hex"}}
    )
    assert body.secret == "your-webhook-secret-000000"
    assert check_secret("whsec_" + "A" * 32, SignatureScheme("standard-webhooks"))


def test_patch_needs_a_field_and_refuses_nulls() -> None:
    with pytest.raises(ValidationError):
        WebhookPatch.model_validate({})
    with pytest.raises(ValidationError):
        WebhookPatch.model_validate({"url": None})
    assert WebhookPatch.model_validate({"rate_limit": None}).model_fields_set == {"rate_limit"}


# ---- issue 16: full-match patterns, what aiohttp cannot send, lone surrogates -----------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"headers": {"X-A\n": "v"}}, "headers"),
        ({"headers": {"X-A\r\n": "v"}}, "headers"),
        ({"signature": {"scheme": "hmac-sha256-hex", "header": "X-Sig\n"}}, "signature"),
        ({"filters": {"a\n": 1}}, "filters"),
    ],
)
def test_a_name_with_a_trailing_newline_is_refused(change: dict, field: str) -> None:
    # `^...$` with re.match accepted these ($ matches before a final newline); every delivery then failed
    with pytest.raises(ValidationError) as caught:
        WebhookCreate.model_validate({**VALID, **change})
    assert field in fields_of(caught.value)


# One row per class of character in a header value: refused exactly where aiohttp refuses to write it
# (tests/unit/test_validators.py checks every code point against aiohttp itself).
HEADER_VALUE_CHARACTERS = [
    ("NUL", "\x00", False),
    ("C0 control", "\x01", False),
    ("backspace", "\x08", False),
    ("tab", "\t", True),
    ("line feed", "\n", False),
    ("vertical tab", "\x0b", False),
    ("form feed", "\x0c", False),
    ("carriage return", "\r", False),
    ("C0 control (last)", "\x1f", False),
    ("space", " ", True),
    ("DEL", "\x7f", False),
    ("C1 control (sent as UTF-8)", "\x85", True),
    ("non-ASCII letter", "é", True),
    ("astral character", "\U0001f600", True),
    ("lone surrogate", "\ud800", False),
]


@pytest.mark.parametrize(
    ("char", "accepted"),
    [(c, ok) for _, c, ok in HEADER_VALUE_CHARACTERS],
    ids=[n for n, _, _ in HEADER_VALUE_CHARACTERS],
)
def test_header_value_characters(char: str, accepted: bool) -> None:
    body = {**VALID, "headers": {"Authorization": f"Bearer a{char}b"}}
    if accepted:
        assert WebhookCreate.model_validate(body).headers["Authorization"] == f"Bearer a{char}b"
        assert WebhookPatch.model_validate({"headers": body["headers"]}).headers
    else:
        for model, given in ((WebhookCreate, body), (WebhookPatch, {"headers": body["headers"]})):
            with pytest.raises(ValidationError) as caught:
                model.model_validate(given)
            assert fields_of(caught.value) == {"headers"}


SURROGATE = "\ud800"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": f"https://example.com/{SURROGATE}"}, "url"),
        ({"description": f"a{SURROGATE}"}, "description"),
        ({"headers": {"X-A": f"v{SURROGATE}"}}, "headers"),
        ({"headers": {f"X-{SURROGATE}": "v"}}, "headers"),
        ({"filters": {"project_id": SURROGATE}}, "filters"),
        ({"filters": {"project_id": ["p1", SURROGATE]}}, "filters"),
        ({"filters": {SURROGATE: "p1"}}, "filters"),
        ({"events": [f"model.{SURROGATE}"]}, "events"),
        ({"secret": "whsec_" + "A" * 30 + SURROGATE}, "secret"),
        ({"signature": {"scheme": "hmac-sha256-hex", "header": f"X-{SURROGATE}"}}, "signature"),
    ],
)
def test_a_lone_surrogate_is_refused_in_every_webhook_field(change: dict, field: str) -> None:
    for model, given in ((WebhookCreate, {**VALID, **change}), (WebhookPatch, change)):
        if model is WebhookPatch and field == "secret":
            continue
        with pytest.raises(ValidationError) as caught:
            model.model_validate(given)
        assert {f.split(".")[0] for f in fields_of(caught.value)} == {field}, caught.value


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (SendTestRequest, {"data": {"k": SURROGATE}}, "data"),
        (SendTestRequest, {"data": {"deep": [{"k": [SURROGATE]}]}}, "data"),
        (SendTestRequest, {"data": {SURROGATE: 1}}, "data"),
        (PublishRequest, {"type": "model.trained", "data": {"k": SURROGATE}}, "data"),
        (PublishRequest, {"type": "model.trained", "data": {}, "id": f"evt{SURROGATE}"}, "id"),
        (
            PublishRequest,
            {"type": "model.trained", "data": {}, "callback_url": f"https://x.example/{SURROGATE}"},
            "callback_url",
        ),
        (RecoverRequest, {"since": f"2026-01-01T00:00:00Z{SURROGATE}"}, "since"),
        (RotateRequest, {"secret": f"abc{SURROGATE}" * 8}, "secret"),
        (CallbackConfigRequest, {"secret": f"abc{SURROGATE}" * 8}, "secret"),
    ],
)
def test_a_lone_surrogate_is_refused_by_every_request_model(model: type[BaseModel], body: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    assert fields_of(caught.value) == {field}
    assert "lone surrogate" in str(caught.value)


def test_the_text_rule_is_on_every_request_model() -> None:
    """Every model a route takes as a body is Strict: unknown fields refused, the text rule on every field."""
    for model in (WebhookCreate, WebhookReplace, WebhookPatch, SendTestRequest, RecoverRequest, RotateRequest):
        assert issubclass(model, Strict), model
    assert issubclass(PublishRequest, Strict) and issubclass(CallbackConfigRequest, Strict)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1f", "\x7f"])
def test_a_description_refuses_control_characters_but_keeps_line_breaks(char: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WebhookCreate.model_validate({**VALID, "description": f"a{char}b"})
    assert fields_of(caught.value) == {"description"}
    assert WebhookCreate.model_validate({**VALID, "description": "line one\r\nline two\tend"}).description


@pytest.mark.parametrize("event_id", ["evt_1\n", "evt_1\r\n", "evt 1", ""])
def test_an_event_id_must_match_whole(event_id: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PublishRequest.model_validate({"type": "model.trained", "data": {}, "id": event_id})
    assert fields_of(caught.value) == {"id"}

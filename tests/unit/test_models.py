import pytest
from pydantic import ValidationError

from carrier.models import SignatureScheme, WebhookCreate, WebhookPatch, check_secret

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

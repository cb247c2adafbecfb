"""What dispatch masks (`carrier.redaction`, applied by `Dispatcher.attempt`), so a receiver that echoes its
request does not put secrets in the delivery log: custom header values and signatures in the logged request headers
(`mask_headers`), and signing keys (with and without `whsec_`) and header values in the receiver's answer and the
error text (`secret_values`, `redact`)."""

from __future__ import annotations

import pytest

from carrier.dispatch import RESPONSE_EXCERPT
from carrier.models.common import MASK
from carrier.redaction import mask_headers, redact, secret_values
from tests.fakes import answer, failure
from tests.unit.engine import SECRET, Engine

PLAIN_KEY = "a-plain-hmac-secret-of-the-hex-scheme"
TOKEN = "Bearer tok_live_51HxYz"


# ---- request headers ----------------------------------------------------------------------------------------


def test_custom_header_values_are_masked_whatever_the_case_of_their_name() -> None:
    # Given the headers of one attempt and the (lower-cased) names of the webhook's custom headers
    headers = {"Authorization": TOKEN, "X-API-KEY": "k-123456", "Content-Type": "application/json"}
    # When they are logged
    masked = mask_headers(headers, {"authorization", "x-api-key"})
    # Then custom values are masked, names and other headers kept as sent
    assert masked == {"Authorization": MASK, "X-API-KEY": MASK, "Content-Type": "application/json"}


def test_the_caller_lower_cases_the_custom_names() -> None:
    # mask_headers compares lower-cased header names with the names it is given as they are
    assert mask_headers({"X-Key": "value"}, {"X-Key"}) == {"X-Key": "value"}


@pytest.mark.parametrize(
    ("name", "value", "logged"),
    [
        ("webhook-signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=", "v1,K5oZfzN…"),
        ("X-Hub-Signature-256", "sha256=3f0a1b2c3d4e5f", "sha256=3f0…"),
        ("X-Techsolut-Signature", "abcdef0123456789", "abcdef0123…"),
        ("x-signature", "short", "short…"),
    ],
)
def test_signatures_keep_their_first_ten_characters(name: str, value: str, logged: str) -> None:
    assert mask_headers({name: value}, set()) == {name: logged}


def test_a_custom_header_named_like_a_signature_is_masked_whole() -> None:
    assert mask_headers({"X-Signature-Token": "s3cr3t-value"}, {"x-signature-token"}) == {"X-Signature-Token": MASK}


def test_a_signature_header_without_signature_in_its_name_is_logged_whole() -> None:
    # Today only names containing "signature" are shortened: a scheme's custom header name is logged as sent
    assert mask_headers({"X-Hub-Token": "sha256=3f0a1b2c3d4e5f"}, set()) == {"X-Hub-Token": "sha256=3f0a1b2c3d4e5f"}


# ---- what counts as a secret --------------------------------------------------------------------------------


def test_a_whsec_key_is_a_secret_with_and_without_its_prefix() -> None:
    assert secret_values([SECRET], {}).values == (SECRET, SECRET.removeprefix("whsec_"))


def test_a_plain_key_and_custom_header_values_are_secrets_longest_first() -> None:
    found = secret_values([PLAIN_KEY], {"Authorization": TOKEN, "X-Team": "team-42"}).values
    assert found == (PLAIN_KEY, TOKEN, TOKEN.removeprefix("Bearer "), "team-42")  # the token is one by itself


def test_both_keys_of_a_rotation_are_secrets() -> None:
    previous = "whsec_cHJldmlvdXMta2V5LW9mLXRoZS13ZWJob29r"
    found = secret_values([SECRET, previous], {}).values
    assert set(found) == {SECRET, previous, SECRET[6:], previous[6:]}
    assert [len(v) for v in found] == sorted((len(v) for v in found), reverse=True)


@pytest.mark.parametrize(("value", "kept"), [("", False), ("a", False), ("abc", False), ("abcd", True)])
def test_values_shorter_than_four_characters_are_not_secrets(value: str, kept: bool) -> None:
    assert (value in secret_values([], {"X-Short": value}).values) is kept


def test_a_value_given_twice_is_one_secret() -> None:
    assert secret_values([PLAIN_KEY], {"X-Copy": PLAIN_KEY}).values == (PLAIN_KEY,)


# ---- masking text -------------------------------------------------------------------------------------------


def test_a_whsec_key_is_masked_whole_not_around_its_prefix() -> None:
    # Given a receiver's answer that echoes the key in both forms
    text = f"key={SECRET} raw={SECRET.removeprefix('whsec_')}"
    # When it is redacted with the key's secret values (longest first)
    redacted = redact(text, secret_values([SECRET], {}))
    # Then each form is one mask: no `whsec_` left in front of a mask
    assert redacted == f"key={MASK} raw={MASK}"


def test_every_occurrence_of_every_secret_is_masked() -> None:
    secrets = secret_values([PLAIN_KEY], {"Authorization": TOKEN})
    text = f"{TOKEN}\n{PLAIN_KEY}\nAuthorization: {TOKEN}"
    assert redact(text, secrets) == f"{MASK}\n{MASK}\nAuthorization: {MASK}"


def test_short_values_are_left_in_the_text() -> None:
    assert redact("id=abc", secret_values([], {"X-Id": "abc"})) == "id=abc"


def test_matching_is_exact() -> None:
    # A value differing in case is not masked (its secret-bearing parts are: tests/unit/test_redaction_forms.py)
    secrets = secret_values([], {"Authorization": TOKEN})
    assert redact(TOKEN.upper(), secrets) == TOKEN.upper()


@pytest.mark.parametrize("text", [None, ""])
def test_no_text_stays_no_text(text: str | None) -> None:
    assert redact(text, [SECRET]) == text


# ---- in an attempt ------------------------------------------------------------------------------------------


def echoing_engine(result_body: bytes | None = None, error: str | None = None) -> Engine:
    engine = Engine()
    engine.hook(headers={"Authorization": TOKEN, "X-Team": "abc"})
    if result_body is not None:
        engine.transport.default = answer(500, result_body)
    if error is not None:
        engine.transport.default = failure("connection", error)
    return engine


def test_an_attempt_logs_masked_request_headers() -> None:
    # Given a webhook with custom headers, signed with the Standard Webhooks scheme
    engine = echoing_engine()
    # When an event is delivered
    engine.publish()
    # Then the receiver got every value, and the log shows custom values masked and the signature shortened
    [sent] = engine.transport.requests
    assert sent.headers["Authorization"] == TOKEN and sent.headers["X-Team"] == "abc"
    [attempt] = engine.delivery()["attempts"]
    logged = attempt["request_headers"]
    assert logged["Authorization"] == MASK and logged["X-Team"] == MASK  # a short value is masked as a header
    assert logged["webhook-signature"] == sent.headers["webhook-signature"][:10] + "…"
    assert logged["webhook-id"] == sent.headers["webhook-id"]


def test_an_echoed_request_is_masked_in_the_logged_answer() -> None:
    # Given a receiver that answers 500 with everything it received, and the signing key
    engine = echoing_engine(f"Authorization: {TOKEN}\nX-Team: abc\nkey: {SECRET}".encode())
    # When an event is delivered
    engine.publish()
    # Then the logged answer keeps the echo with the secrets masked (a 3-character value is left)
    [attempt] = engine.delivery()["attempts"]
    assert attempt["response_body"] == f"Authorization: {MASK}\nX-Team: abc\nkey: {MASK}"


def test_a_secret_in_the_error_text_is_masked() -> None:
    # Given a transport error whose text carries a custom header value
    engine = echoing_engine(error=f"ClientError: proxy refused {TOKEN}")
    engine.publish()
    [attempt] = engine.delivery()["attempts"]
    assert attempt["error"] == f"ClientError: proxy refused {MASK}"


def test_a_secret_cut_by_the_excerpt_is_not_left_in_part() -> None:
    # Given an echo whose 2 KB excerpt ends inside the custom header value
    body = b"x" * (RESPONSE_EXCERPT - 12) + TOKEN.encode()
    engine = echoing_engine(body)
    engine.publish()
    [attempt] = engine.delivery()["attempts"]
    # Then no 12-character start of the secret should be logged (today it is: the cut piece matches no secret)
    assert TOKEN[:12] not in attempt["response_body"]


def test_the_webhooks_last_error_is_masked_like_the_attempt() -> None:
    # Given a receiver that echoes a custom header value with a 500
    engine = echoing_engine(f"Authorization: {TOKEN}".encode())
    engine.publish()
    # Then the webhook's last_error (shown by GET /v1/webhooks/{id}) should mask it as the attempt does
    assert TOKEN not in str(engine.webhook()["last_error"])

"""One row per signature scheme (`carrier.schemes.SCHEMES`) drives everything a scheme touches: signing,
verification, the API enum and secret rule, reserved headers and the CLI choices. A new row gets all of these
tests by being a row."""

from __future__ import annotations

import argparse

import pytest

from carrier.cli import build_parser
from carrier.models import SignatureScheme, WebhookCreate
from carrier.schemes import SCHEMES, SignInput
from carrier.signing import sign
from carrier.validators import RESERVED_HEADERS, check_secret
from carrier.verify import InvalidSignature, verify

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # valid for every scheme
NOW = 1_760_000_000


def signed(scheme: str, body: bytes = b'{"a":1}') -> dict[str, str]:
    request = SignInput(body, [SECRET], "evt_1", "wh_1", "evt_1", NOW, "2026-11-24T00:00:00Z", None)
    return sign(scheme, request)


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_what_a_scheme_signs_its_verifier_accepts(scheme: str) -> None:
    verify(scheme, SECRET, b'{"a":1}', signed(scheme), now=NOW)


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_a_changed_body_or_a_missing_header_is_refused(scheme: str) -> None:
    with pytest.raises(InvalidSignature):
        verify(scheme, SECRET, b'{"a":2}', signed(scheme), now=NOW)
    with pytest.raises(InvalidSignature, match="missing"):
        verify(scheme, SECRET, b'{"a":1}', {}, now=NOW)


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_every_header_a_scheme_sets_is_reserved(scheme: str) -> None:
    assert {name.lower() for name in signed(scheme)} <= RESERVED_HEADERS


def test_the_api_enum_and_the_cli_choices_are_the_rows() -> None:
    assert [s.value for s in SignatureScheme] == list(SCHEMES)
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in ("receive", "verify"):
        scheme = next(a for a in sub.choices[command]._actions if a.dest == "scheme")
        assert list(scheme.choices or []) == list(SCHEMES)


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_a_scheme_with_a_default_header_takes_a_custom_one(scheme: str, env: dict[str, str]) -> None:
    body = {"url": "https://example.com/h", "events": ["*"], "signature": {"scheme": scheme, "header": "X-Sig"}}
    if SCHEMES[scheme].default_header is None:
        with pytest.raises(ValueError, match="fixed"):
            WebhookCreate.model_validate(body)
    else:
        assert WebhookCreate.model_validate(body).signature.header == "X-Sig"
        request = SignInput(b"{}", [SECRET], "e", "w", "e", NOW, "t", "X-Sig")
        verify(scheme, SECRET, b"{}", sign(scheme, request), header="X-Sig", now=NOW)


def test_the_secret_rule_is_the_rows() -> None:
    plain_secret = "a-plain-secret-of-30-bytes-ok!"
    for name, row in SCHEMES.items():
        row.secret_rule(SECRET)  # Carrier's generated form fits every scheme
        if name != "standard-webhooks":
            assert check_secret(plain_secret, name) == plain_secret
    with pytest.raises(ValueError, match="whsec_"):
        check_secret(plain_secret, "standard-webhooks")

"""Signature schemes (sign) and the receiver-side helper (verify) agree, and verify fails closed."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from carrier.cli import main
from carrier.signing import SCHEMES, SignInput, sign
from carrier.vault import generate_secret
from carrier.verify import InvalidSignature, verify

BODY = b'{"type":"model.trained","timestamp":"2026-01-01T00:00:00Z","data":{}}'


def signed(scheme: str, keys: list[str], ts: int | None = None) -> dict[str, str]:
    return sign(
        scheme,
        SignInput(BODY, keys, "evt_1", "wh_1", "evt_1", ts or int(time.time()), "2026-01-01T00:00:00Z", None),
    )


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_verify_accepts_what_sign_produces_and_refuses_tampering(scheme: str) -> None:
    secret = generate_secret()
    headers = signed(scheme, [secret])
    verify(scheme, secret, BODY, headers)
    with pytest.raises(InvalidSignature):
        verify(scheme, secret, BODY + b" ", headers)
    with pytest.raises(InvalidSignature):
        verify(scheme, generate_secret(), BODY, headers)
    with pytest.raises(InvalidSignature, match="missing"):
        verify(scheme, secret, BODY, {})


def test_standard_webhooks_matches_the_reference_library_and_checks_time() -> None:
    secret = generate_secret()
    headers = signed("standard-webhooks", [secret])
    assert StandardWebhook(secret).verify(BODY, headers)["type"] == "model.trained"
    old = signed("standard-webhooks", [secret], ts=int(time.time()) - 3600)
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify("standard-webhooks", secret, BODY, old)
    verify("standard-webhooks", secret, BODY, old, tolerance=7200)


def test_rotation_sends_both_signatures_each_valid_for_its_key() -> None:
    new, previous = generate_secret(), generate_secret()
    headers = signed("standard-webhooks", [new, previous])
    assert len(headers["webhook-signature"].split(" ")) == 2
    for key in (new, previous):
        verify("standard-webhooks", key, BODY, headers)
        StandardWebhook(key).verify(BODY, headers)
    # single-signature schemes sign with the new key only
    hex_headers = signed("hmac-sha256-hex", [new, previous])
    verify("hmac-sha256-hex", new, BODY, hex_headers)
    with pytest.raises(InvalidSignature):
        verify("hmac-sha256-hex", previous, BODY, hex_headers)


def test_cli_verify(tmp_path, capsys) -> None:
    secret = generate_secret()
    body = tmp_path / "body.json"
    body.write_bytes(BODY)
    headers = [f"{k}: {v}" for k, v in signed("github", [secret]).items()]
    args = ["verify", "--scheme", "github", "--secret", secret, "--body", str(body)]
    assert main([*args, *[part for h in headers for part in ("-H", h)]]) == 0
    assert main([*args, "-H", "X-Hub-Signature-256: sha256=00"]) == 1
    assert "INVALID" in capsys.readouterr().out

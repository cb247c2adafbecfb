"""A scheme change must leave a webhook able to sign: PUT and PATCH refuse a scheme its secret cannot serve,
exactly as create does (seed 004's full-replace PUT, which omits `signature`, once poisoned such a webhook)."""

from __future__ import annotations

from typing import Any

from tests.support import call_api

SEED_004: dict[str, Any] = {
    "url": "https://example.com/hook",
    "events": ["model.trained"],
    "secret": "your-webhook-secret-123456",
    "signature": {"scheme": "hmac-sha256-hex"},
}


def create(**fields: Any) -> dict[str, Any]:
    status, body = call_api("POST", "/v1/webhooks", body={**SEED_004, **fields})
    assert status == 201, body
    return body


def test_a_put_without_signature_keeps_the_scheme_its_secret_was_made_for(aws: dict) -> None:
    # Given a webhook with seed 004's custom secret under hmac-sha256-hex
    created = create()
    # When the tenant PUTs it back as seed 004's docs do (no `signature`, no secret)
    replace = {k: v for k, v in SEED_004.items() if k not in ("secret", "signature")}
    status, body = call_api("PUT", f"/v1/webhooks/{created['id']}", body={**replace, "description": "replaced"})
    # Then the rest is replaced and the signature (bound to the secret PUT never changes) is kept
    assert status == 200 and body["description"] == "replaced", body
    assert body["signature"] == created["signature"] and SEED_004["secret"] not in str(body)
    # But a PUT that names a scheme the secret does not fit is refused, naming signature, and nothing changes
    status, body = call_api(
        "PUT",
        f"/v1/webhooks/{created['id']}",
        body={**replace, "description": "again", "signature": {"scheme": "standard-webhooks"}},
    )
    assert status == 422 and body["field"] == "signature", body
    assert "standard-webhooks" in body["message"] and SEED_004["secret"] not in str(body)
    _, stored = call_api("GET", f"/v1/webhooks/{created['id']}")
    assert stored["signature"]["scheme"] == "hmac-sha256-hex" and stored["description"] == "replaced"


def test_a_patch_to_a_scheme_the_secret_fits_is_accepted(aws: dict) -> None:
    # Given a webhook with a generated secret (whsec_ form, fit for every scheme)
    created = create(secret=None, signature={"scheme": "github"})
    # When it moves to standard-webhooks, and a plain-secret one moves to github
    status, body = call_api(
        "PATCH", f"/v1/webhooks/{created['id']}", body={"signature": {"scheme": "standard-webhooks"}}
    )
    assert status == 200 and body["signature"]["scheme"] == "standard-webhooks", body
    plain = create()
    status, body = call_api("PATCH", f"/v1/webhooks/{plain['id']}", body={"signature": {"scheme": "github"}})
    # Then both are accepted: every key that signs fits the new scheme
    assert status == 200 and body["signature"]["scheme"] == "github", body
    # But the plain one cannot move to standard-webhooks by PATCH either
    status, body = call_api("PATCH", f"/v1/webhooks/{plain['id']}", body={"signature": {"scheme": "standard-webhooks"}})
    assert status == 422 and body["field"] == "signature"

"""Webhook subscriptions: the rules of create, read, change and delete.

A webhook is a row in the store plus one secret in the vault (signing keys and custom header values).
Every change that touches both is all-or-nothing: the second write failing undoes the first.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from carrier import ids, operational
from carrier.clock import Clock, SystemClock, iso, parse_iso
from carrier.errors import DependencyFailed, InvalidInput, NotFound
from carrier.models import Signature, Webhook, WebhookCreate, WebhookCreated, WebhookFields, WebhookPatch, filters_of
from carrier.operational import NoPublisher
from carrier.ports import EventPublisher, SecretVault
from carrier.records import SecretDocument, SecretKey, WebhookRecord, WebhookStatus, webhook_record
from carrier.schemes import SCHEMES
from carrier.store import Store
from carrier.validators import check_secret
from carrier.vault import active_keys, generate_secret

__all__ = ["WebhookService", "filters_of", "to_public"]

# Record fields a tenant sets, and how each is stored (filters as JSON: floats and nesting survive).
_SETTABLE = ("url", "events", "description", "status", "filters", "payload_format", "signature", "rate_limit")


def _stored(field: str, value: Any) -> Any:
    if field == "filters":
        return json.dumps(value, sort_keys=True)
    if field == "signature":
        signature = value if isinstance(value, Signature) else Signature.model_validate(value)
        return {"scheme": signature.scheme.value, "header": signature.header}
    if field == "payload_format":
        return str(getattr(value, "value", value))
    return value


def to_public(record: WebhookRecord) -> Webhook:
    return Webhook.of(record)


class WebhookService:
    def __init__(
        self, store: Store, vault: SecretVault, clock: Clock | None = None, events: EventPublisher | None = None
    ) -> None:
        self.store = store
        self.vault = vault
        self.clock = clock or SystemClock()
        self.events = events or NoPublisher()

    # ---- reads ----------------------------------------------------------------------------------

    def get(self, tenant_id: str, webhook_id: str) -> WebhookRecord:
        if not ids.is_valid("webhook", webhook_id):
            raise NotFound(f"webhook {webhook_id} not found", field="id")
        return self.store.get_webhook(tenant_id, webhook_id)

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> tuple[list[WebhookRecord], str | None]:
        return self.store.list_webhooks(tenant_id, limit, cursor)

    # ---- writes ---------------------------------------------------------------------------------

    def create(self, tenant_id: str, body: WebhookCreate) -> WebhookCreated:
        now = iso(self.clock.now())
        webhook_id = ids.webhook_id()
        secret = body.secret or generate_secret()
        secret_name = self.vault.name_for(tenant_id, webhook_id)
        item: dict[str, Any] = {
            "tenant_id": tenant_id,
            "id": webhook_id,
            **{field: _stored(field, getattr(body, field)) for field in _SETTABLE},
            "header_names": sorted(body.headers),
            "secret_name": secret_name,
            "created_at": now,
            "updated_at": now,
        }
        if body.status == WebhookStatus.disabled:
            item.update(disabled_reason="created disabled", disabled_at=now)
        record = webhook_record({k: v for k, v in item.items() if v is not None})
        document: SecretDocument = {
            "keys": [{"secret": secret, "created_at": now, "expires_at": None}],
            "headers": body.headers,
        }
        try:
            kept = self.vault.create(secret_name, document, {"tenant_id": tenant_id, "webhook_id": webhook_id})
        except Exception as exc:
            raise DependencyFailed("could not store the webhook secret; nothing was created") from exc
        try:
            self.store.put_webhook(webhook_record({**record, **kept}))  # `envelope`: the sealed box in the same put
        except Exception as exc:
            self.vault.delete(secret_name)
            raise DependencyFailed("could not store the webhook; nothing was created") from exc
        public = to_public(record)
        return WebhookCreated(**public.model_dump(), secret=secret)

    def replace(self, tenant_id: str, webhook_id: str, body: WebhookFields) -> Webhook:
        """PUT: every settable field takes the body's value (absent ones their default), except the signature:
        it belongs with the secret, which PUT never changes, so it is kept unless the body gives one."""
        keep = set() if "signature" in body.model_fields_set else {"signature"}
        changes = {field: getattr(body, field) for field in _SETTABLE if field not in keep}
        changes["headers"] = body.headers
        return self._apply(tenant_id, webhook_id, changes)

    def patch(self, tenant_id: str, webhook_id: str, body: WebhookPatch) -> Webhook:
        changes = {field: getattr(body, field) for field in body.model_fields_set}
        return self._apply(tenant_id, webhook_id, changes)

    def set_status(self, tenant_id: str, webhook_id: str, status: str, reason: str | None = None) -> Webhook:
        return self._apply(tenant_id, webhook_id, {"status": status}, reason=reason)

    def rotate_secret(self, tenant_id: str, webhook_id: str, secret: str | None, grace_seconds: int) -> dict[str, Any]:
        """A new signing key; the previous one keeps signing beside it for `grace_seconds`."""
        record = self.get(tenant_id, webhook_id)
        scheme = record["signature"]["scheme"]
        if secret is not None:
            try:
                check_secret(secret, scheme)
            except ValueError as exc:
                raise InvalidInput(str(exc), field="secret") from exc
        now = self.clock.now()
        new_secret = secret or generate_secret()
        document = self.vault.get(record["secret_name"], fresh=True)
        previous_until = iso(now + timedelta(seconds=grace_seconds))
        still_valid: list[SecretKey] = [
            {**key, "expires_at": key["expires_at"] or previous_until}
            for key in document["keys"]
            if (expires := key.get("expires_at")) is None or parse_iso(expires) > now
        ]
        keys: list[SecretKey] = [{"secret": new_secret, "created_at": iso(now), "expires_at": None}, *still_valid]
        self.vault.put(record["secret_name"], {**document, "keys": keys[:3]})
        self.store.update_webhook(tenant_id, webhook_id, {"updated_at": iso(now), "secret_rotated_at": iso(now)})
        return {"secret": new_secret, "previous_secret_expires_at": previous_until if still_valid else None}

    def delete(self, tenant_id: str, webhook_id: str) -> None:
        record = self.get(tenant_id, webhook_id)
        self.store.delete_webhook(tenant_id, webhook_id)
        self.vault.delete(record["secret_name"])

    def _check_keys_fit(self, record: WebhookRecord, scheme: str) -> None:
        """A scheme change (PUT or PATCH) is refused unless every key that signs now fits the new scheme, exactly
        as create refuses a custom secret of the wrong form: a key that cannot sign would fail every delivery."""
        document = self.vault.get(record["secret_name"], fresh=True)
        for key in active_keys(document, self.clock.now()):
            try:
                SCHEMES[scheme].secret_rule(key)
            except ValueError as exc:
                raise InvalidInput(
                    f"signature.scheme cannot become {scheme}: the webhook's signing secret does not fit it ({exc}). "
                    "Keep the scheme, or rotate the secret (POST .../secret/rotate) to one that fits first",
                    field="signature",
                ) from exc

    def _apply(self, tenant_id: str, webhook_id: str, changes: dict[str, Any], reason: str | None = None) -> Webhook:
        record = self.get(tenant_id, webhook_id)
        now = iso(self.clock.now())
        headers = changes.pop("headers", None)
        sets = {field: _stored(field, value) for field, value in changes.items() if value is not None}
        removes = tuple(field for field, value in changes.items() if value is None and field in record)
        sets["updated_at"] = now
        if "signature" in sets and sets["signature"]["scheme"] != record["signature"]["scheme"]:
            self._check_keys_fit(record, sets["signature"]["scheme"])
        if "status" in changes and changes["status"] != record.get("status"):
            if changes["status"] == WebhookStatus.disabled:
                sets.update(disabled_reason=reason or "disabled by the tenant", disabled_at=now)
            else:
                removes += tuple(f for f in ("disabled_reason", "disabled_at") if f in record)
        previous_document = None
        if headers is not None:
            sets["header_names"] = sorted(headers)
            previous_document = self.vault.get(record["secret_name"], fresh=True)
            self.vault.put(record["secret_name"], {**previous_document, "headers": headers})
        try:
            updated = self.store.update_webhook(tenant_id, webhook_id, sets, removes)
        except Exception:
            if previous_document is not None:
                self.vault.put(record["secret_name"], previous_document)
            raise
        if updated["status"] != record["status"]:  # the tenant disabled or enabled it (PATCH, PUT, or the routes)
            said = (
                operational.webhook_disabled(updated, updated.get("disabled_reason", ""), "tenant", now, now)
                if updated["status"] == WebhookStatus.disabled
                else operational.webhook_enabled(updated, now)
            )
            operational.publish(self.events, [said])
        return to_public(updated)

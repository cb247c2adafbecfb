"""The `envelope` secret store: each secret document sealed with AES-GCM under a data key from ONE Secrets Manager
secret, the ciphertext kept in DynamoDB with what it belongs to (`SecretStore=envelope`): a webhook's on the webhook's
own item (`secret_box`: created in the webhook's one put, read with the tenant's webhook list, so a cold container
opens it without a read of its own), the tenant's callback secret as a tenant setting.

Invariants:
- the associated data is the document's name (`<prefix><tenant>/<webhook id | callbacks>`), so a sealed box moved to
  another webhook or tenant does not open (`SecretUnreadable`, naming the webhook, never the value);
- the data-key secret holds `{"current": "<key id>", "<key id>": "<key material>", ...}`: new seals use the current
  id, any id still in the map opens; a key is the SHA-256 of its material (the template generates 64 random
  characters, about 380 bits);
- a warm container makes no AWS call: opened documents and the data keys are cached for `cache_seconds`.
Nothing here logs, and no error carries a secret.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from carrier import aws
from carrier.errors import NotFound
from carrier.ports import SecretBoxStore, SecretVault
from carrier.records import SecretDocument

BOX_SETTING = "secret:"  # the tenant setting `secret:callbacks` holds one sealed box (a webhook's: before 0.19)
CALLBACKS = "callbacks"  # the owner of a tenant's callback secret (every other owner is a webhook id)
CURRENT = "current"


class SecretUnreadable(Exception):
    """A sealed secret that cannot be opened (unknown key id, or bound to another webhook or tenant)."""


class DataKeys:
    """The data keys from the one Secrets Manager secret, read once per `cache_seconds`."""

    def __init__(
        self, secret_id: str, cache_seconds: int, client: Any | None = None, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.secret_id = secret_id
        self.cache_seconds = cache_seconds
        self._client = client
        self._now = now
        self._keys: dict[str, bytes] = {}
        self._current = ""
        self._read_at: float | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("secretsmanager")
        return self._client

    def _fresh(self) -> bool:
        return self._read_at is not None and self._now() - self._read_at < self.cache_seconds

    def _load(self) -> None:
        raw = json.loads(self.client.get_secret_value(SecretId=self.secret_id)["SecretString"])
        current = raw.get(CURRENT)
        keys = {
            key_id: hashlib.sha256(str(material).encode()).digest()
            for key_id, material in raw.items()
            if key_id != CURRENT
        }
        if current not in keys:
            raise SecretUnreadable("the data-key secret names no current key that it holds")
        self._keys, self._current, self._read_at = keys, current, self._now()

    def current(self) -> tuple[str, bytes]:
        if not self._fresh():
            self._load()
        return self._current, self._keys[self._current]

    def key(self, key_id: str) -> bytes:
        if not self._fresh() or key_id not in self._keys:
            self._load()  # a key id written by a newer container: read the secret again once
        if key_id not in self._keys:
            raise SecretUnreadable(f"data key {key_id!r} is no longer in the data-key secret")
        return self._keys[key_id]

    def forget(self) -> None:
        self._read_at = None


def seal(document: SecretDocument, key_id: str, key: bytes, associated: str) -> dict[str, str]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # at the first seal: not a cold import's cost

    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, json.dumps(document).encode(), associated.encode())
    return {
        "key_id": key_id,
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }


def open_box(box: dict[str, Any], key: bytes, associated: str) -> SecretDocument:
    from cryptography.exceptions import InvalidTag  # at the first open: not a cold import's cost
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        plain = AESGCM(key).decrypt(
            base64.b64decode(box["nonce"]), base64.b64decode(box["ciphertext"]), associated.encode()
        )
    except (InvalidTag, KeyError, ValueError) as exc:
        raise SecretUnreadable(
            f"the sealed secret of {associated} does not open: it was not sealed for this webhook and tenant"
        ) from exc
    document: SecretDocument = json.loads(plain)
    return document


class EnvelopeVault:
    """`ports.SecretVault` over sealed boxes in the store: the same calls as `vault.Vault`, one data-key secret."""

    def __init__(
        self,
        prefix: str,
        store: SecretBoxStore,
        data_keys: DataKeys,
        cache_seconds: int = 300,
        now: Callable[[], float] = time.monotonic,
        legacy: SecretVault | None = None,
    ) -> None:
        """`legacy`: the per-webhook vault, read for a webhook whose secret is not sealed yet (a deployment switched
        to `envelope` before `carrier secrets migrate` ran) and deleted with it."""
        self.prefix = prefix
        self.legacy = legacy
        self.store = store
        self.data_keys = data_keys
        self.cache_seconds = cache_seconds
        self._now = now
        self._cache: dict[str, tuple[float, SecretDocument]] = {}

    def name_for(self, tenant_id: str, webhook_id: str) -> str:
        return f"{self.prefix}{tenant_id}/{webhook_id}"

    def _split(self, name: str) -> tuple[str, str]:
        if not name.startswith(self.prefix) or "/" not in name[len(self.prefix) :]:
            raise SecretUnreadable(f"{name} is not a secret name of this deployment")
        tenant_id, _, owner = name[len(self.prefix) :].partition("/")
        return tenant_id, owner

    def create(self, name: str, document: SecretDocument, tags: dict[str, str]) -> dict[str, Any]:
        """A webhook's box goes into the webhook's own put (returned); the callbacks' is stored now."""
        _, owner = self._split(name)
        if owner == CALLBACKS:
            self.put(name, document)
            return {}
        return {"secret_box": self._seal(document, name)}

    def _seal(self, document: SecretDocument, name: str) -> dict[str, str]:
        key_id, key = self.data_keys.current()
        return seal(document, key_id, key, name)

    def put(self, name: str, document: SecretDocument) -> None:
        tenant_id, owner = self._split(name)
        box = self._seal(document, name)
        if owner == CALLBACKS:
            self.store.put_tenant_setting(tenant_id, BOX_SETTING + owner, {"box": box})
        else:
            self.store.set_secret_box(tenant_id, owner, box)
        self._cache.pop(name, None)

    def sealed(self, name: str) -> dict[str, Any] | None:
        """The stored box (key id, nonce, ciphertext), or None: a webhook's on its item, else where it was kept
        before 0.19 (a tenant setting)."""
        tenant_id, owner = self._split(name)
        if owner != CALLBACKS and (box := self.store.get_secret_box(tenant_id, owner)) is not None:
            return dict(box)
        record = self.store.get_tenant_setting(tenant_id, BOX_SETTING + owner)
        return dict(record["box"]) if record and "box" in record else None

    def get(self, name: str, *, fresh: bool = False, box: Mapping[str, Any] | None = None) -> SecretDocument:
        """The document: cached, else opened from `box` (read with its webhook) or from the stored box."""
        if not fresh and (document := self.peek(name)) is not None:
            return document
        found = dict(box) if box is not None and not fresh else self.sealed(name)
        if found is None and self.legacy is not None:
            return self.legacy.get(name, fresh=fresh)
        if found is None:
            raise SecretUnreadable(f"no sealed secret is stored for {name}")
        document = open_box(found, self.data_keys.key(str(found.get("key_id", ""))), name)
        self._cache[name] = (self._now(), document)
        return document

    def peek(self, name: str) -> SecretDocument | None:
        cached = self._cache.get(name)
        if cached is None and self.legacy is not None:
            return self.legacy.peek(name)
        if cached is None or self._now() - cached[0] >= self.cache_seconds:
            return None
        return cached[1]

    def find(self, name: str) -> SecretDocument | None:
        """The sealed document opened now (no cache), or None when none is sealed (migration)."""
        box = self.sealed(name)
        return None if box is None else open_box(box, self.data_keys.key(str(box.get("key_id", ""))), name)

    def write(self, name: str, document: SecretDocument, tags: dict[str, str]) -> None:
        self.put(name, document)

    def delete(self, name: str) -> None:
        tenant_id, owner = self._split(name)
        self._cache.pop(name, None)
        if owner != CALLBACKS:
            with contextlib.suppress(NotFound):  # the webhook is gone, and its box with it
                self.store.remove_secret_box(tenant_id, owner)
        self.store.delete_tenant_setting(tenant_id, BOX_SETTING + owner)
        if self.legacy is not None:
            self.legacy.delete(name)

"""Signing keys and custom header values: one Secrets Manager secret per webhook, read through a cache.

The secret document (`records.SecretDocument`): {"keys": [{"secret", "created_at", "expires_at"}], "headers": {…}}.
The first key is the current one; older keys sign beside it until they expire (rotation grace).
"""

from __future__ import annotations

import base64
import json
import secrets as random_source
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from carrier import aws
from carrier.clock import parse_iso
from carrier.records import SecretDocument


def generate_secret() -> str:
    """`whsec_` + base64 of 32 random bytes (Standard Webhooks form, valid for every scheme)."""
    return "whsec_" + base64.b64encode(random_source.token_bytes(32)).decode()


def active_keys(document: SecretDocument, now: datetime) -> list[str]:
    """The keys that sign now: the current one, then unexpired previous ones."""
    keys = []
    for entry in document.get("keys", []):
        expires = entry.get("expires_at")
        if expires is None or parse_iso(expires) > now:
            keys.append(entry["secret"])
    return keys


class Vault:
    def __init__(self, prefix: str, cache_seconds: int = 300, client: Any | None = None) -> None:
        self.prefix = prefix
        self.cache_seconds = cache_seconds
        self._client = client
        self._provider: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("secretsmanager")
        return self._client

    def name_for(self, tenant_id: str, webhook_id: str) -> str:
        return f"{self.prefix}{tenant_id}/{webhook_id}"

    @property
    def provider(self) -> Any:
        """Powertools' SecretsProvider: the read cache (max_age = cache_seconds)."""
        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider

            self._provider = SecretsProvider(boto3_client=self.client)
        return self._provider

    def create(self, name: str, document: SecretDocument, tags: dict[str, str]) -> dict[str, Any]:
        self.client.create_secret(
            Name=name,
            SecretString=json.dumps(document),
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )
        self._forget()
        return {}  # the secret is its own: nothing for the webhook's item

    def put(self, name: str, document: SecretDocument) -> None:
        self.client.put_secret_value(SecretId=name, SecretString=json.dumps(document))
        self._forget()

    def get(self, name: str, *, fresh: bool = False, box: Mapping[str, Any] | None = None) -> SecretDocument:
        """The secret document; warm callers reuse it for `cache_seconds` (no call per delivery). `box` is
        `envelope`'s: a secret of its own has none."""
        document: SecretDocument = self.provider.get(
            name, max_age=self.cache_seconds, transform="json", force_fetch=fresh
        )
        return document

    def peek(self, name: str) -> SecretDocument | None:
        """The cached document if it is still fresh, without any call (async callers stay on their loop)."""
        if self._provider is None:
            return None
        key = self._provider._build_cache_key(name=name, transform="json")
        if not self._provider.has_not_expired_in_cache(key):
            return None
        document: SecretDocument = self._provider.fetch_from_cache(key)
        return document

    def find(self, name: str) -> SecretDocument | None:
        """The stored document read now (no cache), or None when there is no such secret (migration)."""
        try:
            answer = self.client.get_secret_value(SecretId=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise
        document: SecretDocument = json.loads(answer["SecretString"])
        return document

    def write(self, name: str, document: SecretDocument, tags: dict[str, str]) -> None:
        """Create the secret, or replace its value when it exists (migration resumes)."""
        try:
            self.create(name, document, tags)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceExistsException":
                raise
            self.put(name, document)

    def delete(self, name: str) -> None:
        self._forget()
        try:
            self.client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise

    def _forget(self) -> None:
        if self._provider is not None:
            self._provider.clear_cache()

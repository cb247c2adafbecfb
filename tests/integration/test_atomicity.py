"""Creation is all-or-nothing across Secrets Manager and DynamoDB."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from carrier.errors import DependencyFailed
from carrier.models import WebhookCreate
from carrier.records import SecretDocument, WebhookRecord
from carrier.store import Store
from carrier.vault import Vault
from carrier.webhooks import WebhookService

BODY = {"url": "https://example.com/hook", "events": ["model.trained"]}


class FailingStore(Store):
    def put_webhook(self, record: WebhookRecord) -> None:
        raise RuntimeError("DynamoDB is down")


class FailingVault(Vault):
    def create(self, name: str, document: SecretDocument, tags: dict[str, str]) -> dict[str, Any]:
        raise RuntimeError("Secrets Manager is down")


def test_failed_row_write_leaves_no_secret(aws: dict) -> None:
    service = WebhookService(FailingStore(aws["TABLE_NAME"]), Vault("carrier/test/"))
    with pytest.raises(DependencyFailed):
        service.create("t1", WebhookCreate.model_validate(BODY))
    assert boto3.client("secretsmanager").list_secrets()["SecretList"] == []


def test_failed_secret_write_leaves_no_row(aws: dict) -> None:
    store = Store(aws["TABLE_NAME"])
    service = WebhookService(store, FailingVault("carrier/test/"))
    with pytest.raises(DependencyFailed):
        service.create("t1", WebhookCreate.model_validate(BODY))
    assert store.all_webhooks("t1") == []

"""Per-container wiring: settings, store, vault and services, built once and reused while warm."""

from __future__ import annotations

from functools import lru_cache

from carrier.settings import get_settings
from carrier.store import Store
from carrier.vault import Vault
from carrier.webhooks import WebhookService


@lru_cache(maxsize=1)
def store() -> Store:
    return Store(get_settings().table_name)


@lru_cache(maxsize=1)
def vault() -> Vault:
    settings = get_settings()
    return Vault(settings.secret_prefix, settings.secret_cache_seconds)


@lru_cache(maxsize=1)
def webhook_service() -> WebhookService:
    return WebhookService(store(), vault())


def reset() -> None:
    """Forget every cached object (tests that change the environment call this)."""
    for cached in (store, vault, webhook_service, get_settings):
        cached.cache_clear()

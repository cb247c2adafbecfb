"""Per-container wiring: settings, store, vault and services, built once and reused while warm."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from carrier.settings import get_settings
from carrier.store import Store
from carrier.vault import Vault
from carrier.webhooks import WebhookService

if TYPE_CHECKING:
    from carrier.callbacks import CallbackService
    from carrier.deliveries import DeliveryService
    from carrier.dispatch import Dispatcher, RetryScheduler
    from carrier.retries import RetryService
    from carrier.transport import Transport

_scheduler_override: RetryScheduler | None = None


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


@lru_cache(maxsize=1)
def callback_service() -> CallbackService:
    from carrier.callbacks import CallbackService

    return CallbackService(store(), vault())


@lru_cache(maxsize=1)
def delivery_service() -> DeliveryService:
    from carrier.deliveries import DeliveryService

    return DeliveryService(get_settings(), store(), vault(), webhook_service())


@lru_cache(maxsize=1)
def retry_service() -> RetryService:
    from carrier.retries import RetryService

    return RetryService(get_settings(), store(), vault())


@lru_cache(maxsize=1)
def transport() -> Transport:
    from carrier.transport import Transport

    settings = get_settings()
    return Transport(
        allow_private=settings.allow_private_targets,
        timeout=settings.http_timeout_seconds,
        concurrency=settings.max_concurrency,
    )


def use_scheduler(scheduler: RetryScheduler | None) -> None:
    """Replace the retry scheduler (the local stack runs its own ladder)."""
    global _scheduler_override
    _scheduler_override = scheduler
    dispatcher.cache_clear()


def scheduler() -> RetryScheduler | None:
    if _scheduler_override is not None:
        return _scheduler_override
    settings = get_settings()
    if settings.state_machine_arn:
        from carrier.scheduling import StepFunctionsScheduler

        return StepFunctionsScheduler(settings.state_machine_arn, settings.retry_ladder)
    return None


@lru_cache(maxsize=1)
def dispatcher() -> Dispatcher:
    from carrier.dispatch import Dispatcher

    return Dispatcher(get_settings(), store(), vault(), transport(), scheduler())


def reset() -> None:
    """Forget every cached object (tests that change the environment call this)."""
    for cached in (
        store,
        vault,
        webhook_service,
        callback_service,
        delivery_service,
        retry_service,
        transport,
        dispatcher,
        get_settings,
    ):
        cached.cache_clear()

"""Per-container wiring: settings, store, vault and services, built once and reused while warm; and the few
requests that need two of them (or a setting and a service), composed here so that a route calls one function.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from carrier import aws, profile
from carrier.settings import get_settings
from carrier.store import Store
from carrier.validators import TargetPolicy, use_target_policy

if TYPE_CHECKING:
    from carrier.callbacks import CallbackService
    from carrier.deliveries import DeliveryService
    from carrier.dispatch import Dispatcher
    from carrier.health import HealthService
    from carrier.ingest import PublishRequest, PublishResult
    from carrier.models import SendResult
    from carrier.ports import Clock, EventPublisher, RetryScheduler, SecretVault
    from carrier.reconciler import Reconciler
    from carrier.replay import ReplayService
    from carrier.retries import RetryService
    from carrier.transport import Transport
    from carrier.webhooks import WebhookService

_scheduler_override: RetryScheduler | None = None
_clock_override: Clock | None = None


def target_policy() -> TargetPolicy:
    """The receiver URLs this deployment accepts (the template's AllowPrivateTargets / AllowHttpTargets, and a
    profile whose published contract takes http:// URLs; private addresses stay refused unless allowed)."""
    settings = get_settings()
    allow_http = settings.allow_http_targets or profile.active().webhooks.allow_http
    return TargetPolicy(allow_private=settings.allow_private_targets, allow_http=allow_http)


use_target_policy(target_policy)  # the API models check URLs against the deployment's settings
profile.active()  # a function starts only with a valid profile: an unknown or malformed one fails here, named


@lru_cache(maxsize=1)
def store() -> Store:
    return Store(get_settings().table_name)


@lru_cache(maxsize=1)
def vault() -> SecretVault:
    """The backend the `SecretStore` Parameter chose; the engine sees only the `SecretVault` port."""
    from carrier.vault import Vault

    settings = get_settings()
    if settings.secret_store == "envelope":  # noqa: S105 (a backend's name, not a secret)
        from carrier.envelope import DataKeys, EnvelopeVault

        if not settings.data_key_secret:
            raise RuntimeError("SECRET_STORE=envelope needs DATA_KEY_SECRET (the data-key secret's ARN)")
        keys = DataKeys(settings.data_key_secret, settings.secret_cache_seconds)
        legacy = Vault(settings.secret_prefix, settings.secret_cache_seconds)  # read until `secrets migrate` ran
        return EnvelopeVault(settings.secret_prefix, store(), keys, settings.secret_cache_seconds, legacy=legacy)

    return Vault(settings.secret_prefix, settings.secret_cache_seconds)


@lru_cache(maxsize=1)
def events() -> EventPublisher:
    """Operational events onto Carrier's bus (`carrier.operational`)."""
    from carrier.operational import BusPublisher

    return BusPublisher(get_settings().event_bus_name)


@lru_cache(maxsize=1)
def webhook_service() -> WebhookService:
    from carrier.webhooks import WebhookService  # the API's models: the authorizer never loads them

    return WebhookService(store(), vault(), events=events())


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

    return RetryService(get_settings(), store(), vault(), events=events())


@lru_cache(maxsize=1)
def replay_service() -> ReplayService:
    from carrier.replay import ReplayService

    return ReplayService(get_settings(), store(), retry_service())


@lru_cache(maxsize=1)
def health_service() -> HealthService:
    from carrier.health import HealthService

    return HealthService(store())


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
    reconciler.cache_clear()


def use_clock(clock: Clock | None) -> None:
    """Replace the clock the authorizer and the api check credentials against (tests move it, never sleep)."""
    global _clock_override
    _clock_override = clock


def clock() -> Clock:
    from carrier.clock import SystemClock

    return _clock_override or SystemClock()


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
    from carrier.fanout import SqsChunks

    settings = get_settings()
    chunks = SqsChunks(settings.fanout_queue_url) if settings.fanout_queue_url else None
    return Dispatcher(settings, store(), vault(), transport(), scheduler(), events=events(), chunks=chunks)


# ---- requests that need more than one service ----------------------------------------------------------


def publish_event(tenant_id: str, request: PublishRequest) -> PublishResult:
    """POST /v1/events: a callback needs the tenant's callback secret (404 until it is set), then onto the bus."""
    from carrier.ingest import publish

    settings = get_settings()
    if request.callback_url:
        callback_service().get(tenant_id)  # 404 until the tenant has a callback secret
    policy = target_policy()
    return publish(
        tenant_id,
        request,
        bus_name=settings.event_bus_name,
        allow_private=policy.allow_private,
        allow_http=policy.allow_http,
        events_client=aws.client("events"),
    )


def rotate_secret(tenant_id: str, webhook_id: str, secret: str | None) -> dict[str, Any]:
    """A new signing secret; the old one keeps signing for the configured grace period."""
    return webhook_service().rotate_secret(tenant_id, webhook_id, secret, get_settings().rotation_grace_seconds)


def retry_delivery(tenant_id: str, webhook_id: str, delivery_id: str) -> SendResult:
    """Send a delivery again now, by hand: 404 unless the tenant owns both the webhook and the delivery."""
    delivery_service().get(tenant_id, webhook_id, delivery_id)
    return retry_service().manual(tenant_id, webhook_id, delivery_id)


def retry_callback(tenant_id: str, delivery_id: str) -> SendResult:
    """Send one of the tenant's per-job callback deliveries again now, by hand: 404 unless the tenant owns it."""
    delivery_service().get_callback(tenant_id, delivery_id)
    return retry_service().manual(tenant_id, None, delivery_id)


def recover_deliveries(tenant_id: str, webhook_id: str, since: str) -> dict[str, Any]:
    """Re-send a webhook's failed and exhausted deliveries since `since` (ISO 8601): 404 unless the tenant owns it."""
    from carrier.retries import parse_since

    webhook_service().get(tenant_id, webhook_id)
    return retry_service().recover(tenant_id, webhook_id, parse_since(since))


@lru_cache(maxsize=1)
def reconciler() -> Reconciler:
    from carrier.reconciler import Reconciler

    found = scheduler()
    if found is None:
        raise RuntimeError("the reconciler needs the retry ladder: STATE_MACHINE_ARN is not set")
    return Reconciler(store(), found)


def reset() -> None:
    """Forget every cached object, boto3 clients included (tests that change the environment call this)."""
    for cached in (
        store,
        vault,
        events,
        webhook_service,
        callback_service,
        delivery_service,
        retry_service,
        replay_service,
        health_service,
        transport,
        dispatcher,
        reconciler,
        get_settings,
    ):
        cached.cache_clear()
    aws.reset()

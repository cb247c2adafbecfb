"""Typed settings read once from the environment that template.yaml sets.

A missing variable fails at start-up with its name, not later with a KeyError.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator


class SettingsError(RuntimeError):
    """The environment does not hold a valid Carrier configuration."""


class Settings(BaseModel):
    stage: str = "dev"
    table_name: str
    event_bus_name: str
    secret_prefix: str
    retry_ladder: tuple[int, ...] = (300, 1800, 7200, 28800, 86400)
    delivery_retention_days: int = Field(default=30, ge=1)
    allow_private_targets: bool = False
    allow_http_targets: bool = False
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    secret_cache_seconds: int = Field(default=300, ge=0)
    # `envelope`: sealed documents in the table under the data key in `data_key_secret`; `per-webhook`: one
    # Secrets Manager secret per webhook (the template's `SecretStore` Parameter sets it)
    secret_store: Literal["envelope", "per-webhook"] = "per-webhook"  # noqa: S105 (a backend's name)
    data_key_secret: str | None = None
    max_concurrency: int = Field(default=50, ge=1)
    state_machine_arn: str | None = None
    rotation_grace_seconds: int = Field(default=86400, ge=0)
    # A `pending` claim older than this belongs to a run that died: a redelivered message may take it over. Longer
    # than the dispatcher's Timeout (a live run's claim is never taken), shorter than the queue's VisibilityTimeout
    # (the first redelivery finds it stale); template.yaml sets it and tests/unit/test_template.py checks both.
    claim_stale_seconds: int = Field(default=150, ge=1)
    # A webhook's consecutive failed attempts that raise `carrier.webhook.failing` (once per episode)
    failing_after_failures: int = Field(default=10, ge=1)
    # A first attempt writes its webhook's last_call / last_error when its outcome (name and status code) differs
    # from the last one this container wrote, else at most once per this many seconds (0: every attempt); the
    # failures in between are counted in that write. Tenants' sends and ladder steps always write.
    last_call_every_seconds: int = Field(default=10, ge=0)
    # A tenant's webhook list is read once per this many seconds per dispatcher container (0: every event): a new,
    # changed, disabled or deleted webhook is seen by first attempts within this long.
    webhook_cache_seconds: int = Field(default=5, ge=0)
    # An event matching more webhooks than one invocation can surely send is split into chunks on the queue
    # (`carrier.fanout`); this caps a chunk (0: the size derived from MaxConcurrency, the Timeout and
    # HttpTimeoutSeconds, that an invocation finishes even when every receiver hangs).
    fanout_chunk_size: int = Field(default=0, ge=0)
    fanout_queue_url: str | None = None  # where the chunks of a split fan-out go (one per invocation)

    @field_validator("retry_ladder", mode="before")
    @classmethod
    def _parse_ladder(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.split(",") if part.strip())
        return value


_ENV = {
    "stage": "STAGE",
    "table_name": "TABLE_NAME",
    "event_bus_name": "EVENT_BUS_NAME",
    "secret_prefix": "SECRET_PREFIX",
    "retry_ladder": "RETRY_LADDER",
    "delivery_retention_days": "DELIVERY_RETENTION_DAYS",
    "allow_private_targets": "ALLOW_PRIVATE_TARGETS",
    "allow_http_targets": "ALLOW_HTTP_TARGETS",
    "http_timeout_seconds": "HTTP_TIMEOUT_SECONDS",
    "secret_cache_seconds": "SECRET_CACHE_SECONDS",
    "secret_store": "SECRET_STORE",
    "data_key_secret": "DATA_KEY_SECRET",
    "max_concurrency": "MAX_CONCURRENCY",
    "state_machine_arn": "STATE_MACHINE_ARN",
    "rotation_grace_seconds": "ROTATION_GRACE_SECONDS",
    "claim_stale_seconds": "CLAIM_STALE_SECONDS",
    "failing_after_failures": "FAILING_AFTER_FAILURES",
    "last_call_every_seconds": "LAST_CALL_EVERY_SECONDS",
    "webhook_cache_seconds": "WEBHOOK_CACHE_SECONDS",
    "fanout_chunk_size": "FANOUT_CHUNK_SIZE",
    "fanout_queue_url": "FANOUT_QUEUE_URL",
}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build Settings from environment variables (names in _ENV)."""
    env = os.environ if environ is None else environ
    values = {field: env[name] for field, name in _ENV.items() if env.get(name, "") != ""}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        names = ", ".join(_ENV.get(str(err["loc"][0]), str(err["loc"][0])) for err in exc.errors())
        raise SettingsError(f"invalid or missing environment variables: {names}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()

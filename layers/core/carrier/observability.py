"""Logging, metrics and tracing: one Logger, one Metrics and one Tracer per process, and the decorator stack
every Lambda handler wears (`@observed`). Modules log through `logger` here, so each line is written once,
with the function's service name.

Each is made on first use, not at import: the service name and metric namespace come from the environment
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE), which a test or the local stack sets after importing
`carrier` but before loading a handler. Made at import, they would log as `service_undefined`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

Made = TypeVar("Made")


class _OnFirstUse(Generic[Made]):
    """Stands for the object `factory()` makes, made when an attribute is first read."""

    def __init__(self, factory: Callable[[], Made]) -> None:
        self._factory = factory
        self._made: Made | None = None

    def __getattr__(self, name: str) -> Any:
        if self._made is None:
            self._made = self._factory()
        return getattr(self._made, name)


logger = cast(Logger, _OnFirstUse(Logger))
metrics = cast(Metrics, _OnFirstUse(Metrics))  # flushed by `observed` (one EMF document per invocation)
tracer = cast(Tracer, _OnFirstUse(Tracer))
warnings.filterwarnings("ignore", message="No application metrics to publish")

Handler = TypeVar("Handler", bound=Callable[..., Any])

__all__ = ["MetricUnit", "count", "logger", "metrics", "observed", "tracer"]


def observed(handler: Handler) -> Handler:
    """Lambda context in every log line (state cleared per invocation), metrics flushed, the handler traced."""
    traced = tracer.capture_lambda_handler(handler)
    measured = metrics.log_metrics(traced)
    return logger.inject_lambda_context(clear_state=True)(measured)  # type: ignore[return-value]


def count(name: str, value: int = 1) -> None:
    """A Count metric (the only unit most of Carrier's metrics need)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)

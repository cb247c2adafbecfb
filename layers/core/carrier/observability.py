"""Logging, metrics and tracing: one Logger, one Metrics and one Tracer per process, and the decorator stack
every Lambda handler wears (`@observed`). Modules log through `logger` here, so each line is written once,
with the function's service name.

Each is made on first use, not at import: the service name and metric namespace come from the environment
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE), which a test or the local stack sets after importing
`carrier` but before loading a handler. Made at import, they would log as `service_undefined`.

Cold start: the X-Ray SDK is imported only when tracing is on (Powertools' own rule, `tracing_enabled()`: on in
Lambda under the template's `Tracing: Active`, off with POWERTOOLS_TRACE_DISABLED, under SAM local and outside
Lambda). Powertools' `Tracer()` imports the SDK even when it is disabled, so with tracing off `observed` leaves
the handler unwrapped (a disabled tracer records nothing) and `tracer` is made only if something reads it. With
tracing on the tracer patches botocore only: the one traced library Carrier's layer holds (`patch_all` would
import every library the SDK knows that happens to be installed).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from aws_lambda_powertools.metrics import MetricUnit

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics, Tracer

Made = TypeVar("Made")

TRACED_MODULES = ("botocore",)  # what `Tracer(patch_modules=...)` instruments (boto3 through botocore)


class _OnFirstUse(Generic[Made]):
    """Stands for the object `factory()` makes, made when an attribute is first read."""

    def __init__(self, factory: Callable[[], Made]) -> None:
        self._factory = factory
        self._made: Made | None = None

    def __getattr__(self, name: str) -> Any:
        if self._made is None:
            self._made = self._factory()
        return getattr(self._made, name)


def _logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger()


def _metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    return Metrics()


def _tracer() -> Tracer:
    from aws_lambda_powertools import Tracer

    return Tracer(patch_modules=TRACED_MODULES)


def tracing_enabled() -> bool:
    """Powertools' rule for an active tracer: in Lambda, not under SAM local, POWERTOOLS_TRACE_DISABLED not set."""
    from aws_lambda_powertools.tracing.tracer import Tracer  # the module only: it imports the SDK lazily

    return not Tracer._is_tracer_disabled()


logger = cast("Logger", _OnFirstUse(_logger))
metrics = cast("Metrics", _OnFirstUse(_metrics))  # flushed by `observed` (one EMF document per invocation)
tracer = cast("Tracer", _OnFirstUse(_tracer))
warnings.filterwarnings("ignore", message="No application metrics to publish")

Handler = TypeVar("Handler", bound=Callable[..., Any])

__all__ = ["MetricUnit", "count", "logger", "metrics", "observed", "tracer", "tracing_enabled"]


def observed(handler: Handler) -> Handler:
    """Lambda context in every log line (state cleared per invocation), metrics flushed, the handler traced (when
    tracing is on: the tracer, and with it the X-Ray SDK, is made here, at the handler's import)."""
    traced = tracer.capture_lambda_handler(handler) if tracing_enabled() else handler
    measured = metrics.log_metrics(traced)
    return logger.inject_lambda_context(clear_state=True)(measured)  # type: ignore[return-value]


def count(name: str, value: int = 1) -> None:
    """A Count metric (the only unit most of Carrier's metrics need)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)

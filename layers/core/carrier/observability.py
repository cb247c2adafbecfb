"""Logging, metrics and tracing: one Logger, one Metrics and one Tracer per process, and the decorator stack
every Lambda handler wears (`@observed`). Modules log through `logger` here, so each line is written once,
with the function's service name.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()  # flushed by `observed` (one EMF document per invocation)
tracer = Tracer()
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

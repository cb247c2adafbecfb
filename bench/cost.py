"""The cost model: every billed unit of a delivery, priced from `bench/prices.json`. Pure functions, no I/O.

What is measured (by `bench/aws_calls.py`, from the code at run time) comes in as numbers; what AWS bills is
encoded here, each rule with the AWS documentation it follows:

- DynamoDB by item size: an item's size is the sum of its attributes' (name bytes + value bytes, numbers
  ~1 byte per 2 significant digits + 1, lists and maps 3 bytes + 1 byte per element); a write bills
  ceil(KB) write units of the larger of the item before and after (at least 1, a refused conditional write
  too); each index entry the write creates, changes or deletes bills its own units, by the entry's size (the
  projected attributes, the table's and index's keys, plus 100 bytes); an index key that changes is a delete
  and a put. A read bills ceil(size / 4 KB) units, half when eventually consistent; a Query sums the sizes it
  reads before rounding. A transaction bills twice.
- PutEvents and SQS bill each started 64 KB of a request's payload as one event / request.
- Lambda bills requests and GB-seconds (duration in ms x the configured memory).
- A dispatcher invocation sends a whole batch's deliveries concurrently: its duration is Carrier's own time plus
  the slowest of its sends (`expected_makespan`), so the sends share it.

The units themselves are `bench/cost_units.py`'s, the table's shape and write rules `bench/cost_table.py`'s (both
re-exported here); this module assembles them per delivery, per ladder, per API publish, per month and for peers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bench.cost_table import (
    INDEX_ENTRY_OVERHEAD,
    STORAGE_ITEM_OVERHEAD,
    Index,
    TableShape,
    WriteCost,
    entry_size,
    index_entry,
    query_read_units,
    stored_bytes,
    table_shape,
    write_cost,
)
from bench.cost_units import (
    CHUNK_BYTES,
    GB,
    KB,
    MONTH_SECONDS,
    READ_UNIT_BYTES,
    WRITE_UNIT_BYTES,
    Mix,
    Typed,
    chunks,
    expected_makespan,
    expected_max,
    gb_seconds,
    item_size,
    latency_mix,
    mean,
    put_events_entry_size,
    python_value,
    read_units,
    write_units,
)

# the units and the table's rules, re-exported: callers price through `bench.cost` alone
__all__ = [
    "CHUNK_BYTES",
    "GB",
    "INDEX_ENTRY_OVERHEAD",
    "KB",
    "MONTH_SECONDS",
    "READ_UNIT_BYTES",
    "STORAGE_ITEM_OVERHEAD",
    "WRITE_UNIT_BYTES",
    "Index",
    "Mix",
    "TableShape",
    "Typed",
    "WriteCost",
    "chunks",
    "entry_size",
    "expected_makespan",
    "expected_max",
    "gb_seconds",
    "index_entry",
    "item_size",
    "latency_mix",
    "mean",
    "put_events_entry_size",
    "python_value",
    "query_read_units",
    "read_units",
    "stored_bytes",
    "table_shape",
    "write_cost",
    "write_units",
]


# ---- per delivery ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """What the template configures (read from template.yaml by the caller)."""

    batch_size: int
    dispatcher_memory_mb: int
    attempt_memory_mb: int
    http_timeout_seconds: float
    send_slots: int  # the transport's concurrent sends per container
    retention_days: float
    api_memory_mb: int = 512
    authorizer_memory_mb: int = 256
    batching_window_seconds: float = 0.0  # the event source's MaximumBatchingWindowInSeconds


def batch_events(config: Config, events_per_second: float | None) -> float:
    """Events per dispatcher invocation: a full `BatchSize` when the rate is not given; else what arrives within
    the batching window (at least 1, at most `BatchSize`), as one poller sees the queue."""
    if events_per_second is None:
        return float(config.batch_size)
    return min(float(config.batch_size), max(1.0, events_per_second * config.batching_window_seconds))


@dataclass(frozen=True)
class Measured:
    """Per delivery at one fan-out, counted on moto from the code (bench/aws_calls.py)."""

    fanout: int
    event_chunks: float  # PutEvents chunks of one event (the detail as published)
    message_bytes: float  # the SQS message body EventBridge sends (the bus envelope)
    wru: float
    rru: float
    secrets_calls: float
    sfn_calls: float
    own_seconds_per_invocation: float  # the handler's own time for a full batch (BatchSize events, instant receivers)
    log_bytes_per_invocation: float  # what its Logger and Metrics printed for that full batch
    stored_bytes: float  # DynamoDB bytes the run created (items and index entries) per delivery


# Lambda's own lines per invocation (START, END, REPORT with its XRAY line), as Lambda prints them:
PLATFORM_LINES = (
    "START RequestId: 3f1c2b7e-6a1d-4c1e-9d7e-2b0c8e6f5a41 Version: $LATEST\n"
    "END RequestId: 3f1c2b7e-6a1d-4c1e-9d7e-2b0c8e6f5a41\n"
    "REPORT RequestId: 3f1c2b7e-6a1d-4c1e-9d7e-2b0c8e6f5a41\tDuration: 512.34 ms\tBilled Duration: 513 ms\t"
    "Memory Size: 1024 MB\tMax Memory Used: 131 MB\t\n"
    "XRAY TraceId: 1-6745a8c0-5d2a8e3f1b7c4d9e0a6f2b1c\tSegmentId: 4b7e2a9c1d3f5e60\tSampled: true\t\n"
)
XRAY_SAMPLED_SHARE = 0.05  # AWS's default sampling rule past its reservoir (the template sets no rule)
XRAY_RESERVOIR_PER_SECOND = 1  # ... and its reservoir: the first request each second, per traced function


def invocation_seconds(measured: Measured, config: Config, mix: Mix, events: float | None = None) -> float:
    """An invocation of `events` events (a full batch by default): Carrier's own time (the measured full batch's,
    pro rata) plus the slowest of its events x fan-out concurrent sends."""
    events = float(config.batch_size) if events is None else events
    own = measured.own_seconds_per_invocation * events / config.batch_size
    sends = max(1, round(events * measured.fanout))
    return own + expected_makespan(mix, sends, config.send_slots)


def first_try(
    measured: Measured, config: Config, prices: Mapping[str, float], events_per_second: float | None = None
) -> dict[str, dict[str, float]]:
    """Each billed unit of a first-try delivery: {line: {"per_delivery": units, "usd_per_million": $}}.

    An invocation takes what arrives within the batching window at `events_per_second` (`batch_events`; full
    batches when not given); the queue is never empty at that rate, so the pollers' empty receives are per month
    (`monthly`)."""
    f = measured.fanout
    events = batch_events(config, events_per_second)
    per_invocation = 1 / (events * f)
    mix = latency_mix(config.http_timeout_seconds)
    seconds = invocation_seconds(measured, config, mix, events)
    batch_bytes = measured.message_bytes * events
    printed = measured.log_bytes_per_invocation * events / config.batch_size
    log_bytes = (printed + len(PLATFORM_LINES)) * per_invocation
    month_share = config.retention_days / 30
    lines = {
        "eventbridge_put_events": (measured.event_chunks / f, prices["eventbridge_put_event"]),
        "sqs_send_by_eventbridge": (chunks(int(measured.message_bytes)) / f, prices["sqs_request"]),
        "sqs_receive": (chunks(int(batch_bytes)) * per_invocation, prices["sqs_request"]),
        "sqs_delete_batch": (per_invocation, prices["sqs_request"]),
        "lambda_requests": (per_invocation, prices["lambda_request"]),
        "lambda_gb_seconds": (
            gb_seconds(seconds, config.dispatcher_memory_mb) * per_invocation,
            prices["lambda_arm64_gb_second"],
        ),
        "dynamodb_write_units": (measured.wru, prices["dynamodb_write_request_unit"]),
        "dynamodb_read_units": (measured.rru, prices["dynamodb_read_request_unit"]),
        "dynamodb_storage_gb_month": (
            measured.stored_bytes / GB * month_share,
            prices["dynamodb_storage_gb_month"] + prices["dynamodb_pitr_gb_month"],
        ),
        "secretsmanager_calls": (measured.secrets_calls, prices["secretsmanager_api_call"]),
        "cloudwatch_logs_gb": (log_bytes / GB, prices["cloudwatch_logs_ingested_gb"]),
        "xray_traces": (XRAY_SAMPLED_SHARE * per_invocation, prices["xray_trace_recorded"]),
    }
    return {
        name: {"per_delivery": round(units, 9), "usd_per_million": round(units * price * 1e6, 4)}
        for name, (units, price) in lines.items()
    }


def total(lines: Mapping[str, Mapping[str, float]]) -> float:
    return round(sum(line["usd_per_million"] for line in lines.values()), 3)


def floor(fanout: int, prices: Mapping[str, float]) -> float:
    """The mandated path's floor, $ per million deliveries: PutEvents, the SQS send and one event write per event
    (÷ fan-out), one delivery write per delivery."""
    per_event = prices["eventbridge_put_event"] + prices["sqs_request"] + prices["dynamodb_write_request_unit"]
    return round((per_event / fanout + prices["dynamodb_write_request_unit"]) * 1e6, 4)


# ---- the ladder, at a stated failure mix ----------------------------------------------------------------------


@dataclass(frozen=True)
class FailureMix:
    """Of the first tries, `retried` fail (the latency mix's share at the timeout) and go to the ladder: a share
    `delivered_at_first_retry` of those is delivered by its first retry (answering in `retry_seconds`), the rest
    fail through the whole ladder, each retry taking the whole timeout."""

    retried: float = 0.05
    delivered_at_first_retry: float = 0.8
    retry_seconds: float = 0.5


def ladder(
    transitions_delivered: int,
    transitions_exhausted: int,
    attempts_exhausted: int,
    attempt_wru: float,
    config: Config,
    prices: Mapping[str, float],
    mix: FailureMix = FailureMix(),
    attempt_rru: float = 0.0,
) -> dict[str, dict[str, float]]:
    """$ per million first-try deliveries that the ladder adds at `mix`: state transitions (measured in moto's
    interpreter), the attempt function's requests and GB-seconds, and each attempt's write and read units
    (measured on one ladder step)."""
    delivered = mix.retried * mix.delivered_at_first_retry
    exhausted = mix.retried - delivered
    invocations = delivered + exhausted * attempts_exhausted
    seconds = delivered * mix.retry_seconds + exhausted * (attempts_exhausted - 1) * config.http_timeout_seconds
    lines = {
        "stepfunctions_transitions": (
            delivered * transitions_delivered + exhausted * transitions_exhausted,
            prices["stepfunctions_state_transition"],
        ),
        "lambda_requests": (invocations, prices["lambda_request"]),
        "lambda_gb_seconds": (seconds * config.attempt_memory_mb / 1024, prices["lambda_arm64_gb_second"]),
        "dynamodb_write_units": (invocations * attempt_wru, prices["dynamodb_write_request_unit"]),
        "dynamodb_read_units": (invocations * attempt_rru, prices["dynamodb_read_request_unit"]),
    }
    return {
        name: {"per_delivery": round(units, 9), "usd_per_million": round(units * price * 1e6, 4)}
        for name, (units, price) in lines.items()
    }


# ---- the publish path through the API (POST /v1/events) -------------------------------------------------------


def api_publish(
    api_seconds: float,
    authorizer_seconds: float,
    api_rru: float,
    authorizer_rru: float,
    log_bytes: float,
    config: Config,
    prices: Mapping[str, float],
) -> dict[str, dict[str, float]]:
    """$ per million events published through the API instead of PutEvents: the HTTP API request, the api
    function, and the authorizer with its read, uncached (the worst case: API Gateway caches its answer for
    `ReauthorizeEvery` per Authorization header)."""
    lines = {
        "apigateway_http_requests": (1.0, prices["apigateway_http_request"]),
        "lambda_requests": (2.0, prices["lambda_request"]),
        "lambda_gb_seconds": (
            gb_seconds(api_seconds, config.api_memory_mb) + gb_seconds(authorizer_seconds, config.authorizer_memory_mb),
            prices["lambda_arm64_gb_second"],
        ),
        "dynamodb_read_units": (api_rru + authorizer_rru, prices["dynamodb_read_request_unit"]),
        "cloudwatch_logs_gb": ((log_bytes + 2 * len(PLATFORM_LINES)) / GB, prices["cloudwatch_logs_ingested_gb"]),
        "xray_traces": (XRAY_SAMPLED_SHARE, prices["xray_trace_recorded"]),
    }
    return {
        name: {"per_event": round(units, 9), "usd_per_million": round(units * price * 1e6, 4)}
        for name, (units, price) in lines.items()
    }


# ---- per month ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fleet:
    """The stated fleet: `webhooks` webhooks receiving `deliveries_per_webhook` first-try deliveries a month."""

    webhooks: int = 100_000
    deliveries_per_webhook: int = 1_000
    pollers: int = 5  # Lambda's SQS pollers at rest, each long-polling (20 s) when the queue is empty
    traced_functions: int = 2  # dispatcher and attempt: one reservoir trace a second each while busy
    metric_names: int = 0  # distinct custom metrics (EMF) the handlers publish

    @property
    def deliveries(self) -> int:
        return self.webhooks * self.deliveries_per_webhook


def monthly(
    per_million: float, fleet: Fleet, secrets_usd: float, webhook_bytes: float, prices: Mapping[str, float]
) -> dict[str, float]:
    """$ a month for the fleet: its deliveries at `per_million`, the secrets, the webhooks' items, idle polls,
    X-Ray's reservoir and the custom metrics."""
    lines = {
        "deliveries": per_million * fleet.deliveries / 1e6,
        "secrets": secrets_usd,
        "webhook_items": fleet.webhooks
        * webhook_bytes
        / GB
        * (prices["dynamodb_storage_gb_month"] + prices["dynamodb_pitr_gb_month"]),
        "sqs_empty_polls_bound": fleet.pollers * MONTH_SECONDS / 20 * prices["sqs_request"],
        "xray_reservoir": fleet.traced_functions
        * XRAY_RESERVOIR_PER_SECOND
        * MONTH_SECONDS
        * prices["xray_trace_recorded"],
        "custom_metrics": fleet.metric_names * prices["cloudwatch_metric_month"],
    }
    rounded = {k: round(v, 2) for k, v in lines.items()}
    rounded["total"] = round(sum(lines.values()), 2)
    return rounded


# ---- peers ----------------------------------------------------------------------------------------------------


def peers(fanout: int, prices: Mapping[str, float]) -> dict[str, float]:
    """$ per million deliveries at their list prices: EventBridge API destinations (one invocation per delivery,
    PutEvents per event), Outpost managed and Svix (each priced per event published, fanned out for free)."""
    return {
        "eventbridge_api_destinations": round(
            (prices["eventbridge_api_destination_invocation"] + prices["eventbridge_put_event"] / fanout) * 1e6, 3
        ),
        "outpost_managed": round(prices["outpost_managed_event"] / fanout * 1e6, 3),
        "svix": round(prices["svix_message"] / fanout * 1e6, 3),
    }

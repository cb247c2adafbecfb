"""Dispatcher: SQS batches of bus events -> first attempts to every matching webhook (and callback).

A malformed or undeliverable event is rejected with a log line and a metric and never fails its batch;
a failure of Carrier's own (DynamoDB, Secrets Manager) fails only that message, which SQS redelivers
(and moves to the DLQ after 5 receives). Copies of one event in a batch are dispatched one after the other (the
second finds the first's deliveries), and a send that could not end before the invocation's Timeout is handed
to the ladder instead of being started.
"""

from __future__ import annotations

import asyncio
import json
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.shared.lazy_import import LazyLoader
from aws_lambda_powertools.utilities.batch import AsyncBatchProcessor, EventType, async_process_partial_response

from carrier.observability import MetricUnit, count, logger, metrics, observed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from carrier import ingest, runtime
else:  # imported by the first batch (settings, profile, catalog, pydantic): the cold import holds none of it
    ingest = LazyLoader("ingest", globals(), "carrier.ingest")
    runtime = LazyLoader("runtime", globals(), "carrier.runtime")

# This invocation's events being dispatched (copies of one event in a batch go one after the other). Per invocation,
# as its batch processor is: Lambda runs one at a time per container, the local stack several at once in threads.
_events_in_flight: ContextVar[dict[tuple[str, str], asyncio.Lock]] = ContextVar("carrier_events_in_flight")


async def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> dict[str, Any]:
    try:
        event, chunk = ingest.read_message(json.loads(record.body))
    except (ValueError, ingest.RejectedEvent) as exc:
        logger.warning("event rejected", extra={"reason": str(exc), "message_id": record.message_id})
        count("EventsRejected")
        return {"rejected": str(exc)}
    ids = {"tenant_id": event.tenant_id, "event_id": event.id, "event_type": event.type}
    extra_targets = []
    if event.callback_url:
        target = runtime.callback_service().target(event.tenant_id, event.callback_url)
        if target is None:
            logger.warning("callback skipped: the tenant has no callback secret", extra=ids)
            count("CallbacksRejected")
        else:
            extra_targets.append(target)

    def remaining_seconds() -> float:
        return float(lambda_context.get_remaining_time_in_millis()) / 1000

    async with _events_in_flight.get().setdefault((event.tenant_id, event.id), asyncio.Lock()):
        report = await runtime.dispatcher().dispatch(event, extra_targets, budget=remaining_seconds, chunk=chunk)
    for outcome, number in report.outcomes.items():
        count(f"Deliveries_{outcome}", number)
    if report.results:  # one value per event (not per attempt): the slowest receiver of this event
        slowest = max(result.result.elapsed_ms for result in report.results)
        metrics.add_metric(name="AttemptLatency", unit=MetricUnit.Milliseconds, value=slowest)
    if report.deferred:
        count("DeliveriesDeferred", report.deferred)
    if report.skipped_disabled:
        count("DeliveriesSkippedDisabled", report.skipped_disabled)
    if report.duplicates:
        count("DuplicateDeliveries", report.duplicates)
    logger.info(
        "event dispatched",
        extra={
            **ids,
            "matched": report.matched,
            "outcomes": dict(report.outcomes),
            "duplicates": report.duplicates,
            "skipped_disabled": report.skipped_disabled,
            "delivery_ids": [r.delivery_id for r in report.results],
            "retrying": [h.delivery_id for h in report.handoffs],
        },
    )
    return {"event_id": event.id, "matched": report.matched}


@observed
def handler(event: dict, context: LambdaContext) -> dict:
    _events_in_flight.set({})
    # A failed record comes back alone; a batch whose every record failed is reported the same way, not raised
    processor = AsyncBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    answer: dict = async_process_partial_response(  # type: ignore[assignment]
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    failed = [item["itemIdentifier"] for item in answer.get("batchItemFailures", [])]
    if failed:  # each comes back after the queue's VisibilityTimeout (to the DLQ after 5 receives)
        logger.warning(
            "messages not settled: they come back",
            extra={"message_ids": failed, "errors": [repr(info[1]) for info in processor.exceptions][:10]},
        )
        count("MessagesRetried", len(failed))
    return answer

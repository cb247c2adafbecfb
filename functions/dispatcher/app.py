"""Dispatcher: SQS batches of bus events -> first attempts to every matching webhook (and callback).

A malformed or undeliverable event is rejected with a log line and a metric and never fails its batch;
a failure of Carrier's own (DynamoDB, Secrets Manager) fails only that message, which SQS redelivers
(and moves to the DLQ after 5 receives).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import AsyncBatchProcessor, EventType, async_process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from carrier import runtime
from carrier.ingest import RejectedEvent, parse_bus_event
from carrier.observability import MetricUnit, count, logger, metrics, observed

processor = AsyncBatchProcessor(event_type=EventType.SQS)


async def record_handler(record: SQSRecord) -> dict[str, Any]:
    try:
        event = parse_bus_event(json.loads(record.body))
    except (ValueError, RejectedEvent) as exc:
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
    report = await runtime.dispatcher().dispatch(event, extra_targets)
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
    return async_process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=record_handler, processor=processor, context=context
    )

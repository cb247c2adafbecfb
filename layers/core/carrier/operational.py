"""Operational events: what Carrier says about its tenants' webhooks, on its own bus (`Source: carrier`).

| type | raised by | when | id (one per) |
| --- | --- | --- | --- |
| `carrier.webhook.disabled` | `recording` | an attempt answered 410 Gone (`cause: gone`) | attempt |
| | `retries.RetryService.exhaust` | the ladder's last retry failed (`cause: exhausted`) | delivery |
| | `webhooks.WebhookService` | the tenant disabled it (`cause: tenant`) | change |
| `carrier.webhook.enabled` | `webhooks.WebhookService` | the tenant enabled it again | change |
| `carrier.delivery.exhausted` | `retries.RetryService.exhaust` | the ladder's last retry failed | delivery |
| `carrier.webhook.failing` | `recording` | its consecutive failed attempts reach `FailingAfterFailures` | episode |
| `carrier.webhook.recovered` | `recording` | the first delivered attempt after a failing episode | episode |

Each is an event like any other (detail `{tenant_id, data, id}`, the webhook's tenant), delivered through the
same pipeline to the tenant's webhooks subscribed to it by name or `carrier.*` (never by `*`). Its id is derived
from what raised it, so raising it twice (a ladder step run again, a message redelivered) delivers it once.

**No loops**: an attempt at delivering an operational event raises nothing. It neither counts toward nor ends a
failing episode, its 410 disables its webhook without a `carrier.webhook.disabled`, and its exhaustion raises
neither `carrier.delivery.exhausted` nor `carrier.webhook.disabled` (`raises_about`).

Publishing never fails nor delays a delivery: it happens after the attempt is recorded, a transient AWS error is
tried again as the dispatcher tries its own (0.1 s, then 0.4 s), and a final failure is logged and counted
(`OperationalEventsFailed`), never raised.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from carrier import aws
from carrier.catalog import is_operational
from carrier.observability import count, logger

SOURCE = "carrier"
DISABLED, ENABLED = "carrier.webhook.disabled", "carrier.webhook.enabled"
EXHAUSTED = "carrier.delivery.exhausted"
FAILING, RECOVERED = "carrier.webhook.failing", "carrier.webhook.recovered"
TYPES = (DISABLED, ENABLED, EXHAUSTED, FAILING, RECOVERED)
PUT_EVENTS_BATCH = 10  # PutEvents takes at most 10 entries
PAUSES = (0.1, 0.4)  # as `Dispatcher._io` tries a transient AWS error again


def raises_about(event_type: str) -> bool:
    """The no-loop rule: an attempt at delivering `event_type` may raise operational events (not one of them)."""
    return not is_operational(event_type)


@dataclass(frozen=True)
class OperationalEvent:
    type: str
    tenant_id: str
    id: str
    data: dict[str, Any]

    def entry(self, bus_name: str) -> dict[str, Any]:
        """The PutEvents entry: DetailType = type, Detail = {tenant_id, data, id}, as every event on the bus."""
        detail = {"tenant_id": self.tenant_id, "data": self.data, "id": self.id}
        return {
            "Source": SOURCE,
            "DetailType": self.type,
            "Detail": json.dumps(detail, separators=(",", ":")),
            "EventBusName": bus_name,
        }


def event_id(*parts: str) -> str:
    """`evt_op_` + a digest of what raised it: the same cause gives the same id (one delivery per webhook)."""
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()
    return f"evt_op_{digest[:26]}"


def _webhook(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"webhook_id": record["id"], "url": record.get("url"), "description": record.get("description", "")}


def webhook_disabled(record: Mapping[str, Any], reason: str, cause: str, at: str, *key: str) -> OperationalEvent:
    data = {**_webhook(record), "reason": reason, "cause": cause, "disabled_at": at}
    return OperationalEvent(DISABLED, record["tenant_id"], event_id(DISABLED, record["id"], *key), data)


def webhook_enabled(record: Mapping[str, Any], at: str) -> OperationalEvent:
    data = {**_webhook(record), "enabled_at": at}
    return OperationalEvent(ENABLED, record["tenant_id"], event_id(ENABLED, record["id"], at), data)


def webhook_failing(
    record: Mapping[str, Any], failures: int, threshold: int, last_error: Mapping[str, Any], *key: str
) -> OperationalEvent:
    data = {
        **_webhook(record),
        "consecutive_failures": failures,
        "threshold": threshold,
        "last_error": dict(last_error),
    }
    return OperationalEvent(FAILING, record["tenant_id"], event_id(FAILING, record["id"], *key), data)


def webhook_recovered(record: Mapping[str, Any], failures: int, at: str, *key: str) -> OperationalEvent:
    data = {**_webhook(record), "failed_attempts": failures, "recovered_at": at}
    return OperationalEvent(RECOVERED, record["tenant_id"], event_id(RECOVERED, record["id"], *key), data)


def last_error(delivery: Mapping[str, Any]) -> dict[str, Any]:
    """A delivery's newest attempt as `{status_code, message, date}` (its masked excerpts, never raw text)."""
    from carrier.outcomes import status_phrase

    attempts = sorted(delivery.get("attempts") or [], key=lambda a: int(a["n"]))
    if not attempts:
        return {"message": delivery.get("failure") or "no attempt recorded"}
    newest = attempts[-1]
    error = {
        "status_code": newest.get("status_code"),
        "message": newest.get("error") or status_phrase(newest.get("status_code")),
        "date": newest.get("at"),
    }
    return {name: value for name, value in error.items() if value is not None}


def delivery_exhausted(delivery: Mapping[str, Any], url: str | None, at: str) -> OperationalEvent:
    data = {
        "delivery_id": delivery["delivery_id"],
        "event_id": delivery["event_id"],
        "event_type": delivery["event_type"],
        "webhook_id": delivery.get("webhook_id"),
        "url": url,
        "attempts": int(delivery.get("attempt_count", 0)),
        "last_error": last_error(delivery),
        "exhausted_at": at,
    }
    return OperationalEvent(EXHAUSTED, delivery["tenant_id"], event_id(EXHAUSTED, delivery["delivery_id"]), data)


def publish(publisher: Any, events: Sequence[OperationalEvent]) -> None:
    """Hand `events` to `publisher` (a `ports.EventPublisher`), which must not raise; one that does anyway is
    logged and counted here, so no caller's delivery or write ever depends on it."""
    if not events:
        return
    try:
        publisher.publish(events)
    except Exception as error:  # the publisher broke its contract: still never the delivery's failure
        logger.error(
            "operational events not published",
            extra={"event_ids": [e.id for e in events], "reason": f"{type(error).__name__}: {error}"},
        )
        count("OperationalEventsFailed", len(events))


def on_exhausted(
    delivery: Mapping[str, Any], webhook: Mapping[str, Any] | None, reason: str, at: str
) -> list[OperationalEvent]:
    """What the ladder's Exhaust raises: carrier.delivery.exhausted, and carrier.webhook.disabled for its webhook
    (ids from the delivery); nothing unless the delivery is exhausted, nor when it carried an operational event."""
    if delivery.get("status") != "exhausted" or not raises_about(delivery["event_type"]):
        return []
    url = webhook["url"] if webhook else delivery.get("url")
    raised = [delivery_exhausted(delivery, url, at)]
    if webhook is not None:
        raised.append(webhook_disabled(webhook, reason, "exhausted", at, delivery["delivery_id"]))
    return raised


class NoPublisher:
    """Publishes nothing (a service built without a bus: some unit tests, the benchmarks)."""

    def publish(self, events: Sequence[OperationalEvent]) -> None:
        return None


class BusPublisher:
    """PutEvents on Carrier's bus. `publish` never raises: a transient error is tried again (`PAUSES`), entries
    the bus refused with a transient code too, and what is still not published is logged and counted."""

    def __init__(
        self,
        bus_name: str,
        client: Callable[[], Any] | None = None,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self.bus_name = bus_name
        self.client = client or (lambda: aws.client("events"))
        self.pause = pause

    def publish(self, events: Sequence[OperationalEvent]) -> None:
        for start in range(0, len(events), PUT_EVENTS_BATCH):
            self._put(list(events[start : start + PUT_EVENTS_BATCH]))

    def _put(self, pending: list[OperationalEvent]) -> None:
        reason = ""
        for pause in (*PAUSES, None):
            try:
                answer = self.client().put_events(Entries=[e.entry(self.bus_name) for e in pending])
            except Exception as error:  # a publish never fails a delivery: logged and counted below
                reason, retry = f"{type(error).__name__}: {error}", aws.is_transient(error)
            else:
                refused = [
                    (e, r) for e, r in zip(pending, answer.get("Entries", []), strict=False) if r.get("ErrorCode")
                ]
                published = len(pending) - len(refused)
                if published:
                    count("OperationalEventsPublished", published)
                if not refused:
                    return
                pending = [e for e, _ in refused]
                reason = "; ".join(sorted({f"{r.get('ErrorCode')}: {r.get('ErrorMessage')}" for _, r in refused}))
                retry = all(r.get("ErrorCode") in aws.TRANSIENT_CODES for _, r in refused)
            if pause is None or not retry:
                break
            self.pause(pause)
        logger.error(
            "operational events not published",
            extra={"event_ids": [e.id for e in pending], "event_types": [e.type for e in pending], "reason": reason},
        )
        count("OperationalEventsFailed", len(pending))

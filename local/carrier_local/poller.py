"""An SQS event source mapping, run locally: long-poll a queue and invoke a function with batches.

Behaves like Lambda's SQS poller with `ReportBatchItemFailures`: the batch's messages are deleted
except those the function lists in `batchItemFailures`, which stay in the queue and reappear after the
visibility timeout (moto moves them to the DLQ after `maxReceiveCount` receives). If the function
raises, or answers with a malformed failure list, the whole batch stays.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

log = logging.getLogger("carrier_local.poller")

Invoke = Callable[[Any], Any]

_COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """SQS API message attribute -> the camel-cased shape of the Lambda event."""
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": list(value.get("BinaryListValues", [])),
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = value["BinaryValue"]
    return attribute


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One `Records[]` entry of the SQS event Lambda sends, from a ReceiveMessage message."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record.update({"eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region})
    return record


def sqs_event(messages: Iterable[Mapping[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [sqs_record(m, queue_arn, region) for m in messages]}


def failed_message_ids(result: Any, batch_ids: Iterable[str], report_item_failures: bool = True) -> set[str]:
    """The ids Lambda would leave in the queue after the function returned `result` for a batch.

    Without `ReportBatchItemFailures` a return means success. With it, an empty or missing list means
    success, and a list naming an id that is not in the batch (or a malformed one) fails the whole batch.
    """
    ids = set(batch_ids)
    if not report_item_failures or result is None or not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return ids
    failed: set[str] = set()
    for failure in failures:
        item = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(item, str) or item not in ids:
            return ids
        failed.add(item)
    return failed


@dataclass
class PollerStats:
    batches: int = 0
    deleted: int = 0
    failed: int = 0
    errors: int = 0
    parked: dict[str, float] = field(default_factory=dict)
    """Messages left in the queue after a failure: id -> when (monotonic) they become visible again."""


class SqsPoller:
    """Long-polls `queue_url` on background threads and invokes `invoke(event)` with each batch."""

    def __init__(
        self,
        queue_url: str,
        queue_arn: str,
        invoke: Invoke,
        *,
        region: str = "us-east-1",
        batch_size: int = 10,
        wait_time_seconds: int = 1,
        report_item_failures: bool = True,
        workers: int = 1,
        failure_visibility_timeout: int | None = None,
        sqs_client: Any = None,
    ) -> None:
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.region = region
        self.batch_size = batch_size
        self.wait_time_seconds = wait_time_seconds
        self.report_item_failures = report_item_failures
        self.failure_visibility_timeout = failure_visibility_timeout
        """None leaves failed messages for the queue's own visibility timeout, as Lambda does."""
        self.stats = PollerStats()
        self._invoke = invoke
        self._sqs: Any = sqs_client or boto3.client("sqs", region_name=region)
        self._workers = workers
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._visibility_timeout: int | None = None
        self.before_loop_close: Callable[[asyncio.AbstractEventLoop], None] | None = None
        """Run in a worker's loop as the worker ends (a container ending: its HTTP sessions are closed)."""

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> SqsPoller:
        self._stop.clear()
        for index in range(self._workers):
            thread = threading.Thread(target=self._run, name=f"carrier-sqs-poller-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def request_stop(self) -> None:
        """Ask the threads to stop after their current receive or batch, without waiting for them."""
        self._stop.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling; waits for batches being handled to finish (up to `timeout` seconds)."""
        self.request_stop()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        self._threads = []
        if alive:
            log.warning("poller threads still running after %.0fs: %s", timeout, ", ".join(alive))

    def __enter__(self) -> SqsPoller:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- waiting ---------------------------------------------------------------------------------

    def queue_counts(self) -> dict[str, int]:
        attributes = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=list(_COUNTS))
        return {name: int(attributes["Attributes"].get(name, 0)) for name in _COUNTS}

    def idle(self) -> bool:
        """Nothing waiting, delayed or being handled (messages parked after a failure do not count)."""
        now = time.monotonic()
        with self._lock:
            for message_id, visible_at in list(self.stats.parked.items()):
                if visible_at <= now:
                    del self.stats.parked[message_id]
            in_flight, parked = self._in_flight, len(self.stats.parked)
        counts = self.queue_counts()
        return (
            in_flight == 0
            and counts["ApproximateNumberOfMessages"] == 0
            and counts["ApproximateNumberOfMessagesDelayed"] == 0
            and counts["ApproximateNumberOfMessagesNotVisible"] <= parked
        )

    def drain(self, timeout: float = 10.0, interval: float = 0.05) -> None:
        """Block until the queue is idle (see `idle`) on two consecutive checks; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        streak = 0
        while streak < 2:
            streak = streak + 1 if self.idle() else 0
            if streak >= 2:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"queue {self.queue_url} not drained after {timeout}s: {self.queue_counts()}")
            time.sleep(interval)

    # -- polling ---------------------------------------------------------------------------------

    def _run(self) -> None:
        # Like a Lambda container: one event loop per worker, kept across invocations (async handlers
        # reuse their connections and sessions instead of abandoning them with a fresh loop each batch).
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            self._poll_until_stopped()
        finally:
            if self.before_loop_close is not None:
                try:
                    self.before_loop_close(loop)
                except Exception:
                    log.exception("closing the worker's sessions failed")
            loop.close()

    def _poll_until_stopped(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                # An SQS error (e.g. moto stopping under us): log it, back off a little, go on.
                log.exception("polling %s failed", self.queue_url)
                self._stop.wait(0.5)

    def poll_once(self) -> int:
        """Receive one batch and handle it; returns the number of messages received."""
        response = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_time_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        with self._lock:
            self._in_flight += 1
            for message in messages:
                self.stats.parked.pop(message["MessageId"], None)
        try:
            self._handle(messages)
        finally:
            with self._lock:
                self._in_flight -= 1
        return len(messages)

    def _handle(self, messages: list[dict[str, Any]]) -> None:
        ids = [m["MessageId"] for m in messages]
        try:
            result = self._invoke(sqs_event(messages, self.queue_arn, self.region))
        except Exception:
            log.exception("function failed on a batch of %d from %s; the batch stays", len(ids), self.queue_url)
            failed = set(ids)
            with self._lock:
                self.stats.errors += 1
        else:
            failed = failed_message_ids(result, ids, self.report_item_failures)
        done = [m for m in messages if m["MessageId"] not in failed]
        self._delete(done)
        self._park([m for m in messages if m["MessageId"] in failed])
        with self._lock:
            self.stats.batches += 1
            self.stats.deleted += len(done)
            self.stats.failed += len(failed)

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            response = self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            for failure in response.get("Failed", []):
                log.error("could not delete a message from %s: %s", self.queue_url, failure)

    def _park(self, messages: list[dict[str, Any]]) -> None:
        if not messages:
            return
        timeout = self.failure_visibility_timeout
        visible_at = time.monotonic() + (self._queue_visibility_timeout() if timeout is None else timeout)
        with self._lock:
            self.stats.parked.update((m["MessageId"], visible_at) for m in messages)
        if timeout is None:
            return
        for message in messages:
            self._sqs.change_message_visibility(
                QueueUrl=self.queue_url,
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=timeout,
            )

    def _queue_visibility_timeout(self) -> int:
        if self._visibility_timeout is None:
            attributes = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["VisibilityTimeout"])
            self._visibility_timeout = int(attributes["Attributes"]["VisibilityTimeout"])
        return self._visibility_timeout

"""Dead-letter redrive: move the dispatcher DLQ's messages back to the events queue.

Safe to run more than once: deliveries are idempotent per (event, webhook), so a message that reaches the
dispatcher twice delivers once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def dead_letter_queue_of(sqs: Any, queue_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    arn = json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
    account, name = arn.split(":")[4], arn.split(":")[5]
    return str(sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])


def redrive(sqs: Any, queue_url: str, progress: Callable[[int, int], None] | None = None) -> int:
    """Move every message of `queue_url`'s DLQ back to it; returns how many moved."""
    dlq_url = dead_letter_queue_of(sqs, queue_url)
    counts = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
    total = int(counts["Attributes"].get("ApproximateNumberOfMessages", 0))
    moved = 0
    while True:
        messages = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return moved
        entries = [{"Id": str(i), "MessageBody": m["Body"]} for i, m in enumerate(messages)]
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        sent = {entry["Id"] for entry in answer.get("Successful", [])}
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages) if str(i) in sent]
        if done:  # only what reached the queue leaves the DLQ
            sqs.delete_message_batch(QueueUrl=dlq_url, Entries=done)
        moved += len(done)
        if progress:
            progress(moved, max(total, moved))
        if answer.get("Failed"):
            raise RuntimeError(f"{len(answer['Failed'])} messages could not be sent back; they stay in the DLQ")

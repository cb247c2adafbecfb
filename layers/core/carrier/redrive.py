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


EMPTY_RECEIVES_TO_STOP = 3  # consecutive empty long polls: SQS's sampled receives can miss messages
WAIT_SECONDS = 2


def remaining(sqs: Any, dlq_url: str) -> int:
    """Messages still in the DLQ, visible or being handled."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    counts = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=names)["Attributes"]
    return sum(int(counts.get(name, 0)) for name in names)


def redrive(sqs: Any, queue_url: str, progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Move the messages of `queue_url`'s DLQ back to it; returns (moved, left in the DLQ).

    Long polls, and stops only after several empty receives in a row (one empty short poll is no proof that a
    queue is empty); what is left is read from the queue's counts, so a caller can tell a partial redrive."""
    dlq_url = dead_letter_queue_of(sqs, queue_url)
    total = remaining(sqs, dlq_url)
    moved, empty = 0, 0
    while empty < EMPTY_RECEIVES_TO_STOP:
        messages = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=WAIT_SECONDS).get(
            "Messages", []
        )
        if not messages:
            empty += 1
            continue
        empty = 0
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
            break  # the rest stays in the DLQ, and is reported as left
    return moved, remaining(sqs, dlq_url)

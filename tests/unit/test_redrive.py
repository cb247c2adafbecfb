"""`carrier dlq redrive` long-polls until the DLQ is really empty, and says what is left."""

from __future__ import annotations

import json
from typing import Any

from carrier.redrive import EMPTY_RECEIVES_TO_STOP, redrive

QUEUE, DLQ = "https://sqs/events", "https://sqs/events-dlq"


class SampledQueue:
    """An SQS stand-in whose receives miss messages now and then (SQS samples its servers), and which can refuse
    sends back."""

    def __init__(self, messages: int, misses: list[bool], refuse_after: int | None = None) -> None:
        self.dlq = [f"body-{n}" for n in range(messages)]
        self.queue: list[str] = []
        self.misses = misses
        self.refuse_after = refuse_after
        self.waits: list[int] = []

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:
        if "RedrivePolicy" in AttributeNames:
            policy = {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:events-dlq"}
            return {"Attributes": {"RedrivePolicy": json.dumps(policy)}}
        return {"Attributes": {"ApproximateNumberOfMessages": str(len(self.dlq))}}

    def get_queue_url(self, QueueName: str, QueueOwnerAWSAccountId: str) -> dict[str, str]:
        return {"QueueUrl": DLQ}

    def receive_message(self, QueueUrl: str, MaxNumberOfMessages: int, WaitTimeSeconds: int) -> dict[str, Any]:
        self.waits.append(WaitTimeSeconds)
        if (self.misses.pop(0) if self.misses else False) or not self.dlq:
            return {}
        return {"Messages": [{"Body": b, "ReceiptHandle": b} for b in self.dlq[:MaxNumberOfMessages]]}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        if self.refuse_after is not None and len(self.queue) >= self.refuse_after:
            return {"Successful": [], "Failed": [{"Id": e["Id"]} for e in Entries]}
        self.queue += [e["MessageBody"] for e in Entries]
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> None:
        gone = {e["ReceiptHandle"] for e in Entries}
        self.dlq = [b for b in self.dlq if b not in gone]


def test_an_empty_receive_is_not_taken_for_an_empty_queue() -> None:
    # Given 25 dead letters, and receives that come back empty twice before finding them
    sqs = SampledQueue(25, misses=[True, True])
    # When redriving
    moved, left = redrive(sqs, QUEUE)
    # Then every message went back, with long polls, and nothing is left
    assert (moved, left) == (25, 0) and sorted(sqs.queue) == sorted(f"body-{n}" for n in range(25))
    assert set(sqs.waits) == {2} and sqs.waits.count(2) >= EMPTY_RECEIVES_TO_STOP


def test_a_partial_redrive_reports_what_is_left() -> None:
    sqs = SampledQueue(25, misses=[], refuse_after=10)
    moved, left = redrive(sqs, QUEUE)
    assert (moved, left) == (10, 15)

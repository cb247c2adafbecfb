"""DLQ redrive: messages go back to the events queue and deliver exactly once per webhook."""

from __future__ import annotations

import json

import boto3

from carrier import runtime
from carrier.cli import main
from tests.integration.conftest import create, deliveries
from tests.pipeline import bus_event, dispatch
from tests.receiver import Receiver


def queues() -> tuple[str, str]:
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="carrier-test-events-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(
        QueueName="carrier-test-events",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})},
    )["QueueUrl"]
    return queue, dlq


def drain(queue: str) -> int:
    """Hand every message of the queue to the dispatcher, as the event source mapping would."""
    sqs, handled = boto3.client("sqs"), 0
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        dispatch(*[m["Body"] for m in messages])
        for m in messages:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
        handled += len(messages)
    return handled


def test_redriven_messages_deliver_exactly_once_per_webhook(pipeline, monkeypatch, capsys) -> None:
    # a loaded CI machine can take more than the pipeline's 2 s to answer 24 requests: this test is about counts
    monkeypatch.setenv("HTTP_TIMEOUT_SECONDS", "10")
    runtime.reset()
    queue, dlq = queues()
    sqs = boto3.client("sqs")
    events = [bus_event("model.trained", {"n": n}, event_id=f"evt_dlq_{n}") for n in range(12)]
    with Receiver() as receiver:
        hooks = [create(receiver.url + f"/{n}") for n in range(2)]
        dispatch(events[0])  # this one was delivered before its message went to the DLQ too
        for event in events:
            sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(event))
        monkeypatch.setenv("CARRIER_STATE", "/nonexistent")
        assert main(["dlq", "redrive", "--queue-url", queue]) == 0
        assert "moved 12 messages" in capsys.readouterr().out
        assert (
            int(
                sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
                    "ApproximateNumberOfMessages"
                ]
            )
            == 0
        )
        assert drain(queue) == 12
    assert len(receiver.requests) == 24  # 12 events x 2 webhooks, the one delivered before not again
    for hook in hooks:
        assert sorted(d["event_id"] for d in deliveries(hook["id"])) == sorted(e["detail"]["id"] for e in events)

"""The harness itself: virtual time, the queue model with the template's numbers, kills at Timeout, the injector's
determinism, and moto's fast paths answering as moto does."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from typing import Any

import boto3

from tests.faults import deployment, speed
from tests.faults.harness import Carrier
from tests.faults.sqs import LambdaContext


def test_the_queue_brings_a_failed_message_back_after_the_visibility_timeout_and_dead_letters_it(
    carrier: Carrier,
) -> None:
    # Given a function that fails every record
    config = carrier.queue.config
    received: list[tuple[float, int]] = []

    def failing(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        for record in event["Records"]:
            received.append((context.world.now().timestamp(), int(record["attributes"]["ApproximateReceiveCount"])))
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}

    carrier.queue.handler = failing
    start = carrier.world.now().timestamp()
    message = carrier.publish()
    carrier.drain()
    # Then it was received maxReceiveCount times, VisibilityTimeout apart, and is in the DLQ
    assert [n for _, n in received] == list(range(1, config.max_receive_count + 1))
    gaps = [round(b - a) for (a, _), (b, _) in itertools.pairwise(received)]
    assert gaps == [config.visibility_timeout] * (config.max_receive_count - 1)
    assert received[0][0] - start == config.batching_window
    assert carrier.queue.dead == [message]


def test_an_invocation_still_waiting_at_its_timeout_is_killed_and_its_message_comes_back(carrier: Carrier) -> None:
    # Given a function that waits longer than its Timeout
    config = carrier.queue.config
    ended: list[str] = []

    def hanging(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if event["Records"][0]["attributes"]["ApproximateReceiveCount"] == "1":
            carrier.world.sleep(config.function_timeout + 60)
            ended.append("first")  # never reached: killed at its Timeout
        ended.append("second")
        return {"batchItemFailures": []}

    carrier.queue.handler = hanging
    message = carrier.publish()
    carrier.drain()
    # Then the first was killed at its Timeout (its code after the wait never ran) and the second deleted the message
    first, second = carrier.queue.invocations
    assert first.outcome == "killed" and second.outcome == "ok" and ended == ["second"]
    assert first.participant.ended_at is not None and first.participant.started_at is not None
    assert first.participant.ended_at - first.participant.started_at == timedelta(seconds=config.function_timeout)
    assert message.receive_count == 2 and not carrier.queue.messages


def test_rates_are_deterministic_and_counted(carrier: Carrier) -> None:
    # Given a 50 % throttling rate on GetItem, decided by each call's identity and rank
    carrier.injector.rate("dynamodb", 0.5, "GetItem")
    table = carrier.store.table

    def reads() -> list[bool]:
        outcomes = []
        for n in range(40):
            try:
                table.get_item(Key={"pk": f"K#{n % 4}", "sk": "S"})
                outcomes.append(True)
            except table.meta.client.exceptions.ClientError:
                outcomes.append(False)
        return outcomes

    first = carrier.world.call("reader", reads)
    # Then about half failed, they are counted, and a second injector with the same seed decides the same
    assert 10 < first.count(False) < 30
    assert carrier.injector.total("dynamodb") == first.count(False)
    carrier.injector._seen.clear()
    assert carrier.world.call("reader again", reads) == first


def test_the_harness_own_calls_are_never_faulted(carrier: Carrier) -> None:
    carrier.injector.rate("dynamodb", 1.0)
    assert carrier.store.table.scan()["Items"] == []
    assert carrier.injector.total() == 0


def test_moto_fast_paths_answer_what_moto_answers(carrier: Carrier) -> None:
    # The harness's DynamoDB shortcuts (tests/faults/speed.py) against moto's own code paths
    client = boto3.client("dynamodb")
    table = carrier.store.table
    for n in range(30):
        table.put_item(Item={"pk": f"WH#w{n % 3}", "sk": f"DLV#{n:02d}", "n": n, "l": [1, "x"]})
    gsis = deployment.template()["Resources"]["Table"]["Properties"].get("GlobalSecondaryIndexes", [])
    keys = [{k["KeyType"]: k["AttributeName"] for k in gsi["KeySchema"]} for gsi in gsis]
    for n, named in enumerate(keys):  # a few items in each global index (sparse: most items are in none)
        for m in range(3):
            table.put_item(Item={"pk": f"X#{n}", "sk": f"{m}", named["HASH"]: "H#1", named.get("RANGE", "r"): f"{m}"})
    calls = [
        *(
            lambda gsi=gsi, named=named: client.query(
                TableName=table.name,
                IndexName=gsi["IndexName"],
                KeyConditionExpression="#h = :h",
                ExpressionAttributeNames={"#h": named["HASH"]},
                ExpressionAttributeValues={":h": {"S": "H#1"}},
            )
            for gsi, named in zip(gsis, keys, strict=True)
        ),
        lambda: client.query(
            TableName=table.name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "WH#w1"}}
        ),
        lambda: client.query(
            TableName=table.name,
            KeyConditionExpression="pk = :p AND sk BETWEEN :s AND :e",
            ExpressionAttributeValues={":p": {"S": "WH#w2"}, ":s": {"S": "DLV#10"}, ":e": {"S": "DLV#25"}},
            ScanIndexForward=False,
            Limit=4,
        ),
        lambda: client.get_item(TableName=table.name, Key={"pk": {"S": "WH#w0"}, "sk": {"S": "DLV#03"}}),
        lambda: client.scan(TableName=table.name, Limit=7),
    ]
    fast = [json.dumps(call(), default=str, sort_keys=True) for call in calls]
    with speed.moto_as_is():
        slow = [json.dumps(call(), default=str, sort_keys=True) for call in calls]

    def body(text: str) -> Any:
        answer = json.loads(text)
        answer.pop("ResponseMetadata", None)
        return answer

    assert [body(t) for t in fast] == [body(t) for t in slow]

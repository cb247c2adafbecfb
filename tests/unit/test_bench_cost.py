"""bench/cost.py, the cost model, against examples computed by hand from AWS's billing rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import cost

PRICES = json.loads((Path(__file__).resolve().parents[2] / "bench" / "prices.json").read_text())

LSI_ALL = cost.TableShape(("pk", "sk"), (cost.Index("lsi1", ("pk", "lsi1"), "ALL"),))
GSI_KEYS = cost.TableShape(("pk", "sk"), (cost.Index("gsi", ("gpk",), "KEYS_ONLY"),))
GSI_INCLUDE = cost.TableShape(("pk", "sk"), (cost.Index("open", ("shard", "due"), "INCLUDE", ("delivery_id",)),))


def item(size: int, **extra: str) -> dict[str, Any]:
    """An item of exactly `size` bytes: pk, sk, the `extra` string attributes, and `data` filling the rest."""
    attributes = {"pk": "a", "sk": "b", **extra}
    fixed = sum(len(k) + len(v) for k, v in attributes.items()) + len("data")
    assert size >= fixed
    return {k: {"S": v} for k, v in {**attributes, "data": "x" * (size - fixed)}.items()}


# ---- sizes ----------------------------------------------------------------------------------------------------


def test_item_size_follows_dynamodbs_rules() -> None:
    # Given a string, a number of 5 significant digits, a map and a list
    # Then name + UTF-8 bytes; name + ceil(5 / 2) + 1; name + 3 + (1 + key + value) per entry; name + 3 + 1 + value
    assert cost.item_size({"s": {"S": "héllo"}}) == 1 + 6
    assert cost.item_size({"n": {"N": "12345"}}) == 1 + 3 + 1
    assert cost.item_size({"n": {"N": "100"}}) == 1 + 1 + 1  # trailing zeros trimmed
    assert cost.item_size({"m": {"M": {"a": {"S": "xy"}}}}) == 1 + 3 + 1 + 1 + 2
    assert cost.item_size({"l": {"L": [{"BOOL": True}, {"NULL": True}]}}) == 1 + 3 + 2 * (1 + 1)
    assert cost.item_size(item(1229)) == 1229


def test_read_units_round_each_request_to_4_kb_half_when_eventually_consistent() -> None:
    assert cost.read_units(4096, consistent=True) == 1
    assert cost.read_units(4097, consistent=True) == 2
    assert cost.read_units(100, consistent=False) == 0.5
    assert cost.read_units(0, consistent=False) == 0.5  # an item not found still costs the minimum
    # A Query sums what it read, then rounds: three 1,000-byte items are one 4 KB unit (not three)
    assert cost.query_read_units([1000, 1000, 1000], consistent=False) == 0.5
    assert cost.query_read_units([3000, 3000], consistent=True) == 2


# ---- write units by size, with the table's indexes ---------------------------------------------------------------


def test_a_1_2_kb_put_with_an_all_projected_lsi_costs_2_plus_2() -> None:
    # Given a new 1.2 KB item carrying the LSI's sort key (projection ALL: the entry is the item + 100 bytes)
    new = item(1229, lsi1="c")
    # When it is put
    paid = cost.write_cost(LSI_ALL, None, new)
    # Then 2 units for the item (1,229 bytes) and 2 for its index entry (1,329 bytes)
    assert (paid.table, dict(paid.indexes), paid.total) == (2, {"lsi1": 2}, 4)


def test_a_keys_only_gsi_entry_costs_one_unit_whatever_the_items_size() -> None:
    paid = cost.write_cost(GSI_KEYS, None, item(3000, gpk="g"))
    assert (paid.table, paid.indexes["gsi"]) == (3, 1)


def test_an_update_bills_the_larger_of_before_and_after() -> None:
    # Given a 2.5 KB item trimmed to 0.5 KB (no index key: a sparse index holds no entry)
    paid = cost.write_cost(GSI_KEYS, item(2560), item(512))
    # Then 3 units (the item before), none for the index
    assert (paid.table, paid.indexes["gsi"]) == (3, 0)


def test_a_changed_index_key_is_a_delete_and_a_put_and_a_removed_one_a_delete() -> None:
    before, moved, removed = item(400, shard="s1", due="1"), item(400, shard="s1", due="2"), item(400)
    assert cost.write_cost(GSI_INCLUDE, before, moved).indexes["open"] == 2
    assert cost.write_cost(GSI_INCLUDE, before, removed).indexes["open"] == 1
    assert cost.write_cost(GSI_INCLUDE, None, before).indexes["open"] == 1


def test_changing_only_attributes_an_index_does_not_project_writes_nothing_to_it() -> None:
    # Given a KEYS_ONLY entry, and an update of `data` alone
    before, after = item(500, gpk="g"), item(700, gpk="g")
    # Then the index is not written; with projection ALL it would be (the larger entry)
    assert cost.write_cost(GSI_KEYS, before, after).indexes["gsi"] == 0
    shape = cost.TableShape(("pk", "sk"), (cost.Index("all", ("gpk",), "ALL"),))
    assert cost.write_cost(shape, before, after).indexes["all"] == 1


def test_a_refused_conditional_write_bills_the_item_and_no_index() -> None:
    existing = item(1500, lsi1="c")
    paid = cost.write_cost(LSI_ALL, existing, existing)
    assert (paid.table, paid.indexes["lsi1"]) == (2, 0)
    assert cost.write_cost(LSI_ALL, None, None).total == 1  # refused on no item at all: the minimum


def test_a_transaction_bills_twice() -> None:
    assert cost.write_cost(LSI_ALL, None, item(1229, lsi1="c"), transactional=True).total == 8


def test_the_table_shape_is_read_from_the_templates_properties() -> None:
    properties = {
        "KeySchema": [{"AttributeName": "sk", "KeyType": "RANGE"}, {"AttributeName": "pk", "KeyType": "HASH"}],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "lsi1",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "lsi1", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "open",
                "KeySchema": [{"AttributeName": "shard", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["delivery_id"]},
            }
        ],
    }
    shape = cost.table_shape(properties)
    assert shape.keys == ("pk", "sk")
    assert shape.indexes == (
        cost.Index("lsi1", ("pk", "lsi1"), "ALL"),
        cost.Index("open", ("shard",), "INCLUDE", ("delivery_id",)),
    )


def test_storage_counts_100_bytes_per_item_and_per_index_entry() -> None:
    assert cost.stored_bytes(item(1000, lsi1="c"), LSI_ALL) == 1000 + 100 + 1000 + 100


# ---- PutEvents, SQS, Lambda ----------------------------------------------------------------------------------------


def test_put_events_bills_each_started_64_kb_of_an_entry() -> None:
    entry = {"Source": "s", "DetailType": "t", "Detail": "x" * (64 * 1024 - 2)}
    assert cost.put_events_entry_size(entry) == 64 * 1024
    assert cost.chunks(cost.put_events_entry_size(entry)) == 1
    assert cost.chunks(cost.put_events_entry_size({**entry, "Time": "2026-01-01T00:00:00Z"})) == 2  # Time: 14 bytes
    assert cost.chunks(0) == 1
    assert cost.chunks(200 * 1024) == 4


def test_expected_max_of_concurrent_sends() -> None:
    mix = ((0.5, 1.0), (0.5, 3.0))
    # Two sends: both fast with probability 1/4 (1 s), else 3 s
    assert cost.expected_max(mix, 2) == pytest.approx(0.25 * 1 + 0.75 * 3)
    assert cost.expected_makespan(mix, 2, slots=2) == pytest.approx(2.5)
    # One slot: they run one after the other (E = 2 + 2)
    assert cost.expected_makespan(mix, 2, slots=1) == pytest.approx(4.0, abs=0.1)
    # The stated mix at the template's 30 s timeout: one send averages 1.775 s; ten sends wait ~12.3 s
    stated = cost.latency_mix(30)
    assert cost.mean(stated) == pytest.approx(1.775)
    assert cost.expected_max(stated, 10) == pytest.approx(
        (1 - 0.95**10) * 30 + (0.95**10 - 0.5**10) * 0.5 + 0.5**10 * 0.1
    )


def test_lambda_bills_milliseconds_times_configured_memory() -> None:
    assert cost.gb_seconds(0.0001, 1024) == pytest.approx(0.001)
    assert cost.gb_seconds(2.0, 512) == pytest.approx(1.0)


# ---- per delivery --------------------------------------------------------------------------------------------------

CONFIG = cost.Config(
    batch_size=10,
    dispatcher_memory_mb=1024,
    attempt_memory_mb=512,
    http_timeout_seconds=30,
    send_slots=50,
    retention_days=30,
)


def measured(fanout: int) -> cost.Measured:
    return cost.Measured(
        fanout=fanout,
        event_chunks=1,
        message_bytes=400,
        wru=2,
        rru=0.5,
        secrets_calls=0,
        sfn_calls=0,
        own_seconds_per_invocation=0.2,
        log_bytes_per_invocation=10_000,
        stored_bytes=1000,
    )


def test_per_event_units_are_shared_by_the_fanout_and_per_batch_units_by_the_batch() -> None:
    lines = cost.first_try(measured(10), CONFIG, PRICES)
    assert lines["eventbridge_put_events"]["per_delivery"] == pytest.approx(0.1)
    assert lines["sqs_send_by_eventbridge"]["per_delivery"] == pytest.approx(0.1)  # one message per event
    assert lines["sqs_receive"]["per_delivery"] == pytest.approx(0.01)  # one receive per batch of 10 events
    assert lines["lambda_requests"]["per_delivery"] == pytest.approx(0.01)
    assert lines["dynamodb_write_units"]["usd_per_million"] == pytest.approx(2 * 0.625)
    # The invocation waits for the slowest of its 100 sends (almost surely one at the 30 s timeout)
    seconds = 0.2 + cost.expected_max(cost.latency_mix(30), 50)
    assert cost.invocation_seconds(measured(10), CONFIG, cost.latency_mix(30)) > seconds


def test_an_invocation_takes_what_arrives_within_the_batching_window() -> None:
    windowed = cost.Config(**{**CONFIG.__dict__, "batching_window_seconds": 1.0})
    assert cost.batch_events(windowed, None) == 10  # full batches
    assert cost.batch_events(windowed, 100.0) == 10  # BatchSize caps it
    assert cost.batch_events(windowed, 3.86) == pytest.approx(3.86)
    assert cost.batch_events(windowed, 0.1) == 1  # at least the event that started it
    # Fewer events an invocation: fewer deliveries share its requests
    lines = cost.first_try(measured(10), windowed, PRICES, events_per_second=3.86)
    assert lines["lambda_requests"]["per_delivery"] == pytest.approx(1 / 38.6)


def test_the_floor_is_putevents_sqs_and_the_event_write_per_event_plus_one_delivery_write() -> None:
    assert cost.floor(1, PRICES) == pytest.approx(1.0 + 0.4 + 0.625 + 0.625)
    assert cost.floor(10, PRICES) == pytest.approx((1.0 + 0.4 + 0.625) / 10 + 0.625)


def test_the_ladder_prices_its_transitions_at_the_stated_failure_mix() -> None:
    lines = cost.ladder(3, 11, 6, attempt_wru=2, config=CONFIG, prices=PRICES)
    # 5 % retried: 4 % delivered at the first retry (3 transitions), 1 % through the ladder (11)
    assert lines["stepfunctions_transitions"]["per_delivery"] == pytest.approx(0.04 * 3 + 0.01 * 11)
    assert lines["lambda_requests"]["per_delivery"] == pytest.approx(0.04 + 0.01 * 6)


def test_peers_at_their_list_prices() -> None:
    assert cost.peers(1, PRICES) == {"eventbridge_api_destinations": 1.2, "outpost_managed": 10.0, "svix": 100.0}
    assert cost.peers(10, PRICES)["eventbridge_api_destinations"] == pytest.approx(0.3)


# ---- bench/aws_calls.py's ledger: real requests on moto, billed by the items before and after ----------------------


def test_the_ledger_bills_each_request_by_the_items_moto_holds(env: dict[str, str]) -> None:
    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    from bench.aws_ledger import Ledger

    with mock_aws():
        # Given a table with an ALL-projected LSI, and a ledger on a session's clients
        boto3.client("dynamodb").create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "lsi1")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            LocalSecondaryIndexes=[
                {
                    "IndexName": "lsi1",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "lsi1", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        session = boto3.session.Session()
        ledger = Ledger(LSI_ALL)
        ledger.attach(session.events)
        ledger.active = True
        client = session.client("dynamodb")
        key = {"pk": {"S": "a"}, "sk": {"S": "b"}}
        # When a 1.2 KB item is put: 2 + 2
        client.put_item(TableName="t", Item=item(1229, lsi1="c"))
        assert (ledger.writes, ledger.wru) == (1, 4)
        # A refused conditional put bills the item (2), not the index
        with pytest.raises(ClientError):
            client.put_item(TableName="t", Item=item(100, lsi1="c"), ConditionExpression="attribute_not_exists(pk)")
        assert ledger.wru == 6
        # An update that shrinks it bills the larger, before: 2 + 2
        client.update_item(
            TableName="t",
            Key=key,
            UpdateExpression="SET #d = :d",
            ExpressionAttributeNames={"#d": "data"},
            ExpressionAttributeValues={":d": {"S": "small"}},
        )
        assert ledger.wru == 10
        # A filtered Query bills what it read (one small item, eventually consistent): 0.5
        client.query(
            TableName="t",
            KeyConditionExpression="pk = :p",
            FilterExpression="sk = :none",
            ExpressionAttributeValues={":p": {"S": "a"}, ":none": {"S": "zzz"}},
        )
        assert ledger.rru == 0.5
        ledger.check()
        assert list(ledger.created) and ledger.calls["dynamodb.PutItem"] == 2

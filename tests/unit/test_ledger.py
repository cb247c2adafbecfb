"""The latency ledger's books (`bench/ledger.py`): published x matching = received + accounted failures, or the run
is void and says by how much; percentiles by nearest rank; latencies from the four stamps. No timing here."""

from __future__ import annotations

from typing import Any

from bench.ledger_books import as_figures, balance, delivery_latencies, earliest, hook_number, percentiles


def test_every_delivery_received_balances() -> None:
    # Given two events published to three matching webhooks, all six deliveries received
    received = [(event, n) for event in ("e1", "e2") for n in range(3)]
    # When the books are closed
    books = balance(["e1", "e2"], 3, received, [])
    # Then they balance
    assert books["balanced"] is True and books["void"] is None
    assert (books["expected"], books["received"], books["accounted_failures"], books["missing"]) == (6, 6, 0, 0)
    assert books["equation"] == "2 x 3 = 6 = 6 received + 0 accounted failures"


def test_a_failed_attempt_that_never_arrived_is_accounted_and_still_balances() -> None:
    books = balance(["e1"], 2, [("e1", 0)], [("e1", 1)])
    assert books["balanced"] is True
    assert (books["received"], books["accounted_failures"], books["missing"]) == (1, 1, 0)


def test_a_failure_that_arrived_later_counts_once_as_received() -> None:
    books = balance(["e1"], 1, [("e1", 0)], [("e1", 0)])
    assert (books["received"], books["accounted_failures"], books["missing"]) == (1, 0, 0)


def test_a_missing_delivery_voids_the_run_naming_the_imbalance() -> None:
    books = balance(["e1", "e2"], 2, [("e1", 0), ("e1", 1), ("e2", 0)], [])
    assert books["balanced"] is False
    assert books["missing"] == 1
    assert books["void"] == "1 deliveries neither received nor accounted failures"
    assert "4 != 3 received + 0 accounted failures" in books["equation"]


def test_a_delivery_nobody_published_voids_the_run() -> None:
    books = balance(["e1"], 1, [("e1", 0), ("ghost", 0)], [])
    assert books["unexpected"] == 1 and books["missing"] == 0
    assert books["balanced"] is False and "not published" in books["void"]


def test_nothing_published_is_void_not_balanced() -> None:
    books = balance([], 5, [], [], publish_failed=3)
    assert books["balanced"] is False and books["void"] == "nothing was published"
    assert books["publish_failed"] == 3


def test_a_repeated_delivery_is_counted_once_and_reported_as_a_duplicate() -> None:
    books = balance(["e1"], 1, [("e1", 0), ("e1", 0)], [])
    assert books["balanced"] is True
    assert (books["received"], books["duplicates"]) == (1, 1)


def test_percentiles_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1 .. 100
    assert percentiles(values) == {"p50": 50.0, "p95": 95.0, "p99": 99.0}
    assert percentiles(reversed(values)) == {"p50": 50.0, "p95": 95.0, "p99": 99.0}
    assert percentiles([7.25]) == {"p50": 7.2, "p95": 7.2, "p99": 7.2}  # rounded to 0.1 ms
    assert percentiles([]) == {"p50": None, "p95": None, "p99": None}


def test_percentiles_of_a_few_values_take_the_largest_for_the_tail() -> None:
    assert percentiles([10.0, 20.0, 30.0]) == {"p50": 20.0, "p95": 30.0, "p99": 30.0}


def test_latencies_come_from_the_stamps_in_milliseconds() -> None:
    # Given one event published at 100.0, received by the dispatcher at 100.5, sent to webhook 0 at 100.6,
    # whose first byte arrived at 100.65
    found = delivery_latencies({"e1": 100.0}, {"e1": 100.5}, {("e1", 0): 100.6}, {("e1", 0): 100.65})
    # Then the overhead is 150 ms, publish to first byte 650 ms, and the overhead's two parts add up to it
    rounded = {name: [round(v, 3) for v in values] for name, values in found.items()}
    assert rounded == {
        "overhead": [150.0],
        "publish_to_first_byte": [650.0],
        "receive_to_send": [100.0],
        "send_to_first_byte": [50.0],
    }


def test_a_redelivered_event_keeps_its_first_stamp() -> None:
    assert earliest([("e1", 3.0), ("e1", 1.0), ("e2", 2.0)]) == {"e1": 1.0, "e2": 2.0}


def test_the_webhook_number_is_read_from_its_path() -> None:
    assert hook_number("http://127.0.0.1:9000/hook/4") == 4
    assert hook_number("/hook/12") == 12
    assert hook_number("/elsewhere") is None


def _result(balanced: bool, kept_up: bool = True) -> dict[str, Any]:
    books = balance(["e1"], 1, [("e1", 0)] if balanced else [], [])
    return {
        "run": {"rate_per_s": 4.0, "seconds": 60.0, "fanout": 1, "receiver_delay_ms": 50.0, "kept_up": kept_up},
        "ledger": books,
        "publisher": {"open_loop_held": True},
        "latency_ms": {
            "overhead": {"p50": 1.0, "p95": 2.0, "p99": 3.0},
            "publish_to_first_byte": {"p50": 4.0, "p95": 5.0, "p99": 6.0},
        },
    }


def test_figures_of_a_balanced_run_carry_the_latencies_and_say_so() -> None:
    figures = as_figures(_result(balanced=True))
    assert figures["latency_overhead_ms"]["value"] == {"p50": 1.0, "p95": 2.0, "p99": 3.0}
    assert figures["latency_publish_to_first_byte_ms"]["value"] == {"p50": 4.0, "p95": 5.0, "p99": 6.0}
    assert figures["latency_overhead_ms"]["met"] is None
    assert "balanced: 1 x 1 = 1 = 1 received" in figures["latency_overhead_ms"]["note"]
    assert figures["ledger"]["balanced"] is True


def test_figures_of_a_void_run_carry_no_latencies() -> None:
    figures = as_figures(_result(balanced=False))
    assert figures["latency_overhead_ms"]["value"] is None
    assert figures["latency_publish_to_first_byte_ms"]["value"] is None
    assert "VOID: 1 deliveries neither received nor accounted failures" in figures["latency_overhead_ms"]["note"]


def test_figures_of_a_run_whose_stack_fell_behind_say_so() -> None:
    figures = as_figures(_result(balanced=True, kept_up=False))
    assert figures["latency_overhead_ms"]["value"] is not None  # balanced: reported, with the backlog named
    assert "the stack did NOT keep up" in figures["latency_overhead_ms"]["note"]
    assert "did NOT keep up" not in as_figures(_result(balanced=True))["latency_overhead_ms"]["note"]

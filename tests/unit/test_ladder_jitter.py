"""Item 5 of issue 19: every wait of the retry ladder is its rung ± 10 % (carrier.ladder.jittered, the one place),
deterministic under a seeded source, different across deliveries, and never before the receiver's Retry-After."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from carrier.clock import iso
from carrier.ladder import JITTER, jittered
from carrier.retries import EXHAUSTED
from carrier.scheduling import execution_input
from tests.fakes import answer
from tests.unit.engine import LADDER, Engine


def test_jittered_stays_within_ten_percent_and_reaches_both_ends() -> None:
    assert JITTER == 0.10
    assert jittered(300, lambda: 0.0) == 270 and jittered(300, lambda: 0.5) == 300
    assert jittered(300, lambda: 0.99999) == 330 and jittered(0, lambda: 0.9) == 0
    rand = random.Random(19).random
    draws = [jittered(86400, rand) for _ in range(1000)]
    assert all(77760 <= d <= 95040 for d in draws) and len(set(draws)) > 900


def failing_ladder_waits(engine: Engine) -> list[int]:
    """The waits of one delivery whose every attempt fails: the dispatcher's first, then each step's next."""
    engine.hook()
    engine.transport.default = answer(500)
    engine.publish()
    [handoff] = engine.scheduler.handoffs
    waits = [handoff.wait_seconds]
    assert engine.delivery()["next_attempt_at"] == iso(engine.clock.now() + timedelta(seconds=waits[0]))
    state = execution_input(handoff, LADDER)
    while True:
        engine.clock.advance(state["wait_seconds"])
        state = engine.retries.attempt(state)
        if state["outcome"] != "retry":
            break
        waits.append(state["wait_seconds"])
        assert engine.delivery()["next_attempt_at"] == iso(engine.clock.now() + timedelta(seconds=waits[-1]))
    assert state["outcome"] == EXHAUSTED
    return waits


def test_every_wait_is_its_rung_within_ten_percent_and_deliveries_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a seeded source for the jitter
    monkeypatch.setattr("carrier.ladder.RANDOM", random.Random(5).random)
    # When five deliveries fail through the whole ladder
    ladders = [failing_ladder_waits(Engine()) for _ in range(5)]
    # Then each wait is its rung ± 10 %, and the deliveries were not all retried at the same moments
    for waits in ladders:
        assert len(waits) == len(LADDER)
        for wait, rung in zip(waits, LADDER, strict=True):
            assert rung * 0.9 <= wait <= rung * 1.1, (wait, rung)
    for rung_waits in zip(*ladders, strict=True):
        assert len(set(rung_waits)) > 1, rung_waits


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.99999])
def test_retry_after_is_never_undercut_by_the_jitter_and_stays_capped(monkeypatch, draw: float) -> None:
    monkeypatch.setattr("carrier.ladder.RANDOM", lambda: draw)
    engine = Engine()
    engine.hook()
    # a first attempt answered 500, then 429 asking for 1900 s (inside 1800 ± 10 %), then 503 asking for days
    engine.transport.replies = [
        answer(500),
        answer(429, headers={"Retry-After": "1900"}),
        answer(503, headers={"Retry-After": "999999"}),
    ]
    engine.publish()
    [handoff] = engine.scheduler.handoffs
    state = execution_input(handoff, LADDER)
    engine.clock.advance(state["wait_seconds"])
    second = engine.retries.attempt(state)
    assert second["outcome"] == "retry" and second["step"] == 1
    assert second["wait_seconds"] == max(1900, jittered(LADDER[1], lambda: draw))  # never before Retry-After
    engine.clock.advance(second["wait_seconds"])
    third = engine.retries.attempt(second)
    assert third["wait_seconds"] == max(LADDER)  # Retry-After capped at the ladder's longest wait

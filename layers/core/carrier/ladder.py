"""The retry ladder's loop, as data: what the state machine does after each outcome of the attempt function,
the errors that end it, and the jitter of its waits.

statemachines/retry.asl.json is a loop, Wait -> Attempt -> Wait, with no Choice state: a `retry` is the attempt
function's normal answer (its `wait_seconds` is the next Wait); an outcome that ends the ladder is raised as
`LadderEnded` or `LadderExhausted`, which the Attempt task's Catch routes by name (its first retrier never
retries them). A full failing ladder costs 11 state transitions (5 x Wait, Attempt, then Exhaust). The local
ladder follows the same table, and a test checks it against the ASL.

Each wait is its rung +/- 10 % (`jittered`), so deliveries that failed together (a receiver's outage) are not
retried together: the dispatcher's first wait and the attempt function's next wait both come from it.
`RANDOM` is its source (a float in [0, 1)); tests replace it with a seeded or fixed one.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from carrier.outcomes import BLOCKED, DELIVERED, GONE, RETRY
from carrier.records import DeliveryStatus

EXHAUSTED, ENDED = DeliveryStatus.exhausted.value, "ended"  # the ladder's outcomes besides the attempt's

# What the state machine does after each outcome of the attempt function (the Attempt task's Next and Catch).
TRANSITIONS: dict[str, str] = {
    RETRY: "wait",  # wait `wait_seconds`, then attempt again
    DELIVERED: "succeed",
    GONE: "succeed",  # the webhook was disabled by the attempt
    BLOCKED: "succeed",
    ENDED: "succeed",  # the delivery, its webhook or its event is gone, or the webhook is disabled
    EXHAUSTED: "exhaust",  # mark the delivery exhausted and disable the webhook
}


class LadderStop(Exception):
    """An outcome that ends the ladder, raised by the attempt function: the Attempt task's Catch routes it by
    its name (never retried), so the ASL needs no Choice state. Its message is the state, as JSON."""

    def __init__(self, state: dict[str, Any]) -> None:
        super().__init__(json.dumps(state, default=str))
        self.state = state


class LadderEnded(LadderStop):
    """Delivered, gone (410), blocked or ended: nothing more to do."""


class LadderExhausted(LadderStop):
    """The last retry failed: the Exhaust task marks the delivery exhausted and disables the webhook."""


STOPS: dict[str, type[LadderStop]] = {"succeed": LadderEnded, "exhaust": LadderExhausted}


def ladder_stop(state: dict[str, Any]) -> LadderStop | None:
    """None for a retry (the state machine waits `wait_seconds`); else the error that ends the ladder."""
    action = TRANSITIONS.get(str(state.get("outcome", "")))
    if action is None:
        raise ValueError(f"unknown ladder outcome {state.get('outcome')!r}")
    return None if action == "wait" else STOPS[action](state)


JITTER = 0.10  # ± 10 % of the rung
RANDOM: Callable[[], float] = random.random


def jittered(seconds: int, rand: Callable[[], float] | None = None) -> int:
    """`seconds` ± 10 %, in whole seconds (a Wait state's SecondsPath takes an integer), never below 0."""
    r = (rand or RANDOM)()
    return max(0, round(seconds * (1 + JITTER * (2 * r - 1))))

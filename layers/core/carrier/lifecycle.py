"""A delivery's life, as data: its states, every allowed transition and who may take it.

    (none) --claim--> pending --first attempt--> delivered | retrying | failed
    (none) --claim, webhook disabled--> skipped
    retrying --ladder step--> retrying | delivered | failed | exhausted
    any ended state --a tenant's retry or recover--> delivered | (its own) | failed

Every status write names the states it may leave; the store makes the write conditional on them, so a stale
writer (a slow run, a duplicate message, a retry that read the row before someone else moved it) is refused
instead of overwriting. `tests/unit/test_lifecycle.py` walks the table; the README's "Delivery guarantees"
shows it.
"""

from __future__ import annotations

from enum import StrEnum

from carrier.records import DeliveryStatus as S


class Actor(StrEnum):
    dispatcher = "dispatcher"  # a first attempt (or its deferral to the ladder)
    ladder = "ladder"  # a ladder step, its end (exhausted) and its catch-all (failed)
    tenant = "tenant"  # a manual retry or a recover
    reconciler = "reconciler"  # giving an open delivery past its due time an owner again


D, L, T, R = Actor.dispatcher, Actor.ladder, Actor.tenant, Actor.reconciler

# from -> to -> who may move it. Created rows (pending, skipped) come from the dispatcher's claim.
TRANSITIONS: dict[S, dict[S, frozenset[Actor]]] = {
    S.pending: {
        S.delivered: frozenset({D, L}),  # L: a ladder step whose hand-off was recorded before the first attempt
        S.retrying: frozenset({D, L, R}),
        S.failed: frozenset({D, L}),
    },
    S.retrying: {
        S.retrying: frozenset({L, T, R}),  # T: a failed manual retry leaves the ladder as it is
        S.delivered: frozenset({L, T}),
        S.failed: frozenset({L}),
        S.exhausted: frozenset({L}),
    },
    S.delivered: {S.delivered: frozenset({T}), S.failed: frozenset({T})},
    S.failed: {S.delivered: frozenset({T}), S.failed: frozenset({T})},
    S.exhausted: {S.delivered: frozenset({T}), S.exhausted: frozenset({T})},
    S.skipped: {S.delivered: frozenset({T}), S.failed: frozenset({T})},
}
OPEN = frozenset({S.pending, S.retrying})


class IllegalTransition(AssertionError):
    """A code path asked for a move the table does not allow: a bug, never a receiver's or a tenant's doing."""


def sources(to: S, actor: Actor, believed: tuple[S, ...]) -> tuple[S, ...]:
    """The states a write by `actor` to `to` may leave, among those the writer believes the delivery is in."""
    allowed = tuple(s for s in believed if actor in TRANSITIONS.get(s, {}).get(to, frozenset()))
    if not allowed:
        raise IllegalTransition(f"{actor} may not move a delivery from {'/'.join(believed)} to {to}")
    return allowed

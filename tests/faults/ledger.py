"""The ledger of a run: every (event, matching webhook) pair, how it ended, and why when it did not end well.

published x matching = delivered + failed + exhausted + skipped, with 0 stuck (a delivery `pending` or
`retrying` once the queue and the ladder are drained: nothing owns it), 0 lost (no delivery at all), and 0
concurrent duplicates at the receiver; duplicates in sequence are counted (at-least-once allows them).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.faults.harness import Carrier, Webhook

ENDED = ("delivered", "failed", "exhausted", "skipped")
SENDERS = {"dispatcher": "sent by a first attempt", "sfn": "sent by a ladder step"}
OPEN = ("pending", "retrying")


@dataclass
class Pair:
    event_id: str
    webhook: Webhook
    delivery_id: str
    status: str  # a delivery status, or "lost"
    why: str = ""


@dataclass
class Ledger:
    published: int
    matching: int
    statuses: Counter[str] = field(default_factory=Counter)
    stuck: list[Pair] = field(default_factory=list)
    lost: list[Pair] = field(default_factory=list)
    concurrent: int = 0
    in_sequence: int = 0
    in_sequence_after: Counter[str] = field(default_factory=Counter)  # what the receiver had answered before
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return self.published * self.matching

    @property
    def ended(self) -> int:
        return sum(self.statuses[s] for s in ENDED)

    @property
    def closes(self) -> bool:
        return self.ended == self.expected and not self.stuck and not self.lost and self.concurrent == 0

    def reasons(self) -> Counter[str]:
        return Counter(f"{p.status}: {p.why}" for p in (*self.stuck, *self.lost))

    def text(self) -> str:
        lines = [
            f"published x matching    {self.published} x {self.matching} = {self.expected}",
            "ended                   " + " + ".join(f"{self.statuses[s]} {s}" for s in ENDED) + f" = {self.ended}",
            f"stuck                   {len(self.stuck)}",
            f"lost                    {len(self.lost)}",
            f"requests                {self.requests}",
            f"concurrent duplicates   {self.concurrent}",
            f"duplicates in sequence  {self.in_sequence}"
            + (
                f" ({', '.join(f'{n} after {k}' for k, n in self.in_sequence_after.most_common())})"
                if self.in_sequence
                else ""
            ),
            f"faults injected         {sum(self.faults.values())} ({', '.join(f'{k} {v}' for k, v in sorted(self.faults.items()))})",
        ]
        lines += [f"  {n} x {reason}" for reason, n in self.reasons().most_common()]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def close(carrier: Carrier, event_ids: list[str], webhooks: list[Webhook]) -> Ledger:
    """Read every pair's delivery once the run is drained."""
    items = {str(i["delivery_id"]): i for i in carrier.deliveries()}
    dead = {m.event_id for m in carrier.queue.dead}
    ledger = Ledger(published=len(event_ids), matching=len(webhooks))
    for event_id in event_ids:
        for webhook in webhooks:
            delivery_id = carrier.delivery_id(event_id, webhook)
            item = items.get(delivery_id)
            if item is None:
                why = (
                    _dead_reason(carrier, event_id, delivery_id)
                    if event_id in dead
                    else _no_row_reason(carrier, webhook)
                )
                ledger.lost.append(Pair(event_id, webhook, delivery_id, "lost", why))
                continue
            status = str(item["status"])
            ledger.statuses[status] += 1
            if status in OPEN:
                ledger.stuck.append(Pair(event_id, webhook, delivery_id, status, _open_reason(carrier, item, dead)))
    duplicates = carrier.receiver.duplicates()
    ledger.concurrent = len(duplicates.concurrent)
    ledger.in_sequence = len(duplicates.in_sequence)
    for request in duplicates.in_sequence:
        earlier = [r for r in carrier.receiver.of(request.path, request.delivery) if r.n < request.n]
        accepted = next(r for r in earlier if r.answer is not None and r.answer.accepts)
        if accepted.answer is not None and accepted.answer.kind == "timeout":
            kind = "a 2xx answered too late (Carrier saw a timeout)"
        else:
            sender = accepted.sender.name.split("#")[0].split(":")[0] if accepted.sender is not None else "?"
            kind = f"a 2xx Carrier received ({SENDERS.get(sender, sender)})"
        ledger.in_sequence_after[kind] += 1
    ledger.requests = len(carrier.receiver.requests)
    for (service, _, code), n in carrier.injector.counts.items():
        ledger.faults[f"{service} {code}"] += n
    return ledger


def _dead_reason(carrier: Carrier, event_id: str, delivery_id: str) -> str:
    """Why a pair has no row although its message was received maxReceiveCount times: what failed each time."""
    causes = []
    for invocation in carrier.queue.invocations:
        if not any(m.event_id == event_id for m in invocation.messages):
            continue
        name = invocation.participant.name
        faults = [(op, params) for who, _, op, _, params in carrier.injector.log if who == name]
        mine = [
            "event put" if f"EVENT#t1#{event_id}" in params else "claim" if delivery_id in params else "skip row"
            for op, params in faults
            if f"EVENT#t1#{event_id}" in params
            or delivery_id in params
            or (event_id in params and '"skipped"' in params)
        ]
        queries = sum(1 for op, _ in faults if op == "Query")
        if not mine and queries:
            mine = ["webhooks query (of one of its batch's events)"]
        if invocation.outcome == "killed":
            mine.append("killed")
        causes.append("+".join(mine) or "?")
    return f"its message is in the DLQ; each receive failed at: {', '.join(causes)}"


def _no_row_reason(carrier: Carrier, webhook: Webhook) -> str:
    status = carrier.webhook(webhook).get("status")
    return f"no delivery row (webhook now {status})"


def _open_reason(carrier: Carrier, item: dict[str, Any], dead: set[str]) -> str:
    delivery_id = str(item["delivery_id"])
    executions = sorted(n for n in carrier.ladder.executions if n.startswith(delivery_id))
    ran = ", ".join(f"{n[len(delivery_id) :] or 'ladder'} {carrier.ladder.status(n)}" for n in executions)
    where = "message in DLQ" if str(item.get("event_id")) in dead else "message gone"
    return f"{item.get('attempt_count', 0)} attempts, {where}, executions: {ran or 'none'}"

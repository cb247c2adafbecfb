"""The chaos run: 40 webhooks x 50 events = 2,000 (event, webhook) pairs, 7 % of DynamoDB, Step Functions and
Secrets Manager calls failing, a receiver answering 200 / 500 / timeout / reset / 429 + Retry-After / 410 at random,
the real ladder in virtual time. It ends with the ledger:

    published x matching = delivered + failed + exhausted + skipped, 0 stuck, 0 lost, 0 concurrent duplicates

and the duplicates in sequence counted (at least once allows them). The ledger is printed and written to
tests/artifacts/faults/chaos-ledger.txt.
"""

from __future__ import annotations

import os

from tests.faults.harness import Carrier
from tests.faults.ledger import close
from tests.faults.receiver import Chaos
from tests.support import ROOT

WEBHOOKS = int(os.environ.get("CHAOS_WEBHOOKS", 40))
EVENTS = int(os.environ.get("CHAOS_EVENTS", 50))
FAULT_RATE = 0.07
GONE = 2  # webhooks whose receiver may answer 410 (which disables them: later events are skipped)


def test_chaos_ledger_closes(carrier: Carrier) -> None:
    # Given 40 webhooks behind a chaotic receiver, and 7 % of Carrier's AWS calls failing
    hooks = [carrier.create_webhook(f"w{i:02d}") for i in range(WEBHOOKS)]
    carrier.receiver.script = Chaos(seed=7, gone_paths=frozenset(h.path for h in hooks[:GONE]))
    for service in ("dynamodb", "stepfunctions", "secretsmanager"):
        carrier.injector.rate(service, FAULT_RATE)
    # When 50 events are published over 10 minutes (a few delivered twice by the bus), and everything runs out
    events = []
    for i in range(EVENTS):
        message = carrier.publish(delay=i * 12)
        events.append(message.event_id)
        if i % 17 == 3:
            carrier.queue.duplicate(message, delay=i * 12 + 2)
    carrier.drain()
    # Then every pair ended, visibly, and no delivery was ever sent twice at once
    ledger = close(carrier, events, hooks)
    ledger.notes.append(
        f"{len(carrier.queue.invocations)} dispatcher invocations, {len(carrier.ladder.executions)} ladder "
        f"executions, {carrier.scheduled_runs} reconciler runs, virtual time {carrier.world.now().isoformat()}"
    )
    report = ledger.text()
    print(report)
    artifact = ROOT / "tests" / "artifacts" / "faults" / "chaos-ledger.txt"
    artifact.parent.mkdir(parents=True, exist_ok=True)
    artifact.write_text(report + "\n")
    assert ledger.expected == WEBHOOKS * EVENTS
    assert ledger.stuck == [], report
    assert ledger.lost == [], report
    assert ledger.concurrent == 0, report
    assert ledger.ended == ledger.expected, report

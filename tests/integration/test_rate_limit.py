"""Per-webhook rate limit: over-limit deliveries are deferred to the ladder, never dropped."""

from __future__ import annotations

import asyncio
from collections import Counter

from carrier import runtime
from carrier.dispatch import Dispatcher
from carrier.ingest import parse_bus_event
from carrier.retries import RetryService
from carrier.scheduling import execution_input
from carrier.settings import get_settings
from carrier.transport import Transport
from tests.fakes import FakeClock, RecordingScheduler
from tests.integration.conftest import create, deliveries
from tests.pipeline import bus_event
from tests.receiver import Answer, Receiver


def test_over_the_limit_is_deferred_and_delivered_later(pipeline) -> None:
    clock = FakeClock()
    settings = get_settings()
    scheduler = RecordingScheduler()
    sent_at: Counter[int] = Counter()
    with Receiver() as receiver:
        limited = create(receiver.url + "/limited", rate_limit=2)
        free = create(receiver.url + "/free")

        def script(request):
            if request.path == "/limited":
                sent_at[int(clock.now().timestamp())] += 1
            return Answer()

        receiver.script = script

        async def first_attempts() -> None:
            transport = Transport(allow_private=True, timeout=2)
            dispatcher = Dispatcher(settings, runtime.store(), runtime.vault(), transport, scheduler, clock)
            for n in range(6):
                await dispatcher.dispatch(parse_bus_event(bus_event("model.trained", {"n": n})))
            await transport.close()

        asyncio.run(first_attempts())
        assert len(scheduler.handoffs) == 4 and {h.wait_seconds for h in scheduler.handoffs} == {1}
        assert {d["status"] for d in deliveries(limited["id"])} == {"delivered", "retrying"}
        assert len(deliveries(free["id"])) == 6  # other webhooks are not held back

        retries = RetryService(settings, runtime.store(), runtime.vault(), clock)
        states = [execution_input(h, settings.retry_ladder) for h in scheduler.handoffs]
        while states:  # the ladder: wait, attempt; deferred ones come back without using a step
            clock.advance(1)
            states = [s for s in (retries.attempt(state) for state in states) if s["outcome"] == "retry"]
    statuses = Counter(d["status"] for d in deliveries(limited["id"]))
    assert statuses == {"delivered": 6}
    assert max(sent_at.values()) <= 2 and sum(sent_at.values()) == 6
    assert [d["attempts"] for d in deliveries(limited["id"])] == [1] * 6  # deferral is not an attempt

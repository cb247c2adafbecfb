"""Virtual time for the fault suite: one clock, a timer heap, and participants that run one at a time.

A *participant* is one thread of control that the real system runs concurrently: a dispatcher invocation, a
Step Functions execution, an API call. Each runs in its own thread, but only while it holds the baton: the
coordinator (the test's thread, in `run`) pops the earliest timer, moves the clock to it and hands the baton to
the participant that timer wakes; it gets the baton back when that participant waits for virtual time again
(`sleep`, or an idle event loop, see `VirtualSelector`) or ends. So the clock never moves while code runs, every
interleaving happens at a wait, and a run is the same on every machine: no sleeps, no timing asserted.

Waiting for virtual time:
- in blocking code (a Wait state, a retrier's interval, an AWS call made slow on purpose): `world.sleep(seconds)`;
- in a coroutine (the receiver's answer time): `await world.async_sleep(seconds)`: the event loop, idle, parks
  its participant in `VirtualSelector.select` until the coordinator resumes it at the timer;
- in Carrier's own coroutines (`asyncio.sleep`, `call_later`, timeouts): event loops run on the world's clock
  (`VirtualEventLoop`), and an idle loop waits for its next timer in virtual time.

A participant may be *killed* (`kill`, or its `deadline` reached while it waits): its thread is never resumed,
as a Lambda frozen at its Timeout runs no `finally` and writes nothing more. `shutdown` unwinds the parked
threads at the end of a test with `WorldShutdown`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import selectors
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from tests.fakes import START


class WorldShutdown(BaseException):
    """Raised in a parked participant's thread at the end of a test, so that it unwinds and ends."""


class Stuck(RuntimeError):
    """The coordinator found nothing runnable while work remained (a harness bug, never an engine verdict)."""


@dataclass(eq=False)
class Participant:
    name: str
    deadline: datetime | None = None
    on_done: Callable[[Participant], None] | None = None
    result: Any = None
    error: BaseException | None = None
    killed: bool = False
    done: bool = False
    timers: int = 0  # virtual timers this participant waits on
    go: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def ended(self) -> bool:
        return self.done or self.killed


class World:
    def __init__(self, start: datetime = START) -> None:
        self.epoch = start
        self._now = start
        self._timers: list[tuple[datetime, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._cv = threading.Condition()
        self._running: Participant | None = None
        self._stopping = False
        self.participants: list[Participant] = []

    # ---- the clock ----------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._now

    def at(self, when: datetime, callback: Callable[[], None]) -> None:
        """Run `callback` in the coordinator when the clock reaches `when` (never earlier than now)."""
        with self._cv:
            heapq.heappush(self._timers, (max(when, self._now), next(self._order), callback))

    def after(self, seconds: float, callback: Callable[[], None]) -> None:
        self.at(self._now + timedelta(seconds=seconds), callback)

    @property
    def current(self) -> Participant | None:
        """The participant holding the baton (None while the coordinator runs)."""
        return self._running

    # ---- participants -------------------------------------------------------------------------------------

    def spawn(
        self,
        name: str,
        work: Callable[[], Any],
        *,
        timeout: float | None = None,
        on_done: Callable[[Participant], None] | None = None,
    ) -> Participant:
        """Start `work` as a participant now; `timeout` (seconds) kills it at that deadline if it still waits."""
        deadline = self._now + timedelta(seconds=timeout) if timeout is not None else None
        participant = Participant(name, deadline=deadline, on_done=on_done)
        self.participants.append(participant)

        def body() -> None:
            participant.go.wait()
            participant.go.clear()
            if self._stopping:
                self._release(participant, finished=True)
                return
            participant.started_at = self._now
            try:
                participant.result = work()
            except WorldShutdown:
                pass
            except BaseException as exc:  # the participant's own failure is its result, read by its owner
                participant.error = exc
            finally:
                participant.ended_at = self._now
                self._release(participant, finished=True)

        participant.thread = threading.Thread(target=body, name=f"world:{name}", daemon=True)
        participant.thread.start()
        self.at(self._now, lambda: self._resume(participant))
        if deadline is not None:
            self.at(deadline, lambda: self._deadline(participant))
        return participant

    def kill(self, participant: Participant) -> None:
        """Freeze a participant where it waits: it never runs again (a Lambda killed at its Timeout)."""
        if participant.ended:
            return
        participant.killed = True
        participant.ended_at = self._now
        if participant.on_done is not None:
            participant.on_done(participant)

    def _deadline(self, participant: Participant) -> None:
        if not participant.ended:
            self.kill(participant)

    def _resume(self, participant: Participant) -> None:
        """Hand the baton to `participant` and wait until it waits again or ends (coordinator only)."""
        if participant.ended:
            return
        with self._cv:
            self._running = participant
            participant.go.set()
            while self._running is participant:
                self._cv.wait()
        if participant.done and participant.on_done is not None:
            participant.on_done(participant)

    def _release(self, participant: Participant, *, finished: bool) -> None:
        with self._cv:
            if finished:
                participant.done = True
            if self._running is participant:
                self._running = None
            self._cv.notify_all()

    def park(self) -> None:
        """The current participant waits until a timer it registered resumes it (participant threads only)."""
        participant = self._running
        if participant is None:
            raise RuntimeError("park() outside a participant")
        if self._stopping:
            raise WorldShutdown()
        self._release(participant, finished=False)
        participant.go.wait()
        participant.go.clear()
        if self._stopping:
            raise WorldShutdown()

    def sleep(self, seconds: float) -> None:
        """Block the current participant for `seconds` of virtual time (others run meanwhile)."""
        participant = self._running
        if participant is None:
            raise RuntimeError("sleep() outside a participant: the harness never sleeps")
        fired = [False]

        def wake() -> None:
            fired[0] = True
            self._resume(participant)

        self.after(max(0.0, seconds), wake)
        while not fired[0]:  # only its own timer ends a sleep
            self.park()

    def wait(self, seconds: float) -> None:
        """Park the current participant for at most `seconds`: its timer, or any other wake of it, ends the wait
        (an idle event loop whose next timer falls due then, and whose other tasks may be woken earlier)."""
        participant = self._running
        if participant is None:
            raise RuntimeError("wait() outside a participant")
        pending = [True]

        def wake() -> None:
            if pending[0]:
                pending[0] = False
                self._resume(participant)

        # the clock counts microseconds: a wait rounds up to the next one, so a loop's timer is due after it
        self.after(max(1e-6, math.ceil(seconds * 1e6) / 1e6), wake)
        try:
            self.park()
        finally:
            pending[0] = False

    async def async_sleep(self, seconds: float) -> None:
        """Await `seconds` of virtual time; the loop's other tasks run meanwhile. Cancelled, it wakes nothing."""
        participant = self._running
        if participant is None:
            raise RuntimeError("async_sleep() outside a participant")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        participant.timers += 1
        pending = [True]  # until it fires or its awaiter is cancelled

        def wake() -> None:
            if not pending[0]:
                return
            pending[0] = False
            participant.timers -= 1
            if participant.ended:
                return
            loop.call_soon_threadsafe(_settle, future)
            self._resume(participant)

        self.after(max(0.0, seconds), wake)
        try:
            await future
        finally:
            if pending[0]:  # cancelled before its time: forget the timer
                pending[0] = False
                participant.timers -= 1

    # ---- the coordinator ----------------------------------------------------------------------------------

    def run(self, until: datetime | None = None, *, idle: Callable[[], bool] | None = None) -> None:
        """Run timers in time order until none is left, the clock would pass `until`, or `idle()` says the work
        left is only periodic (a poller, a schedule)."""
        while True:
            with self._cv:
                if not self._timers:
                    return
                when, _, callback = self._timers[0]
                if until is not None and when > until:
                    self._now = max(self._now, until)
                    return
                heapq.heappop(self._timers)
                self._now = max(self._now, when)
            callback()
            if idle is not None and idle():
                return

    def run_for(self, seconds: float) -> None:
        self.run(until=self._now + timedelta(seconds=seconds))

    def call(self, name: str, work: Callable[[], Any], *, timeout: float | None = None) -> Any:
        """Run `work` as a participant now (others may run while it waits) and return its result."""
        participant = self.spawn(name, work, timeout=timeout)
        self.run(idle=lambda: participant.ended)
        if not participant.ended:
            raise Stuck(f"{name} never ended")
        if participant.error is not None:
            raise participant.error
        return participant.result

    def _holds_baton_not(self, participant: Participant) -> bool:
        return self._running is not participant

    def pending_timers(self) -> int:
        with self._cv:
            return len(self._timers)

    def shutdown(self) -> None:
        """Unwind every parked participant (end of test): each gets `WorldShutdown` where it waits, one at a time."""
        self._stopping = True
        for participant in self.participants:
            if participant.thread is None or not participant.thread.is_alive():
                continue
            with self._cv:
                self._running = participant
                participant.go.set()
                self._cv.wait_for(partial(self._holds_baton_not, participant), timeout=2)
        with self._cv:
            self._running = None
            self._timers.clear()


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class VirtualSelector(selectors.DefaultSelector):
    """An event loop's selector that parks its participant when the loop is idle, in virtual time.

    asyncio calls `select(timeout)` with 0 when callbacks are ready; otherwise the loop has nothing to do until an
    fd is ready or its next timer falls due (`timeout`, in the loop's clock, which is the world's: see
    `VirtualEventLoop`). Then the participant parks until that virtual time, or until a virtual timer it awaits
    (`World.async_sleep`) wakes it earlier after writing to the loop's self-pipe (`call_soon_threadsafe`). With no
    timer at all (a thread finishing real work, such as shutting down the loop's executor), it waits for real.
    """

    world: World | None = None  # set by the policy

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready: list[tuple[selectors.SelectorKey, int]] = super().select(0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        world = self.world
        participant = world.current if world is not None else None
        if world is not None and participant is not None:
            if timeout is not None:
                world.wait(timeout)
                return list(super().select(0))
            if participant.timers > 0:
                world.park()
                return list(super().select(0))
        return list(super().select(10.0 if timeout is None else min(timeout, 10.0)))


class VirtualEventLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock is the world's: `asyncio.sleep`, `call_later` and timeouts wait in virtual time."""

    world: World

    def time(self) -> float:
        # seconds since the world began: small enough that asyncio's 1 ns clock resolution still counts
        return (self.world.now() - self.world.epoch).total_seconds()


class VirtualLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """Every new event loop (asyncio.run, Powertools' batch processor) runs on the world's clock and selector."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        selector = VirtualSelector()
        selector.world = self.world
        loop = VirtualEventLoop(selector)
        loop.world = self.world
        return loop

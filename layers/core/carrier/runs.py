"""One Dispatcher for one piece of work on its own event loop (a ladder step, a send a tenant asks for),
with a transport it opens and closes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from carrier.dispatch import Dispatcher
from carrier.ports import Clock, DispatchStore, EventPublisher, HttpTransport, SecretReader
from carrier.settings import Settings

if TYPE_CHECKING:  # aiohttp is imported when a transport is first made, not at cold start
    from carrier.transport import Transport


# Sends a tenant waits for in an API call (test, manual retry, recover) must end inside API Gateway's
# 30-second integration limit, whatever HttpTimeoutSeconds allows the ladder.
INTERACTIVE_TIMEOUT_SECONDS = 10.0


def fresh_transport(settings: Settings, interactive: bool = False) -> Transport:
    from carrier.transport import Transport

    timeout = settings.http_timeout_seconds
    if interactive:
        timeout = min(timeout, INTERACTIVE_TIMEOUT_SECONDS)
    return Transport(allow_private=settings.allow_private_targets, timeout=timeout)


def run_once(
    settings: Settings,
    store: DispatchStore,
    vault: SecretReader,
    clock: Clock,
    transport_factory: Callable[[], HttpTransport] | None,
    work: Callable[[Dispatcher], Any],
    interactive: bool = False,
    events: EventPublisher | None = None,
) -> Any:
    """Run `work(dispatcher)` on its own event loop with a transport it closes (API and ladder steps)."""

    async def run() -> Any:
        transport = transport_factory() if transport_factory else fresh_transport(settings, interactive)
        dispatcher = Dispatcher(settings, store, vault, transport, None, clock, events)
        try:
            return await work(dispatcher)
        finally:
            await transport.close()

    return asyncio.run(run())

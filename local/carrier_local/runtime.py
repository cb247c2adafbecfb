"""The local stack, the HTTP API and the queue pollers together: what `python -m carrier_local` runs.

Usable in-process too (e2e fixtures): `with LocalCarrier(port=0) as carrier: ... carrier.drain()`.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from carrier_local import handlers
from carrier_local.gateway import ApiGateway
from carrier_local.httpserver import GatewayServer
from carrier_local.ladder import LocalLadder, attempt_function_of
from carrier_local.poller import SqsPoller
from carrier_local.schedules import LocalSchedules, schedules_of
from carrier_local.stack import LocalStack
from carrier_local.template import REPO_ROOT, TEMPLATE_PATH


def _fresh_containers() -> None:
    """Like cold starts: handlers are imported again and the domain package's per-container caches
    (settings, clients built from the environment) are dropped, so they see this stack's environment."""
    handlers.clear_cache()
    try:
        domain_runtime = importlib.import_module("carrier.runtime")
    except ModuleNotFoundError as error:
        if error.name in ("carrier", "carrier.runtime"):
            return  # no domain package (yet): nothing is cached
        raise
    reset = getattr(domain_runtime, "reset", None)
    if callable(reset):
        reset()


def _close_transport_in(loop: asyncio.AbstractEventLoop) -> None:
    """A worker's loop ends (its container stops): the dispatcher's HTTP session of that loop is closed in it."""
    from carrier import runtime as domain_runtime

    if domain_runtime.transport.cache_info().currsize:
        loop.run_until_complete(domain_runtime.transport().close())


def _close_transports() -> None:
    """The warm containers' HTTP sessions, closed before the process ends (never an 'Unclosed client session')."""
    from carrier import runtime as domain_runtime

    if domain_runtime.transport.cache_info().currsize:
        domain_runtime.transport().close_everywhere()


class LocalCarrier:
    """Starts a `LocalStack`, serves its HTTP API and polls its SQS event sources into their functions."""

    def __init__(
        self,
        port: int = 3000,
        *,
        host: str = "127.0.0.1",
        parameters: Mapping[str, str] | None = None,
        template_path: Path = TEMPLATE_PATH,
        poller_workers: int = 1,
        failure_visibility_timeout: int | None = None,
        aws_port: int = 0,
    ) -> None:
        self.stack = LocalStack(parameters, template_path=template_path, host=host, port=aws_port)
        self.host = host
        self.port = port
        self.poller_workers = poller_workers
        self.failure_visibility_timeout = failure_visibility_timeout
        self.gateway: GatewayServer | None = None
        self.pollers: dict[str, SqsPoller] = {}
        self.ladder: LocalLadder | None = None
        self.schedules: LocalSchedules | None = None
        self.startup_seconds = 0.0

    def start(self) -> LocalCarrier:
        started = time.perf_counter()
        # What the Lambda runtime (and `sam local`) sets: Powertools then keeps one event loop per worker thread,
        # as a Lambda container keeps one, instead of a new loop (and HTTP session) per batch; tracing stays off.
        os.environ.setdefault("LAMBDA_TASK_ROOT", str(REPO_ROOT / "functions"))
        os.environ.setdefault("AWS_SAM_LOCAL", "true")
        try:
            self.stack.start()
            _fresh_containers()
            api = ApiGateway(self.stack.routes(), self.stack.invokers(), self.stack.api_context())
            self.gateway = GatewayServer(api, self.host, self.port).start()
            invokers = self.stack.invokers()
            self.ladder = self._start_ladder(invokers)
            scale = float(os.environ.get("CARRIER_TIME_SCALE") or 1.0)
            found = schedules_of(self.stack.template, self.stack.resolver().resolve)
            self.schedules = LocalSchedules(found, invokers, time_scale=scale).start()
            for source in self.stack.event_sources:
                poller = SqsPoller(
                    source.queue_url,
                    source.queue_arn,
                    invokers[source.function],
                    region=self.stack.region,
                    batch_size=source.batch_size,
                    wait_time_seconds=1,  # a short long-poll: batches form fast and stop() is quick
                    report_item_failures=source.report_batch_item_failures,
                    workers=self.poller_workers,
                    failure_visibility_timeout=self.failure_visibility_timeout,
                    sqs_client=self.stack.client("sqs"),
                )
                poller.before_loop_close = _close_transport_in
                self.pollers[source.function] = poller.start()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.perf_counter() - started
        return self

    def _start_ladder(self, invokers: Mapping[str, Any]) -> LocalLadder:
        """The retry ladder as a local scheduler, handed to the dispatcher in place of Step Functions."""
        from carrier import runtime as domain_runtime
        from carrier.settings import get_settings

        function = attempt_function_of(self.stack.template)
        scale = float(os.environ.get("CARRIER_TIME_SCALE") or 1.0)
        ladder = LocalLadder(invokers[function], get_settings().retry_ladder, time_scale=scale).start()
        domain_runtime.use_scheduler(ladder)
        return ladder

    def stop(self) -> None:
        """Stop accepting requests, finish the batches being handled, then stop moto."""
        for poller in self.pollers.values():
            poller.request_stop()
        if self.schedules is not None:
            self.schedules.stop()
            self.schedules = None
        if self.ladder is not None:
            self.ladder.stop()
            self.ladder = None
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
        for poller in self.pollers.values():
            poller.stop()
        self.pollers = {}
        _close_transports()
        self.stack.stop()
        _fresh_containers()  # nothing in this process keeps clients of the stopped stack

    def __enter__(self) -> LocalCarrier:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        if self.gateway is None:
            raise RuntimeError("not started")
        return self.gateway.url

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every poller's queue is idle (messages parked after a failure excepted)."""
        deadline = time.monotonic() + timeout
        for poller in self.pollers.values():
            poller.drain(max(0.0, deadline - time.monotonic()))

    def state(self, api_key: str, tenant_id: str) -> dict[str, Any]:
        """The `.carrier/local.json` document the CLI reads."""
        return {
            "api_url": self.api_url,
            "aws_endpoint_url": self.stack.endpoint_url,
            "api_key": api_key,
            "tenant_id": tenant_id,
            "region": self.stack.region,
            "event_bus_name": self.stack.event_bus_name,
            "table_name": self.stack.table_name,
            "secret_store": self.stack.environment.get("SECRET_STORE", "per-webhook"),  # the CLI's vault follows it
            "events_queue_url": self.stack.events_queue_url,
            "pid": os.getpid(),
        }

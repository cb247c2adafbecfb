"""EventBridge schedules, run locally: a function's `Schedule` events invoke it at their rate (time-scaled).

The reconciler runs this way (`rate(5 minutes)` from the `ReconcileRateMinutes` Parameter); with
`CARRIER_TIME_SCALE=0.001` a 5-minute rate fires every 0.3 s.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("carrier_local.schedules")

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Schedule:
    function: str  # the function's logical id
    seconds: float


def rate_seconds(expression: str) -> float:
    match = _RATE.match(expression.strip())
    if match is None:
        raise ValueError(f"only rate(...) schedules run locally, not {expression!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def schedules_of(template: Mapping[str, Any], resolve: Callable[[Any], Any]) -> list[Schedule]:
    """Every `Schedule`/`ScheduleV2` event of the template's functions, its expression resolved."""
    found = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") in ("Schedule", "ScheduleV2"):
                props = event.get("Properties", {})
                expression = resolve(props.get("Schedule") or props.get("ScheduleExpression"))
                found.append(Schedule(logical_id, rate_seconds(str(expression))))
    return found


class LocalSchedules:
    """One thread invoking each scheduled function when its (scaled) rate comes round."""

    def __init__(
        self, schedules: list[Schedule], invokers: Mapping[str, Callable[[Any], Any]], time_scale: float = 1.0
    ) -> None:
        self.schedules = schedules
        self.invokers = invokers
        self.time_scale = time_scale
        self.runs: dict[str, int] = {s.function: 0 for s in schedules}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> LocalSchedules:
        if self.schedules:
            self._thread = threading.Thread(target=self._loop, name="carrier-schedules", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        due = {s.function: time.monotonic() + s.seconds * self.time_scale for s in self.schedules}
        while not self._stop.is_set():
            now = time.monotonic()
            for schedule in self.schedules:
                if now >= due[schedule.function]:
                    due[schedule.function] = now + schedule.seconds * self.time_scale
                    self.run(schedule.function)
            self._stop.wait(max(0.05, min(due.values()) - time.monotonic()))

    def run(self, function: str) -> Any:
        """Invoke a scheduled function now, as EventBridge would (an error is logged, as Lambda would)."""
        self.runs[function] += 1
        try:
            return self.invokers[function]({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})
        except Exception:
            log.exception("scheduled run of %s failed", function)
            return None

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

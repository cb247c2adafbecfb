"""Retry schedulers: where the dispatcher hands a failed first attempt.

`StepFunctionsScheduler` starts one execution of the retry ladder per delivery, named by the delivery id,
so a duplicate start changes nothing. The local stack uses carrier_local's scheduler (same ladder data).
"""

from __future__ import annotations

import json
from typing import Any

from carrier import aws
from carrier.targets import Handoff


def execution_input(handoff: Handoff, ladder: tuple[int, ...]) -> dict[str, Any]:
    return {
        "tenant_id": handoff.tenant_id,
        "webhook_id": handoff.webhook_id,
        "delivery_id": handoff.delivery_id,
        "event_id": handoff.event_id,
        "step": handoff.step,
        "wait_seconds": handoff.wait_seconds,
        "ladder": list(ladder),
    }


class StepFunctionsScheduler:
    def __init__(self, state_machine_arn: str, ladder: tuple[int, ...], client: Any | None = None) -> None:
        self.state_machine_arn = state_machine_arn
        self.ladder = ladder
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("stepfunctions")
        return self._client

    def schedule(self, handoff: Handoff) -> None:
        try:
            self.client.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=handoff.execution or handoff.delivery_id,
                input=json.dumps(execution_input(handoff, self.ladder)),
            )
        except self.client.exceptions.ExecutionAlreadyExists:
            return  # the ladder for this delivery is already running

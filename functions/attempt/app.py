"""The retry ladder's task: one step for one delivery. Input {"action", "state", "ladder"}, output the next state.

Actions: `attempt` (send once, decide the next step and its jittered wait), `exhaust` (mark exhausted, disable
the webhook), `fail` (the state machine's catch-all). An attempt whose outcome ends the ladder raises
`LadderEnded` or `LadderExhausted` (carrier.ladder), which the state machine's Catch routes: a normal answer
is always "wait `wait_seconds`, then attempt again".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.shared.lazy_import import LazyLoader

from carrier.observability import count, logger, observed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from carrier import ladder, runtime
else:  # imported by the first invocation (settings, profile, store, pydantic): the cold import holds none of it
    ladder = LazyLoader("ladder", globals(), "carrier.ladder")
    runtime = LazyLoader("runtime", globals(), "carrier.runtime")


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action, state = event.get("action", "attempt"), event["state"]
    if event.get("ladder"):  # the RetryLadder Parameter, as the ASL passes it
        state = {**state, "ladder": event["ladder"]}
    logger.append_keys(
        tenant_id=state.get("tenant_id"), webhook_id=state.get("webhook_id"), delivery_id=state.get("delivery_id")
    )
    service = runtime.retry_service()
    steps = {"attempt": service.attempt, "exhaust": service.exhaust, "fail": service.fail}
    if action not in steps:
        raise ValueError(f"unknown action {action!r}")
    result = steps[action](state)
    count(f"RetryOutcome_{result['outcome']}")
    logger.info("retry step", extra={"action": action, "outcome": result["outcome"], "step": result.get("step")})
    if action == "attempt" and (stop := ladder.ladder_stop(result)) is not None:
        raise stop  # ends the ladder through the Attempt task's Catch (no Choice state)
    return result

"""Reconciler: on a schedule, open deliveries past their due time get an owner again (see carrier.reconciler)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.shared.lazy_import import LazyLoader

from carrier.observability import logger, observed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from carrier import runtime
else:  # imported by the first invocation (settings, profile, store, pydantic): the cold import holds none of it
    runtime = LazyLoader("runtime", globals(), "carrier.runtime")


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    sweep = runtime.reconciler().sweep()
    log = logger.info if sweep.seen else logger.debug  # a quiet sweep is the normal case
    log("reconciled", extra={"overdue": sweep.seen, "repaired": sweep.repaired})
    return {"overdue": sweep.seen, "repaired": len(sweep.repaired)}

"""Reconciler: on a schedule, open deliveries past their due time get an owner again (see carrier.reconciler)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from carrier import runtime
from carrier.observability import logger, observed


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    sweep = runtime.reconciler().sweep()
    log = logger.info if sweep.seen else logger.debug  # a quiet sweep is the normal case
    log("reconciled", extra={"overdue": sweep.seen, "repaired": sweep.repaired})
    return {"overdue": sweep.seen, "repaired": len(sweep.repaired)}

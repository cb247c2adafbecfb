"""Commands that manage a deployment: API keys, webhooks, publishing, the delivery log, the DLQ."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from carrier.cli.common import CliError, Target, emit


def cmd_keys_create(args: argparse.Namespace) -> int:
    from carrier.apikeys import issue_key, issue_platform_key

    store = Target(args).store()
    issued = issue_platform_key(store) if args.platform else issue_key(args.tenant, store)
    owner = f"tenant {issued.tenant_id}" if issued.tenant_id is not None else "the platform"
    if args.output == "json":
        emit(args, {"key": issued.key, "key_id": issued.key_id, "tenant_id": issued.tenant_id})
    else:
        kind = "Platform key" if args.platform else "API key"
        print(f"{kind} for {owner} (id {issued.key_id}); shown once, store it now:")
        print(issued.key)
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from carrier.apikeys import revoke_key

    store = Target(args).store()
    revoked = revoke_key(store, key=args.key, tenant_id=args.tenant, key_id=args.id, platform=args.platform)
    owner = f"tenant {revoked['tenant_id']}" if revoked.get("role", "tenant") == "tenant" else "the platform"
    print(f"revoked {revoked['key_id']} of {owner}")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from carrier.apikeys import list_keys

    keys = list_keys(Target(args).store(), None if args.platform else args.tenant)
    rows = [("KEY ID", "CREATED")] + [(k["key_id"], k["created_at"]) for k in keys]
    emit(args, keys, rows)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    try:
        data = json.loads(args.data)
    except ValueError as exc:
        raise CliError(f"--data is not JSON: {exc}") from exc
    body: dict[str, Any] = {"type": args.type, "data": data}
    if args.id:
        body["id"] = args.id
    if args.callback_url:
        body["callback_url"] = args.callback_url
    emit(args, Target(args).call("POST", "/v1/events", body))  # --output table: FIELD / VALUE rows
    return 0


def cmd_deliveries_tail(args: argparse.Namespace) -> int:
    """Follow a webhook's delivery log: one line per new attempt (like `stripe listen`)."""
    import time

    target = Target(args)
    seen: dict[str, int] = {}
    printed, first = 0, True
    while True:
        page = target.call("GET", f"/v1/webhooks/{args.webhook_id}/deliveries?limit=50")
        for delivery in reversed(page["deliveries"]):
            known = seen.get(delivery["delivery_id"])
            seen[delivery["delivery_id"]] = delivery["attempts"]
            if (first and not args.history) or known == delivery["attempts"]:
                continue
            if args.output == "json":
                print(json.dumps(delivery), flush=True)
            else:
                print(
                    f"{delivery.get('timestamp') or delivery['created_at']}  {delivery['delivery_id']}  "
                    f"{delivery['event_type']:<24} {delivery['status']:<10} {delivery.get('status_code') or '-':>4}  "
                    f"{delivery.get('response_time_ms') or 0:>5} ms  attempt {delivery['attempts']}",
                    flush=True,
                )
            printed += 1
            if args.count and printed >= args.count:
                return 0
        first = False
        time.sleep(args.interval)


def cmd_deliveries_recover(args: argparse.Namespace) -> int:
    """Re-send every failed or exhausted delivery since a time, 100 per API call, with a progress line."""
    target = Target(args)
    totals = {"recovered": 0, "delivered": 0, "failed": 0, "skipped": 0}
    while True:
        answer = target.call("POST", f"/v1/webhooks/{args.webhook_id}/recover", {"since": args.since})
        for key in totals:
            totals[key] += answer.get(key, 0)
        progress_bar(totals["recovered"], totals["recovered"] + (100 if answer["has_more"] else 0))
        if not answer["has_more"]:
            break
    print()
    emit(args, totals, [tuple(totals), tuple(str(v) for v in totals.values())])
    return 0


def progress_bar(done: int, total: int, width: int = 30) -> None:
    filled = int(width * done / total) if total else width
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr, flush=True)


def cmd_dlq_redrive(args: argparse.Namespace) -> int:
    from carrier import aws
    from carrier.redrive import redrive

    target = Target(args)
    queue_url = args.queue_url or os.environ.get("CARRIER_EVENTS_QUEUE_URL") or target.state.get("events_queue_url")
    if not queue_url:
        raise CliError("no queue: start `make local`, or pass --queue-url (the stack's EventsQueueUrl output)")
    moved, left = redrive(aws.client("sqs"), queue_url, progress_bar)
    print(f"\nmoved {moved} messages back to {queue_url}; {left} left in the dead-letter queue")
    return 1 if left else 0  # a partial redrive is not a success

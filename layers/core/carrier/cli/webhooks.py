"""`carrier webhooks`: a tenant's webhooks through the public API (list, get, create, update, delete, test, enable,
disable, rotate, replay), with the key the other API commands use. The API checks every field; its refusals
print as `message (field)` and the command exits 1."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from urllib.parse import quote

from carrier.cli.common import CliError, Target, emit

WEBHOOK_ROWS = (
    "id",
    "status",
    "url",
    "events",
    "description",
    "payload_format",
    "signature",
    "headers",
    "filters",
    "rate_limit",
)


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    from carrier.formats import FORMATS
    from carrier.schemes import SCHEMES

    webhooks = commands.add_parser("webhooks", help="the tenant's webhooks").add_subparsers(
        dest="action", required=True
    )
    one = argparse.ArgumentParser(add_help=False)
    one.add_argument("webhook_id", help="the webhook's id (GET /v1/webhooks lists them)")
    fields = argparse.ArgumentParser(add_help=False)  # what create and update set
    fields.add_argument("--url", help="the receiver's URL (https; http only where the deployment allows it)")
    fields.add_argument("--events", help="comma-separated event types; 'prefix.*' and '*' match many")
    fields.add_argument("--description", help="a note for people (up to 500 characters)")
    fields.add_argument("--payload-format", choices=list(FORMATS), help="the body's shape (default: the profile's)")
    fields.add_argument("--scheme", choices=list(SCHEMES), help="the signature scheme (default: the profile's)")
    fields.add_argument("--signature-header", help="the header a single-signature scheme signs into")
    fields.add_argument(
        "-H", "--header", dest="headers", action="append", help="a custom header 'Name: value' (repeatable)"
    )
    fields.add_argument("--filters", help='only events whose data matches, as JSON: \'{"project_id": "p1"}\'')
    fields.add_argument("--rate-limit", type=int, help="deliveries per second at most (1 to 10000)")

    listing = webhooks.add_parser("list", parents=[common], help="the tenant's webhooks, oldest first")
    listing.add_argument("--limit", type=int, default=100, help="how many at most (default 100)")
    listing.set_defaults(func=cmd_list)
    get = webhooks.add_parser("get", parents=[common, one], help="one webhook (header values masked)")
    get.set_defaults(func=cmd_get)
    create = webhooks.add_parser("create", parents=[common, fields], help="a new webhook (its secret printed once)")
    create.add_argument("--secret", help="a custom signing secret (24 to 64 bytes); generated when absent")
    create.set_defaults(func=cmd_create)
    update = webhooks.add_parser("update", parents=[common, one, fields], help="change the fields given (PATCH)")
    update.set_defaults(func=cmd_update)
    delete = webhooks.add_parser("delete", parents=[common, one], help="delete a webhook and its secret")
    delete.set_defaults(func=cmd_delete)
    test = webhooks.add_parser(
        "test", parents=[common, one], help="send an event type's example now, and show the answer"
    )
    test.add_argument("--event-type", default="webhook.test", help="a catalog type (default webhook.test)")
    test.add_argument("--data", help="data to send instead of the type's example, as JSON")
    test.set_defaults(func=cmd_test)
    for action, words in (("enable", "start sending again"), ("disable", "stop sending (events are skipped)")):
        toggle = webhooks.add_parser(action, parents=[common, one], help=words)
        toggle.set_defaults(func=cmd_toggle)
    rotate = webhooks.add_parser("rotate", parents=[common, one], help="a new signing secret (printed once)")
    rotate.add_argument("--secret", help="a custom new secret; generated when absent")
    rotate.set_defaults(func=cmd_rotate)
    replay = webhooks.add_parser(
        "replay", parents=[common, one], help="send the stored events of a window the webhook has not received"
    )
    replay.add_argument("--since", required=True, help="ISO 8601 start, e.g. 2026-01-01T00:00:00Z")
    replay.add_argument("--until", help="ISO 8601 end (default: now)")
    replay.set_defaults(func=cmd_replay)


def path(args: argparse.Namespace, tail: str = "") -> str:
    return f"/v1/webhooks/{quote(args.webhook_id, safe='')}{tail}"


def parse_json(option: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{option} is not JSON: {exc.msg} (column {exc.colno})") from exc


def body_of(args: argparse.Namespace) -> dict[str, Any]:
    """The options given, as the API's body (absent options are left out: the API's defaults apply)."""
    body: dict[str, Any] = {}
    for name in ("url", "description", "payload_format", "rate_limit"):
        if getattr(args, name) is not None:
            body[name] = getattr(args, name)
    if args.events is not None:
        body["events"] = [e.strip() for e in args.events.split(",") if e.strip()]
    if args.scheme or args.signature_header:
        body["signature"] = {k: v for k, v in (("scheme", args.scheme), ("header", args.signature_header)) if v}
    if args.headers is not None:
        pairs = [line.split(":", 1) for line in args.headers]
        if any(len(pair) != 2 for pair in pairs):
            raise CliError("--header takes 'Name: value'")
        body["headers"] = {name.strip(): value.strip() for name, value in pairs}
    if args.filters is not None:
        body["filters"] = parse_json("--filters", args.filters)
    if getattr(args, "secret", None):
        body["secret"] = args.secret
    return body


def show(args: argparse.Namespace, hook: dict[str, Any]) -> None:
    signature = hook.get("signature") or {}
    shown = {
        "id": hook["id"],
        "status": hook["status"] + (f" ({hook['disabled_reason']})" if hook.get("disabled_reason") else ""),
        "url": hook["url"],
        "events": ", ".join(hook["events"]),
        "description": hook.get("description") or "-",
        "payload_format": hook.get("payload_format"),
        "signature": signature.get("scheme", "") + (f" ({signature['header']})" if signature.get("header") else ""),
        "headers": ", ".join(hook.get("headers") or {}) or "-",
        "filters": json.dumps(hook["filters"]) if hook.get("filters") else "-",
        "rate_limit": f"{hook['rate_limit']}/s" if hook.get("rate_limit") else "-",
    }
    emit(args, hook, [("FIELD", "VALUE"), *((name.upper(), str(shown[name])) for name in WEBHOOK_ROWS)])


def cmd_list(args: argparse.Namespace) -> int:
    body = Target(args).call("GET", f"/v1/webhooks?limit={args.limit}")
    rows = [("ID", "STATUS", "URL", "EVENTS")] + [
        (w["id"], w["status"], w["url"], ",".join(w["events"])) for w in body["data"]
    ]
    emit(args, body, rows)
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    show(args, Target(args).call("GET", path(args)))
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    created = Target(args).call("POST", "/v1/webhooks", body_of(args))
    return shown_with_secret(args, created, f"Webhook {created['id']} created.")


def cmd_update(args: argparse.Namespace) -> int:
    body = body_of(args)
    if not body:
        raise CliError("nothing to change: give at least one of --url, --events, --description, ...")
    show(args, Target(args).call("PATCH", path(args), body))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    Target(args).call("DELETE", path(args))
    emit(args, {"id": args.webhook_id, "deleted": True}, [("ID", "DELETED"), (args.webhook_id, "yes")])
    return 0


def cmd_toggle(args: argparse.Namespace) -> int:
    show(args, Target(args).call("POST", path(args, f"/{args.action}")))
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"event_type": args.event_type}
    if args.data is not None:
        body["data"] = parse_json("--data", args.data)
    sent = Target(args).call("POST", path(args, "/test"), body)
    emit(args, sent)
    return 0 if sent["delivered"] else 1  # a test the receiver did not acknowledge is a failed command


def cmd_rotate(args: argparse.Namespace) -> int:
    rotated = Target(args).call("POST", path(args, "/secret/rotate"), {"secret": args.secret} if args.secret else {})
    until = rotated.get("previous_secret_expires_at")
    note = f"Secret rotated; the previous one signs beside it until {until}." if until else "Secret rotated."
    return shown_with_secret(args, rotated, note)


def shown_with_secret(args: argparse.Namespace, answer: dict[str, Any], headline: str) -> int:
    if args.output == "json":
        emit(args, answer)
    else:
        print(headline)
        print("Signing secret (shown once, store it now):")
        print(answer["secret"])
    return 0


REPLAY_COUNTS = ("examined", "sent", "delivered", "failed", "already_delivered", "in_progress", "not_matching")


def cmd_replay(args: argparse.Namespace) -> int:
    """Call replay until the window is done (each call a bounded page, `next_cursor` to go on), with progress."""
    target = Target(args)
    totals = dict.fromkeys(REPLAY_COUNTS, 0)
    body: dict[str, Any] = {"since": args.since, **({"until": args.until} if args.until else {})}
    calls = 0
    while True:
        answer = target.call("POST", path(args, "/replay"), body)
        calls += 1
        for key in totals:
            totals[key] += int(answer.get(key) or 0)
        body = {**body, "until": answer.get("until") or body.get("until"), "cursor": answer.get("next_cursor")}
        more = bool(answer.get("next_cursor"))
        print(
            f"\rreplay: {totals['examined']} events examined, {totals['sent']} sent{' ...' if more else ''}",
            end="" if more else "\n",
            file=sys.stderr,
            flush=True,
        )
        if not more:
            break
    result = {"since": args.since, "until": body.get("until"), "calls": calls, **totals}
    emit(args, result, [tuple(k.upper() for k in REPLAY_COUNTS), tuple(str(totals[k]) for k in REPLAY_COUNTS)])
    return 0

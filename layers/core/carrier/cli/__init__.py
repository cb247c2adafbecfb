"""`carrier`: the command line for operators and tenants.

Targets the running local stack by default (`.carrier/local.json`, written by `make local`); a deployed
stack through the environment: CARRIER_API_URL and CARRIER_API_KEY for the API, CARRIER_TABLE and
CARRIER_EVENT_BUS (with the usual AWS credentials) for operator commands.
"""

from __future__ import annotations

import argparse
import sys

from carrier.cli import callbacks, secrets, webhooks
from carrier.cli.commands import (
    cmd_deliveries_recover,
    cmd_deliveries_tail,
    cmd_dlq_redrive,
    cmd_keys_create,
    cmd_keys_list,
    cmd_keys_revoke,
    cmd_publish,
)
from carrier.cli.common import ApiFailure, CliError
from carrier.cli.receiving import cmd_receive, cmd_verify


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carrier", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--output", choices=["table", "json"], default="table", help="table (default) or json")

    keys = commands.add_parser("keys", help="tenant and platform API keys").add_subparsers(dest="action", required=True)
    owner = argparse.ArgumentParser(add_help=False)  # whose keys: a tenant's, or the platform's
    whose = owner.add_mutually_exclusive_group()
    whose.add_argument("--tenant", help="the tenant's keys (ck_...)")
    whose.add_argument("--platform", action="store_true", help="the platform's keys (ckp_...)")
    owner.add_argument("--table", help="DynamoDB table (default: the local stack's, or $CARRIER_TABLE)")
    create = keys.add_parser("create", parents=[common, owner], help="issue a key (printed once)")
    create.set_defaults(func=cmd_keys_create, needs_owner=True)
    revoke = keys.add_parser("revoke", parents=[common, owner], help="revoke a key, given itself or its owner and id")
    revoke.add_argument("key", nargs="?", help="the key itself (ck_... or ckp_...)")
    revoke.add_argument("--id", help="the key's id (key_...), with --tenant or --platform")
    revoke.set_defaults(func=cmd_keys_revoke)
    listing = keys.add_parser("list", parents=[common, owner], help="key ids and creation times, never the keys")
    listing.set_defaults(func=cmd_keys_list, needs_owner=True)

    webhooks.add_parser(commands, common)

    tail = commands.add_parser("deliveries", help="a webhook's delivery log").add_subparsers(
        dest="action", required=True
    )
    follow = tail.add_parser("tail", parents=[common], help="follow new attempts of a webhook (Ctrl-C stops)")
    follow.add_argument("webhook_id", help="the webhook whose log to follow")
    follow.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    follow.add_argument("--history", action="store_true", help="print the latest deliveries first")
    follow.add_argument("--count", type=int, default=0, help="stop after this many lines")
    follow.set_defaults(func=cmd_deliveries_tail)
    recover = tail.add_parser(
        "recover", parents=[common], help="re-send failed, exhausted and skipped deliveries since a time"
    )
    recover.add_argument("webhook_id", help="the webhook whose failures to send again")
    recover.add_argument("--since", required=True, help="ISO 8601 time, e.g. 2026-01-01T00:00:00Z")
    recover.set_defaults(func=cmd_deliveries_recover)

    publish = commands.add_parser(
        "publish", parents=[common], help="publish an event through the API (POST /v1/events)"
    )
    publish.add_argument("type", help="a catalog event type, e.g. model.trained (GET /v1/event-types lists them)")
    publish.add_argument("--data", default="{}", help="the event's data, as JSON")
    publish.add_argument("--id", help="event id (idempotency key)")
    publish.add_argument("--callback-url", help="a per-job callback URL the event is also sent to")
    publish.set_defaults(func=cmd_publish)

    dlq = commands.add_parser("dlq", help="the dispatcher's dead-letter queue").add_subparsers(
        dest="action", required=True
    )
    redrive = dlq.add_parser("redrive", parents=[common], help="move its messages back to the events queue")
    redrive.add_argument(
        "--queue-url", help="the events queue (default: the local stack's, or $CARRIER_EVENTS_QUEUE_URL)"
    )
    redrive.set_defaults(func=cmd_dlq_redrive)

    callbacks.add_parser(commands, common)
    secrets.add_parser(commands, common)

    from carrier.schemes import DEFAULT_SCHEME, SCHEMES
    from carrier.verify import DEFAULT_TOLERANCE

    schemes = list(SCHEMES)
    receive = commands.add_parser("receive", parents=[common], help="run a local receiver that checks signatures")
    receive.add_argument("--port", type=int, default=9000, help="port to listen on (default 9000)")
    receive.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    receive.add_argument("--secret", help="the webhook's secret (or $CARRIER_SECRET)")
    receive.add_argument(
        "--scheme", choices=schemes, default=DEFAULT_SCHEME, help=f"signature scheme ({DEFAULT_SCHEME})"
    )
    receive.add_argument("--header", help="signature header of single-signature schemes")
    receive.add_argument("--status", type=int, default=200, help="status code to answer (default 200)")
    receive.set_defaults(func=cmd_receive)

    check = commands.add_parser("verify", parents=[common], help="check a saved request's signature")
    check.add_argument("--secret", required=True, help="the webhook's signing secret")
    check.add_argument("--scheme", choices=schemes, default=DEFAULT_SCHEME, help=f"signature scheme ({DEFAULT_SCHEME})")
    check.add_argument("--body", required=True, help="file holding the raw body")
    check.add_argument("-H", "--header", dest="headers", action="append", default=[], help="'Name: value'")
    check.add_argument("--signature-header", help="signature header of single-signature schemes")
    check.add_argument("--tolerance", type=int, default=DEFAULT_TOLERANCE, help="seconds (timestamped schemes)")
    check.set_defaults(func=cmd_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "needs_owner", False) and not (args.tenant or args.platform):
        parser.error(f"keys {args.action}: one of --tenant or --platform is required")
    from carrier.errors import CarrierError

    try:
        return int(args.func(args))
    except ApiFailure as exc:  # what the API refused: `message (field)`, one line each
        for line in exc.lines:
            print(f"carrier: {line}", file=sys.stderr)
        return 1
    except (CliError, CarrierError) as exc:
        print(f"carrier: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2

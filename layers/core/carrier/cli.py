"""`carrier`: the command line for operators and tenants.

Targets the running local stack by default (`.carrier/local.json`, written by `make local`); a deployed
stack through the environment: CARRIER_API_URL and CARRIER_API_KEY for the API, CARRIER_TABLE and
CARRIER_EVENT_BUS (with the usual AWS credentials) for operator commands.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

STATE_ENV = "CARRIER_STATE"


class CliError(Exception):
    pass


def find_state() -> dict[str, Any]:
    """The local stack's state file: $CARRIER_STATE, or .carrier/local.json here or in a parent folder."""
    explicit = os.environ.get(STATE_ENV)
    candidates = (
        [Path(explicit)] if explicit else [p / ".carrier" / "local.json" for p in [Path.cwd(), *Path.cwd().parents]]
    )
    for path in candidates:
        if path.is_file():
            state: dict[str, Any] = json.loads(path.read_text())
            return state
    return {}


class Target:
    """Where commands go: a deployed stack (environment) or the local stack (state file)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.state = find_state()
        self.api_url = getattr(args, "api_url", None) or os.environ.get("CARRIER_API_URL") or self.state.get("api_url")
        self.api_key = getattr(args, "api_key", None) or os.environ.get("CARRIER_API_KEY") or self.state.get("api_key")
        self.table = getattr(args, "table", None) or os.environ.get("CARRIER_TABLE") or self.state.get("table_name")
        self.bus = os.environ.get("CARRIER_EVENT_BUS") or self.state.get("event_bus_name")
        if self.state and not os.environ.get("CARRIER_TABLE"):
            # the local stack's moto endpoint, for commands that talk to AWS directly
            os.environ.setdefault("AWS_ENDPOINT_URL", self.state.get("aws_endpoint_url", ""))
            os.environ.setdefault("AWS_DEFAULT_REGION", self.state.get("region", "us-east-1"))
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

    def store(self) -> Any:
        if not self.table:
            raise CliError("no table: start `make local`, or set CARRIER_TABLE (and AWS credentials)")
        from carrier.store import Store

        return Store(self.table)

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        if not self.api_url or not self.api_key:
            raise CliError("no API: start `make local`, or set CARRIER_API_URL and CARRIER_API_KEY")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's own API)
            self.api_url.rstrip("/") + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, {"message": raw.decode(errors="replace")}


def emit(args: argparse.Namespace, value: Any, table: list[tuple[str, ...]] | None = None) -> None:
    if getattr(args, "output", "table") == "json" or table is None:
        print(json.dumps(value, indent=2, default=str))
        return
    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


# ---- commands -------------------------------------------------------------------------------------


def cmd_keys_create(args: argparse.Namespace) -> int:
    from carrier.apikeys import issue_key

    issued = issue_key(args.tenant, Target(args).store())
    if args.output == "json":
        emit(args, {"key": issued.key, "key_id": issued.key_id, "tenant_id": issued.tenant_id})
    else:
        print(f"API key for tenant {issued.tenant_id} (id {issued.key_id}); shown once, store it now:")
        print(issued.key)
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from carrier.apikeys import revoke_key

    revoked = revoke_key(Target(args).store(), key=args.key, tenant_id=args.tenant, key_id=args.id)
    print(f"revoked {revoked['key_id']} of tenant {revoked['tenant_id']}")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    keys = Target(args).store().list_api_keys(args.tenant)
    rows = [("KEY ID", "CREATED")] + [(k["key_id"], k["created_at"]) for k in keys]
    emit(args, [{"key_id": k["key_id"], "created_at": k["created_at"]} for k in keys], rows)
    return 0


def cmd_webhooks_list(args: argparse.Namespace) -> int:
    status, body = Target(args).api("GET", f"/v1/webhooks?limit={args.limit}")
    if status != 200:
        raise CliError(f"API answered {status}: {body}")
    rows = [("ID", "STATUS", "URL", "EVENTS")] + [
        (w["id"], w["status"], w["url"], ",".join(w["events"])) for w in body["data"]
    ]
    emit(args, body, rows)
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
    status, answer = Target(args).api("POST", "/v1/events", body)
    if status >= 300:
        raise CliError(f"API answered {status}: {answer}")
    emit(args, answer)
    return 0


def cmd_deliveries_tail(args: argparse.Namespace) -> int:
    """Follow a webhook's delivery log: one line per new attempt (like `stripe listen`)."""
    import time

    target = Target(args)
    seen: dict[str, int] = {}
    printed, first = 0, True
    while True:
        status, page = target.api("GET", f"/v1/webhooks/{args.webhook_id}/deliveries?limit=50")
        if status != 200:
            raise CliError(f"API answered {status}: {page}")
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
        status, answer = target.api("POST", f"/v1/webhooks/{args.webhook_id}/recover", {"since": args.since})
        if status != 200:
            raise CliError(f"API answered {status}: {answer}")
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
    moved = redrive(aws.client("sqs"), queue_url, progress_bar)
    print(f"\nmoved {moved} messages back to {queue_url}")
    return 0


def cmd_receive(args: argparse.Namespace) -> int:
    """A local receiver: prints each request and whether its signature verifies."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from carrier.verify import InvalidSignature, verify

    secret = args.secret or os.environ.get("CARRIER_SECRET")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = dict(self.headers.items())
            if secret:
                try:
                    verify(args.scheme, secret, body, headers, header=args.header)
                    verdict = "signature OK"
                except InvalidSignature as exc:
                    verdict = f"signature INVALID ({exc})"
            else:
                verdict = "signature not checked (pass --secret)"
            print(f"--> POST {self.path}  {verdict}", flush=True)
            for name in sorted(headers):
                print(f"    {name}: {headers[name]}", flush=True)
            print("    " + body.decode("utf-8", "replace")[:4000], flush=True)
            answer = str(args.status).encode()
            self.send_response(args.status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *values: object) -> None:
            return

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"carrier receive: listening on http://{args.host}:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Check a saved request: --body FILE and --header 'Name: value' (repeatable)."""
    from carrier.verify import InvalidSignature, verify

    body = Path(args.body).read_bytes()
    headers = dict(line.split(":", 1) for line in args.headers)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    try:
        verify(args.scheme, args.secret, body, headers, header=args.signature_header, tolerance=args.tolerance)
    except InvalidSignature as exc:
        print(f"INVALID: {exc}")
        return 1
    print("OK: the signature verifies")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carrier", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--output", choices=["table", "json"], default="table", help="table (default) or json")

    keys = commands.add_parser("keys", help="tenant API keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", parents=[common], help="issue a key (printed once)")
    create.add_argument("--tenant", required=True)
    create.add_argument("--table", help="DynamoDB table (default: the local stack's, or $CARRIER_TABLE)")
    create.set_defaults(func=cmd_keys_create)
    revoke = keys.add_parser("revoke", parents=[common], help="revoke a key, given itself or its tenant and id")
    revoke.add_argument("key", nargs="?")
    revoke.add_argument("--tenant")
    revoke.add_argument("--id")
    revoke.add_argument("--table")
    revoke.set_defaults(func=cmd_keys_revoke)
    listing = keys.add_parser("list", parents=[common], help="a tenant's key ids")
    listing.add_argument("--tenant", required=True)
    listing.add_argument("--table")
    listing.set_defaults(func=cmd_keys_list)

    webhooks = commands.add_parser("webhooks", help="the tenant's webhooks").add_subparsers(
        dest="action", required=True
    )
    wh_list = webhooks.add_parser("list", parents=[common])
    wh_list.add_argument("--limit", type=int, default=100)
    wh_list.set_defaults(func=cmd_webhooks_list)

    tail = commands.add_parser("deliveries", help="a webhook's delivery log").add_subparsers(
        dest="action", required=True
    )
    follow = tail.add_parser("tail", parents=[common], help="follow new attempts of a webhook (Ctrl-C stops)")
    follow.add_argument("webhook_id")
    follow.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    follow.add_argument("--history", action="store_true", help="print the latest deliveries first")
    follow.add_argument("--count", type=int, default=0, help="stop after this many lines")
    follow.set_defaults(func=cmd_deliveries_tail)
    recover = tail.add_parser("recover", parents=[common], help="re-send failed and exhausted deliveries since a time")
    recover.add_argument("webhook_id")
    recover.add_argument("--since", required=True, help="ISO 8601 time, e.g. 2026-01-01T00:00:00Z")
    recover.set_defaults(func=cmd_deliveries_recover)

    publish = commands.add_parser(
        "publish", parents=[common], help="publish an event through the API (POST /v1/events)"
    )
    publish.add_argument("type")
    publish.add_argument("--data", default="{}", help="the event's data, as JSON")
    publish.add_argument("--id", help="event id (idempotency key)")
    publish.add_argument("--callback-url")
    publish.set_defaults(func=cmd_publish)

    dlq = commands.add_parser("dlq", help="the dispatcher's dead-letter queue").add_subparsers(
        dest="action", required=True
    )
    redrive = dlq.add_parser("redrive", parents=[common], help="move its messages back to the events queue")
    redrive.add_argument(
        "--queue-url", help="the events queue (default: the local stack's, or $CARRIER_EVENTS_QUEUE_URL)"
    )
    redrive.set_defaults(func=cmd_dlq_redrive)

    from carrier.schemes import SCHEMES

    schemes = list(SCHEMES)
    receive = commands.add_parser("receive", parents=[common], help="run a local receiver that checks signatures")
    receive.add_argument("--port", type=int, default=9000)
    receive.add_argument("--host", default="127.0.0.1")
    receive.add_argument("--secret", help="the webhook's secret (or $CARRIER_SECRET)")
    receive.add_argument("--scheme", choices=schemes, default="standard-webhooks")
    receive.add_argument("--header", help="signature header of single-signature schemes")
    receive.add_argument("--status", type=int, default=200, help="status code to answer (default 200)")
    receive.set_defaults(func=cmd_receive)

    check = commands.add_parser("verify", parents=[common], help="check a saved request's signature")
    check.add_argument("--secret", required=True)
    check.add_argument("--scheme", choices=schemes, default="standard-webhooks")
    check.add_argument("--body", required=True, help="file holding the raw body")
    check.add_argument("-H", "--header", dest="headers", action="append", default=[], help="'Name: value'")
    check.add_argument("--signature-header", help="signature header of single-signature schemes")
    check.add_argument("--tolerance", type=int, default=300, help="seconds (standard-webhooks timestamps)")
    check.set_defaults(func=cmd_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from carrier.errors import CarrierError

    try:
        return int(args.func(args))
    except (CliError, CarrierError) as exc:
        print(f"carrier: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

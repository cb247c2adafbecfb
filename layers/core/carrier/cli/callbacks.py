"""`carrier callbacks`: a tenant's per-job callback secret, set up by the operator (seed 001: "set up with your
account manager", generated or a custom one the customer shares). The rules are `carrier.callbacks`' own, the
same the API applies to `PUT /v1/callbacks`."""

from __future__ import annotations

import argparse
from typing import Any

from carrier.cli.common import CliError, Target, emit

# The request model's fields, as this command spells them.
OPTIONS = {"secret": "--secret", "signature": "--scheme/--header", "payload_format": "--payload-format"}


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    from carrier.formats import FORMATS
    from carrier.schemes import SCHEMES

    callbacks = commands.add_parser("callbacks", help="a tenant's per-job callback secret").add_subparsers(
        dest="action", required=True
    )
    setting = callbacks.add_parser(
        "set", parents=[common], help="set (or replace) the tenant's callback secret and scheme (secret printed once)"
    )
    setting.add_argument("--tenant", required=True, help="the tenant whose callbacks these are")
    setting.add_argument("--secret", help="a custom secret the customer shares (24 to 64 bytes); generated if absent")
    setting.add_argument("--scheme", choices=list(SCHEMES), help="signature scheme (default hmac-sha256-base64)")
    setting.add_argument("--header", help="signature header of single-signature schemes")
    setting.add_argument("--payload-format", choices=list(FORMATS), help="callback body (default data)")
    setting.add_argument("--table", help="DynamoDB table (default: the local stack's, or $CARRIER_TABLE)")
    setting.set_defaults(func=cmd_callbacks_set)
    show = callbacks.add_parser("show", parents=[common], help="the tenant's callback scheme (never the secret)")
    show.add_argument("--tenant", required=True, help="the tenant whose callback scheme to show")
    show.add_argument("--table", help="DynamoDB table (default: the local stack's, or $CARRIER_TABLE)")
    show.set_defaults(func=cmd_callbacks_show)


def service(args: argparse.Namespace) -> Any:
    from carrier.apikeys import check_tenant_id
    from carrier.callbacks import CallbackService

    check_tenant_id(args.tenant)
    target = Target(args)
    return CallbackService(target.store(), target.vault())


def request_of(args: argparse.Namespace) -> Any:
    """The command's options as the API's request model, checked by its validators; an error names the option."""
    from pydantic import ValidationError

    from carrier.callbacks import CallbackConfigRequest

    fields: dict[str, Any] = {}
    if args.scheme or args.header:
        fields["signature"] = {k: v for k, v in (("scheme", args.scheme), ("header", args.header)) if v}
    if args.payload_format:
        fields["payload_format"] = args.payload_format
    if args.secret is not None:
        fields["secret"] = args.secret
    try:
        return CallbackConfigRequest.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        option = OPTIONS.get(str(error["loc"][0]) if error["loc"] else "", "options")
        raise CliError(f"{option}: {str(error['msg']).removeprefix('Value error, ')}") from exc


def cmd_callbacks_set(args: argparse.Namespace) -> int:
    request = request_of(args)
    created = service(args).configure(args.tenant, request)
    if args.output == "json":
        emit(args, {"tenant_id": args.tenant, **created.model_dump()})
        return 0
    scheme = created.signature["scheme"]
    print(f"Callback secret for tenant {args.tenant} ({scheme}, {created.payload_format} payloads); shown once:")
    print(created.secret)
    return 0


def cmd_callbacks_show(args: argparse.Namespace) -> int:
    from carrier.errors import NotFound

    try:
        config = service(args).get(args.tenant)
    except NotFound as exc:
        raise CliError(f"tenant {args.tenant} has no callback secret: carrier callbacks set --tenant ...") from exc
    signature = config.signature
    rows: list[tuple[str, ...]] = [
        ("TENANT", "SCHEME", "HEADER", "PAYLOAD FORMAT", "UPDATED"),
        (args.tenant, signature["scheme"], signature.get("header") or "-", config.payload_format, config.updated_at),
    ]
    emit(args, {"tenant_id": args.tenant, **config.model_dump()}, rows)
    return 0

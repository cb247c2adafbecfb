"""`carrier secrets migrate --to envelope|per-webhook`: move every secret document to the other backend
(`carrier.secretmigration`: the old copy goes only after the new one reads back equal; run it again to resume)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from carrier.cli.common import CliError, Target, emit


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    secrets = commands.add_parser("secrets", help="the deployment's secret store").add_subparsers(
        dest="action", required=True
    )
    move = secrets.add_parser(
        "migrate", parents=[common], help="move every webhook and callback secret to another backend (counts only)"
    )
    move.add_argument("--to", required=True, choices=["envelope", "per-webhook"], help="the backend to move to")
    move.add_argument("--table", help="DynamoDB table (default: the local stack's, or $CARRIER_TABLE)")
    move.add_argument(
        "--data-key-secret",
        help="the data-key secret (default: $CARRIER_DATA_KEY_SECRET, or <secret prefix>data-key, the template's)",
    )
    move.set_defaults(func=cmd_secrets_migrate)


def backends(target: Target, data_key_secret: str | None) -> tuple[Any, Any]:
    """(per-webhook vault, envelope vault) of the target deployment, neither cached nor falling back."""
    from carrier.envelope import DataKeys, EnvelopeVault

    per_webhook = target.vault(store="per-webhook")
    secret_id = data_key_secret or os.environ.get("CARRIER_DATA_KEY_SECRET") or f"{per_webhook.prefix}data-key"
    envelope = EnvelopeVault(per_webhook.prefix, target.store(), DataKeys(secret_id, 0), cache_seconds=0)
    return per_webhook, envelope


def cmd_secrets_migrate(args: argparse.Namespace) -> int:
    from carrier.secretmigration import migrate

    target = Target(args)
    per_webhook, envelope = backends(target, args.data_key_secret)
    source, destination = (per_webhook, envelope) if args.to == "envelope" else (envelope, per_webhook)
    report = migrate(target.store().secret_names(), source, destination)
    emit(args, report.as_dict())
    if report.failed:
        raise CliError(f"{len(report.failed)} secret(s) not moved (their old copies stay); run the command again")
    return 0

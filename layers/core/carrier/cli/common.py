"""What every command shares: where the stack is (the local state file or flags), API calls, output."""

from __future__ import annotations

import argparse
import json
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STATE_ENV = "CARRIER_STATE"


class CliError(Exception):
    pass


class ApiFailure(CliError):
    """The API refused a request: each problem it named, as `message (field)`; the command exits 1."""

    def __init__(self, status: int, body: Any) -> None:
        body = body if isinstance(body, dict) else {}
        problems = [p for p in body.get("errors") or [] if isinstance(p, dict) and p.get("message")]
        if not problems:
            problems = [
                {"message": body.get("message") or f"the API answered HTTP {status}", "field": body.get("field")}
            ]
        self.status = status
        self.lines = [f"{p['message']} ({p['field']})" if p.get("field") else str(p["message"]) for p in problems]
        super().__init__("\n".join(self.lines))


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
        self.acting_for = os.environ.get("CARRIER_TENANT")  # with a platform key (ckp_): the tenant it acts for
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

    def vault(self, store: str | None = None) -> Any:
        """The deployment's secret store: `store`, or $CARRIER_SECRET_STORE, or the local stack's, or $SECRET_STORE,
        or the template's default (`envelope`; its data key `<prefix>data-key`, or $CARRIER_DATA_KEY_SECRET).
        The names: $CARRIER_SECRET_PREFIX, or the template's `carrier/<Stage>/` read off the table's name
        (`carrier-<Stage>`)."""
        prefix = os.environ.get("CARRIER_SECRET_PREFIX") or self.state.get("secret_prefix")
        if not prefix and self.table and self.table.startswith("carrier-"):
            prefix = f"carrier/{self.table.removeprefix('carrier-')}/"
        if not prefix:
            raise CliError("no secret prefix: set CARRIER_SECRET_PREFIX (the stack's SECRET_PREFIX, carrier/<stage>/)")
        from carrier.vault import Vault

        legacy = Vault(prefix, cache_seconds=0)
        store = (
            store
            or os.environ.get("CARRIER_SECRET_STORE")
            or self.state.get("secret_store")
            or os.environ.get("SECRET_STORE")
            or "envelope"
        )
        if store == "per-webhook":
            return legacy
        from carrier.envelope import DataKeys, EnvelopeVault

        data_key = os.environ.get("CARRIER_DATA_KEY_SECRET") or f"{prefix}data-key"
        return EnvelopeVault(prefix, self.store(), DataKeys(data_key, 0), cache_seconds=0, legacy=legacy)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """An API call that must succeed: its answer, or `ApiFailure` naming what the API refused."""
        status, answer = self.api(method, path, body)
        if status >= 300:
            raise ApiFailure(status, answer)
        return answer

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        if not self.api_url or not self.api_key:
            raise CliError("no API: start `make local`, or set CARRIER_API_URL and CARRIER_API_KEY")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's own API)
            self.api_url.rstrip("/") + path,
            data=data,
            method=method,
            # Carrier-View: the CLI reads Carrier's own field names, whatever the deployment's profile spells
            headers={
                "Authorization": f"Bearer {self.api_key}",
                "Content-Type": "application/json",
                "Carrier-View": "carrier",
                **({"Carrier-Tenant": self.acting_for} if self.acting_for else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:  # not the API's JSON (a proxy's page): its status, never its text
                return exc.code, {"message": f"the API answered HTTP {exc.code} {exc.reason}".strip()}
        except urllib.error.URLError as exc:
            raise CliError(f"the API at {self.api_url} could not be reached ({exc.reason})") from exc


def emit(args: argparse.Namespace, value: Any, table: Sequence[tuple[str, ...]] | None = None) -> None:
    """`--output json`: the value as JSON; the table format: `table`, or one `FIELD  value` row per key."""
    if getattr(args, "output", "table") == "json":
        print(json.dumps(value, indent=2, default=str))
        return
    if table is None:
        table = fields_table(value)
    if not table:
        return
    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def fields_table(value: Any) -> list[tuple[str, ...]]:
    """A JSON object as FIELD / VALUE rows (nested values as compact JSON; nulls as -)."""
    if not isinstance(value, dict):
        return [("VALUE",), (json.dumps(value, default=str),)]
    rows: list[tuple[str, ...]] = [("FIELD", "VALUE")]
    for key, item in value.items():
        shown = "-" if item is None else item if isinstance(item, str) else json.dumps(item, default=str)
        rows.append((key, shown))
    return rows

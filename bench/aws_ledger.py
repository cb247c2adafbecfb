"""Counting every AWS request of a measured run: botocore hooks (on the default session every Carrier client
inherits) count each request by service and operation; each DynamoDB write is billed by size (`bench.cost`) from
its item read before and after it by a client outside the count, each read by the whole items it read; PutEvents
entries are counted in 64 KB chunks and StartExecution inputs kept. Also what the handlers print (the CloudWatch
Logs bytes, captured at the file-descriptor level) and the EMF metric names in it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session

from bench import cost
from bench.aws_env import REGION

WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


def _raw_dynamodb() -> Any:
    """A client outside the count (its own botocore session: no hooks) to read items as they are."""
    return botocore.session.get_session().create_client("dynamodb", region_name=REGION)


def _referenced(expression: str, mapping: dict[str, Any] | None, sigil: str) -> dict[str, Any]:
    used = set(re.findall(re.escape(sigil) + r"[A-Za-z0-9_]+", expression))
    return {k: v for k, v in (mapping or {}).items() if k in used}


class Ledger:
    """Every AWS request made while `active`: counted by service and operation; DynamoDB's billed by size."""

    def __init__(self, shape: cost.TableShape) -> None:
        self.shape = shape
        self.active = False
        self.calls: Counter[str] = Counter()
        self.wru = 0.0
        self.wru_by_index: Counter[str] = Counter()
        self.rru = 0.0
        self.writes = 0
        self.created: dict[str, dict[str, Any]] = {}  # items the measured run created, by key
        self.put_events: list[int] = []  # each PutEvents entry's billed chunks
        self.executions: list[dict[str, Any]] = []  # each StartExecution's input (a ladder started)
        self.errors: list[str] = []
        self.raw = _raw_dynamodb()
        self.lock = threading.Lock()

    def attach(self, session: Any) -> None:
        session.register("before-call", self.before)
        session.register("after-call", self.after)

    def reset(self) -> None:
        self.calls.clear()
        self.wru_by_index.clear()
        self.wru = self.rru = 0.0
        self.writes = 0
        self.created.clear()
        self.put_events.clear()
        self.executions.clear()

    # -- hooks

    def before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if self.active:
            self._guarded(self._before, model, params, context)

    def after(self, context: dict[str, Any], **_: Any) -> None:
        if self.active:
            self._guarded(self._after, context)

    def _guarded(self, step: Callable[..., None], *args: Any) -> None:
        """A hook that fails is the bench's fault, never the handler's: kept, and raised by `check`."""
        try:
            step(*args)
        except Exception as error:  # reported by check()
            self.errors.append(f"{type(error).__name__}: {error}")

    def check(self) -> None:
        if self.errors:
            raise RuntimeError(f"the bench's hooks failed: {self.errors[:3]}")

    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any]) -> None:
        service, operation = model.service_model.service_name, model.name
        with self.lock:
            self.calls[f"{service}.{operation}"] += 1
        body = json.loads(params.get("body") or b"{}") if service in ("dynamodb", "events") else {}
        if service == "stepfunctions" and operation == "StartExecution":
            with self.lock:
                self.executions.append(json.loads(json.loads(params.get("body") or b"{}").get("input", "{}")))
        if service == "events" and operation == "PutEvents":
            with self.lock:
                self.put_events += [cost.chunks(cost.put_events_entry_size(e)) for e in body.get("Entries", [])]
        if service != "dynamodb":
            return
        context["bench"] = (operation, body, self._items_before(operation, body))

    def _after(self, context: dict[str, Any]) -> None:
        found = context.pop("bench", None)
        if found is None:
            return
        operation, body, before = found
        if operation in READS:
            rru = self._read_units(operation, body)
            with self.lock:
                self.rru += rru
            return
        transactional = operation == "TransactWriteItems"
        for (table, name), (key, old) in before.items():
            new = self._get(table, key)
            paid = cost.write_cost(self.shape, old, new, transactional=transactional)
            with self.lock:
                self.writes += 1
                self.wru += paid.total
                self.wru_by_index["table"] += paid.table
                self.wru_by_index.update(paid.indexes)
                if old is None and new is not None:
                    self.created[name] = new
                elif new is None:
                    self.created.pop(name, None)
                elif name in self.created:
                    self.created[name] = new

    # -- DynamoDB state, read outside the count

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.raw.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return found

    def _items_before(self, operation: str, body: dict[str, Any]) -> dict[tuple[str, str], Any]:
        """Each item a write request touches: (table, key as JSON) -> (key, the item before it or None)."""
        if operation not in WRITES | {"TransactWriteItems", "BatchWriteItem"}:
            return {}
        targets: list[tuple[str, dict[str, Any]]] = []
        if operation in WRITES:
            targets.append((body["TableName"], body.get("Key") or self.shape.key_of(body["Item"])))
        elif operation == "TransactWriteItems":
            for action in body["TransactItems"]:
                ((_, request),) = action.items()
                targets.append((request["TableName"], request.get("Key") or self.shape.key_of(request["Item"])))
        else:
            for table, requests in body["RequestItems"].items():
                for request in requests:
                    put = request.get("PutRequest")
                    key = self.shape.key_of(put["Item"]) if put else request["DeleteRequest"]["Key"]
                    targets.append((table, key))
        return {(table, json.dumps(key, sort_keys=True)): (key, self._get(table, key)) for table, key in targets}

    def _read_units(self, operation: str, body: dict[str, Any]) -> float:
        """Read units of a read request: the whole items it read (a projection or a filter saves nothing)."""
        if operation == "GetItem":
            item = self._get(body["TableName"], body["Key"])
            return cost.read_units(cost.item_size(item), bool(body.get("ConsistentRead")))
        if operation in ("BatchGetItem", "TransactGetItems"):
            if operation == "BatchGetItem":
                wanted = [(t, k, r.get("ConsistentRead")) for t, r in body["RequestItems"].items() for k in r["Keys"]]
            else:
                wanted = [(g["Get"]["TableName"], g["Get"]["Key"], True) for g in body["TransactItems"]]
            factor = 2 if operation == "TransactGetItems" else 1
            return sum(factor * cost.read_units(cost.item_size(self._get(t, k)), bool(c)) for t, k, c in wanted)
        # Query / Scan: the same page without its filter and projection, as DynamoDB reads it
        expression = body.get("KeyConditionExpression", "")
        kept = ("TableName", "IndexName", "ExclusiveStartKey", "Limit", "ScanIndexForward", "ConsistentRead")
        again: dict[str, Any] = {k: body[k] for k in kept if k in body}
        if expression:
            again["KeyConditionExpression"] = expression
            names = _referenced(expression, body.get("ExpressionAttributeNames"), "#")
            values = _referenced(expression, body.get("ExpressionAttributeValues"), ":")
            again.update({"ExpressionAttributeNames": names} if names else {})
            again.update({"ExpressionAttributeValues": values} if values else {})
        page = getattr(self.raw, "query" if operation == "Query" else "scan")(**again)
        sizes = [cost.item_size(i) for i in page.get("Items", [])]
        return cost.query_read_units(sizes, bool(body.get("ConsistentRead")))

    # -- results

    def service_calls(self, service: str) -> int:
        return sum(count for name, count in self.calls.items() if name.split(".")[0] == service)

    def stored_bytes(self) -> int:
        return sum(cost.stored_bytes(item, self.shape) for item in self.created.values())


@contextmanager
def printed() -> Iterator[dict[str, Any]]:
    """Bytes written to stdout and stderr (file descriptors 1 and 2) inside the block: what Lambda sends to
    CloudWatch Logs."""
    out: dict[str, Any] = {}
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    files = {fd: tempfile.TemporaryFile() for fd in (1, 2)}  # noqa: SIM115 (closed below, after dup2 back)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    for fd, f in files.items():
        os.dup2(f.fileno(), fd)
    try:
        yield out
    finally:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
        for fd, f in files.items():
            os.dup2(saved[fd], fd)
            os.close(saved[fd])
            f.seek(0)
            text = f.read()
            out["stdout" if fd == 1 else "stderr"] = len(text)
            out[f"text_{fd}"] = text.decode(errors="replace")
            f.close()


def metric_names(text: str) -> list[str]:
    """The custom metrics in the EMF documents printed (each name is a metric CloudWatch bills by the month)."""
    names: set[str] = set()
    for line in text.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "_aws" in document:
            for directive in document["_aws"].get("CloudWatchMetrics", []):
                names.update(m["Name"] for m in directive.get("Metrics", []))
    return sorted(names)

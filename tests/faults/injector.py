"""AWS faults, injected where botocore makes the call: a `before-call` hook on boto3's default session.

A `before-call.<service>.<Operation>` handler that returns `(http_response, parsed)` short-circuits the call:
botocore skips the request (and its own retries) and raises `ClientError` for a status >= 300. So an injected
fault is what Carrier sees when AWS kept failing after botocore's retries: `ThrottlingException`,
`ProvisionedThroughputExceededException`, `InternalServerError`.

Two kinds of fault:
- a *rate* per service and operation (`rate("dynamodb", 0.07)`, `rate("stepfunctions", 0.07, "StartExecution")`):
  each call is decided by a hash of (seed, service, operation, the call's identity, how many calls with that
  identity came before), so the same run injects the same faults whatever the threads' interleaving;
- *targeted* faults (`fail_next("dynamodb", "UpdateItem", times=2, when=...)`), optionally on calls matching a
  predicate on their parameters; their `action` may also be `"kill"` (the participant making the call dies there,
  the call never lands: a Lambda dying mid-call) or `"delay"` (the call is slow by `seconds` of virtual time, so
  another participant runs in between).

Only calls made by a participant of the `World` (Carrier's code under test) are touched: the harness's own
setup and inspection calls never fail. `counts` holds every injected fault by (service, operation, code).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders

from tests.faults.world import World

# The error each service answers when throttled or broken, as botocore would raise it after its retries.
CODES: dict[str, tuple[str, ...]] = {
    "dynamodb": ("ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"),
    "stepfunctions": ("ThrottlingException", "InternalServerError"),
    "secretsmanager": ("ThrottlingException", "InternalServiceError"),
}
STATUS = {"ThrottlingException": 400, "ProvisionedThroughputExceededException": 400}

# The parameters that name what a call is about (never timestamps, tokens or random lock owners).
IDENTITY = ("TableName", "Key", "name", "SecretId", "stateMachineArn", "KeyConditionExpression")

Predicate = Callable[[dict[str, Any]], bool]


@dataclass
class Targeted:
    service: str
    operation: str
    times: int
    code: str
    when: Predicate | None
    action: str  # fail | kill | delay
    seconds: float = 0.0
    then: Callable[[], None] | None = None  # run when it fires (e.g. start a tenant's call at that moment)
    fired: int = 0


def api_params(request: dict[str, Any]) -> dict[str, Any]:
    """The operation's parameters: `before-call` hands over the serialized request, whose body is the parameters'
    JSON for the JSON protocols of DynamoDB, Step Functions and Secrets Manager."""
    body = request.get("body")
    if isinstance(body, bytes | str) and body:
        try:
            decoded = json.loads(body)
        except ValueError:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    return {}


class FaultInjector:
    def __init__(self, world: World, seed: int = 1) -> None:
        self.world = world
        self.seed = seed
        self.rates: dict[tuple[str, str], float] = {}
        self.targeted: list[Targeted] = []
        self.counts: Counter[tuple[str, str, str]] = Counter()  # injected (service, operation, code)
        self.calls: Counter[tuple[str, str]] = Counter()  # every call seen from a participant
        self._seen: Counter[str] = Counter()
        self.killed: list[str] = []  # names of participants killed by a "kill" fault
        self.log: list[tuple[str, str, str, str, str]] = []  # (participant, service, operation, code, params)

    # ---- configuration ------------------------------------------------------------------------------------

    def rate(self, service: str, fraction: float, operation: str = "*") -> None:
        """Fail `fraction` of `service`'s calls (`operation` "*" for all of them)."""
        self.rates[(service, operation)] = fraction

    def fail_next(
        self,
        service: str,
        operation: str,
        *,
        times: int = 1,
        code: str | None = None,
        when: Predicate | None = None,
        action: str = "fail",
        seconds: float = 0.0,
        then: Callable[[], None] | None = None,
    ) -> Targeted:
        """Fail (or kill at, or slow down) the next `times` calls of `operation` matching `when`."""
        fault = Targeted(service, operation, times, code or CODES[service][0], when, action, seconds, then)
        self.targeted.append(fault)
        return fault

    def kill_at(self, service: str, operation: str, *, when: Predicate | None = None) -> Targeted:
        """The participant that makes the next matching call dies there; the call never lands."""
        return self.fail_next(service, operation, when=when, action="kill")

    def delay(
        self,
        service: str,
        operation: str,
        seconds: float,
        *,
        when: Predicate | None = None,
        then: Callable[[], None] | None = None,
    ) -> Targeted:
        """The next matching call takes `seconds` of virtual time before it is made."""
        return self.fail_next(service, operation, when=when, action="delay", seconds=seconds, then=then)

    def clear(self) -> None:
        self.rates.clear()
        self.targeted.clear()

    def total(self, service: str | None = None) -> int:
        return sum(n for (s, _, _), n in self.counts.items() if service is None or s == service)

    # ---- the hook -----------------------------------------------------------------------------------------

    def install(self) -> None:
        """Register on boto3's default session (clients made after this call see it: `runtime.reset()` first)."""
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        hook: Callable[..., Any] = self._before_call
        boto3.DEFAULT_SESSION.events.register("before-call.*.*", hook, unique_id="carrier-fault-injector")

    def uninstall(self) -> None:
        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION.events.unregister("before-call.*.*", unique_id="carrier-fault-injector")

    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if self.world.current is None:
            return None  # the harness's own call
        service, operation = model.service_model.service_name, model.name
        params = api_params(params)
        self.calls[(service, operation)] += 1
        for fault in self.targeted:
            if fault.times <= 0 or (fault.service, fault.operation) != (service, operation):
                continue
            if fault.when is not None and not fault.when(params):
                continue
            fault.times -= 1
            fault.fired += 1
            if fault.then is not None:
                fault.then()
            if fault.action == "kill":
                participant = self.world.current
                self.killed.append(participant.name)
                self.counts[(service, operation, "kill")] += 1
                self.world.kill(participant)
                self.world.park()  # never resumed: the call is never made
            if fault.action == "delay":
                self.world.sleep(fault.seconds)
                return None
            return self._error(service, operation, fault.code, params)
        fraction = self.rates.get((service, operation), self.rates.get((service, "*"), 0.0))
        if fraction <= 0:
            return None
        identity = self._identity(service, operation, params)
        self._seen[identity] += 1
        roll = self._roll(f"{identity}#{self._seen[identity]}")
        if roll >= fraction:
            return None
        codes = CODES[service]
        return self._error(service, operation, codes[int(roll / fraction * len(codes)) % len(codes)], params)

    def _identity(self, service: str, operation: str, params: dict[str, Any]) -> str:
        named = {k: params[k] for k in IDENTITY if k in params}
        if "Item" in params:  # a PutItem is about its key
            named["Item"] = {k: params["Item"].get(k) for k in ("pk", "sk")}
        return f"{service}.{operation}:{json.dumps(named, sort_keys=True, default=str)}"

    def _roll(self, key: str) -> float:
        digest = hashlib.sha256(f"{self.seed}:{key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def _error(
        self, service: str, operation: str, code: str, params: dict[str, Any]
    ) -> tuple[AWSResponse, dict[str, Any]]:
        self.counts[(service, operation, code)] += 1
        who = self.world.current.name if self.world.current is not None else "?"
        self.log.append((who, service, operation, code, json.dumps(params, default=str)))
        status = STATUS.get(code, 500)
        parsed = {
            "Error": {"Code": code, "Message": f"injected by tests/faults: {code}"},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "fault-injected", "HTTPHeaders": {}},
        }
        return AWSResponse("https://fault.invalid/", status, HTTPHeaders(), None), parsed

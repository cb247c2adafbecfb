"""Schemathesis against the OpenAPI document the local stack serves: every operation, every check.

No answer may be a 5xx, and every answer must be documented: its status code, its content type and its
body's schema (plus schemathesis's other checks: invalid input refused, valid input accepted, auth enforced).
Each operation is fuzzed with valid and invalid input, twice: with ids nobody owns (the 404 and 422 paths) and
with the ids of a live webhook and delivery of the fuzzing tenant (the success paths).

Schemathesis's pytest loaders (`parametrize`, `from_fixture`) need the schema at collection time or a pytest
private (`Node._nodeid`) that pytest 9 no longer has; the served document exists only once the `stack` fixture
runs, so each operation's cases run as a subtest through `APIOperation.as_strategy`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from tests.receiver import Receiver
from tests.stack import Stack, Tenant

BOUNDED = settings(
    max_examples=25,
    derandomize=True,  # the same cases on every run: a failure in CI reproduces locally
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
Ids = Callable[[], dict[str, str]]


@pytest.fixture(scope="module")
def fuzzer(stack: Stack) -> Tenant:
    return Tenant(stack, "t-fuzz")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


def operations(stack: Stack, tenant: Tenant) -> list[Any]:
    schema = schemathesis.openapi.from_url(stack.url + "/openapi.json")
    schema.config.update(base_url=stack.url)
    # Valid by the schema is not always valid: a URL's host must be a real host name, a cursor must be one this
    # api issued, `since` must not be in the future. JSON Schema cannot say so; such a request is answered 422
    # naming the field (the response check still validates that body against the documented 422 schema).
    acceptance = schema.config.checks.positive_data_acceptance
    acceptance.expected_statuses = [*acceptance.expected_statuses, "422"]
    found = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the served document has an invalid operation: {result.err()}"
        found.append(result.ok())
    assert found, "the served document has no operations"
    return found


def fuzz(stack: Stack, tenant: Tenant, subtests: Any, ids: Ids, budget: settings = BOUNDED) -> None:
    headers = {"Authorization": f"Bearer {tenant.key}"}
    for operation in operations(stack, tenant):
        for mode in MODES:
            with subtests.test(msg=f"{operation.label} {mode.value}"):
                known = ids()
                path_parameters = {k: v for k, v in known.items() if f"{{{k}}}" in operation.path} or None

                @budget
                @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
                def run(case: Any) -> None:
                    case.call_and_validate(headers=headers)

                run()


def test_every_answer_with_unknown_ids_is_documented(stack: Stack, fuzzer: Tenant, subtests: Any) -> None:
    fuzz(stack, fuzzer, subtests, dict)


def test_every_answer_on_a_live_webhook_is_documented(
    stack: Stack, fuzzer: Tenant, receiver: Receiver, subtests: Any
) -> None:
    def live() -> dict[str, str]:
        """A fresh webhook with one delivery for every operation (a DELETE in one does not starve the next)."""
        hook = fuzzer.create(receiver.url + "/fuzz")
        status, sent = fuzzer.api("POST", f"/v1/webhooks/{hook['id']}/test")
        assert status == 200, sent
        return {"webhook_id": hook["id"], "delivery_id": sent["delivery_id"]}

    fuzz(stack, fuzzer, subtests, live, settings(BOUNDED, max_examples=10))  # live cases send: fewer of them

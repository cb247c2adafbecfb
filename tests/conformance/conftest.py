"""The conformance suite's fixtures: each test module starts one local stack for its profile (`profile_stack`,
module scoped, from `start_stack`) and names it in `PROFILE`; every test gets a fresh tenant on it (`customer`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from tests.stack import Stack, Tenant, start_stack


@pytest.fixture(scope="module")
def profile_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`python -m carrier_local` with PROFILE=<the module's PROFILE>, for the module's tests."""
    profile = request.module.PROFILE
    with start_stack(tmp_path_factory, profile) as stack:
        yield stack


@pytest.fixture
def customer(profile_stack: Stack, request: pytest.FixtureRequest) -> Tenant:
    """A fresh tenant (the platform's customer who reads the seed doc) on the module's stack."""
    name = request.node.name.replace("[", "-").replace("]", "").replace("_", "-")
    digest = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:8]  # unique however long the name
    return Tenant(profile_stack, f"c-{name[:40]}-{digest}")

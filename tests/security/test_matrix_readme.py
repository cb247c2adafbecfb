"""tests/security/README.md stays true: every SSRF row and every hostile receiver of the suite is in its tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.security.test_hostile_receivers import HOSTILE
from tests.security.test_ssrf_matrix import CONNECT_ROWS, CREATION_ROWS

README = (Path(__file__).parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("row", [*CREATION_ROWS, *CONNECT_ROWS, *HOSTILE])
def test_every_row_is_in_the_readme(row: Any) -> None:
    assert f"| `{row.id}` |" in README, f"{row.id} is missing from tests/security/README.md"


def test_the_matrix_has_at_least_forty_url_forms() -> None:
    assert len(CREATION_ROWS) + len(CONNECT_ROWS) >= 40

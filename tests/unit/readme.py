"""The repository README's Markdown tables, read by the tests that tie a table in code to its table in prose."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def table(first_header: str) -> list[list[str]]:
    """The body rows (cells stripped) of the README table whose first header cell is `first_header`."""
    lines = README.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and _cells(line)[0] == first_header:
            rows = []
            for row in lines[i + 2 :]:  # skip the | --- | line
                if not row.startswith("|"):
                    break
                rows.append(_cells(row))
            return rows
    raise LookupError(f"README.md has no table starting with {first_header!r}")

"""`carrier secrets migrate --to envelope|per-webhook`: every webhook's and callback setting's secret document moved
from one backend to the other.

Invariant: the old copy is deleted only after the new one is written and read back equal, so a run stopped at any
point loses nothing; a second run finds what is already moved (`already`) and finishes what is not (resumable,
idempotent). Counts only: no document or value is printed or logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from carrier.records import SecretDocument


class Backend(Protocol):
    def find(self, name: str) -> SecretDocument | None: ...

    def write(self, name: str, document: SecretDocument, tags: dict[str, str]) -> None: ...

    def delete(self, name: str) -> None: ...


@dataclass
class MigrationReport:
    moved: int = 0
    already: int = 0
    missing: int = 0
    failed: list[str] = field(default_factory=list)  # secret names (never values) whose move failed

    def as_dict(self) -> dict[str, Any]:
        return {"moved": self.moved, "already": self.already, "missing": self.missing, "failed": self.failed}


def migrate(names: Iterable[tuple[str, str]], source: Backend, target: Backend) -> MigrationReport:
    """Move each (tenant id, secret name) from `source` to `target`; the source copy goes last."""
    report = MigrationReport()
    for tenant_id, name in names:
        try:
            old = source.find(name)
            if old is None:
                if target.find(name) is not None:
                    report.already += 1
                else:
                    report.missing += 1
                continue
            if target.find(name) != old:
                target.write(name, old, {"tenant_id": tenant_id})
                if target.find(name) != old:
                    report.failed.append(name)  # not read back equal: the old copy stays
                    continue
                report.moved += 1
            else:
                report.already += 1  # written by an earlier run that stopped before deleting the old copy
            source.delete(name)
        except Exception as exc:  # one secret's failure is reported by name; the run goes on
            report.failed.append(f"{name}: {type(exc).__name__}")
    return report

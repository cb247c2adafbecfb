"""The event-type catalog (one data file) and subscription patterns: exact names, `prefix.*` and `*`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).parent / "data" / "event_types.json"


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    example: dict[str, Any]


class Catalog:
    def __init__(self, types: Iterable[EventType]) -> None:
        self.types = {t.name: t for t in types}
        self.prefixes = {name.rsplit(".", 1)[0] for name in self.types if "." in name}

    @classmethod
    def from_file(cls, path: Path) -> Catalog:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(EventType(t["name"], t.get("description", ""), t.get("example", {})) for t in raw["event_types"])

    def __contains__(self, name: str) -> bool:
        return name in self.types

    def names(self) -> list[str]:
        return sorted(self.types)

    def unknown_patterns(self, patterns: Iterable[str]) -> list[str]:
        """The subscription patterns that name nothing in the catalog."""
        unknown = []
        for pattern in patterns:
            if pattern == "*" or pattern in self.types:
                continue
            if pattern.endswith(".*") and pattern[:-2] in self.prefixes:
                continue
            unknown.append(pattern)
        return unknown


def matches(patterns: Iterable[str], event_type: str) -> bool:
    """Does a subscription (list of patterns) cover this event type?"""
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    """The deployed catalog: CATALOG_PATH if set, else the packaged data file."""
    return Catalog.from_file(Path(os.environ.get("CATALOG_PATH") or DEFAULT_PATH))

"""The event-type catalog (the active profile's) and subscription patterns: exact names, `prefix.*` and `*`.

Carrier's operational events (`carrier.*`, see `carrier.operational`) are in every catalog as a group; a webhook
receives them only when it names them (`carrier.webhook.failing`, `carrier.webhook.*`, `carrier.*`): `*` means
every event of the platform's, never Carrier's own about its webhooks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from carrier import profile

OPERATIONAL_PREFIX = "carrier."


def is_operational(event_type: str) -> bool:
    """One of Carrier's operational events (`carrier.webhook.disabled`, ...)."""
    return event_type.startswith(OPERATIONAL_PREFIX)


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    example: dict[str, Any]


class Catalog:
    def __init__(self, types: Iterable[EventType]) -> None:
        self.types = {t.name: t for t in types}
        # every dotted ancestor of a name: `carrier.webhook.*` and `carrier.*` for carrier.webhook.disabled
        parts = [name.split(".") for name in self.types]
        self.prefixes = {".".join(p[:i]) for p in parts for i in range(1, len(p))}

    @classmethod
    def from_file(cls, path: Path) -> Catalog:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(EventType(t["name"], t.get("description", ""), t.get("example", {})) for t in raw["event_types"])

    def __contains__(self, name: str) -> bool:
        return name in self.types

    def example_prefix(self) -> str:
        """A prefix of the catalog's own (for messages and examples): the first non-Carrier type's."""
        own = [name for name in self.types if "." in name and name.split(".")[0] not in ("webhook", "carrier")]
        return (own or sorted(self.prefixes) or ["webhook"])[0].rsplit(".", 1)[0]

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
        if pattern == event_type or (pattern == "*" and not is_operational(event_type)):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


@lru_cache(maxsize=16)
def _catalog_of(profile_name: str) -> Catalog:
    return Catalog(EventType(t.name, t.description, t.example) for t in profile.load(profile_name).event_types())


def get_catalog() -> Catalog:
    """The deployed catalog: the active profile's, with Carrier's own types (webhook.test) first."""
    return _catalog_of(profile.active().name)

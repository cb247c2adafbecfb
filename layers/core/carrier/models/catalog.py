"""Event types as the API shows them, and how request models document the catalog's names."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from carrier.catalog import get_catalog, is_operational


class EventTypeOut(BaseModel):
    name: str
    description: str
    example: dict[str, Any]


class EventTypeList(BaseModel):
    data: list[EventTypeOut]


def document_catalog_names(schema: dict[str, Any]) -> None:
    """OpenAPI: the event-type field lists the catalog's names (the schema says what validation accepts)."""
    schema["enum"] = get_catalog().names()


def document_publishable_names(schema: dict[str, Any]) -> None:
    """OpenAPI: what POST /v1/events accepts, the catalog without Carrier's own operational events."""
    schema["enum"] = [name for name in get_catalog().names() if not is_operational(name)]


def document_patterns(schema: dict[str, Any]) -> None:
    """OpenAPI: a subscription lists exact names, `prefix.*` patterns and `*`."""
    catalog = get_catalog()
    patterns = ["*", *catalog.names(), *sorted(f"{prefix}.*" for prefix in catalog.prefixes)]
    for member in schema.get("anyOf", [schema]):
        if member.get("type") == "array":
            member["items"] = {**member.get("items", {}), "enum": patterns}

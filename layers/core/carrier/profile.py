"""Profiles: Carrier behind a platform's published webhook contract, as data (`profiles/<name>.yaml`).

A profile holds everything that differs between such contracts: the event-type catalog, the defaults a new
webhook takes (payload format, signature scheme and header), the webhook id prefix, which URLs are accepted, how
an event's matching webhooks share it, the extra headers of every request, and how answers spell their fields and
delivery statuses. The template Parameter `Profile` (env `CARRIER_PROFILE`; `PROFILE=` for `make local`) picks one;
`carrier` is today's behaviour and the default. A file that does not fit this schema stops start-up with the file
and the key named. Adding a platform is adding one file.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from carrier.formats import FORMATS
from carrier.schemes import SCHEMES

PROFILES_DIR = Path(__file__).parent / "profiles"
BUILTIN_TYPES = Path(__file__).parent / "data" / "event_types.json"  # Carrier's own types, in every catalog
DEFAULT = "carrier"
ENV = "CARRIER_PROFILE"
NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
HEADER = re.compile(r"[A-Za-z0-9-]{1,64}")


class ProfileError(RuntimeError):
    """A profile that cannot be used: unknown, unreadable, or not of the schema (the file and key are named)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventTypeSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
    description: str = ""
    example: dict[str, Any] = Field(default_factory=dict)


class SignatureDefault(_Strict):
    scheme: str
    header: str | None = None

    @field_validator("scheme")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value not in SCHEMES:
            raise ValueError(f"unknown scheme {value!r}; one of {', '.join(SCHEMES)}")
        return value

    @model_validator(mode="after")
    def _header_fits(self) -> SignatureDefault:
        if self.header is not None and (
            SCHEMES[self.scheme].default_header is None or not HEADER.fullmatch(self.header)
        ):
            raise ValueError(f"header {self.header!r} cannot be set for {self.scheme} (or is not a header name)")
        return self


class WebhookRules(_Strict):
    id_prefix: str = Field(default="wh", pattern=r"^[a-z]{1,8}$")
    payload_format: str = "standard"
    signature: SignatureDefault = SignatureDefault(scheme="standard-webhooks")
    allow_http: bool = Field(default=False, description="http:// URLs accepted (private addresses stay refused).")
    matching: Literal["all", "most-specific"] = Field(
        default="all",
        description="all: every matching webhook gets the event. most-specific: a matching webhook whose filters "
        "another matching webhook's filters strictly extend (same values, more keys) is left out for that event.",
    )

    @field_validator("payload_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in FORMATS:
            raise ValueError(f"unknown payload format {value!r}; one of {', '.join(FORMATS)}")
        return value


class RequestRules(_Strict):
    header_aliases: dict[str, str] = Field(
        default_factory=dict, description="A body field that sets one custom header, e.g. {header: Authorization}."
    )

    @field_validator("header_aliases")
    @classmethod
    def _header_names(cls, value: dict[str, str]) -> dict[str, str]:
        for field, header in value.items():
            if not HEADER.fullmatch(header) or not re.fullmatch(r"[a-z][a-zA-Z_]*", field):
                raise ValueError(f"{field}: {header!r} is not a field and a header name")
        return value


class AnswerRules(_Strict):
    rename: dict[str, str] = Field(default_factory=dict, description="Field names in answers (and request bodies).")
    delivery_status: dict[str, str] = Field(default_factory=dict, description="Carrier's status -> the profile's.")
    list_alias: bool = Field(default=True, description="Lists also carry their items under `data`.")
    delivery_total: bool = Field(default=False, description="Delivery lists count every matching delivery (total).")
    error_body_json: bool = Field(
        default=False, description="last_error.body is the receiver's JSON when it sent JSON."
    )

    @field_validator("delivery_status")
    @classmethod
    def _statuses(cls, value: dict[str, str]) -> dict[str, str]:
        from carrier.records import DeliveryStatus

        known = {status.value for status in DeliveryStatus}
        for ours, theirs in value.items():
            if ours not in known:
                raise ValueError(f"unknown delivery status {ours!r}; one of {', '.join(sorted(known))}")
            if theirs in known - {ours} or list(value.values()).count(theirs) > 1:
                raise ValueError(f"{theirs!r} would name two statuses")
        return value

    @field_validator("rename")
    @classmethod
    def _one_to_one(cls, value: dict[str, str]) -> dict[str, str]:
        if len(set(value.values())) != len(value):
            raise ValueError("two fields renamed to one name")
        return value


class Profile(_Strict):
    name: str
    description: str
    docs: str = Field(default="", description="The published contract this profile keeps (a title or a URL).")
    webhooks: WebhookRules = WebhookRules()
    delivery_headers: dict[str, str] = Field(default_factory=dict, description="Sent on every request.")
    requests: RequestRules = RequestRules()
    answers: AnswerRules = AnswerRules()
    catalog: list[EventTypeSpec] = Field(min_length=1)

    @field_validator("delivery_headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header_value in value.items():
            if not HEADER.fullmatch(name) or any(ord(c) < 32 for c in header_value):
                raise ValueError(f"{name!r} is not a header name and value")
        return value

    @field_validator("catalog")
    @classmethod
    def _unique(cls, value: list[EventTypeSpec]) -> list[EventTypeSpec]:
        names = [t.name for t in value]
        if duplicates := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"event type {duplicates[0]} is listed twice")
        return value

    def event_types(self) -> list[EventTypeSpec]:
        """The catalog as served: Carrier's own types (webhook.test) first, then the profile's."""
        own = [t.name for t in self.catalog]
        return [t for t in builtin_types() if t.name not in own] + list(self.catalog)


@lru_cache(maxsize=1)
def builtin_types() -> tuple[EventTypeSpec, ...]:
    import json

    raw = json.loads(BUILTIN_TYPES.read_text(encoding="utf-8"))
    return tuple(EventTypeSpec.model_validate(t) for t in raw["event_types"])


def available() -> list[str]:
    return sorted(path.stem for path in PROFILES_DIR.glob("*.yaml"))  # read when called (tests point it elsewhere)


def _plain(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (a typo? see the keys of profiles/carrier.yaml)"
    return str(error["msg"]).removeprefix("Value error, ")


def _where(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(top level)"


def load(name: str, directory: Path | None = None) -> Profile:
    """Read and check one profile; any problem is a ProfileError naming the file and the key."""
    directory = directory or PROFILES_DIR
    if not NAME.fullmatch(name):
        raise ProfileError(f"profile name {name!r} is not a name (lower case letters, digits, -)")
    path = directory / f"{name}.yaml"
    if not path.is_file():
        raise ProfileError(f"unknown profile {name!r}: no {path}; profiles: {', '.join(available())}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: not readable YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: the file must hold a mapping of keys")
    if raw.get("name") != name:
        raise ProfileError(f"{path}: key name: must be {name!r} (the file's name), not {raw.get('name')!r}")
    try:
        return Profile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"key {_where(e['loc'])}: {_plain(e)}" for e in exc.errors()[:5])
        raise ProfileError(f"{path}: {problems}") from exc


@lru_cache(maxsize=16)
def _cached(name: str) -> Profile:
    return load(name)


def active() -> Profile:
    """The deployment's profile (env CARRIER_PROFILE, default `carrier`), read and checked once per name."""
    return _cached(os.environ.get(ENV) or DEFAULT)

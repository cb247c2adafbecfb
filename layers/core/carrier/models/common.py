"""What every API model shares: the strict base, the mask, and the enums built from their tables."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field

from carrier.formats import FORMATS
from carrier.schemes import SCHEMES

MASK = "********"

if TYPE_CHECKING:  # members are the rows of their tables: refer to them by value, e.g. SignatureScheme("github")
    SignatureScheme = StrEnum
    PayloadFormat = StrEnum
else:
    SignatureScheme = StrEnum("SignatureScheme", {name.replace("-", "_"): name for name in SCHEMES})
    PayloadFormat = StrEnum("PayloadFormat", {name: name for name in FORMATS})

Scalar = str | int | float | bool
FilterValue = Scalar | Annotated[list[Scalar], Field(min_length=1, max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

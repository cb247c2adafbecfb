"""What every API model shares: the strict base (unknown fields refused, the text rule on every field), the mask,
and the enums built from their tables."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, WrapValidator, field_validator
from pydantic_core import PydanticCustomError

from carrier.formats import FORMATS
from carrier.schemes import SCHEMES
from carrier.validators import check_valid_unicode

MASK = "********"

if TYPE_CHECKING:  # members are the rows of their tables: refer to them by value, e.g. SignatureScheme("github")
    SignatureScheme = StrEnum
    PayloadFormat = StrEnum
else:
    SignatureScheme = StrEnum("SignatureScheme", {name.replace("-", "_"): name for name in SCHEMES})
    PayloadFormat = StrEnum("PayloadFormat", {name: name for name in FORMATS})

Scalar = str | int | float | bool


def _one_filter_error(value: Any, handler: Any) -> Any:
    """A filter value that fits no member of the union: one error in plain words at the filter's key, not one per
    member named by pydantic's type tags (`filters.a.list[union[str,int,float,bool]]`)."""
    try:
        return handler(value)
    except ValidationError as exc:
        raise PydanticCustomError(
            "filter_value", "a filter value is a string, a number, a boolean or a list of 1 to 100 of them"
        ) from exc


FilterValue = Annotated[
    Scalar | Annotated[list[Scalar], Field(min_length=1, max_length=100)], WrapValidator(_one_filter_error)
]


class Strict(BaseModel):
    """Every request model: an unknown field is refused, and every field's text (keys and values of nested data
    too) is valid Unicode, before any other check (`carrier.validators`' text rule)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _valid_unicode(cls, value: Any, info: ValidationInfo) -> Any:
        return check_valid_unicode(value, str(info.field_name))

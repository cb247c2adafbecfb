"""Error bodies: every 4xx the API answers, documented in the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every error the api answers: a code, a sentence, and the field at fault when there is one."""

    error: str = Field(description="not_found, conflict, payload_too_large, validation_error, ...")
    message: str
    field: str | None = Field(default=None, description="The request field at fault (dotted path).")


class FieldError(BaseModel):
    field: str
    in_: Literal["body", "query", "path", "header"] = Field(alias="in")
    message: str
    type: str


class ValidationErrorBody(ErrorBody):
    """422: the first problem in `message` and `field`; every problem in `errors` (absent for a single one)."""

    errors: list[FieldError] = Field(default_factory=list)


class AuthErrorBody(BaseModel):
    """401: no valid API key. API Gateway itself answers `{"message": "Unauthorized"}` when the header is absent."""

    message: str
    error: Literal["unauthorized"] | None = None

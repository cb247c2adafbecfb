"""Typed errors. The API maps each to one HTTP answer in one place (functions/api/carrier_api/http_errors.py)."""

from __future__ import annotations


class CarrierError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}

    def to_dict(self) -> dict:
        body: dict = {"error": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        body.update(self.details)
        return body


class InvalidInput(CarrierError):
    status_code = 422
    code = "validation_error"


class NotFound(CarrierError):
    status_code = 404
    code = "not_found"


class Unauthorized(CarrierError):
    status_code = 401
    code = "unauthorized"


class Forbidden(CarrierError):
    """The caller is who it says, and may not do this (a read-only portal session changing something)."""

    status_code = 403
    code = "forbidden"


class Conflict(CarrierError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(CarrierError):
    status_code = 413
    code = "payload_too_large"


class DependencyFailed(CarrierError):
    """An AWS call failed; nothing was half-written."""

    status_code = 503
    code = "unavailable"

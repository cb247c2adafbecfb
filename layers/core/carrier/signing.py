"""Signing one attempt: the scheme's row (`carrier.schemes`) turns the body and keys into headers."""

from __future__ import annotations

from carrier import __version__, profile
from carrier.schemes import SCHEMES, SignInput, standard_webhooks_key

USER_AGENT = f"Carrier/{__version__}"

__all__ = ["USER_AGENT", "SignInput", "base_headers", "sign", "standard_webhooks_key"]


def sign(scheme: str, request: SignInput) -> dict[str, str]:
    """Signature headers for one attempt. Single-signature schemes sign with the current key only."""
    if not request.keys:
        raise ValueError("no signing key")
    return SCHEMES[scheme].sign(request)


def base_headers() -> dict[str, str]:
    """Every request's headers: the profile's `delivery_headers`, then Content-Type and User-Agent (not overridable)."""
    return {**profile.active().delivery_headers, "Content-Type": "application/json", "User-Agent": USER_AGENT}

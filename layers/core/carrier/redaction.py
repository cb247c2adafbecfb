"""What must never be stored or shown in clear, and how it is masked: custom header values and signing keys
in request headers, receiver answers and error texts."""

from __future__ import annotations

from carrier.models.common import MASK


def mask_headers(headers: dict[str, str], secret_names: set[str]) -> dict[str, str]:
    """Request headers as logged: custom header values and signatures masked."""
    masked = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in secret_names:
            masked[name] = MASK
        elif "signature" in lowered:
            masked[name] = value[:10] + "…"
        else:
            masked[name] = value
    return masked


def redact(text: str | None, secrets: list[str]) -> str | None:
    """`text` with every secret value masked: a receiver that echoes its request back must not make the
    delivery log show the signing secret or a custom header's value."""
    if not text:
        return text
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def excerpt(raw: bytes | str | None, secrets: list[str], limit: int) -> str | None:
    """What is kept of a receiver's answer or an error text: every secret masked first, then cut to `limit` bytes
    of UTF-8 (cutting first could leave the start of a secret that straddles the cut in clear)."""
    if not raw:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    masked = redact(text, secrets) or ""
    return masked.encode("utf-8")[:limit].decode("utf-8", "ignore")


def secret_values(keys: list[str], custom: dict[str, str]) -> list[str]:
    """What must never be stored in clear: signing keys (with and without their `whsec_` prefix), header values.
    Values shorter than 4 characters are left out (masking every "a" would wreck the text and hide nothing)."""
    values = [*keys, *(key.removeprefix("whsec_") for key in keys if key.startswith("whsec_")), *custom.values()]
    kept = {value for value in values if len(value) >= 4}
    return sorted(kept, key=len, reverse=True)  # longest first: a key's suffix never splits its prefix

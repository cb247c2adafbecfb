"""A stand-in for DNS: names map to the answers a test chooses (and may change between lookups)."""

from __future__ import annotations

import socket
from collections.abc import Callable

from aiohttp.abc import AbstractResolver, ResolveResult


class FakeResolver(AbstractResolver):
    def __init__(self, answers: dict[str, list[str] | Callable[[], list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups.append(host)
        entry = self.answers.get(host.rstrip("."))
        if entry is None:
            raise OSError(f"NXDOMAIN {host}")
        addresses = entry() if callable(entry) else entry
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None

"""The only package that talks to DynamoDB (the key table is in `carrier.store.keys`).

`Store` is one table, by item kind: tenants (API keys, settings, rate counters), webhooks, events (with their time
index, `store.events`) and their deliveries (which also write their webhook's last call).
It accepts and returns the typed records of `carrier.records`.
"""

from __future__ import annotations

from carrier.store.deliveries import ATTEMPTS_KEPT, DeliveryItems
from carrier.store.events import EventItems
from carrier.store.keys import decode_cursor, encode_cursor, plain
from carrier.store.tenants import TenantItems

__all__ = ["ATTEMPTS_KEPT", "Store", "decode_cursor", "encode_cursor", "plain"]


class Store(TenantItems, DeliveryItems, EventItems):
    """Every item kind of the one table."""

"""Cursors (`carrier.store.keys`, issue 16 item 9): a cursor is valid base64 JSON of its list's key, for its own
partition and in its list's shape; anything else is a 422 naming `cursor`, never a malformed ExclusiveStartKey
(which DynamoDB answers with an error: a 500)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from carrier.errors import InvalidInput
from carrier.store.keys import MAX_KEY_BYTES, decode_cursor, delivery_log, encode_cursor, webhook

TENANT = "t1"
WEBHOOK_ID = "wh_01kx0000000000000000000000"
DELIVERY_ID = "del_0123456789abcdef0123456789"
WEBHOOKS_PK = webhook(TENANT, WEBHOOK_ID)["pk"]
DELIVERY_KEY = {"pk": delivery_log(TENANT, WEBHOOK_ID), "sk": "DLV#" + DELIVERY_ID}  # a log's cursor: every shard
DELIVERIES_PK = DELIVERY_KEY["pk"]
WEBHOOK_KEY = webhook(TENANT, WEBHOOK_ID)
CALLBACK_KEY = {"pk": delivery_log(TENANT, None), "sk": "DLV#" + DELIVERY_ID}


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("key", [WEBHOOK_KEY, DELIVERY_KEY, CALLBACK_KEY], ids=["webhooks", "deliveries", "callbacks"])
def test_a_cursor_the_store_issued_is_read_back(key: dict[str, str]) -> None:
    assert decode_cursor(encode_cursor(key), key["pk"]) == key


WRONG_SHAPES = {
    # the delivery list (pk: the log, sk: the last delivery shown)
    "deliveries: only pk": ({"pk": DELIVERIES_PK}, DELIVERIES_PK),
    "deliveries: an old lsi1 cursor": ({**DELIVERY_KEY, "lsi1": "2026-01-01#" + DELIVERY_ID}, DELIVERIES_PK),
    "deliveries: no sk": ({k: v for k, v in DELIVERY_KEY.items() if k != "sk"}, DELIVERIES_PK),
    "deliveries: an extra key": ({**DELIVERY_KEY, "status": "failed"}, DELIVERIES_PK),
    "deliveries: a number": ({**DELIVERY_KEY, "sk": 5}, DELIVERIES_PK),
    "deliveries: null": ({**DELIVERY_KEY, "sk": None}, DELIVERIES_PK),
    "deliveries: a list": ({**DELIVERY_KEY, "sk": ["DLV#x"]}, DELIVERIES_PK),
    "deliveries: a shard's pk": ({**DELIVERY_KEY, "pk": DELIVERIES_PK + "#0"}, DELIVERIES_PK),
    "deliveries: a webhook's sk": ({**DELIVERY_KEY, "sk": "WH#" + WEBHOOK_ID}, DELIVERIES_PK),
    "deliveries: a bare prefix sk": ({**DELIVERY_KEY, "sk": "DLV#"}, DELIVERIES_PK),
    "deliveries: a sort key over DynamoDB's limit": (
        {**DELIVERY_KEY, "sk": "DLV#" + "x" * MAX_KEY_BYTES},
        DELIVERIES_PK,
    ),
    "deliveries: a lone surrogate": ({**DELIVERY_KEY, "sk": "DLV#\ud800"}, DELIVERIES_PK),
    # the webhook list (pk, sk)
    "webhooks: only pk": ({"pk": WEBHOOKS_PK}, WEBHOOKS_PK),
    "webhooks: an lsi1": ({**WEBHOOK_KEY, "lsi1": "x#y"}, WEBHOOKS_PK),
    "webhooks: a number": ({**WEBHOOK_KEY, "sk": 7}, WEBHOOKS_PK),
    "webhooks: a delivery's sk": ({**WEBHOOK_KEY, "sk": "DLV#" + DELIVERY_ID}, WEBHOOKS_PK),
    "webhooks: an empty sk": ({**WEBHOOK_KEY, "sk": ""}, WEBHOOKS_PK),
    # not a key at all, or another partition's
    "a list": ([DELIVERIES_PK], DELIVERIES_PK),
    "a string": (DELIVERIES_PK, DELIVERIES_PK),
    "another partition": (DELIVERY_KEY, "WH#wh_other"),
    "another tenant's webhooks": (WEBHOOK_KEY, webhook("t2", WEBHOOK_ID)["pk"]),
}


@pytest.mark.parametrize("name", list(WRONG_SHAPES))
def test_a_cursor_of_the_wrong_shape_is_a_422_naming_cursor(name: str) -> None:
    key, pk = WRONG_SHAPES[name]
    with pytest.raises(InvalidInput) as refused:
        decode_cursor(cursor_of(key), pk)
    assert refused.value.field == "cursor"


@pytest.mark.parametrize("cursor", ["!!!", "e30", "bnVsbA", base64.b64encode(b"[" * 5000).decode()])
def test_a_cursor_that_is_no_key_is_a_422_naming_cursor(cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_cursor(cursor, DELIVERIES_PK)
    assert refused.value.field == "cursor"

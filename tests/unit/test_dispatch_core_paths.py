"""What the dispatch core's per-attempt shortcuts keep: the outcome table read lazily still answers as the table
says, the secrets of an attempt worked out once are still every one of its secrets (and never a previous key's
instead), signatures and status phrases are what they were, and the transport reads whole answers of every shape."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from decimal import Decimal

import pytest

from carrier.models.common import MASK
from carrier.outcomes import DELIVERED, GONE, RETRY, Outcome, classify, status_phrase
from carrier.redaction import excerpt, secret_values
from carrier.schemes import SignInput, standard_webhooks_key
from carrier.signing import sign
from carrier.transport import HttpResult, Transport
from carrier.vault import generate_secret
from tests.fakes import answer
from tests.receiver import Answer, Receiver
from tests.security.rawserver import RawServer
from tests.security.rawserver import answer as raw_answer

NOW = 1_767_225_600.0
CAP = 86400


# ---- the outcome table, Retry-After read only by the rules that need it --------------------------------------


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (answer(200, headers={"Retry-After": "not a date"}), Outcome(DELIVERED)),
        (answer(204, headers={"Retry-After": "30"}), Outcome(DELIVERED)),  # a 2xx never carries a wait
        (answer(410, headers={"Retry-After": "30"}), Outcome(GONE)),
        (answer(503, headers={"Retry-After": "30"}), Outcome(RETRY, 30)),
        (answer(429, headers={"retry-after": "7"}), Outcome(RETRY, 7)),  # any spelling of the name
        (answer(429, headers={"RETRY-AFTER": "999999"}), Outcome(RETRY, CAP)),  # capped
        (answer(503, headers={"Retry-After": "soon"}), Outcome(RETRY)),  # unreadable: the plain retry rule
        (answer(500, headers={"Retry-After": "30"}), Outcome(RETRY)),  # only 429 and 503 honour it
    ],
)
def test_classify_reads_retry_after_only_where_a_rule_asks(result: HttpResult, expected: Outcome) -> None:
    assert classify(result, now=NOW, retry_after_cap=CAP) == expected


def test_classify_takes_the_last_retry_after_of_several_spellings() -> None:
    result = answer(429, headers={"Retry-After": "5", "retry-after": "9"})
    assert classify(result, now=NOW, retry_after_cap=CAP) == Outcome(RETRY, 9)


@pytest.mark.parametrize(
    ("status", "phrase"),
    [(200, "OK"), (410, "Gone"), (Decimal(503), "Service Unavailable"), (599, "HTTP 599"), (None, "HTTP None")],
)
def test_status_phrases(status: int | None, phrase: str) -> None:
    assert status_phrase(status) == phrase


# ---- an attempt's secrets, worked out once per set of values -------------------------------------------------


def test_the_secrets_of_a_rotated_key_are_its_own() -> None:
    old, new = generate_secret(), generate_secret()
    assert secret_values([old], {}) == secret_values([old], {})  # asked again: the same secrets
    rotated = secret_values([new, old], {})
    body = f"echo {new} and {old}".encode()
    masked = excerpt(body, rotated, 2048) or ""
    assert new not in masked and old not in masked
    assert new.removeprefix("whsec_") not in (excerpt(new.removeprefix("whsec_"), secret_values([new], {}), 2048) or "")


def test_header_values_are_secrets_whatever_was_asked_before() -> None:
    key = generate_secret()
    secret_values([key], {"Authorization": "Bearer first-token-1234"})
    secrets = secret_values([key], {"Authorization": "Bearer second-token-5678"})
    assert "second-token-5678" in secrets.values and "first-token-1234" not in secrets.values
    assert excerpt("got second-token-5678", secrets, 2048) == f"got {MASK}"


# ---- signatures are what they were -----------------------------------------------------------------------------


def test_standard_webhooks_signature_with_two_keys() -> None:
    current, previous = generate_secret(), generate_secret()
    body = b'{"type":"model.trained"}'
    headers = sign(
        "standard-webhooks", SignInput(body, [current, previous], "evt_1", "wh_1", "evt_1", 1700000000, "", None)
    )
    signed = b"evt_1.1700000000." + body
    expected = [
        "v1," + base64.b64encode(hmac.new(standard_webhooks_key(k), signed, hashlib.sha256).digest()).decode()
        for k in (current, previous)
    ]
    assert headers == {
        "webhook-id": "evt_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": " ".join(expected),
    }


def test_github_signature() -> None:
    headers = sign("github", SignInput(b"{}", ["topsecret"], "evt_1", "wh_1", "evt_1", 0, "", None))
    assert headers == {"X-Hub-Signature-256": "sha256=" + hmac.new(b"topsecret", b"{}", hashlib.sha256).hexdigest()}


# ---- the transport reads whole answers of every shape ----------------------------------------------------------


def post_all(url: str, count: int) -> list[HttpResult]:
    async def run() -> list[HttpResult]:
        transport = Transport(allow_private=True, timeout=5, concurrency=2)
        try:
            return [await transport.post(url, b"{}", {"Content-Type": "application/json"}) for _ in range(count)]
        finally:
            await transport.close()

    return asyncio.run(run())


@pytest.mark.parametrize("body", [b"", b"x", b"y" * 70_000])
def test_answers_are_read_whole_up_to_the_cap_over_one_connection(body: bytes) -> None:
    with Receiver(lambda request: Answer(200, body)) as receiver:
        results = post_all(receiver.url + "/hook", 3)
    assert [r.status for r in results] == [200, 200, 200]
    assert all(r.body == body[: 64 * 1024] and r.error_kind is None for r in results)
    assert len(receiver.requests) == 3


def test_a_chunked_answer_is_read_whole() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    with RawServer(raw_answer(chunked)) as receiver:
        [result] = post_all(receiver.url + "/hook", 1)
    assert (result.status, result.body, result.error_kind) == (200, b"abcde", None)

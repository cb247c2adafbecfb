"""`carrier.outcomes.RULES` (first match wins) against the README's delivery rules, row by row, both ways:
every README row has examples here that land on the rule it names, and every rule is the first match of some
README row. A rule added to one table and not the other fails here."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from carrier import outcomes
from carrier.outcomes import BLOCKED, DELIVERED, GONE, RETRY, RULES, Outcome, Rule, classify, retry_after_seconds
from carrier.transport import MAX_BODY, HttpResult
from tests.fakes import answer, failure
from tests.unit.readme import table

NOW = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
CAP = 86400  # the default ladder's longest wait

# README "receiver did" cell (its start) -> the rule (index in RULES) it is, and what a receiver doing it returns.
EXAMPLES: dict[str, tuple[int, list[HttpResult]]] = {
    "2xx within the timeout": (2, [answer(200, b"ok"), answer(204), answer(299), answer(200, b"x" * MAX_BODY)]),
    "2xx, then a body that times out or breaks off": (
        1,
        [
            failure("timeout", "no complete answer within 30 s", status=200),
            failure("connection", "ClientPayloadError: Response payload is not completed", status=202),
        ],
    ),
    "3xx": (1, [failure("redirect", "the receiver redirected (HTTP 302) to 'https://x/'; not followed", status=302)]),
    "410 Gone": (3, [answer(410)]),
    "429 / 503 with `Retry-After`": (
        4,
        [answer(429, headers={"Retry-After": "120"}), answer(503, headers={"retry-after": "5"})],
    ),
    "other status, timeout, connection or TLS error, invalid HTTP": (
        5,  # the statuses; the errors are rule 1's
        [answer(500), answer(404), answer(429), answer(503), answer(400), answer(100)],
    ),
    "URL resolves to a private": (0, [failure("blocked", "127.0.0.1 is a blocked address (127.0.0.1)")]),
}
ERRORS_OF_THE_OTHER_ROW = [
    failure("timeout", "no complete answer within 30 s"),
    failure("connection", "ConnectionResetError"),
    failure("tls", "TLS error: certificate verify failed"),
    failure("invalid_response", "invalid HTTP response: Bad status line"),
]

# README outcome cell (its start) -> outcome name.
OUTCOME_WORDS = {"delivered": DELIVERED, "retry": RETRY, "webhook disabled": GONE, "blocked": BLOCKED}


def readme_rows() -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in table("receiver did")]


def example_key(cell: str) -> str:
    [key] = [key for key in EXAMPLES if cell.startswith(key)] or [cell]
    return key


def outcome_named(cell: str) -> str:
    [name] = [name for word, name in OUTCOME_WORDS.items() if cell.startswith(word)]
    return name


def first_matching_rule(result: HttpResult) -> int | None:
    """The index of the rule `classify` stops at, asked of `classify` itself (one rule at a time, then a rule
    that matches anything as the sentinel)."""
    for index, rule in enumerate(RULES):
        alone = (rule, Rule("no match"))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(outcomes, "RULES", alone)
            if classify(result, now=NOW, retry_after_cap=CAP).name != "no match":
                return index
    return None


def test_every_readme_row_has_examples_and_every_example_a_readme_row() -> None:
    # Given the README's delivery rules table
    cells = [cell for cell, _ in readme_rows()]
    # Then each row is covered here, and nothing here is missing from the README
    assert sorted(example_key(cell) for cell in cells) == sorted(EXAMPLES)


@pytest.mark.parametrize(("cell", "outcome_cell"), readme_rows(), ids=lambda v: v[:30])
def test_each_readme_row_lands_on_its_rule_with_its_outcome(cell: str, outcome_cell: str) -> None:
    # Given what a receiver doing this returns
    rule_index, results = EXAMPLES[example_key(cell)]
    for result in [*results, *(ERRORS_OF_THE_OTHER_ROW if cell.startswith("other status") else [])]:
        # When it is classified
        outcome = classify(result, now=NOW, retry_after_cap=CAP)
        # Then the outcome is the README's, reached through the rule this row names (errors: the error rule)
        assert outcome.name == outcome_named(outcome_cell), result
        expected_rule = 1 if result.error_kind and rule_index == 5 else rule_index
        assert first_matching_rule(result) == expected_rule, result


def test_every_rule_is_the_first_match_of_some_readme_row() -> None:
    # Given every example of every README row
    reached = {first_matching_rule(result) for _, results in EXAMPLES.values() for result in results}
    # Then no rule of RULES is without a README row (and none is shadowed by an earlier one)
    assert reached == set(range(len(RULES)))
    assert [rule.outcome for rule in RULES] == [BLOCKED, RETRY, DELIVERED, GONE, RETRY, RETRY]


# ---- edge cases ---------------------------------------------------------------------------------------------


def classify_now(result: HttpResult) -> Outcome:
    return classify(result, now=NOW, retry_after_cap=CAP)


def test_a_2xx_whose_body_breaks_off_is_retried_not_delivered() -> None:
    # Given a 200 whose body was cut by a reset after a few bytes
    broken = failure("connection", "ClientPayloadError: Response payload is not completed", status=200)
    broken.body = b'{"ok": tr'
    # Then it is not an acknowledgement
    assert classify_now(broken) == Outcome(RETRY)


def test_a_2xx_cut_at_the_body_cap_is_delivered() -> None:
    # Given a 200 with an endless body read to the 64 KB cap (the transport drops the rest, no error)
    assert classify_now(answer(200, b"a" * MAX_BODY)) == Outcome(DELIVERED)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_retried_without_a_retry_after(status: int) -> None:
    # Given a redirect, as the transport reports it (status kept, error names the Location)
    result = failure("redirect", f"the receiver redirected (HTTP {status}) to 'https://elsewhere/'", status=status)
    result.headers = {"Retry-After": "60", "Location": "https://elsewhere/"}
    # Then it is retried on the ladder's own schedule
    assert classify_now(result) == Outcome(RETRY)


def test_a_3xx_without_the_transport_error_is_still_retried() -> None:
    assert classify_now(answer(304)) == Outcome(RETRY)


def test_410_is_gone_even_with_a_retry_after() -> None:
    assert classify_now(answer(410, headers={"Retry-After": "30"})) == Outcome(GONE)


@pytest.mark.parametrize(
    ("header", "wait"),
    [("120", 120), ("0", 0), (" 45 ", 45), (str(CAP * 10), CAP), ("soon", None), ("", None), ("-5", None)],
)
def test_429_retry_after_in_seconds_is_kept_and_capped(header: str, wait: int | None) -> None:
    # Given a 429 with a Retry-After in seconds
    outcome = classify_now(answer(429, headers={"Retry-After": header}))
    # Then it is a retry, not before the wait asked for (capped); an unreadable value is a plain retry
    assert outcome == Outcome(RETRY, wait)


def test_retry_after_as_an_http_date_counts_from_now() -> None:
    # Given a 503 asking for a retry at a date 10 minutes after now
    date = format_datetime(datetime.fromtimestamp(NOW + 600, tz=UTC), usegmt=True)
    # Then the wait is the 600 s up to it; a date in the past is no wait at all
    assert classify_now(answer(503, headers={"Retry-After": date})) == Outcome(RETRY, 600)
    past = format_datetime(datetime.fromtimestamp(NOW - 600, tz=UTC), usegmt=True)
    assert classify_now(answer(503, headers={"Retry-After": past})) == Outcome(RETRY, 0)


def test_retry_after_is_read_for_429_and_503_only() -> None:
    assert classify_now(answer(500, headers={"Retry-After": "120"})) == Outcome(RETRY, None)
    assert classify_now(answer(429)) == Outcome(RETRY, None)


def test_a_unicode_digit_retry_after_is_unreadable_not_an_exception() -> None:
    # Given a receiver answering `Retry-After: ²` (UTF-8 in a header value)
    # Then it is read as absent, as every other unreadable value is (it once raised ValueError in classify)
    assert retry_after_seconds("²", NOW, CAP) is None


@pytest.mark.parametrize("kind", ["timeout", "connection", "tls", "invalid_response"])
def test_transport_errors_without_a_status_are_retried(kind: str) -> None:
    assert classify_now(failure(kind, "...")) == Outcome(RETRY)


def test_a_blocked_destination_is_blocked_whatever_else_is_set() -> None:
    blocked = failure("blocked", "metadata.google.internal is an internal name")
    assert classify_now(blocked) == Outcome(BLOCKED)


@pytest.mark.parametrize("status", [None, 99, 600, 999])
def test_no_status_and_no_error_or_an_impossible_status_falls_back_to_retry(status: int | None) -> None:
    # Given an answer no rule describes
    # Then classify's fallback retries it
    assert classify_now(answer(status)) == Outcome(RETRY)

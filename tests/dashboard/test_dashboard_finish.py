"""What a new user found in the dashboard, each checked in Chromium: attempts numbered once, a delivery's URL
shown, long URLs on one line or wrapped at the line's end, errors in plain words, no Sign out when signed out."""

from __future__ import annotations

import re
import socket

import pytest
from playwright.sync_api import expect

from carrier.records import DeliveryStatus
from tests.dashboard.conftest import Dashboard
from tests.receiver import Answer, Receiver

pytestmark = pytest.mark.e2e


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sign_out_shows_only_when_signed_in(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    board.open()
    board.heading("Sign in")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    board.sign_in()
    board.heading("Webhooks")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    board.heading("Sign in")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()


def test_attempts_are_numbered_once_newest_first_and_the_url_called_is_shown(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    with Receiver(lambda request: Answer(500, b"down")) as receiver:
        hook = board.tenant.create(receiver.url + "/orders", description="Numbered")
        status, sent = board.tenant.api("POST", f"/v1/webhooks/{hook['id']}/test", {})
        assert status == 200 and not sent["delivered"]
        for _ in range(2):  # two manual retries: attempts #2 and #3
            path = f"/v1/webhooks/{hook['id']}/deliveries/{sent['delivery_id']}/retry"
            assert board.tenant.api("POST", path)[0] == 200
        board.sign_in()
        board.open(f"#/webhooks/{hook['id']}/deliveries/{sent['delivery_id']}")
        board.heading("webhook.test delivery")

        expect(page.get_by_test_id("delivery-url")).to_have_text(receiver.url + "/orders")
        expect(page.get_by_test_id("delivery-failure")).to_have_text("HTTP 500 (the receiver)")  # why it ended
        attempts = page.get_by_role("list", name="Attempts, newest first").get_by_test_id("attempt")
        expect(attempts).to_have_count(3)
        headlines = [text.split(" ")[0] for text in attempts.locator("summary").all_inner_texts()]
        assert headlines == ["#3", "#2", "#1"]
        # the list draws no numbers of its own beside each attempt's #n
        markers = page.evaluate(
            "[...document.querySelectorAll('ol.attempts > li')].map(li => getComputedStyle(li).listStyleType)"
        )
        assert set(markers) == {"none"}
        attempts.first.locator("summary").click()
        expect(attempts.first).to_contain_text(f"Sent to {receiver.url}/orders")


def test_a_long_url_is_one_line_in_the_list_and_wrapped_only_at_the_line_end(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    with Receiver() as receiver:
        long_url = f"{receiver.url}/hooks/{'segment-' * 12}end?token={'abcdef0123' * 8}"
        board.tenant.create(long_url, description="Long")
        board.sign_in()
        board.heading("Webhooks")
        link = page.get_by_role("link", name=long_url)
        expect(link).to_have_attribute("title", long_url)
        line = float(page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)"))
        box = link.bounding_box()
        assert box is not None and box["height"] < 1.5 * line, box  # one line, cut with an ellipsis

        link.click()
        board.heading("Long")
        shown = page.locator("dl.props dd").filter(has_text="segment-segment")
        box = shown.bounding_box()
        assert box is not None and box["width"] > 600, box  # the row's width, not a few letters per line
        lines = box["height"] / line
        assert lines < 5, lines


def test_errors_are_shown_in_plain_words_with_their_field(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    hook = board.tenant.create(f"http://127.0.0.1:{closed_port()}/nobody", description="Plain words")
    board.sign_in()
    board.open(f"#/webhooks/{hook['id']}")
    board.heading("Plain words")

    # A failed send: where and why, not aiohttp's exception text.
    page.get_by_role("button", name="Send test event").click()
    result = page.get_by_test_id("send-result")
    expect(result).to_contain_text("could not connect to 127.0.0.1")
    expect(result).to_contain_text("connection refused")
    expect(result).not_to_contain_text("Error:")
    expect(result).not_to_contain_text("Errno")

    # A 422 on a nested field: one message next to the field, in words (no pydantic union tags).
    page.get_by_role("link", name="Edit").click()
    board.heading("Edit webhook")
    page.get_by_label("Filters (JSON)").fill('{"project_id": {"nested": 1}}')
    page.get_by_role("button", name="Save changes").click()
    expect(board.error_for("filters")).to_have_text(
        "a filter value is a string, a number, a boolean or a list of 1 to 100 of them"
    )
    page.get_by_label("Rate limit (deliveries per second)").fill("")
    page.get_by_label("Filters (JSON)").fill('{"project_id": "p1"}')

    # An answer that is not the API's JSON (a crash's text behind a proxy): its status, never the text.
    page.route(
        "**/v1/webhooks?*",
        lambda route: route.fulfill(
            status=502, content_type="text/plain", body='Traceback (most recent call last):\n  File "app.py"'
        ),
    )
    board.open("#/webhooks")
    board.heading("Something went wrong")
    expect(page.get_by_role("alert")).to_contain_text("The API failed (HTTP 502")
    expect(page.locator("main")).not_to_contain_text("Traceback")


def test_replay_sends_what_a_new_webhook_missed_and_the_stats_show_it(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    with Receiver() as receiver:
        # Given three events dispatched (a witness webhook got them) before the webhook existed
        board.tenant.create(receiver.url + "/witness", events=["model.trained"], description="Witness")
        for n in range(3):
            board.tenant.publish("model.trained", {"model_id": f"m{n}"})
        board.stack.wait_for(lambda: len(receiver.requests) == 3, what="the witness's deliveries")
        hook = board.tenant.create(receiver.url + "/late", events=["model.trained"], description="Late")
        board.sign_in()
        board.open(f"#/webhooks/{hook['id']}")
        board.heading("Late")

        # The health section: no delivery yet
        stats = page.get_by_test_id("stats")
        expect(stats.locator('[data-stat="Deliveries"] dd')).to_have_text("0")
        expect(stats).to_contain_text("No deliveries in this window.")

        # Disabled, the replay is refused with the API's reason next to the form
        page.get_by_role("button", name="Disable").click()
        expect(page.get_by_role("button", name="Enable")).to_be_visible()
        page.get_by_role("button", name="Replay", exact=True).click()
        expect(page.get_by_role("alert").filter(has_text="enable")).to_be_visible()
        page.get_by_role("button", name="Enable").click()
        expect(page.get_by_role("button", name="Disable")).to_be_visible()

        # Replay (the last 24 hours by default): the three are sent once each
        page.get_by_role("button", name="Replay", exact=True).click()
        # (the window also holds the operational events of that disable and enable: examined, not matching)
        expect(
            page.get_by_text(
                re.compile(r"^Replay done: \d+ events examined; 3 sent \(3 delivered, 0 failed\), 0 already delivered")
            )
        ).to_be_visible()
        assert sorted(r.path for r in receiver.requests) == ["/late"] * 3 + ["/witness"] * 3

        # The numbers and the chart follow
        expect(stats.locator('[data-stat="Deliveries"] dd')).to_have_text("3")
        expect(stats.locator('[data-stat="Success rate"] dd')).to_have_text("100%")
        expect(stats.locator('[data-stat="Consecutive failures"] dd')).to_have_text("0")
        expect(stats.locator('[data-stat="Response time p95"] dd')).to_contain_text("ms")
        chart = page.get_by_role("img", name="Deliveries in this window")
        expect(chart).to_have_attribute("aria-label", re.compile(r"^Deliveries in this window: .*\bdelivered 3\b"))
        expect(chart.locator(".bar")).to_have_count(len(DeliveryStatus))  # a bar per status, zeros included
        assert chart.locator(".bar.delivered rect").evaluate("r => Number(r.getAttribute('width'))") > 100

        # A second replay sends nothing again
        page.get_by_role("button", name="Replay", exact=True).click()
        expect(page.get_by_text("0 sent (0 delivered, 0 failed), 3 already delivered")).to_be_visible()
        assert len(receiver.requests) == 6
        board.screenshot("health-and-replay")

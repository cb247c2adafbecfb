"""The dashboard in real headless Chromium, against the local stack and a real receiver."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from standardwebhooks import Webhook as Verifier

from tests.dashboard.conftest import Dashboard
from tests.receiver import Answer, Received, Receiver
from tests.stack import Tenant

pytestmark = pytest.mark.e2e


class Switch:
    """A receiver script the test flips: `switch.status = 500` makes the receiver fail from then on."""

    def __init__(self) -> None:
        self.status = 200

    def __call__(self, request: Received) -> Answer:
        return Answer(status=self.status, body=b'{"seen": true}' if self.status < 300 else b"receiver is down")


def verify(secret: str, request: Received) -> Any:
    return Verifier(secret).verify(request.body, {k.lower(): v for k, v in request.headers.items()})


def create_in_form(board: Dashboard, url: str, description: str, headers: str = "") -> str:
    """Create a webhook through the form; returns the secret the dialog shows once."""
    page = board.page
    page.get_by_role("link", name="New webhook").click()
    board.heading("New webhook")
    page.get_by_label("Endpoint URL").fill(url)
    page.get_by_label("Description").fill(description)
    page.get_by_label("Events").fill("*")
    if headers:
        page.get_by_label("Custom headers").fill(headers)
    page.get_by_role("button", name="Create webhook").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("only time the secret is shown")
    secret = dialog.get_by_test_id("secret").inner_text()
    dialog.get_by_role("button", name="Copy secret").click()
    expect(dialog).to_contain_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    dialog.get_by_role("button", name="I have stored it").click()
    board.heading(description)
    return secret


def log_rows(board: Dashboard) -> Any:
    return board.page.get_by_role("table", name="Deliveries").locator("tbody tr")


def open_first(board: Dashboard, status: str) -> None:
    """Filter the log by `status`, wait until only such rows are shown, open the newest."""
    board.page.get_by_label("Status").select_option(status)
    expect(log_rows(board)).not_to_have_count(0)
    expect(log_rows(board).filter(has_not_text=status)).to_have_count(0)
    log_rows(board).first.get_by_role("link").click()
    board.heading(re.compile(r"delivery$"))


def test_create_test_fail_retry_reenable_rotate(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    switch = Switch()
    with Receiver(switch) as receiver:
        board.sign_in()
        board.heading("Webhooks")
        expect(page.get_by_text("No webhooks yet")).to_be_visible()

        # A URL the API refuses: its message appears next to the URL field, and nothing is created.
        page.get_by_role("link", name="New webhook").click()
        page.get_by_label("Endpoint URL").fill("ftp://example.com/hook")
        page.get_by_label("Events").fill("*")
        page.get_by_role("button", name="Create webhook").click()
        expect(board.error_for("url")).to_contain_text("http")
        expect(page.get_by_label("Endpoint URL")).to_have_attribute("aria-invalid", "true")
        page.get_by_role("link", name="Cancel").click()
        expect(page.get_by_text("No webhooks yet")).to_be_visible()

        # Create: the secret is shown once, copyable.
        secret = create_in_form(board, receiver.url + "/hooks", "Orders", headers="X-Team: orders-team-token")
        assert secret.startswith("whsec_")

        # Send a test event: the receiver's answer is shown, and the request is signed with that secret.
        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_test_id("send-result")).to_contain_text("Delivered: 200")
        assert len(receiver.requests) == 1
        verify(secret, receiver.requests[0])
        assert receiver.requests[0].headers["X-Team"] == "orders-team-token"
        expect(log_rows(board)).to_have_count(1)  # the test send is in the log

        # A failing receiver: the event runs down the (time-scaled) ladder, the webhook ends disabled.
        switch.status = 500
        board.tenant.publish("model.trained", {"model_id": "m-1"})
        board.tenant.publish("model.trained", {"model_id": "m-2"})
        page.get_by_label("Event type", exact=True).last.select_option("model.trained")
        expect(log_rows(board)).to_have_count(2)
        # The log refreshes by itself until both have ended: the first exhausts the ladder and disables
        # the webhook; the other ends exhausted or, if the webhook was disabled first, failed.
        pending = log_rows(board).filter(has_text=re.compile(r"retrying|pending"))
        expect(pending).to_have_count(0, timeout=60_000)
        page.reload()
        board.heading("Orders")
        expect(page.get_by_text("Nothing new is sent until it is enabled")).to_be_visible()

        # Open the exhausted delivery: every attempt, with masked headers, status and the receiver's body.
        open_first(board, "exhausted")
        attempts = page.get_by_test_id("attempt")
        expect(attempts).to_have_count(6)
        attempts.first.locator("summary").click()
        expect(attempts.first).to_contain_text("500")
        expect(attempts.first).to_contain_text("receiver is down")
        expect(attempts.first).to_contain_text("********")
        expect(attempts.first).not_to_contain_text("orders-team-token")

        # Retry while disabled is refused with the API's reason; re-enable, then retry delivers.
        switch.status = 200
        page.get_by_role("button", name="Retry now").click()
        expect(page.get_by_role("alert").filter(has_text="enable it")).to_be_visible()
        page.get_by_role("link", name="Back to the webhook").click()
        board.heading("Orders")
        page.get_by_role("button", name="Enable").click()
        expect(page.get_by_role("button", name="Disable")).to_be_visible()
        expect(page.locator("h1 + .badge, .badge").first).to_have_text("active")
        open_first(board, "exhausted")
        page.get_by_role("button", name="Retry now").click()
        expect(page.get_by_test_id("send-result")).to_contain_text("Delivered: 200")
        expect(page.get_by_test_id("attempt")).to_have_count(7)
        expect(page.get_by_test_id("attempt").first).to_contain_text("manual")

        # Recover the other failure by time.
        page.get_by_role("link", name="Back to the webhook").click()
        board.heading("Orders")
        page.get_by_role("button", name="Recover failed deliveries").click()
        expect(page.get_by_text(re.compile(r"1 re-sent: 1 delivered"))).to_be_visible()

        # The log, filtered by status and by event type, newest first.
        page.get_by_label("Status").select_option("delivered")
        expect(log_rows(board)).to_have_count(3)
        page.get_by_label("Event type", exact=True).last.select_option("model.trained")
        expect(log_rows(board)).to_have_count(2)
        page.get_by_label("Status").select_option("")
        page.get_by_label("Event type", exact=True).last.select_option("")
        expect(log_rows(board)).to_have_count(3)
        expect(log_rows(board).first).to_contain_text("model.trained")
        expect(log_rows(board).last).to_contain_text("webhook.test")
        board.screenshot("delivery-log")

        # Rotate: a new secret, shown once; during the grace period both secrets verify.
        page.get_by_role("button", name="Rotate secret").click()
        page.get_by_role("dialog").get_by_role("button", name="Rotate secret").click()
        new_secret = page.get_by_role("dialog").get_by_test_id("secret").inner_text()
        page.get_by_role("button", name="I have stored it").click()
        assert new_secret.startswith("whsec_") and new_secret != secret
        expect(page.get_by_text("Secret rotated")).to_be_visible()
        sent = len(receiver.requests)
        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_test_id("send-result")).to_contain_text("Delivered: 200")
        verify(new_secret, receiver.requests[sent])
        verify(secret, receiver.requests[sent])


def test_edit_disable_and_delete_after_confirmation(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    with Receiver() as receiver:
        board.sign_in()
        create_in_form(board, receiver.url, "Search team", headers="X-Team: search\nX-Region: eu")
        expect(page.get_by_text("X-Region, X-Team")).to_be_visible()
        page.get_by_role("link", name="Edit").click()
        board.heading("Edit webhook")
        page.get_by_label("Events").fill("model.*, detection.complete")
        page.get_by_label("Rate limit (deliveries per second)").fill("0")
        page.get_by_role("button", name="Save changes").click()
        expect(board.error_for("rate_limit")).not_to_be_empty()  # the API's 422, next to its field
        page.get_by_label("Rate limit (deliveries per second)").fill("20")
        page.get_by_role("button", name="Save changes").click()
        board.heading("Search team")
        expect(page.get_by_text("model.*, detection.complete")).to_be_visible()
        expect(page.get_by_text("20/s")).to_be_visible()
        expect(page.get_by_text("X-Region, X-Team")).to_be_visible()  # an empty headers field keeps them

        page.get_by_role("link", name="Edit").click()
        page.get_by_label("Signature scheme").select_option("hmac-sha256-hex")
        page.get_by_label("Signature header").fill("not a header")
        page.get_by_role("button", name="Save changes").click()
        expect(board.error_for("signature")).to_contain_text("header name")
        page.get_by_label("Signature header").fill("X-Search-Signature")
        page.get_by_label("Remove all custom headers").check()
        page.get_by_role("button", name="Save changes").click()
        board.heading("Search team")
        expect(page.get_by_text("X-Region, X-Team")).to_have_count(0)
        expect(page.get_by_text("hmac-sha256-hex (X-Search-Signature)")).to_be_visible()

        page.get_by_role("button", name="Disable").click()
        expect(page.get_by_role("button", name="Enable")).to_be_visible()

        # Cancel keeps it; confirming deletes it.
        page.get_by_role("button", name="Delete").click()
        page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
        board.heading("Search team")
        page.get_by_role("button", name="Delete").click()
        page.get_by_role("dialog").get_by_role("button", name="Delete webhook").click()
        board.heading("Webhooks")
        expect(page.get_by_text("No webhooks yet")).to_be_visible()
        status, listed = board.tenant.api("GET", "/v1/webhooks")
        assert status == 200 and listed["data"] == []


def test_a_refused_key_is_named_and_the_key_stays_in_the_session(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    board.sign_in("ck_not-a-real-key")
    expect(board.error_for("key")).to_have_text("This key was refused.")
    assert page.evaluate("sessionStorage.getItem('carrier.apiKey')") is None

    board.sign_in()
    board.heading("Webhooks")
    assert page.evaluate("sessionStorage.getItem('carrier.apiKey')") == board.tenant.key
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []

    page.get_by_role("button", name="Sign out").click()
    board.heading("Sign in")
    assert page.evaluate("sessionStorage.getItem('carrier.apiKey')") is None


def test_event_type_catalog_with_examples(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    board.sign_in()
    page.get_by_role("link", name="Event types").click()
    board.heading("Event types")
    # the type's own entry (an operational event's example may mention model.trained too)
    entry = page.locator("details").filter(has=page.locator("summary code", has_text=re.compile(r"^model\.trained$")))
    entry.first.locator("summary").click()
    expect(entry.first.locator("pre")).to_contain_text("model_id")


def test_delivery_log_pages_with_the_cursor(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    with Receiver() as receiver:
        hook = board.tenant.create(receiver.url, events=["batch.progress"], description="Batches")
        for n in range(30):
            board.tenant.publish("batch.progress", {"batch_id": "b-1", "n": n})
        board.stack.wait_for(lambda: len(board.tenant.deliveries(hook["id"], status="delivered")) == 30, what="30")
        board.sign_in()
        page.get_by_role("link", name=hook["url"]).click()
        board.heading("Batches")
        expect(log_rows(board)).to_have_count(25)
        page.get_by_role("button", name="Older").click()
        expect(log_rows(board)).to_have_count(5)
        expect(page.get_by_role("button", name="Older")).to_have_count(0)
        page.get_by_role("button", name="Newer").click()
        expect(log_rows(board)).to_have_count(25)


def test_data_is_shown_as_text_never_as_markup(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    with Receiver() as receiver:
        hostile = '<img src=x onerror="window.pwned=1">'
        board.tenant.create(receiver.url, description=hostile)
        board.sign_in()
        page.get_by_role("link", name=receiver.url).click()
        board.heading(hostile)
        assert page.evaluate("window.pwned") is None
        assert page.locator("main img").count() == 0


def test_phone_width_and_keyboard_only(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    page.set_viewport_size({"width": 360, "height": 740})
    with Receiver() as receiver:
        board.tenant.create(receiver.url, description="On the phone")
        board.open()
        # The key field has the focus at load; typing and Enter sign in, no mouse.
        page.keyboard.type(board.tenant.key)
        page.keyboard.press("Enter")
        board.heading("Webhooks")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # Tab reaches the webhook's link; Enter opens it.
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent") == receiver.url:
                break
        page.keyboard.press("Enter")
        board.heading("On the phone")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        board.screenshot("phone")


def test_deliveries_arrive_on_the_open_log_without_a_reload(dashboard: Dashboard) -> None:
    """The README's promise: with the dashboard open on `make local`, published events show up by themselves."""
    board, page = dashboard, dashboard.page
    with Receiver() as receiver:
        hook = board.tenant.create(receiver.url, events=["detection.complete"], description="Live")
        board.sign_in()
        page.get_by_role("link", name=hook["url"]).click()
        board.heading("Live")
        expect(page.get_by_text("No deliveries yet")).to_be_visible()
        board.tenant.publish("detection.complete", {"detection_id": "d-1"})
        expect(log_rows(board)).to_have_count(1)
        expect(log_rows(board).first).to_contain_text("delivered")
        assert len(receiver.requests) == 1


def test_the_dashboard_never_crosses_tenants(dashboard: Dashboard) -> None:
    board, page = dashboard, dashboard.page
    other = Tenant(board.stack, "t-dashboard-other")
    with Receiver() as receiver:
        theirs = other.create(receiver.url + "/theirs", description="Not yours")
        board.tenant.create(receiver.url + "/mine", description="Yours")
        board.sign_in()
        board.heading("Webhooks")
        expect(page.get_by_role("link", name=receiver.url + "/mine")).to_be_visible()
        expect(page.get_by_text("/theirs")).to_have_count(0)
        board.open(f"#/webhooks/{theirs['id']}")  # another tenant's id, typed into the address bar
        board.heading("Not found")
        expect(page.locator("main")).not_to_contain_text("Not yours")

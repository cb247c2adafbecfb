"""A platform's embedded dashboard: a read-only portal session URL opened in Chromium, signed in by the URL."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.dashboard.conftest import SCREENSHOTS
from tests.platform import Platform
from tests.receiver import Receiver
from tests.stack import Stack

pytestmark = pytest.mark.e2e

CHANGES = [
    "New webhook",
    "Edit",
    "Disable",
    "Enable",
    "Rotate secret",
    "Delete",
    "Send test event",
    "Recover failed deliveries",
    "Retry now",
]


def test_a_read_only_session_url_shows_the_deliveries_and_no_change(browser: Any, stack: Stack) -> None:
    # Given a platform that onboards a tenant and runs a webhook for it through Carrier-Tenant
    platform = Platform(stack)
    tenant = "t-portal-read-only"
    platform.onboard(tenant)
    with Receiver() as receiver:
        status, hook = platform.api(
            "POST",
            "/v1/webhooks",
            {"url": receiver.url + "/portal", "events": ["*"], "description": "Portal hook"},
            tenant=tenant,
        )
        assert status == 201, hook
        assert platform.api("POST", f"/v1/webhooks/{hook['id']}/test", tenant=tenant)[0] == 200
    opened = platform.portal_session(tenant, read_only=True, ttl_seconds=600)
    assert opened["url"] == f"{stack.url}/dashboard#session={opened['token']}"

    # When the session URL is opened in a fresh browser (no key pasted)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda answer: errors.append(f"{answer.status} {answer.url}") if answer.status >= 500 else None)
    try:
        page.goto(opened["url"])
        # Then it is signed in as the tenant, and the token is gone from the address bar
        expect(page.get_by_role("heading", level=1, name="Webhooks")).to_be_visible()
        assert opened["token"] not in page.url and page.url.endswith("/dashboard#/webhooks")
        assert page.evaluate("history.length") == 2  # about:blank, then the page: replaced in place, never pushed
        page.get_by_role("link", name=hook["url"]).click()
        expect(page.get_by_role("heading", level=1, name="Portal hook")).to_be_visible()
        # The tenant's deliveries are shown
        rows = page.get_by_role("table", name="Deliveries").locator("tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("webhook.test")
        # And no control that changes something, on the webhook or on a delivery
        for name in CHANGES:
            expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
            expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
        rows.first.get_by_role("link").click()
        expect(page.get_by_role("heading", level=1, name="webhook.test delivery")).to_be_visible()
        expect(page.get_by_role("button", name="Retry now")).to_have_count(0)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "portal_session_read_only.png"), full_page=True)
        page.go_back()
        expect(page.get_by_role("table", name="Deliveries")).to_be_visible()
        page.get_by_role("link", name="Webhooks").first.click()
        expect(page.get_by_role("link", name="New webhook")).to_have_count(0)
        assert not errors, errors
    finally:
        context.close()

    # And a change through the API with that token is refused, naming the capability
    status, answer = stack.api("POST", f"/v1/webhooks/{hook['id']}/disable", key=opened["token"])
    assert (status, answer["error"], answer["field"]) == (403, "forbidden", "write")
    status, answer = stack.api("DELETE", f"/v1/webhooks/{hook['id']}", key=opened["token"])
    assert status == 403
    assert platform.api("GET", f"/v1/webhooks/{hook['id']}", tenant=tenant)[1]["status"] == "active"

"""Playwright for Python driving Debian's Chromium (`make browser` installs it) against the local stack."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.stack import Stack, Tenant
from tests.support import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"  # gitignored


@pytest.fixture(scope="package")  # Playwright's sync API holds an event loop: it must end with this package
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
        pytest.skip(f"no Chromium at {CHROMIUM} (`make browser` installs it; CHROMIUM=/path picks another)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # a bound on a hang on a loaded CI machine, not a timing assertion

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Dashboard:
    """A signed-in dashboard tab for one tenant, with the helpers the flows share."""

    def __init__(self, page: Any, stack: Stack, tenant: Tenant) -> None:
        self.page = page
        self.stack = stack
        self.tenant = tenant
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        # A 4xx the API answers on purpose is logged by Chromium as a failed resource: not a page error.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def open(self, hash_: str = "") -> None:
        self.page.goto(f"{self.stack.url}/dashboard{hash_}")

    def sign_in(self, key: str | None = None) -> None:
        self.open()
        self.page.get_by_label("API key").fill(key or self.tenant.key)
        self.page.get_by_role("button", name="Open dashboard").click()

    def heading(self, name: str | re.Pattern[str]) -> Any:
        heading = self.page.get_by_role("heading", level=1, name=name)
        heading.wait_for()
        return heading

    def error_for(self, field: str) -> Any:
        """The message slot next to a form field (where the API's 4xx naming that field goes)."""
        return self.page.locator(f'[data-error-for="{field}"]')

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def dashboard(browser: Any, stack: Stack, tenant: Tenant, request: pytest.FixtureRequest) -> Iterator[Dashboard]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    page = context.new_page()
    board = Dashboard(page, stack, tenant)
    try:
        yield board
        assert not board.errors, f"the page logged errors: {board.errors}"
    finally:
        board.screenshot(request.node.name)
        context.close()

"""A real Chromium (Debian's /usr/bin/chromium, driven by Playwright) against the session's real gunicorn.

No browser is ever downloaded: `playwright install` is not used; `make test` installs Debian's chromium
(scripts/system-packages).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Console:
    """What the page reported: console errors (CSP violations among them) and uncaught exceptions."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def on_message(self, message) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def on_page_error(self, error) -> None:
        self.errors.append(f"uncaught: {error}")


def _open(browser, server, **options):
    context = browser.new_context(base_url=server.url, **options)
    context.set_default_timeout(15_000)
    console = Console()
    context.on("console", console.on_message)
    context.on("weberror", lambda web_error: console.on_page_error(web_error.error))
    return context, console


@pytest.fixture()
def context(browser, server):
    """A fresh browser profile with JavaScript; fails the test on any console error or uncaught exception."""
    ctx, console = _open(browser, server, viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()
    assert console.errors == []


@pytest.fixture()
def page(context):
    return context.new_page()


@pytest.fixture()
def nojs_page(browser, server):
    """A page in a profile with JavaScript disabled: only the server-rendered form works."""
    ctx, console = _open(browser, server, viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    yield ctx.new_page()
    ctx.close()
    assert console.errors == []

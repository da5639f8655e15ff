"""Regenerate the chat page screenshots in docs/ from a running service (a real conversation, two questions).

    make run                                  # in one terminal
    .venv/bin/python docs/screenshots.py      # in another; --url for another address, --out for another folder

Uses Debian's chromium through Playwright (no browser download). The README shows these images,
so they are what a newcomer sees first: regenerate them whenever the page changes.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

QUESTIONS = ["Who is Marouane El Bali?", "How did he try to escape?"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWS = {
    "chat-desktop.png": {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1},
    "chat-mobile.png": {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True},
}


def capture(browser, base_url: str, out_dir: Path) -> list[Path]:
    """Ask the two questions at each screen size and save a screenshot of the page; return the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, options in VIEWS.items():
        context = browser.new_context(base_url=base_url, **options)
        try:
            page = context.new_page()
            page.emulate_media(reduced_motion="reduce")  # no smooth scrolling mid-shot
            page.goto("/")
            for n, question in enumerate(QUESTIONS):
                page.locator("#question").fill(question)
                page.locator("#question").press("Enter")
                page.locator(".exchange:not(.is-pending)").nth(n).wait_for(timeout=30_000)
            page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")  # the conversation from its start
            path = out_dir / name
            page.screenshot(path=str(path))
            written.append(path)
        finally:
            context.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="where the service runs")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder for the PNGs")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            for path in capture(browser, args.url, args.out):
                print(f"wrote {path}")
        finally:
            browser.close()


if __name__ == "__main__":
    main()

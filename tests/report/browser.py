"""A headless Chromium for the report tests (Playwright driving the system's chromium)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("SYMBACKPROP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing() -> str:
    """Why the browser tests cannot run here, or ''."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; never `playwright install`)"
    if not Path(CHROMIUM).is_file():
        return f"chromium is not installed ({CHROMIUM}): apt-get install chromium"
    return ""


def launch() -> tuple[Any, Any]:
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    return pw, pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)


def open_report(browser: Any, path: Path, width: int = 1000) -> tuple[Any, list[str]]:
    """The page of a report file, every request but the page itself refused and recorded."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    url = path.resolve().as_uri()
    outside: list[str] = []

    def route(r: Any) -> None:
        if r.request.url == url:
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url)
    page.wait_for_function("document.body.dataset.mathDone === '1'", timeout=60_000)
    return page, outside

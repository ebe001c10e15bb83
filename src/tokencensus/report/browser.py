"""A headless Chromium driven by Playwright: prints the report to PDF and lets tests open it.

Both are optional: the report itself needs no browser. Playwright's own browser download is
never used (it fetches from the network); the system's Chromium is, found on PATH or named by
``TOKENCENSUS_CHROMIUM``. When either piece is missing, :func:`missing` says what to install.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

#: Flags for a headless Chromium that talks to nothing but the page it is given.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",  # CI and containers run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_MARGINS = {"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"}
#: A4's 210 mm less the side margins, in CSS pixels (96 per inch).
_A4_CONTENT_PX = int((210 - 24) / 25.4 * 96)
#: Chromium stamps the print time; the same report must give the same bytes, so it is fixed
#: (same length, so the PDF's byte offsets stay valid).
_PRINT_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")
#: How long a page may take to draw every chart before printing gives up (ms).
READY_TIMEOUT_MS = 60_000


class BrowserMissing(RuntimeError):
    """Raised when a browser-only output is asked for and Chromium or Playwright is absent."""


def chromium_path() -> str | None:
    """The Chromium executable to use, or None when there is none."""
    named = os.environ.get("TOKENCENSUS_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return next((found for name in _NAMES if (found := shutil.which(name))), None)


def missing() -> str | None:
    """Why no browser can be driven here (None when one can)."""
    if importlib.util.find_spec("playwright") is None:
        return "the Python package playwright is not installed (pip install 'tokencensus[test]')"
    if chromium_path() is None:
        return "no Chromium found on PATH (apt-get install chromium, or set TOKENCENSUS_CHROMIUM)"
    return None


def require_pdf_printer() -> None:
    """Raise :class:`BrowserMissing`, saying what to install, unless a PDF can be printed here."""
    reason = missing()
    if reason is not None:
        raise BrowserMissing(f"a PDF report is printed by headless Chromium, but {reason}")


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched Playwright Chromium browser, closed on exit."""
    reason = missing()
    if reason is not None:
        raise BrowserMissing(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:  # Playwright gives the browser a fresh throw-away profile
        browser = driver.chromium.launch(executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


def wait_for_charts(page: Any) -> str:
    """Wait until the report page has drawn (or failed to draw) every chart; return its state."""
    page.wait_for_function("document.documentElement.dataset.charts !== undefined", timeout=READY_TIMEOUT_MS)
    return page.evaluate("document.documentElement.dataset.charts")


def print_pdf(index: Path, pdf: Path, browser: Any | None = None) -> Path:
    """Print the report page to an A4 PDF once every chart is drawn, as a reader's browser would.

    ``browser`` is an already launched one to reuse (Playwright cannot run two at once in a thread).
    """
    with nullcontext(browser) if browser is not None else chromium() as browser:
        page = browser.new_page(viewport={"width": _A4_CONTENT_PX, "height": 1000})  # charts fit the paper
        page.emulate_media(media="print")
        page.goto(Path(index).resolve().as_uri(), wait_until="load")
        if wait_for_charts(page) != "ready":
            raise RuntimeError(f"some charts of {index} could not be drawn; no PDF written")
        printed = page.pdf(format="A4", print_background=True, margin=_MARGINS)
    pdf.write_bytes(_PRINT_DATE.sub(rb"/\1 (D:19700101000000", printed))
    return pdf

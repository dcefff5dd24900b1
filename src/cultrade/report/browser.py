"""Headless Chromium for PDF reports, browser tests and the dashboard benchmark: always Debian's binary.

Playwright drives the Chromium that the system package installs at
``/usr/bin/chromium`` (``apt-get install chromium fonts-noto-cjk``; ``make
browser`` does it). Playwright never downloads a browser of its own here.
``CULTRADE_CHROMIUM`` may point at another Chromium binary.

>>> "--no-sandbox" in CHROMIUM_ARGS and "--disable-background-networking" in CHROMIUM_ARGS
True
>>> chromium_path("/nonexistent/chromium") is None
True
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cultrade.errors import CultradeError

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
INSTALL_HINT = ("install Debian's Chromium and the CJK fonts: `sudo apt-get install chromium fonts-noto-cjk` "
                "(or `make browser`), and the Python driver: `pip install playwright` (no `playwright install`)")


class BrowserMissingError(CultradeError):
    """Headless Chromium (or the Playwright driver) is not installed."""

    exit_code = 6


def chromium_path(path: str | None = None) -> str | None:
    """The Chromium binary to use, or None when it is not installed."""
    candidate = path or os.environ.get("CULTRADE_CHROMIUM") or DEFAULT_CHROMIUM
    p = Path(candidate)
    return str(p) if p.is_file() and os.access(p, os.X_OK) else None


def require_chromium() -> str:
    """The Chromium binary; raises :class:`BrowserMissingError` saying how to install it."""
    found = chromium_path()
    if found is None:
        raise BrowserMissingError(f"headless Chromium was not found at {DEFAULT_CHROMIUM}", hint=INSTALL_HINT)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        raise BrowserMissingError("the Playwright driver is not installed", hint=INSTALL_HINT) from exc
    return found


@contextmanager
def open_browser() -> Iterator[Any]:
    """A launched headless Chromium (Playwright sync API), closed on exit."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS), headless=True)
        try:
            yield b
        finally:
            b.close()


__all__ = ["CHROMIUM_ARGS", "DEFAULT_CHROMIUM", "INSTALL_HINT", "BrowserMissingError", "chromium_path", "open_browser",
           "require_chromium"]

"""Fixtures for the dashboard tests: an app on a temp store (bundled snapshot + INVENTED alerts and signals).

Browser tests drive Debian's headless Chromium (/usr/bin/chromium) with Playwright and skip
cleanly when it is missing. Screenshots go to tests/web/screenshots/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cultrade.report.browser import chromium_path
from cultrade.web.demo import Demo, ServerThread, demo_app

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The API + dashboard on a fresh store: snapshot, an analyst key, invented alerts and signals."""
    d = demo_app(tmp_path_factory.mktemp("dashboard"))
    yield d
    d.store.close()


@pytest.fixture(scope="module")
def base_url(demo: Demo) -> Iterator[str]:
    with ServerThread(demo.app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.skip("headless Chromium not installed at /usr/bin/chromium (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    from cultrade.report.browser import open_browser

    with open_browser() as b:
        yield b


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS

"""The dashboard in headless Chromium: log in, every page, language switch, acknowledge and silence.

The alerts and event signals in the store are INVENTED test data (cultrade.web.demo), not real.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cultrade.web.demo import Demo

pytestmark = pytest.mark.slow
READY = "window.__chartsReady === true"


@pytest.fixture(scope="module")
def page(chromium: Any, base_url: str, demo: Demo) -> Any:
    """A logged-in page (the login form posts the key to POST /api/v1/session)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(base_url + "/")
    assert "/login" in pg.url
    pg.fill("#key", "ct_wrong-key")
    pg.click("button[type=submit]")
    pg.wait_for_selector("#login-error:not(.hidden)")
    pg.fill("#key", demo.key)
    pg.click("button[type=submit]")
    pg.wait_for_url(base_url + "/")
    pg.errors = errors
    yield pg
    assert not errors, errors
    context.close()


def _shot(pg: Any, folder: Path, name: str) -> None:
    pg.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_map_page(page: Any, base_url: str, screenshot_dir: Path) -> None:
    page.goto(base_url + "/?home=CHN&domain=games")
    page.wait_for_function(READY, timeout=20_000)
    assert page.locator("h1").inner_text() == "Country risk for cultural enterprises"
    assert page.locator("#ranking tbody tr").count() == 20
    assert page.evaluate("echarts.getMap('world') !== undefined && echarts.getMap('world') !== null")
    n = page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-map')).getOption().series[0].data.length")
    assert n > 150
    _shot(page, screenshot_dir, "map-en")
    page.click("#ranking tbody tr:first-child a")
    page.wait_for_url(re.compile(r"/country/[A-Z]{3}\?home=CHN&domain=games"))


def test_country_page(page: Any, base_url: str, screenshot_dir: Path) -> None:
    page.goto(base_url + "/country/IRN?home=CHN&domain=games")
    page.wait_for_function(READY, timeout=20_000)
    assert page.locator("#country-name").inner_text().startswith("Iran")
    assert re.fullmatch(r"\d+\.\d\d / 10", page.locator("#kpi-score").inner_text())
    assert page.locator("#kpi-band").inner_text() in {"very low", "low", "medium", "high", "very high"}
    assert re.fullmatch(r"\d+–\d+", page.locator("#kpi-interval").inner_text())  # Monte Carlo rank interval
    assert page.locator("#indicators tbody tr").count() > 10
    assert "Political risk" in page.locator("#dimensions").inner_text()
    assert "Armed violence" in page.locator("#country-alerts").inner_text()  # the invented alert
    assert "protests" in page.locator("#events").inner_text()                # the invented signals
    assert page.locator("#country-trade").count() == 1
    for chart in ("dimensions", "contributions", "history", "indicator-history", "signals"):
        assert page.locator(f"#chart-{chart} canvas").count() == 1, chart
    _shot(page, screenshot_dir, "country-IRN-en")


def test_trade_page(page: Any, base_url: str, screenshot_dir: Path) -> None:
    page.goto(base_url + "/trade/ZAF")
    page.wait_for_function(READY, timeout=20_000)
    assert page.locator("#trade-title").inner_text() == "Cultural trade of South Africa"
    text = page.locator("#dependence").inner_text()
    assert "HHI" in text and "top 3:" in text
    assert page.locator("#partners tbody tr").count() >= 5
    assert "United States, EU and Japan" in page.locator("#groups").inner_text()
    assert re.search(r"\$\d+(\.\d)?M", page.locator("#trade-domains").inner_text())
    _shot(page, screenshot_dir, "trade-ZAF-en")


def test_language_switch(page: Any, base_url: str, screenshot_dir: Path) -> None:
    page.goto(base_url + "/country/IRN?home=CHN&domain=games")
    page.click("#lang-zh")
    page.wait_for_function(READY, timeout=20_000)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "世界风险地图" in page.locator("nav.main").inner_text()
    assert page.locator("#country-name").inner_text().startswith("伊朗")
    assert page.locator("#kpi-rank").inner_text().startswith("第")
    assert "政治风险" in page.locator("#dimensions").inner_text()
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", page.locator("#events").inner_text())   # Babel dates
    _shot(page, screenshot_dir, "country-IRN-zh")
    page.goto(base_url + "/trade/ZAF")                      # the cookie keeps the language
    page.wait_for_function(READY, timeout=20_000)
    assert page.locator("#trade-title").inner_text() == "南非文化贸易"
    assert re.search(r"US\$\d+(\.\d)?亿", page.locator("#trade-domains").inner_text())  # 2.5亿, not $252.9M
    label = page.evaluate("window.cultradeFormat.number.compact.format(123456789)")
    assert label.endswith("亿")                                  # Intl.NumberFormat in the browser
    _shot(page, screenshot_dir, "trade-ZAF-zh")
    page.goto(base_url + "/")
    page.wait_for_function(READY, timeout=20_000)
    _shot(page, screenshot_dir, "map-zh")
    page.click("#lang-en")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def test_alerts_acknowledge_and_silence(page: Any, base_url: str, demo: Demo, screenshot_dir: Path) -> None:
    page.goto(base_url + "/alerts")
    page.wait_for_selector("body[data-alerts-loaded='1']")
    rows = page.locator(".alerts-body tr[data-id]")
    assert rows.count() == 5
    assert page.locator("#alerts-body tr[data-id]").count() == 3    # event alerts; the 2 outlook ones apart
    assert page.locator("#feed").get_attribute("data-state") == "live"
    irn = demo.alert_ids[0]
    row = page.locator(f"#alerts-body tr[data-id='{irn}']")
    assert "Armed violence" in row.inner_text() and "–" in row.locator(".ack-cell").inner_text()
    assert "14 articles" in row.inner_text()                      # the value that fired it, with its unit
    row.locator("button.ack").click()
    page.wait_for_selector(f"#alerts-body tr[data-id='{irn}'].acked")
    assert "acknowledged by dashboard-test" in page.locator(f"#alerts-body tr[data-id='{irn}']").inner_text()
    tur = page.locator(f"#outlook-body tr[data-id='{demo.alert_ids[1]}']")
    tur.locator("button.silence").click()
    page.wait_for_function("() => document.getElementById('silences-body').innerText.includes('iso3=TUR')")
    page.check("#only-active")
    assert page.locator(".alerts-body tr[data-id]").count() == 4  # the resolved one is hidden
    _shot(page, screenshot_dir, "alerts-en")
    page.goto(base_url + "/alerts?lang=zh-CN")
    page.wait_for_selector("body[data-alerts-loaded='1']")
    text = page.locator(f"#alerts-body tr[data-id='{irn}']").inner_text()
    assert "已由 dashboard-test 确认" in text and "武装暴力" in text and "年" in text and "14 篇" in text
    _shot(page, screenshot_dir, "alerts-zh")

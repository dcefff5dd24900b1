"""Benchmark: dashboard first render in headless Chromium (Debian's /usr/bin/chromium via Playwright).

Data: the bundled open-data snapshot plus INVENTED alerts and signals (``cultrade.web.demo``);
``rows`` (the generated BACI size of the other benchmarks) is not used.

For each page, ``LOADS`` navigations, each in a fresh browser context (empty HTTP
cache: the 1 MB ECharts bundle and the map topology are fetched every time, as on
a first visit), logged in with the session cookie. The time is navigation start →
the ``charts-ready`` performance mark that ``static/app.js`` sets once every
ECharts instance has fired ``finished`` (the map also fetches and converts the
TopoJSON first). The first load of each page also builds the server's caches
(risk index, Monte Carlo rank intervals, trade profile) and is reported apart;
the median is over the other loads. Baselines in the same run: a static blank
HTML page on the same server (browser + HTTP floor) and the login page (a
server-rendered page without charts). Target: first render ≤ 1.5 s.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from cultrade.report.browser import chromium_path, open_browser
from cultrade.web.demo import ServerThread, demo_app

LOADS = 7
TARGET_S = 1.5
PAGES = {
    "map": "/?home=CHN&domain=games",
    "country": "/country/IRN?home=CHN&domain=games",
    "trade": "/trade/ZAF",
    "alerts": "/alerts",
}
BASELINES = {"blank": "/bench/blank", "login": "/login"}
READY_JS = "performance.getEntriesByName('charts-ready').length ? performance.getEntriesByName('charts-ready')[0]" \
           ".startTime : null"
LOAD_JS = "performance.getEntriesByType('navigation')[0].loadEventEnd"


def _measure(b: Any, url: str, cookie: dict[str, Any] | None, kind: str) -> float:
    context = b.new_context(viewport={"width": 1400, "height": 900})
    if cookie:
        context.add_cookies([cookie])
    page = context.new_page()
    try:
        page.goto(url, wait_until="load")
        if kind == "charts":
            page.wait_for_function("window.__chartsReady === true", timeout=30_000)
            ms = page.evaluate(READY_JS)
        elif kind == "alerts":
            page.wait_for_selector("body[data-alerts-loaded='1']", timeout=30_000)
            ms = page.evaluate("performance.now()")
        else:
            page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
            ms = page.evaluate(LOAD_JS)
        return float(ms) / 1000.0
    finally:
        context.close()


def run(rows: int, workdir: Path) -> dict[str, Any]:
    if chromium_path() is None:
        return {"benchmark": "dashboard_first_render", "skipped": "no chromium at /usr/bin/chromium"}
    from fastapi.responses import HTMLResponse

    demo = demo_app(workdir)
    demo.app.add_api_route("/bench/blank", lambda: HTMLResponse("<!doctype html><title>blank</title><p>blank"),
                           methods=["GET"], include_in_schema=False)
    results: dict[str, Any] = {}
    with ServerThread(demo.app) as base, open_browser() as b:
        session = httpx.post(base + "/api/v1/session", json={"key": demo.key}).cookies["cultrade_session"]
        cookie = {"name": "cultrade_session", "value": session, "url": base}
        server: dict[str, float] = {}
        for name, path in {**BASELINES, **PAGES}.items():
            kind = "charts" if name in ("map", "country", "trade") else "alerts" if name == "alerts" else "load"
            times = [_measure(b, base + path, cookie, kind) for _ in range(LOADS)]
            results[name] = {"first_s": round(times[0], 3), "median_s": round(statistics.median(times[1:]), 3),
                             "min_s": round(min(times[1:]), 3), "max_s": round(max(times[1:]), 3),
                             "loads": len(times)}
        with httpx.Client(base_url=base, headers={"X-API-Key": demo.key}) as client:
            for name, path in PAGES.items():
                laps = []
                for _ in range(5):
                    start = time.perf_counter()
                    client.get(path).raise_for_status()
                    laps.append(time.perf_counter() - start)
                server[name] = round(statistics.median(laps), 3)
    demo.store.close()
    blank = results["blank"]["median_s"]
    return {
        "benchmark": "dashboard_first_render",
        "data": "bundled open-data snapshot + INVENTED alerts and signals",
        "browser": "Debian chromium, headless, fresh context (empty cache) per load",
        "target_s": TARGET_S,
        "pages": results,
        "server_html_median_s": server,
        "overhead_over_blank_s": {k: round(results[k]["median_s"] - blank, 3) for k in PAGES},
        "met": {k: results[k]["median_s"] <= TARGET_S for k in PAGES},
    }

"""Server-side pages without a browser: auth redirects, both languages, the JSON feed, the fallback actions.

The alerts and signals in the store are INVENTED test data (cultrade.web.demo), not real.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cultrade.web.demo import Demo, demo_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def web_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A dashboard-only app (no REST API): the /ui fallbacks and the form login are used."""
    d = demo_app(tmp_path_factory.mktemp("web-only"), with_api=False)
    yield d
    d.store.close()


def _client(d: Demo) -> Any:
    return TestClient(d.app, follow_redirects=False)


def test_pages_need_a_key(demo: Demo) -> None:
    c = _client(demo)
    for path in ("/", "/country/IRN", "/alerts", "/trade/ZAF"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    assert c.get("/ui/alerts.json").status_code == 401
    assert c.get("/login").status_code == 200


def test_api_session_cookie_opens_the_dashboard(demo: Demo) -> None:
    c = _client(demo)
    assert c.post("/api/v1/session", json={"key": demo.key}).status_code == 200
    r = c.get("/?home=CHN&domain=games")
    assert r.status_code == 200 and 'id="chart-map"' in r.text and "dashboard-test" in r.text
    r = c.get("/country/IRN?home=CHN&domain=games&lang=zh-CN")
    assert r.status_code == 200 and '<html lang="zh-CN">' in r.text and "伊朗伊斯兰共和国" in r.text
    assert c.get("/country/XXX").status_code == 404
    r = c.get("/trade/CHN?year=2017")
    assert r.status_code == 200 and "Open Trade Statistics" in r.text and "$173.2B" in r.text
    assert c.get("/trade?home=ZAF").headers["location"].startswith("/trade/ZAF")
    # China's default trade year is its latest with export data (2017), never the sample's $0
    r = c.get("/country/CHN?home=USA")
    assert r.status_code == 200 and "$0" not in r.text
    # the home economy is never its own target: its page says so instead of scoring it
    assert "home economy" in c.get("/country/CHN?home=CHN").text
    r = c.get("/trade/CHN?domain=games")
    assert r.status_code == 200 and 'id="reported-digital"' in r.text and "18.56 USD bn" in r.text
    r = c.get("/opportunities?home=CHN&domain=games")
    assert r.status_code == 200 and 'id="chart-opp-map"' in r.text and 'id="opp-table"' in r.text
    assert "proxies" in r.text and "risk index from CHN" in r.text  # the inputs used are on the page
    r = c.get("/opportunities?home=CHN&domain=crafts&lang=zh-CN")
    assert r.status_code == 200 and "下一步去哪里" in r.text and "代理指标" in r.text
    assert c.get("/opportunities?home=CHN&domain=anime").status_code == 422
    feed = c.get("/ui/alerts.json?lang=zh-CN").json()
    assert len(feed["alerts"]) == 5 and {a["state_text"] for a in feed["alerts"]} >= {"触发中", "已解除"}
    r = c.get("/alerts")
    assert "/api/v1/alerts/{id}/ack" in r.text          # the page calls the REST API


def test_language_cookie(demo: Demo) -> None:
    c = _client(demo)
    r = c.get("/lang/zh?next=/alerts")
    assert r.status_code == 303 and r.headers["location"] == "/alerts"
    assert r.cookies.get("cultrade_lang") == "zh-CN"
    assert c.get("/lang/en?next=//evil.example").headers["location"] == "/"


def test_dashboard_only_app_login_ack_and_silence(web_only: Demo) -> None:
    c = _client(web_only)
    assert c.post("/login", data={"key": "ct_nope", "next": "/alerts"}).headers["location"].startswith("/login?error=1")
    r = c.post("/login", data={"key": web_only.key, "next": "/alerts"})
    assert r.status_code == 303 and r.headers["location"] == "/alerts"
    page = c.get("/alerts").text
    assert "/ui/alerts/{id}/ack" in page
    ident = web_only.alert_ids[0]
    csrf = {"X-CSRF-Token": page_csrf(page)}
    assert c.post(f"/ui/alerts/{ident}/ack", json={}).status_code == 403          # no CSRF token: refused
    assert c.post(f"/ui/alerts/{ident}/ack", json={}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    r = c.post(f"/ui/alerts/{ident}/ack", json={"comment": "seen"}, headers=csrf)
    assert r.status_code == 200 and r.json()["by"] == "dashboard-test"
    rows = {a["id"]: a for a in c.get("/ui/alerts.json").json()["alerts"]}
    assert rows[ident]["acked"] and rows[ident]["acked_by"] == "dashboard-test"
    r = c.post(f"/ui/alerts/{web_only.alert_ids[1]}/silence", json={"duration_hours": 2}, headers=csrf)
    assert r.status_code == 201 and "iso3=TUR" in r.json()["matchers"]
    assert c.get("/ui/alerts.json").json()["silences"][0]["author"] == "dashboard-test"
    assert c.post("/ui/alerts/ffffffff/ack", json={}, headers=csrf).status_code == 404
    with web_only.app.state.web.lock:
        audit = web_only.store.con.execute("SELECT key_name, role, path, status FROM api_audit WHERE method = 'POST' "
                                           "ORDER BY id").fetchall()
    assert ("dashboard-test", "analyst", f"/ui/alerts/{ident}/ack", 200) in audit
    assert ("dashboard-test", "analyst", "/login", 200) in audit


def page_csrf(html: str) -> str:
    """The session's CSRF token from a page's embedded data."""
    import json
    import re

    found = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return str(json.loads(found.group(1))["csrf"])


def test_static_assets_are_vendored(demo: Demo, tmp_path: Path) -> None:
    c = _client(demo)
    r = c.get("/static/vendor/echarts.min.js")
    assert r.status_code == 200 and "max-age" in r.headers["cache-control"] and len(r.content) > 500_000
    assert c.get("/static/vendor/countries-110m.json").json()["type"] == "Topology"
    assert c.get("/static/vendor/echarts.LICENSE").status_code == 200

"""Every route on the real bundled snapshot, plus error cases, paging and CORS."""

from __future__ import annotations

import sys
import types
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cultrade.api import create_app
from cultrade.api.settings import ApiSettings
from cultrade.settings import Settings

V1 = "/api/v1"
ERROR_KEYS = {"error", "message", "path", "row", "column", "hint"}


def get(api: Any, url: str, role: str = "viewer", status: int = 200) -> object:
    r = api.client.get(V1 + url, headers=api.headers(role))
    assert r.status_code == status, r.text
    if status >= 400:
        assert set(r.json()) == ERROR_KEYS
    return r.json()


def test_health_needs_no_key(api: Any) -> None:
    assert api.client.get(V1 + "/health").json()["status"] == "ok"


def test_countries_filters_and_paging(api: Any) -> None:
    page = get(api, "/countries?region=Sub-Saharan Africa&income=Low income&limit=5")
    assert page["total"] > 10 and len(page["items"]) == 5
    assert {c["region"] for c in page["items"]} == {"Sub-Saharan Africa"}
    second = get(api, "/countries?region=Sub-Saharan Africa&income=Low income&limit=5&offset=5")
    assert {c["iso3"] for c in page["items"]}.isdisjoint(c["iso3"] for c in second["items"])
    assert get(api, "/countries?q=中国")["items"][0]["iso3"] == "CHN"
    china = get(api, "/countries/chn")
    assert (china["name"], china["name_zh"], china["income"]) == ("China", "中国", "Upper middle income")


def test_sources_and_indicators(api: Any) -> None:
    sources = {s["source"]: s for s in get(api, "/sources")}
    assert sources["wgi"]["licence"] and sources["wgi"]["indicators"] >= 6
    inds = get(api, "/indicators?source=wgi")
    assert {"pv", "rl"} <= {i["indicator"] for i in inds["items"]}
    vals = get(api, "/indicators/values?iso3=CHN&iso3=IRN&indicator=pv&year_from=2020&year_to=2023&limit=3")
    assert vals["total"] == 8 and len(vals["items"]) == 3
    assert all(2020 <= v["year"] <= 2023 and v["indicator"] == "pv" for v in vals["items"])


def test_risk_scores_country_and_explanation(api: Any) -> None:
    assert "games" in get(api, "/risk/domains")
    page = get(api, "/risk/scores?home=CHN&domain=games&year=2023&limit=10")
    assert page["year"] == 2023 and page["domain"] == "games" and len(page["items"]) == 10
    ranks = [s["rank"] for s in page["items"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    high = get(api, "/risk/scores?home=CHN&domain=games&year=2023&band=very high&limit=1000")
    assert high["total"] == len(high["items"]) and {s["band"] for s in high["items"]} == {"very high"}
    irn = get(api, "/risk/scores/IRN?home=CHN&domain=games&year=2023&intervals=true")
    assert 0 <= irn["score"] <= 10 and set(irn["dimensions"]) >= {"political", "economic"}
    iv = irn["interval"]
    assert iv["draws"] >= 10 and iv["rank_lo"] <= irn["rank"] <= iv["rank_hi"]
    listed = get(api, "/risk/scores?home=CHN&domain=games&year=2023&intervals=true&limit=3")
    assert all(s["interval"] is not None for s in listed["items"])
    ex = get(api, "/risk/explain/IRN?home=CHN&domain=games&year=2023")
    assert ex["score"] == pytest.approx(irn["score"], abs=1e-3)
    assert ex["dimensions"] and ex["indicators"] and "contribution" in ex["indicators"][0]


def test_risk_overrides_write_and_invalidate(api: Any) -> None:
    before = get(api, "/risk/scores/IRN?year=2023")["dimensions"]["political"]
    body = {"iso3": "IRN", "year": 2023, "target": "political", "value": 1.0, "reason": "field report"}
    r = api.client.post(V1 + "/risk/overrides", json=body, headers=api.headers("analyst"))
    assert r.status_code == 201, r.text
    ov = r.json()
    assert ov["author"] == "test-analyst" and ov["old_value"] == pytest.approx(before, abs=1e-3)
    after = get(api, "/risk/scores/IRN?year=2023")
    assert after["dimensions"]["political"] == pytest.approx(1.0) and after["overrides"] is True
    assert [o["override_id"] for o in get(api, "/risk/overrides")] == [ov["override_id"]]
    r = api.client.delete(f"{V1}/risk/overrides/{ov['override_id']}", headers=api.headers("analyst"))
    assert r.status_code == 200 and r.json()["active"] is False
    assert get(api, "/risk/scores/IRN?year=2023")["dimensions"]["political"] == pytest.approx(before, abs=1e-3)
    assert get(api, "/risk/overrides") == []


def test_trade_profile_and_classification(api: Any) -> None:
    p = get(api, "/trade/profile/CHN?charts=true")
    assert p["source"] in ("baci", "ots") and p["tables"]["summary"] and "time_series" in p["charts"]
    codes = get(api, "/classification/hs/490199")
    assert {c["scheme"] for c in codes} == {"unesco", "unctad"} and codes[0]["domain_label_zh"]
    assert get(api, "/classification/hs/847130") == []
    assert {d["scheme"] for d in get(api, "/classification/domains?scheme=unctad")} == {"unctad"}


def test_signals(api: Any) -> None:
    page = get(api, "/signals?iso3=IRN&metric=protest&granularity=day&start=2025-01-03&end=2025-01-05")
    assert page["total"] == 2 and {s["metric"] for s in page["items"]} == {"protest"}
    top = get(api, "/signals/top?n=3&min_value=0")
    assert len(top) == 3 and top[0]["anomaly"] >= top[-1]["anomaly"]
    assert get(api, "/signals?granularity=hour")["total"] == 0


def test_alerts_list_detail_ack_silence(api: Any) -> None:
    page = get(api, "/alerts?state=firing&limit=5")
    assert page["total"] > 5 and all(a["state"] == "firing" for a in page["items"])
    warn = get(api, "/alerts?severity=warning&limit=1000")
    assert warn["items"] and {a["severity"] for a in warn["items"]} == {"warning"}
    # the snapshot's alerts are outlook alerts (yearly indicators, risk bands): never critical on their own
    assert {a["category"] for a in warn["items"]} == {"outlook"}
    assert not get(api, "/alerts?severity=critical&limit=1000")["items"]
    first = page["items"][0]
    detail = get(api, f"/alerts/{first['id']}")
    assert detail["events"] and detail["labels"]["alertname"] == first["rule"]
    r = api.client.post(f"{V1}/alerts/{first['id']}/ack", json={"comment": "seen"}, headers=api.headers("analyst"))
    assert r.status_code == 200 and r.json()["acked_by"] == "test-analyst"
    r = api.client.post(f"{V1}/alerts/{first['id']}/silence", json={"reason": "known", "duration_hours": 2},
                        headers=api.headers("analyst"))
    assert r.status_code == 201 and f"alertname={first['rule']}" in r.json()["matchers"]
    assert get(api, f"/alerts/{first['id']}")["silenced_by"] == [r.json()["id"]]
    r = api.client.post(f"{V1}/alerts/{first['id']}/unsilence", headers=api.headers("analyst"))
    assert r.status_code == 200 and len(r.json()["expired"]) == 1
    assert get(api, f"/alerts/{first['id']}")["silenced_by"] == []


def test_silences_crud(api: Any) -> None:
    r = api.client.post(V1 + "/silences", json={"matchers": ["iso3=IRN", "severity!=info"], "reason": "trip"},
                        headers=api.headers("analyst"))
    assert r.status_code == 201
    sid = r.json()["id"]
    assert sid in [s["id"] for s in get(api, "/silences")]
    r = api.client.delete(f"{V1}/silences/{sid}", headers=api.headers("analyst"))
    assert r.status_code == 200 and r.json()["active"] is False
    assert sid not in [s["id"] for s in get(api, "/silences")]
    assert sid in [s["id"] for s in get(api, "/silences?include_expired=true")]
    bad = api.client.post(V1 + "/silences", json={"matchers": ["iso3"], "reason": "x"}, headers=api.headers("admin"))
    assert bad.status_code == 422 and bad.json()["error"] == "ValidationError"  # refused by the schema


def test_watchlists_crud(api: Any) -> None:
    h = api.headers("analyst")
    body = {"enterprise": "acme", "countries": ["irn", "TUR"], "domains": ["games"], "min_severity": "critical",
            "receivers": ["webhook:http://127.0.0.1:9/hook", "log"]}
    r = api.client.post(V1 + "/watchlists", json=body, headers=h)
    assert r.status_code == 201, r.text
    wid = r.json()["id"]
    assert get(api, f"/watchlists/{wid}")["countries"] == ["IRN", "TUR"]
    r = api.client.put(f"{V1}/watchlists/{wid}", json={**body, "countries": ["FRA"]}, headers=h)
    assert r.status_code == 200 and r.json()["id"] == wid and r.json()["countries"] == ["FRA"]
    assert [w["id"] for w in get(api, "/watchlists?enterprise=acme")] == [wid]
    bad = api.client.put(f"{V1}/watchlists/{wid}", json={**body, "receivers": ["fax:123"]}, headers=h)
    assert bad.status_code == 422
    assert get(api, f"/watchlists/{wid}")["countries"] == ["FRA"]  # the failed replace left it whole
    assert api.client.delete(f"{V1}/watchlists/{wid}", headers=h).status_code == 204
    get(api, f"/watchlists/{wid}", status=404)


def test_rules_list_and_admin_edits(api: Any) -> None:
    rules = {r["name"]: r for r in get(api, "/rules")}
    assert rules["inflation_high"]["enabled"] is True and rules["inflation_high"]["kind"] == "indicator"
    h = api.headers("admin")
    r = api.client.patch(V1 + "/rules/inflation_high", json={"enabled": False}, headers=h)
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert get(api, "/rules/inflation_high")["enabled"] is False
    assert (api.home / "rules.yaml").exists()
    definition = {**rules["inflation_high"]["definition"], "enabled": True}
    definition["condition"] = {**definition["condition"], "value": 25.0}
    r = api.client.put(V1 + "/rules/inflation_high", json=definition, headers=h)
    assert r.status_code == 200 and r.json()["definition"]["condition"]["value"] == 25.0 and r.json()["enabled"]
    bad = api.client.put(V1 + "/rules/inflation_high", json={"series": {"kind": "nope"}}, headers=h)
    assert bad.status_code == 422 and set(bad.json()) == ERROR_KEYS
    assert get(api, "/rules/inflation_high")["definition"]["condition"]["value"] == 25.0
    get(api, "/rules/no_such_rule", status=404)


@pytest.mark.parametrize("url", ["/countries/XXX", "/risk/scores/XXX", "/risk/explain/QQQ", "/trade/profile/ZZZ",
                                 "/alerts/ffffffffffffffff", "/watchlists/nope", "/rules/nope", "/nope"])
def test_404s_have_the_error_body(api: Any, url: str) -> None:
    body = get(api, url, status=404)
    assert body["path"] == V1 + url and body["message"]


@pytest.mark.parametrize("url", ["/countries?limit=0", "/countries?limit=5000", "/countries?offset=-1",
                                 "/countries?limit=abc", "/risk/scores?year=abc", "/risk/scores?domain=knitting",
                                 "/signals?start=0.5", "/signals?granularity=week", "/signals?start=yesterday",
                                 "/signals?metric=nonsense", "/alerts?state=burning",
                                 "/classification/hs/12ab"])
def test_bad_parameters_are_422(api: Any, url: str) -> None:
    body = get(api, url, status=422)
    assert body["path"] == V1 + url.split("?")[0]


def test_cors_off_by_default_and_allow_list(api: Any, tmp_path: Path) -> None:
    pre = {"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"}
    assert "access-control-allow-origin" not in api.client.options(V1 + "/countries", headers=pre).headers
    app = create_app(tmp_path / "cors.duckdb", settings=Settings(home=tmp_path), mount_web=False,
                     api_settings=ApiSettings(cors_origins="http://dash.example"))
    from fastapi.testclient import TestClient

    client = TestClient(app)
    ok = client.options(V1 + "/countries", headers={**pre, "Origin": "http://dash.example"})
    assert ok.headers["access-control-allow-origin"] == "http://dash.example"
    no = client.options(V1 + "/countries", headers=pre)
    assert "access-control-allow-origin" not in no.headers
    app.state.api.close()


def test_web_dashboard_is_mounted_when_present(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = []
    fake = types.ModuleType("cultrade.web")
    fake.mount = calls.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cultrade.web", fake)
    app = create_app(tmp_path / "w.duckdb", settings=Settings(home=tmp_path))
    assert calls == [app] and app.state.web_mounted
    app.state.api.close()
    monkeypatch.setitem(sys.modules, "cultrade.web", None)  # import fails → API only
    app = create_app(tmp_path / "w.duckdb", settings=Settings(home=tmp_path))
    assert app.state.web_mounted is False
    app.state.api.close()


def test_alert_list_cache_sees_every_write(api: Any) -> None:
    url = "/alerts?severity=warning&limit=1000"
    before = {a["id"]: a for a in get(api, url)["items"]}
    target = next(i for i, a in before.items() if a["acked_by"] is None)
    api.client.post(f"{V1}/alerts/{target}/ack", json={}, headers=api.headers("admin"))
    after = {a["id"]: a for a in get(api, url)["items"]}
    assert after[target]["acked_by"] == "test-admin"
    from cultrade.api.service import alerts_table
    from cultrade.monitor.engine import evaluate
    from cultrade.monitor.rules import load_rules

    with api.state().lock:  # another writer in the process (e.g. an evaluation loop)
        evaluate(api.state().store, datetime(2027, 1, 1), rules=load_rules(), watchlists=[])
        truth = alerts_table(api.state().store, severity="warning")
    later = get(api, url)["items"]
    assert [(a["id"], a["state"], a["value"]) for a in later] == list(
        zip(truth["id"], truth["state"], truth["value"].where(truth["value"].notna(), None), strict=True))


def test_a_year_without_scores_or_trade_is_404(api: Any) -> None:
    assert get(api, "/risk/scores?year=1901", status=404)["error"] == "NotFoundError"
    assert get(api, "/trade/profile/CHN?year=1950", status=404)["error"] == "NotFoundError"
    assert get(api, "/trade/profile/CHN?scheme=unesco&domain=audiovisuals", status=404)["error"] == "NotFoundError"


def test_every_timestamp_carries_its_offset(api: Any) -> None:
    """Naive store times are served as UTC with their offset, in models and in free-form tables alike."""
    import re

    stamp = re.compile(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)([^"]*)"')
    texts = [api.client.get(V1 + url, headers=api.headers("admin")).text
             for url in ("/alerts?include_inactive=true", "/signals", "/keys", "/audit", "/silences?include_expired=true",
                         "/risk/overrides?include_inactive=true", "/watchlists")]
    found = [m for text in texts for m in stamp.findall(text)]
    assert found and all(offset in ("Z", "+00:00") for _, offset in found), found[:5]

"""Sessions that cannot be replayed, CSRF, Secure cookies on every path, security headers, login backoff.

The backoff is driven by a fake clock (no sleeping, no wall-clock timing).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cultrade.api import create_app
from cultrade.api.keys import create_key
from cultrade.api.ratelimit import FailedAuthLimiter
from cultrade.api.settings import ApiSettings
from cultrade.settings import Settings
from cultrade.store import Store

V1 = "/api/v1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class App:
    def __init__(self, template: Path, home: Path, *, secure: bool) -> None:
        path = home / "api.duckdb"
        shutil.copy(template, path)
        settings = Settings(home=home)
        with Store(path, settings=settings) as store:
            self.keys = {role: create_key(store, f"s-{role}", role).key for role in ("viewer", "analyst", "admin")}
        self.clock = Clock()
        self.app = create_app(path, settings=settings, api_settings=ApiSettings(cookie_secure=secure),
                              rules_path=home / "rules.yaml", limiter=FailedAuthLimiter(clock=self.clock, free=5))
        self.state = self.app.state.api

    def client(self, **kw: Any) -> TestClient:
        return TestClient(self.app, base_url="https://testserver", follow_redirects=False, **kw)

    def audit(self) -> list[tuple[Any, ...]]:
        with self.state.lock:
            return self.state.store.con.execute(
                "SELECT key_name, role, method, path, status, detail FROM api_audit ORDER BY id").fetchall()


@pytest.fixture(scope="module")
def secure(template_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    a = App(template_store, tmp_path_factory.mktemp("sessions"), secure=True)
    yield a
    a.state.close()


def _login(app: App, client: TestClient, role: str = "analyst") -> tuple[str, str]:
    r = client.post(V1 + "/session", json={"key": app.keys[role]})
    assert r.status_code == 200, r.text
    return client.cookies["cultrade_session"], r.json()["csrf_token"]


def test_the_cookie_holds_an_opaque_session_id_never_the_key(secure: App) -> None:
    c = secure.client()
    sid, csrf = _login(secure, c)
    assert secure.keys["analyst"] not in c.cookies.values() and not sid.startswith("ct_") and len(sid) >= 43
    sid2, csrf2 = _login(secure, secure.client())
    assert sid2 != sid and csrf2 != csrf  # a new random id per log-in
    with secure.state.lock:
        stored = secure.state.store.con.execute("SELECT id_hash FROM api_sessions").fetchall()
    assert sid not in {s for (s,) in stored} and len(stored[0][0]) == 64  # only the digest is kept


def test_logout_ends_the_session_and_the_old_cookie_is_refused(secure: App) -> None:
    c = secure.client()
    sid, csrf = _login(secure, c)
    assert c.get(V1 + "/session").status_code == 200
    assert c.delete(V1 + "/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    replay = secure.client(cookies={"cultrade_session": sid})
    assert replay.get(V1 + "/session").status_code == 401
    assert replay.get("/alerts").status_code == 303  # the dashboard sends it to the log-in page
    assert ("s-analyst", "analyst", "DELETE", V1 + "/session", 204, "logout") in secure.audit()


def test_the_dashboard_logout_form_ends_the_session(secure: App) -> None:
    c = secure.client()
    c.post("/login", data={"key": secure.keys["viewer"], "next": "/alerts"})
    sid = c.cookies["cultrade_session"]
    page = c.get("/alerts")
    assert page.status_code == 200 and 'action="/logout"' in page.text
    assert c.post("/logout", data={"csrf": "forged"}).status_code == 403
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    r = c.post("/logout", data={"csrf": token.group(1)})
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]
    assert secure.client(cookies={"cultrade_session": sid}).get("/alerts").status_code == 303


def test_revoking_a_key_ends_its_sessions(secure: App) -> None:
    with secure.state.lock:
        victim = create_key(secure.state.store, "victim", "analyst")
    c = secure.client()
    assert c.post(V1 + "/session", json={"key": victim.key}).status_code == 200
    sid = c.cookies["cultrade_session"]
    assert c.get(V1 + "/session").json()["name"] == "victim"
    admin = {"Authorization": f"Bearer {secure.keys['admin']}"}
    assert secure.client().delete(f"{V1}/keys/{victim.id}", headers=admin).status_code == 200
    assert secure.client(cookies={"cultrade_session": sid}).get(V1 + "/session").status_code == 401
    with secure.state.lock:
        ended = secure.state.store.con.execute("SELECT count(*) FROM api_sessions WHERE key_id = ? AND ended_at "
                                               "IS NOT NULL", [victim.id]).fetchone()
    assert ended == (1,)


def test_secure_cookie_on_every_path_when_configured(secure: App) -> None:
    api = secure.client().post(V1 + "/session", json={"key": secure.keys["viewer"]})
    form = secure.client().post("/login", data={"key": secure.keys["viewer"], "next": "/"})
    lang = secure.client().get("/lang/zh?next=/")
    for r in (api, form, lang):
        assert "; Secure" in r.headers["set-cookie"], r.headers["set-cookie"]
    assert "HttpOnly" in form.headers["set-cookie"] and "SameSite=strict" in form.headers["set-cookie"]


def test_cookie_writes_need_the_csrf_token(secure: App) -> None:
    c = secure.client()
    _, csrf = _login(secure, c)
    body = {"enterprise": "csrf", "countries": ["IRN"], "receivers": ["log"]}
    # A cross-site JSON POST carrying the cookie cannot know the token.
    refused = c.post(V1 + "/watchlists", json=body, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["message"]
    assert c.post(V1 + "/watchlists", json=body, headers={"X-CSRF-Token": csrf + "x"}).status_code == 403
    assert c.post(V1 + "/watchlists", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    # A key sent in a header is no ambient credential: no token needed.
    bearer = {"Authorization": f"Bearer {secure.keys['analyst']}"}
    assert secure.client().post(V1 + "/watchlists", json=body, headers=bearer).status_code == 201
    refusals = [row for row in secure.audit() if row[4] == 403 and row[3] == V1 + "/watchlists"]
    assert refusals, "a refused write is audited"


def test_cross_origin_login_form_is_refused(secure: App) -> None:
    r = secure.client().post("/login", data={"key": secure.keys["viewer"]}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "set-cookie" not in r.headers
    ok = secure.client().post("/login", data={"key": secure.keys["viewer"]}, headers={"Origin": "https://testserver"})
    assert ok.status_code == 303


def test_login_and_dashboard_writes_are_audited_with_key_name_and_role(secure: App) -> None:
    c = secure.client()
    c.post("/login", data={"key": secure.keys["analyst"], "next": "/alerts"})
    page = c.get("/alerts").text
    token = re.search(r'"csrf": "([^"]+)"', page)
    assert token is not None
    with secure.state.lock:
        alert = secure.state.store.con.execute("SELECT fingerprint FROM alerts LIMIT 1").fetchone()[0]
    r = c.post(f"/ui/alerts/{alert}/ack", json={"comment": "seen"}, headers={"X-CSRF-Token": token.group(1)})
    assert r.status_code == 200
    rows = secure.audit()
    assert ("s-analyst", "analyst", "POST", "/login", 200, "login") in rows
    assert any(row[:5] == ("s-analyst", "analyst", "POST", f"/ui/alerts/{alert}/ack", 200) for row in rows)
    assert not any(row[5] == "refused before the route ran" and row[3] in ("/login", f"/ui/alerts/{alert}/ack")
                   and row[4] < 400 for row in rows)


def test_failed_logins_back_off_per_client_and_key_prefix(template_store: Path, tmp_path: Path) -> None:
    app = App(template_store, tmp_path, secure=False)
    c = app.client()
    guesses = [f"ct_guess{i:04d}" for i in range(8)]
    codes = [c.get(V1 + "/session", headers={"X-API-Key": g}).status_code for g in guesses[:5]]
    assert codes == [401] * 5  # the free attempts
    assert c.get(V1 + "/session", headers={"X-API-Key": guesses[5]}).status_code == 401  # the 6th: a 1 s wait
    r = c.get(V1 + "/session", headers={"X-API-Key": guesses[6]})
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    # Even the right key waits: while blocked, nothing is looked up (no oracle).
    assert c.get(V1 + "/session", headers={"X-API-Key": app.keys["viewer"]}).status_code == 429
    app.clock.now += 1.0
    assert c.get(V1 + "/session", headers={"X-API-Key": guesses[6]}).status_code == 401  # the 7th: a 2 s wait
    app.clock.now += 1.0
    assert c.get(V1 + "/session", headers={"X-API-Key": guesses[7]}).status_code == 429
    assert c.post(V1 + "/session", json={"key": guesses[7]}).headers["retry-after"] == "1"
    app.clock.now += 1.0
    assert c.get(V1 + "/session", headers={"X-API-Key": app.keys["viewer"]}).status_code == 200
    # Sessions count too: a forged cookie is a failure like a wrong key.
    app.clock.now += 3600
    forged = app.client(cookies={"cultrade_session": "forged-session-id-000000000000000000000000"})
    assert [forged.get(V1 + "/session").status_code for _ in range(6)] == [401] * 6
    assert forged.get(V1 + "/session").status_code == 429
    app.state.close()


def test_500_bad_keys_are_slowed_down(template_store: Path, tmp_path: Path) -> None:
    app = App(template_store, tmp_path, secure=False)
    c = app.client()
    codes = [c.get(V1 + "/alerts", headers={"X-API-Key": f"ct_bad{i}"}).status_code for i in range(500)]
    assert codes.count(401) == 6 and codes.count(429) == 494  # the clock never moves: one wait, never served
    app.state.close()


PAGES = ("/login", "/login?lang=zh", "/", "/alerts", "/trade/CHN", "/country/IRN", "/static/app.js",
         V1 + "/health", V1 + "/countries", V1 + "/nope", "/api/docs")


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_page(secure: App, path: str) -> None:
    c = secure.client(headers={"X-API-Key": secure.keys["viewer"]})
    r = c.get(path)
    csp = r.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]+)", csp)
    assert script_src is not None and "'unsafe-inline'" not in script_src.group(1)
    assert "'unsafe-eval'" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", ["/login", "/", "/alerts", "/trade/CHN", "/country/IRN", "/api/docs"])
def test_pages_have_no_inline_script(secure: App, path: str) -> None:
    html = secure.client(headers={"X-API-Key": secure.keys["analyst"]}).get(path).text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    for attrs, body in scripts:
        assert "src=" in attrs or 'type="application/json"' in attrs, (attrs, body[:80])
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"

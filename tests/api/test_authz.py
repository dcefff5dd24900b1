"""Authorization matrix (role × route), key transports, session cookie, revocation and the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from cultrade.api.keys import create_key
from cultrade.monitor.alerts import Silence, add_silence
from cultrade.risk import Override, save_overrides

V1 = "/api/v1"
ROLES = ("viewer", "analyst", "admin")
WL = {"enterprise": "matrix", "countries": ["IRN"], "receivers": ["log"]}


def _alert(api: Any) -> dict[str, str]:
    first = api.client.get(V1 + "/alerts?limit=1", headers=api.headers("admin")).json()["items"][0]
    return {"alert": first["id"]}


def _watchlist(api: Any) -> dict[str, str]:
    r = api.client.post(V1 + "/watchlists", json=WL, headers=api.headers("admin"))
    return {"wl": r.json()["id"]}


def _override(api: Any) -> dict[str, str]:
    ov = Override("IRN", 2020, "dimension", "political", 5.0, author="seed", reason="matrix")
    with api.state().lock:
        save_overrides(api.state().store, [ov])
    return {"ov": ov.override_id}


def _silence(api: Any) -> dict[str, str]:
    s = Silence.create(["iso3=IRN"], author="seed", reason="matrix", ends_at=datetime.now() + timedelta(days=1))
    with api.state().lock:
        add_silence(api.state().store, s)
    return {"silence": s.id}


def _key(api: Any) -> dict[str, str]:
    with api.state().lock:
        return {"key": create_key(api.state().store, "victim", "viewer").id}


@dataclass
class Case:
    method: str
    path: str
    role: str
    body: Any = None
    setup: Callable[[Any], dict[str, str]] = field(default=lambda api: {})
    query: str = ""


OV = {"iso3": "IRN", "year": 2021, "target": "political", "value": 4.0, "reason": "matrix"}
RULE = {"series": {"kind": "indicator", "indicator": "pv"}, "condition": {"type": "threshold", "op": "<",
                                                                          "value": -2.0}}
MATRIX = [
    Case("GET", "/session", "viewer"),
    Case("GET", "/countries", "viewer"),
    Case("GET", "/countries/{iso3}", "viewer", setup=lambda api: {"iso3": "FRA"}),
    Case("GET", "/sources", "viewer"),
    Case("GET", "/indicators", "viewer"),
    Case("GET", "/indicators/values", "viewer"),
    Case("GET", "/risk/domains", "viewer"),
    Case("GET", "/risk/scores", "viewer"),
    Case("GET", "/risk/scores/{iso3}", "viewer", setup=lambda api: {"iso3": "IRN"}),
    Case("GET", "/risk/explain/{iso3}", "viewer", setup=lambda api: {"iso3": "IRN"}),
    Case("GET", "/risk/overrides", "viewer"),
    Case("POST", "/risk/overrides", "analyst", OV),
    Case("DELETE", "/risk/overrides/{override_id}", "analyst", setup=lambda api: {"override_id": _override(api)["ov"]}),
    Case("GET", "/trade/profile/{iso3}", "viewer", setup=lambda api: {"iso3": "CHN"}),
    Case("GET", "/classification/domains", "viewer"),
    Case("GET", "/markets/domains", "viewer"),
    Case("GET", "/markets/rank", "viewer", query="?home=CHN&domain=games&top=3"),
    Case("GET", "/markets/potential", "viewer", query="?exporter=ZAF&limit=3"),
    Case("GET", "/markets/gravity", "viewer"),
    Case("GET", "/markets/match", "viewer", query="?home=ZAF&domain=publishing&top=1"),
    Case("GET", "/classification/hs/{code}", "viewer", setup=lambda api: {"code": "9207"}),
    Case("GET", "/monitor/status", "viewer"),
    Case("GET", "/signals", "viewer"),
    Case("GET", "/signals/top", "viewer"),
    Case("GET", "/alerts", "viewer"),
    Case("GET", "/alerts/{alert_id}", "viewer", setup=lambda api: {"alert_id": _alert(api)["alert"]}),
    Case("POST", "/alerts/{alert_id}/ack", "analyst", {"comment": "ok"},
         setup=lambda api: {"alert_id": _alert(api)["alert"]}),
    Case("POST", "/alerts/{alert_id}/silence", "analyst", {"reason": "matrix"},
         setup=lambda api: {"alert_id": _alert(api)["alert"]}),
    Case("POST", "/alerts/{alert_id}/unsilence", "analyst", setup=lambda api: {"alert_id": _alert(api)["alert"]}),
    Case("GET", "/silences", "viewer"),
    Case("POST", "/silences", "analyst", {"matchers": ["iso3=FRA"], "reason": "matrix"}),
    Case("DELETE", "/silences/{silence_id}", "analyst", setup=lambda api: {"silence_id": _silence(api)["silence"]}),
    Case("GET", "/watchlists", "viewer"),
    Case("GET", "/watchlists/{watchlist_id}", "viewer", setup=lambda api: {"watchlist_id": _watchlist(api)["wl"]}),
    Case("POST", "/watchlists", "analyst", WL),
    Case("PUT", "/watchlists/{watchlist_id}", "analyst", WL,
         setup=lambda api: {"watchlist_id": _watchlist(api)["wl"]}),
    Case("DELETE", "/watchlists/{watchlist_id}", "analyst", setup=lambda api: {"watchlist_id": _watchlist(api)["wl"]}),
    Case("GET", "/rules", "viewer"),
    Case("GET", "/rules/{name}", "viewer", setup=lambda api: {"name": "stability_low"}),
    Case("PATCH", "/rules/{name}", "admin", {"enabled": True}, setup=lambda api: {"name": "stability_low"}),
    Case("PUT", "/rules/{name}", "admin", RULE, setup=lambda api: {"name": "matrix_rule"}),
    Case("GET", "/keys", "admin"),
    Case("POST", "/keys", "admin", {"name": "matrix", "role": "viewer"}),
    Case("DELETE", "/keys/{key_id}", "admin", setup=lambda api: {"key_id": _key(api)["key"]}),
    Case("GET", "/audit", "admin"),
]
PUBLIC = {("GET", "/health"), ("POST", "/session"), ("DELETE", "/session")}


def test_matrix_lists_every_route(api: Any) -> None:
    paths = api.client.get(V1 + "/openapi.json").json()["paths"]
    routes = {(m.upper(), p.removeprefix(V1)) for p, ops in paths.items() for m in ops}
    assert routes == {(c.method, c.path) for c in MATRIX} | PUBLIC


def _call(api: Any, case: Case, headers: dict[str, str], params: dict[str, str]) -> Any:
    path = V1 + case.path.format(**params) + case.query
    return api.client.request(case.method, path, json=case.body, headers=headers)


@pytest.mark.parametrize("case", MATRIX, ids=lambda c: f"{c.method} {c.path}")
def test_authorization(api: Any, case: Case) -> None:
    dummy = {k: "x" for k in ("iso3", "override_id", "code", "alert_id", "silence_id", "watchlist_id", "name",
                              "key_id")}
    r = _call(api, case, {}, dummy)
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "AuthError" and r.headers["www-authenticate"] == "Bearer"
    for role in ROLES:
        allowed = ROLES.index(role) >= ROLES.index(case.role)
        params = case.setup(api) if allowed else dummy
        r = _call(api, case, api.headers(role), params)
        if allowed:
            assert 200 <= r.status_code < 300, (role, r.text)
        else:
            assert r.status_code == 403, (role, r.text)
            assert r.json()["error"] == "ForbiddenError"


def test_key_transports_and_bad_keys(api: Any) -> None:
    key = api.keys["viewer"]
    assert api.client.get(V1 + "/session", headers={"X-API-Key": key}).json()["role"] == "viewer"
    assert api.client.get(V1 + "/session", headers={"Authorization": "Bearer ct_wrong"}).status_code == 401
    assert api.client.get(V1 + "/session", headers={"X-API-Key": ""}).status_code == 401


def test_session_cookie_login_and_logout(api: Any, api_factory: Any, tmp_path: Any) -> None:
    other = api_factory(tmp_path)  # a fresh client: no cookie jar shared with other tests
    client = other.client
    assert client.post(V1 + "/session", json={"key": "ct_nope"}).status_code == 401
    r = client.post(V1 + "/session", json={"key": other.keys["analyst"]})
    assert r.status_code == 200 and r.json()["role"] == "analyst"
    cookie = r.headers["set-cookie"]
    assert "cultrade_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert other.keys["analyst"] not in cookie
    csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
    assert client.get(V1 + "/session").json()["name"] == "test-analyst"
    assert client.post(V1 + "/watchlists", json=WL, headers=csrf).status_code == 201
    assert client.delete(V1 + "/session", headers=csrf).status_code == 204
    assert client.get(V1 + "/session").status_code == 401
    other.state().close()


def test_revoked_key_is_refused(api: Any) -> None:
    admin = api.headers("admin")
    created = api.client.post(V1 + "/keys", json={"name": "temp", "role": "analyst"}, headers=admin).json()
    assert created["key"].startswith("ct_")
    h = {"Authorization": f"Bearer {created['key']}"}
    assert api.client.get(V1 + "/alerts", headers=h).status_code == 200
    listed = api.client.get(V1 + "/keys", headers=admin).json()
    assert "key" not in listed[0] and created["id"] in [k["id"] for k in listed]
    assert api.client.delete(f"{V1}/keys/{created['id']}", headers=admin).json()["revoked_at"]
    r = api.client.get(V1 + "/alerts", headers=h)
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    assert api.client.delete(V1 + "/keys/nope", headers=admin).status_code == 404
    with api.state().lock:
        stored = api.state().store.con.execute("SELECT hash FROM api_keys WHERE id = ?", [created["id"]]).fetchone()
    assert stored[0] != created["key"] and len(stored[0]) == 64


def _audit(api: Any) -> list[dict[str, Any]]:
    return api.client.get(V1 + "/audit?limit=5", headers=api.headers("admin")).json()["items"]


def test_writes_are_audited(api: Any) -> None:
    r = api.client.post(V1 + "/watchlists", json={**WL, "enterprise": "audited"}, headers=api.headers("analyst"))
    row = _audit(api)[0]
    assert (row["method"], row["path"], row["status"], row["role"]) == ("POST", V1 + "/watchlists", 201, "analyst")
    assert r.json()["id"] in row["detail"]
    api.client.delete(V1 + "/watchlists/nope", headers=api.headers("analyst"))
    assert _audit(api)[0]["status"] == 404
    api.client.post(V1 + "/watchlists", json=WL, headers=api.headers("viewer"))
    assert (_audit(api)[0]["status"], _audit(api)[0]["role"]) == (403, "viewer")
    api.client.post(V1 + "/watchlists", json=WL)
    assert (_audit(api)[0]["status"], _audit(api)[0]["key_id"]) == (401, None)
    api.client.post(V1 + "/watchlists", json={"enterprise": ""}, headers=api.headers("analyst"))
    assert _audit(api)[0]["status"] == 422
    api.client.get(V1 + "/watchlists", headers=api.headers("analyst"))
    assert _audit(api)[0]["status"] == 422  # reads are not audited


def test_audit_row_and_write_share_one_transaction(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import cultrade.api.state as state_mod

    real = state_mod.keystore.audit
    calls: list[int] = []

    def failing(store: Any, **kw: Any) -> None:
        calls.append(kw["status"])
        if kw["status"] == 201:
            raise RuntimeError("audit disk full")
        real(store, **kw)

    monkeypatch.setattr(state_mod.keystore, "audit", failing)
    before = len(api.client.get(V1 + "/watchlists", headers=api.headers("viewer")).json())
    from fastapi.testclient import TestClient

    client = TestClient(api.app, raise_server_exceptions=False)
    r = client.post(V1 + "/watchlists", json={**WL, "enterprise": "atomic"}, headers=api.headers("analyst"))
    assert r.status_code == 500 and r.json()["error"] == "InternalError"
    assert len(api.client.get(V1 + "/watchlists", headers=api.headers("viewer")).json()) == before
    assert calls == [201, 500]

"""The dashboard's routes: server-rendered pages (Jinja2) with the chart data embedded as JSON.

Pages: ``/`` (world risk map), ``/country/{iso3}``, ``/alerts``, ``/trade/{iso3}``, ``/login``.
JSON for the live alerts page: ``/ui/alerts.json``; with no REST API in the
process, ``/ui/alerts/{id}/ack`` and ``/ui/silences`` stand in for the API's
acknowledge and silence calls (the page asks the server which to use).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from cultrade.api.auth import clear_session_cookie, set_session_cookie
from cultrade.api.errors import AuthError, ForbiddenError, RateLimitError
from cultrade.api.sessions import CSRF_HEADER
from cultrade.api.state import ApiState
from cultrade.countries import get_countries
from cultrade.errors import ConfigError, CultradeError, UnknownCountryError
from cultrade.web import markets_data, monitor_data, risk_data, trade_data
from cultrade.web.backend import SESSION_COOKIE, User, backend, current_user
from cultrade.web.i18n import LANG_COOKIE, LANGUAGES, Translator, check_language, negotiate

ASSET_VERSION = "2"
API_SESSION = "/api/v1/session"
API_ACK = "/api/v1/alerts/{alert_id}/ack"
API_SILENCE = "/api/v1/alerts/{alert_id}/silence"

env = Environment(loader=PackageLoader("cultrade.web", "templates"), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)


def _api_mounted(request: Request) -> bool:
    """True when the REST API runs in this process (its routes ``/api/v1/...`` are then there to call)."""
    return getattr(request.app.state, "api", None) is not None


def translator(request: Request) -> Translator:
    lang = negotiate(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                     request.headers.get("accept-language"))
    return Translator(lang)


def _same_origin(request: Request) -> bool:
    """A browser's form post names its page's origin; refuse one from another site (login CSRF)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


def _perspective(request: Request) -> dict[str, Any]:
    q = request.query_params
    home = (q.get("home") or "CHN").upper()
    if home not in get_countries().table.index:
        home = "CHN"
    year = q.get("year")
    return {"home": home, "domain": q.get("domain") or "general",
            "year": int(year) if year and year.isdigit() else None}


def render(request: Request, name: str, t: Translator, user: User | None, **ctx: Any) -> HTMLResponse:
    query = dict(request.query_params)
    switch = {}
    for lang in LANGUAGES:
        q = {**query, "lang": lang}
        switch[lang] = f"/lang/{lang}?next={quote(request.url.path + '?' + urlencode(q), safe='')}"
    page = {"lang": t.lang, "messages": t.js_messages(), "user": user.name if user else None,
            "can_write": bool(user and user.can("analyst")), "csrf": user.csrf if user else None}
    page.update(ctx.pop("page", {}))
    html = env.get_template(name).render(
        _=t, t=t, lang=t.lang, html_lang=t.html_lang, user=user, switch=switch, v=ASSET_VERSION,
        path=request.url.path, page_json=page, query=query, csrf=user.csrf if user else None, **ctx)
    resp = HTMLResponse(html)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _countries(t: Translator) -> list[dict[str, str]]:
    c = get_countries()
    return sorted(({"iso3": i, "name": t.country(i)} for i in c.codes()), key=lambda r: r["name"])


def _error_page(request: Request, t: Translator, user: User | None, exc: CultradeError, status: int) -> HTMLResponse:
    resp = render(request, "error.html", t, user, message=str(exc), nav="")
    resp.status_code = status
    return resp


router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", error: str = "") -> HTMLResponse:
    t = translator(request)
    return render(request, "login.html", t, None, next=_safe_next(next), error=error, nav="login",
                  page={"session_url": API_SESSION if _api_mounted(request) else None})


@router.post("/login")
async def login_submit(request: Request) -> Response:
    """Form login: open a session as ``POST /api/v1/session`` does, with the same cookie and the same audit."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))  # urlencoded: no python-multipart needed
    key = (form.get("key") or [""])[0].strip()
    target = _safe_next((form.get("next") or ["/"])[0])
    state = backend(request.app.state)
    if not _same_origin(request):
        state.audit_outside(request, None, 403, "login form posted from another origin")
        return JSONResponse({"error": "ForbiddenError", "message": "cross-origin login refused"}, status_code=403)
    failed = RedirectResponse(f"/login?error=1&next={quote(target, safe='')}", status_code=303)
    if not key:
        return failed
    try:
        _, opened = state.login(request, key)
    except RateLimitError as exc:
        failed.headers["Retry-After"] = str(exc.retry_after)
        return failed
    except AuthError:
        return failed
    resp = RedirectResponse(target, status_code=303)
    set_session_cookie(resp, opened, state.api)
    return resp


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session on the server (the form sends the session's CSRF token) and clear the cookie."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    state = backend(request.app.state)
    session_id = request.cookies.get(SESSION_COOKIE)
    session = state.session(session_id) if session_id else None
    token = request.headers.get(CSRF_HEADER) or (form.get("csrf") or [""])[0]
    if session is not None and not session.csrf_ok(token):
        state.audit_outside(request, None, 403, "logout without the session's CSRF token")
        return JSONResponse({"error": "ForbiddenError", "message": "missing CSRF token"}, status_code=403)
    principal = None
    if session is not None:
        from cultrade.api.state import Principal

        principal = Principal(session.key.id, session.key.name, session.key.role, session.csrf)
    state.logout(request, session_id if session else None, principal)
    resp = RedirectResponse("/login", status_code=303)
    clear_session_cookie(resp, state.api)
    return resp


@router.get("/logout")
def logout_page() -> Response:
    """Logging out changes state, so it is a POST (the header's button); a GET only goes to the log-in page."""
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def set_language(request: Request, code: str, next: str = "/") -> Response:
    try:
        lang = check_language(code)
    except ConfigError:
        lang = "en"
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", path="/",
                    secure=backend(request.app.state).api.cookie_secure)
    return resp


@router.get("/", response_class=HTMLResponse)
def map_page(request: Request) -> Response:
    t, be = translator(request), backend(request.app.state)
    user = current_user(request, be)
    if user is None:
        return _login_redirect(request)
    p = _perspective(request)
    try:
        with be.lock:
            ctx = risk_data.map_context(be.store, t, p["home"], p["domain"], p["year"])
    except CultradeError as exc:
        return _error_page(request, t, user, exc, 422)
    return render(request, "map.html", t, user, nav="map", p=p, m=ctx, countries=_countries(t),
                  domains=risk_data.domain_options(t),
                  page={"charts": {"map": ctx["option"]}, "perspective": p,
                        "topology": "/static/vendor/countries-110m.json", "m49": _m49()})


def _m49() -> dict[str, str]:
    table = get_countries().table
    return {str(int(m)).zfill(3): str(i) for i, m in zip(table["iso3"], table["m49"], strict=True) if m}


@router.get("/country/{iso3}", response_class=HTMLResponse)
def country_page(request: Request, iso3: str) -> Response:
    t, be = translator(request), backend(request.app.state)
    user = current_user(request, be)
    if user is None:
        return _login_redirect(request)
    p = _perspective(request)
    try:
        code = get_countries().to_iso3(iso3, "iso3")
        with be.lock:
            ctx = risk_data.country_context(be.store, t, code, p["home"], p["domain"], p["year"])
            signals = monitor_data.signal_context(be.store, t, code)
            alerts = monitor_data.alert_rows(be.store, t, country=code)
            trade = trade_data.country_trade_summary(be.store, t, code)
    except UnknownCountryError as exc:
        return _error_page(request, t, user, exc, 404)
    except CultradeError as exc:
        return _error_page(request, t, user, exc, 422)
    charts_ = dict(ctx["charts"])
    if signals.get("chart"):
        charts_["signals"] = signals["chart"]
    if trade:
        charts_["trade"] = trade["chart"]
    region = get_countries().region(code)
    return render(request, "country.html", t, user, nav="map", p=p, c=ctx, signals=signals, alerts=alerts,
                  trade=trade, region=t(f"region.{region}") if t.has(f"region.{region}") else region,
                  countries=_countries(t), domains=risk_data.domain_options(t), page={"charts": charts_})


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request) -> Response:
    t, be = translator(request), backend(request.app.state)
    user = current_user(request, be)
    if user is None:
        return _login_redirect(request)
    with be.lock:
        rows = monitor_data.alert_rows(be.store, t)
        silences = monitor_data.silence_rows(be.store, t)
        feed = monitor_data.feed_badge(be.store, t)
    api_ack = api_sil = _api_mounted(request)
    return render(request, "alerts.html", t, user, nav="alerts", rows=rows, silences=silences, feed=feed,
                  page={"alerts_url": "/ui/alerts.json", "poll_ms": 5000,
                        "ack_url": (API_ACK if api_ack else "/ui/alerts/{alert_id}/ack").replace("{alert_id}", "{id}"),
                        "silence_url": (API_SILENCE if api_sil else "/ui/alerts/{alert_id}/silence")
                        .replace("{alert_id}", "{id}"), "api": api_ack})


def _ui_user(request: Request, be: ApiState, role: str = "viewer") -> User | JSONResponse:
    """The logged-in user with at least ``role``; a cookie write without the session's CSRF token is refused."""
    try:
        user = current_user(request, be)
    except ForbiddenError as exc:
        return JSONResponse(exc.to_dict(), status_code=403)
    if user is None:
        return JSONResponse({"error": "AuthError", "message": "log in first"}, status_code=401)
    if not user.can(role):
        return JSONResponse({"error": "ForbiddenError", "message": f"this needs the {role} role"}, status_code=403)
    return user


@router.get("/ui/alerts.json")
def alerts_json(request: Request) -> Response:
    t, be = translator(request), backend(request.app.state)
    user = _ui_user(request, be)
    if isinstance(user, JSONResponse):
        return user
    with be.lock:
        rows = monitor_data.alert_rows(be.store, t)
        silences = monitor_data.silence_rows(be.store, t)
        feed = monitor_data.feed_badge(be.store, t)
    return JSONResponse({"alerts": rows, "silences": silences, "feed": feed}, headers={"Cache-Control": "no-store"})


@router.post("/ui/alerts/{ident}/ack")
async def ui_ack(request: Request, ident: str) -> Response:
    """Acknowledge when no REST API is mounted (same library call as ``POST /api/v1/alerts/{id}/ack``)."""
    call = await _ui_write(request)
    if isinstance(call, JSONResponse):
        return call
    be, user, body = call
    from cultrade.monitor.alerts import acknowledge

    try:
        with be.write(request, request.state.principal) as rec:
            alert = acknowledge(be.store, ident, by=user.name, comment=str(body.get("comment") or ""))
            rec.detail = {"alert": alert.fingerprint, "acked_seq": alert.acked_seq}
    except CultradeError as exc:
        return JSONResponse(exc.to_dict(), status_code=404)
    return JSONResponse({"id": alert.fingerprint, "acked_seq": alert.acked_seq, "by": user.name})


@router.post("/ui/alerts/{ident}/silence")
async def ui_silence(request: Request, ident: str) -> Response:
    """Silence an alert's rule for its country when no REST API is mounted (the API's ``/silence`` otherwise)."""
    call = await _ui_write(request)
    if isinstance(call, JSONResponse):
        return call
    be, user, body = call
    from cultrade.monitor.alerts import find_alert, silence_alert

    try:
        hours = float(body.get("duration_hours") or 24)
        with be.write(request, request.state.principal) as rec:
            silence = silence_alert(be.store, find_alert(be.store, ident), author=user.name, hours=hours,
                                    reason=str(body.get("reason") or "silenced from the dashboard"))
            matchers = [str(m) for m in silence.matchers]
            rec.status, rec.detail = 201, {"alert": ident, "silence": silence.id, "matchers": matchers}
    except (CultradeError, ValueError) as exc:
        msg = exc.to_dict() if isinstance(exc, CultradeError) else {"error": "ValueError", "message": str(exc)}
        return JSONResponse(msg, status_code=422)
    return JSONResponse({"id": silence.id, "matchers": matchers, "ends_at": silence.ends_at.isoformat()},
                        status_code=201)


async def _ui_write(request: Request) -> tuple[ApiState, User, dict[str, Any]] | JSONResponse:
    """The state, the analyst making a dashboard write (CSRF-checked) and the JSON body; or the refusal."""
    be = backend(request.app.state)
    user = _ui_user(request, be, "analyst")
    if isinstance(user, JSONResponse):
        return user
    return be, user, await _json(request)


async def _json(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@router.get("/trade", response_class=HTMLResponse)
def trade_default(request: Request) -> Response:
    q = request.url.query
    return RedirectResponse("/trade/" + _perspective(request)["home"] + (f"?{q}" if q else ""), status_code=303)


@router.get("/trade/{iso3}", response_class=HTMLResponse)
def trade_page(request: Request, iso3: str) -> Response:
    t, be = translator(request), backend(request.app.state)
    user = current_user(request, be)
    if user is None:
        return _login_redirect(request)
    q = request.query_params
    if q.get("country") and q["country"].upper() != iso3.upper():
        rest = urlencode({k: v for k, v in q.items() if k != "country"})
        return RedirectResponse(f"/trade/{quote(q['country'].upper())}?{rest}", status_code=303)
    year = int(q["year"]) if (q.get("year") or "").isdigit() else None
    domain = q.get("domain") or None
    try:
        code = get_countries().to_iso3(iso3, "iso3")
        with be.lock:
            ctx = trade_data.trade_context(be.store, t, code, year, domain)
            years = trade_data.trade_years(be.store)
    except UnknownCountryError as exc:
        return _error_page(request, t, user, exc, 404)
    except CultradeError as exc:
        return _error_page(request, t, user, exc, 422)
    return render(request, "trade.html", t, user, nav="trade", tr=ctx, years=years, domain=domain,
                  countries=_countries(t), trade_domains=trade_data.domain_choices(t, ctx["scheme"]),
                  page={"charts": ctx["charts"]})


@router.get("/opportunities", response_class=HTMLResponse)
def opportunities_page(request: Request) -> Response:
    """Where to go next: the ranking of markets for a home country and a product type (map, table, frontier)."""
    t, be = translator(request), backend(request.app.state)
    user = current_user(request, be)
    if user is None:
        return _login_redirect(request)
    p = _perspective(request)
    domain = request.query_params.get("domain") or "general"
    try:
        with be.lock:
            ctx = markets_data.opportunities_context(be.store, t, p["home"], domain)
    except CultradeError as exc:
        return _error_page(request, t, user, exc, 422)
    from cultrade.classification import market_domain

    perspective = {"home": ctx["home"], "domain": market_domain(ctx["domain"]).risk_domain}
    return render(request, "opportunities.html", t, user, nav="opportunities", o=ctx, countries=_countries(t),
                  products=markets_data.product_options(t),
                  page={"charts": ctx["charts"], "perspective": perspective,
                        "topology": "/static/vendor/countries-110m.json", "m49": _m49()})


__all__ = ["ASSET_VERSION", "env", "router", "translator"]

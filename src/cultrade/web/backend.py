"""How the dashboard reaches the store and knows who is logged in, with or without the REST API in the process.

With the REST API (``cultrade.api.app.create_app``), ``app.state.api`` is its
:class:`~cultrade.api.state.ApiState`: the dashboard uses the same store, lock, sessions, failed-login backoff
and audit trail. Without it (tests, a dashboard-only app) ``app.state.web`` is an ApiState of its own around
a store (:func:`web_state`), so both apps check keys and sessions with the same code.

A browser is logged in by the session cookie ``cultrade_session`` (an opaque id: :mod:`cultrade.api.sessions`);
a script may send its key in ``Authorization: Bearer`` or ``X-API-Key`` instead.

>>> presented_key({"authorization": "Bearer ct_abc"}), presented_key({"x-api-key": "k"}), presented_key({})
('ct_abc', 'k', None)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from cultrade.api.errors import AuthError, RateLimitError
from cultrade.api.sessions import COOKIE
from cultrade.api.state import ApiState, AuditStore
from cultrade.settings import get_settings

SESSION_COOKIE = COOKIE
ROLES = ("viewer", "analyst", "admin")


@dataclass(frozen=True)
class User:
    """Who is logged in: the key's name and role, its id, and the session's CSRF token (None for a key header)."""

    name: str
    role: str
    key_id: str = ""
    csrf: str | None = None

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role) if self.role in ROLES else False


def web_state(store: AuditStore) -> ApiState:
    """The dashboard's own state around ``store`` when no REST API runs in the process."""
    return ApiState.around(store)


def backend(app_state: Any) -> ApiState:
    """The state (store, lock, sessions, audit) of the app whose ``state`` is ``app_state``."""
    api = getattr(app_state, "api", None)
    if api is not None:
        return api
    web = getattr(app_state, "web", None)
    if web is None:
        web = web_state(AuditStore(settings=get_settings()))
        app_state.web = web
    return web


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The API key a request sends in a header: Bearer, then X-API-Key."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and auth[7:].strip():
        return auth[7:].strip()
    return headers.get("x-api-key") or None


def current_user(request: Request, state: ApiState) -> User | None:
    """The logged-in user (key header or session cookie), or None. Raises ForbiddenError for a cookie write
    without its CSRF token; failed attempts count towards the backoff like the API's."""
    key = presented_key(request.headers)
    session_id = None if key else request.cookies.get(SESSION_COOKIE)
    if not key and not session_id:
        return None
    try:
        who = state.identify(request, key, session_id)
    except (AuthError, RateLimitError):
        return None
    request.state.principal = who
    return User(who.name, who.role, who.key_id, who.csrf)


__all__ = ["ROLES", "SESSION_COOKIE", "User", "backend", "current_user", "presented_key", "web_state"]

"""How the dashboard reaches the store and checks API keys, with or without the REST API in the process.

With the REST API (``cultrade.api.app.create_app``), ``app.state.api`` is its
:class:`~cultrade.api.state.ApiState`: the dashboard uses the same store, the
same lock (one DuckDB connection, one thread at a time) and the same key check,
and reads the same HttpOnly cookie ``cultrade_key`` that ``POST /api/v1/session``
sets. Without it (tests, a dashboard-only app) ``app.state.web`` is a
:class:`WebState` holding a store; keys are then checked against the same
``api_keys`` table with :func:`cultrade.api.keys.find_key`.

>>> presented({"authorization": "Bearer ct_abc"}, {}), presented({"x-api-key": "k"}, {"cultrade_key": "c"})
('ct_abc', 'k')
>>> presented({}, {"cultrade_key": "c"}), presented({}, {})
('c', None)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cultrade.settings import get_settings
from cultrade.store import Store

KEY_COOKIE = "cultrade_key"
ROLES = ("viewer", "analyst", "admin")


@dataclass(frozen=True)
class User:
    """Who is logged in: the key's name and role."""

    name: str
    role: str

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role) if self.role in ROLES else False


@dataclass
class WebState:
    """The dashboard's own store when no REST API state is present."""

    store: Store
    lock: threading.RLock = field(default_factory=threading.RLock)


@dataclass
class Backend:
    store: Store
    lock: threading.RLock
    check: Callable[[str], User | None]
    api: bool


def presented(headers: Mapping[str, str], cookies: Mapping[str, str]) -> str | None:
    """The key a request presents: Bearer, X-API-Key, then the session cookie."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and auth[7:].strip():
        return auth[7:].strip()
    return headers.get("x-api-key") or cookies.get(KEY_COOKIE) or None


def _check_in_store(store: Store, lock: threading.RLock) -> Callable[[str], User | None]:
    def check(key: str) -> User | None:
        try:
            from cultrade.api.keys import ensure_tables, find_key
        except ImportError:  # pragma: no cover - the API package ships with cultrade
            return None
        with lock:
            ensure_tables(store)
            found = find_key(store, key)
        if found is None or found.revoked_at is not None:
            return None
        return User(found.name, found.role)

    return check


def backend(app_state: Any) -> Backend:
    """The store, lock and key check of the app whose ``state`` is ``app_state``."""
    api = getattr(app_state, "api", None)
    if api is not None:
        def check(key: str) -> User | None:
            found = api.authenticate(key)
            return None if found is None else User(found.name, found.role)

        return Backend(api.store, api.lock, check, True)
    web = getattr(app_state, "web", None)
    if web is None:
        web = WebState(Store(settings=get_settings()))
        app_state.web = web
    return Backend(web.store, web.lock, _check_in_store(web.store, web.lock), False)


__all__ = ["KEY_COOKIE", "Backend", "User", "WebState", "backend", "presented"]

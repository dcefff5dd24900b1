"""What one API process holds: the store, a write lock, caches, and the audited write context.

FastAPI runs the plain ``def`` routes in a thread pool. Reads do not queue behind one another: each thread
reads through its own DuckDB cursor (:meth:`ApiState.reader`, a view of the same database that sees
committed data), so queries run side by side. Writes go through :attr:`ApiState.lock` and the store's own
connection, one at a time, each in a transaction. Risk indices, score tables, rank intervals, explanations,
trade profiles and serialised answers are cached (:class:`Cache`: a build blocks only requests for the same
key) and dropped by :meth:`ApiState.invalidate` after any write that changes them (risk overrides); the API
is the only writer while it runs, because DuckDB locks the store file for one process.

:meth:`ApiState.write` runs a write and its ``api_audit`` row in one transaction.
:class:`AuditStore` makes :meth:`~cultrade.store.Store.transaction` re-entrant, so
library functions that open their own transaction join the outer one.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio
import duckdb
from pydantic_core import to_json
from starlette.requests import Request
from starlette.responses import Response

from cultrade.api import keys as keystore
from cultrade.api import sessions
from cultrade.api.errors import AuthError, ForbiddenError, RateLimitError, status_for
from cultrade.api.ratelimit import FailedAuthLimiter
from cultrade.api.settings import ApiSettings
from cultrade.settings import Settings
from cultrade.store import Store

T = TypeVar("T")
KEY_TTL = 5.0


class AuditStore(Store):
    """A :class:`Store` whose ``transaction()`` nests: inner blocks join the outermost one."""

    _depth = 0

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._depth:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with super().transaction() as con:
                yield con
        finally:
            self._depth = 0


UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name and role; ``csrf`` is the session's token when a cookie logged in."""

    key_id: str
    name: str
    role: str
    csrf: str | None = None

    @property
    def via_session(self) -> bool:
        return self.csrf is not None


@dataclass
class WriteRecord:
    """Filled in by a route inside :meth:`ApiState.write`: the audit detail and the success status."""

    detail: Any = None
    status: int = 200


class Cache:
    """A small thread-safe LRU of computed values; a build holds up only the requests for its own key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._guard = threading.Lock()
        self._building: dict[Any, threading.Lock] = {}

    def get(self, key: Any, build: Callable[[], T]) -> T:
        hit = self._data.get(key)
        if hit is not None:
            return hit
        with self._guard:
            key_lock = self._building.setdefault(key, threading.Lock())
        with key_lock:
            if key in self._data:
                return self._data[key]
            value = build()
            with self._guard:
                self._data[key] = value
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
                self._building.pop(key, None)
            return value

    def peek(self, key: Any) -> Any:
        """The kept value for ``key``, or None (no build)."""
        return self._data.get(key)

    def clear(self) -> None:
        with self._guard:
            self._data.clear()


@dataclass
class ApiState:
    """The store and caches of one app; routes reach it as ``request.app.state.api``."""

    store: AuditStore
    settings: Settings
    api: ApiSettings
    rules_path: Path
    lock: threading.RLock = field(default_factory=threading.RLock)
    caches: dict[str, Cache] = field(default_factory=dict)
    limiter: FailedAuthLimiter = field(default_factory=FailedAuthLimiter)
    _touched: dict[str, float] = field(default_factory=dict)
    _keys: dict[str, tuple[float, keystore.ApiKey | None]] = field(default_factory=dict)
    _sessions: dict[str, tuple[float, sessions.Session]] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local)
    _views: list[Store] = field(default_factory=list)

    @classmethod
    def open(cls, store_path: str | Path | None, settings: Settings, api: ApiSettings,
             rules_path: Path | None = None, limiter: FailedAuthLimiter | None = None) -> ApiState:
        return cls.around(AuditStore(store_path, settings=settings), api, rules_path, limiter)

    @classmethod
    def around(cls, store: Store, api: ApiSettings | None = None, rules_path: Path | None = None,
               limiter: FailedAuthLimiter | None = None) -> ApiState:
        """The state over an open store (the dashboard without the REST API uses this too)."""
        api = api or ApiSettings()
        keystore.ensure_tables(store)
        if rules_path is None:
            import os

            env = os.environ.get("CULTRADE_MONITOR_RULES")
            rules_path = api.rules_path or (Path(env).expanduser() if env else store.settings.home / "rules.yaml")
        return cls(store, store.settings, api, rules_path,  # type: ignore[arg-type]
                   limiter=limiter or FailedAuthLimiter())

    def cache(self, name: str, size: int = 64) -> Cache:
        if name not in self.caches:
            self.caches[name] = Cache(size)
        return self.caches[name]

    def cached(self, name: str, key: Any, build: Callable[[], T], size: int = 64) -> T:
        return self.cache(name, size).get(key, build)

    def cached_json(self, name: str, key: Any, build: Callable[[], Any], size: int = 64) -> Response:
        """The answer ``build()`` makes (pydantic models), serialised once and kept like :meth:`cached`."""
        return Response(self.cached(name, key, lambda: to_json(build()), size), media_type="application/json")

    async def answer(self, name: str, key: Any, build: Callable[[], Any], size: int = 64) -> Response:
        """:meth:`cached_json` for ``async`` routes: a kept answer is served on the event loop (no worker thread);
        only a build goes to a worker thread."""
        body = self.cache(name, size).peek(key)
        if body is None:
            body = await anyio.to_thread.run_sync(lambda: self.cache(name, size).get(key, lambda: to_json(build())))
        return Response(body, media_type="application/json")

    def invalidate(self, *names: str) -> None:
        """Drop the named caches (all of them when none is named); ``"keys"`` is the key lookup cache."""
        with self.lock:
            if not names or "keys" in names:
                self._keys.clear()
                self._sessions.clear()
            for name, c in self.caches.items():
                if not names or name in names:
                    c.clear()

    def reader(self) -> Store:
        """This thread's read view of the store (its own DuckDB cursor: no lock, no queue)."""
        view: Store | None = getattr(self._local, "store", None)
        if view is None:
            view = self._local.store = self.store.cursor_view()
            with self.lock:
                self._views.append(view)
        return view

    @contextmanager
    def read(self) -> Iterator[Store]:
        yield self.reader()

    # -- authentication ------------------------------------------------------------------
    def authenticate(self, key: str) -> keystore.ApiKey | None:
        """The active key matching ``key`` (None if unknown or revoked); records last use (throttled).

        Lookups are cached for ``KEY_TTL`` seconds; revoking a key through the API
        drops the cache at once (no other process can write the store meanwhile).
        """
        digest = keystore.hash_key(key)
        now = time.monotonic()
        hit = self._keys.get(digest)
        if hit is not None and now - hit[0] < KEY_TTL:
            found: keystore.ApiKey | None = hit[1]
        else:
            found = keystore.find_key(self.reader(), key)
            if found is not None:  # unknown keys are not cached: random guesses must not fill memory
                if len(self._keys) > 10_000:
                    self._keys.clear()
                self._keys[digest] = (now, found)
        if found is None or found.revoked_at is not None:
            return None
        if now - self._touched.get(found.id, -1e18) >= self.api.last_used_resolution:
            self._touched[found.id] = now
            with self.lock:
                keystore.touch_key(self.store, found.id)
        return found

    def session(self, session_id: str) -> sessions.Session | None:
        """The open session with this id (cached for ``KEY_TTL`` s; logout and revocation drop the cache)."""
        digest = keystore.hash_key(session_id)
        now = time.monotonic()
        hit = self._sessions.get(digest)
        if hit is not None and now - hit[0] < KEY_TTL:
            return hit[1]
        found = sessions.find_session(self.reader(), session_id)
        if found is not None:
            if len(self._sessions) > 10_000:
                self._sessions.clear()
            self._sessions[digest] = (now, found)
        return found

    def identify(self, request: Request, key: str | None, session_id: str | None) -> Principal:
        """Who sends ``request`` with this key (header) or session id (cookie); failures are rate limited.

        Raises :class:`AuthError` (nothing valid), :class:`RateLimitError` (too many failures from this client or
        for this key prefix: the secret is not even looked up) or :class:`ForbiddenError` (a cookie-authenticated
        write without the session's CSRF token).
        """
        secret = key or session_id
        if not secret:
            raise AuthError("an API key is required", hint="send Authorization: Bearer <key>, X-API-Key: <key>, or "
                            "log in with POST /api/v1/session; admins create keys with `cultrade keys create`")
        client = request.client.host if request.client else ""
        wait = self.limiter.wait(client, secret)
        if wait > 0:
            raise RateLimitError(wait)
        csrf = None
        if key:
            found = self.authenticate(key)
        else:
            session = self.session(secret)
            found, csrf = (session.key, session.csrf) if session else (None, None)
            if session and request.method in UNSAFE and not session.csrf_ok(
                    request.headers.get(sessions.CSRF_HEADER)):
                raise ForbiddenError(f"a write with the session cookie needs its {sessions.CSRF_HEADER} header",
                                     hint="send the token POST /api/v1/session returned, or use an API key header")
        if found is None:
            self.limiter.failed(client, secret)
            raise AuthError("unknown or revoked API key" if key else "the session has ended or expired",
                            hint="ask an admin for a valid key (`cultrade keys list`)" if key else "log in again")
        self.limiter.succeeded(secret)
        return Principal(found.id, found.name, found.role, csrf)

    def login(self, request: Request, key: str) -> tuple[Principal, sessions.OpenedSession]:
        """Open a session for ``key`` (rate limited like every authentication) and audit the log-in."""
        client = request.client.host if request.client else ""
        wait = self.limiter.wait(client, key)
        if wait > 0:
            raise RateLimitError(wait)
        found = self.authenticate(key)
        if found is None:
            self.limiter.failed(client, key)
            error = AuthError("unknown or revoked API key", hint="ask an admin for a valid key")
            self.audit_outside(request, None, 401, str(error))
            raise error
        self.limiter.succeeded(key)
        with self.lock, self.store.transaction():
            opened = sessions.open_session(self.store, found.id, max_age=self.api.cookie_max_age)
            principal = Principal(found.id, found.name, found.role, opened.csrf)
            self._audit(request, principal, 200, "login")
        request.state.audited = True
        return principal, opened

    def logout(self, request: Request, session_id: str | None, principal: Principal | None) -> None:
        """End the session (if any) and audit the log-out."""
        with self.lock, self.store.transaction():
            ended = sessions.end_session(self.store, session_id) if session_id else False
            self._audit(request, principal, 204, "logout" if ended else "logout (no open session)")
            self._sessions.clear()
        request.state.audited = True

    # -- audited writes -----------------------------------------------------------------
    @contextmanager
    def write(self, request: Request, principal: Principal | None, *,
              invalidate: tuple[str, ...] = ()) -> Iterator[WriteRecord]:
        """Run a write and its audit row in one transaction; a failed write is audited on its own."""
        rec = WriteRecord()
        with self.lock:
            try:
                with self.store.transaction():
                    yield rec
                    self._audit(request, principal, rec.status, rec.detail)
            except BaseException as exc:
                self.audit_outside(request, principal, status_for(exc), str(exc))
                raise
            finally:
                if invalidate:
                    self.invalidate(*invalidate)
        request.state.audited = True

    def _audit(self, request: Request, principal: Principal | None, status: int, detail: Any) -> None:
        keystore.audit(self.store, method=request.method, path=request.url.path, status=status,
                       key_id=principal.key_id if principal else None, key_name=principal.name if principal else None,
                       role=principal.role if principal else None, detail=detail)

    def audit_outside(self, request: Request, principal: Principal | None, status: int, detail: Any) -> None:
        """An audit row in its own transaction (refused or failed requests)."""
        with self.lock, self.store.transaction():
            self._audit(request, principal, status, detail)
        request.state.audited = True

    def close(self) -> None:
        with self.lock:
            for view in self._views:
                view.close()
            self.store.close()


__all__ = ["UNSAFE", "ApiState", "AuditStore", "Cache", "Principal", "WriteRecord"]

"""What one API process holds: the store, a lock, caches, and the audited write context.

DuckDB connections must not be used by two threads at once, so every use of the
store goes through :attr:`ApiState.lock` (FastAPI runs the plain ``def`` routes
in a thread pool). Risk indices, score tables, rank intervals, explanations and
trade profiles are cached and dropped by :meth:`ApiState.invalidate` after any
write that changes them (risk overrides); the API is the only writer while it
runs, because DuckDB locks the store file for one process.

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

import duckdb
from starlette.requests import Request

from cultrade.api import keys as keystore
from cultrade.api.errors import status_for
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


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name and role."""

    key_id: str
    name: str
    role: str


@dataclass
class WriteRecord:
    """Filled in by a route inside :meth:`ApiState.write`: the audit detail and the success status."""

    detail: Any = None
    status: int = 200


class Cache:
    """A small thread-safe LRU of computed values."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any, build: Callable[[], T], lock: threading.RLock) -> T:
        hit = self._data.get(key)
        if hit is not None:
            return hit
        with lock:
            if key in self._data:
                return self._data[key]
            value = build()
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)
            return value

    def clear(self) -> None:
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
    _touched: dict[str, float] = field(default_factory=dict)
    _keys: dict[str, tuple[float, keystore.ApiKey | None]] = field(default_factory=dict)

    @classmethod
    def open(cls, store_path: str | Path | None, settings: Settings, api: ApiSettings,
             rules_path: Path | None = None) -> ApiState:
        store = AuditStore(store_path, settings=settings)
        keystore.ensure_tables(store)
        if rules_path is None:
            import os

            env = os.environ.get("CULTRADE_MONITOR_RULES")
            rules_path = api.rules_path or (Path(env).expanduser() if env else settings.home / "rules.yaml")
        return cls(store, settings, api, rules_path)

    def cache(self, name: str, size: int = 64) -> Cache:
        if name not in self.caches:
            self.caches[name] = Cache(size)
        return self.caches[name]

    def cached(self, name: str, key: Any, build: Callable[[], T], size: int = 64) -> T:
        return self.cache(name, size).get(key, build, self.lock)

    def invalidate(self, *names: str) -> None:
        """Drop the named caches (all of them when none is named); ``"keys"`` is the key lookup cache."""
        with self.lock:
            if not names or "keys" in names:
                self._keys.clear()
            for name, c in self.caches.items():
                if not names or name in names:
                    c.clear()

    @contextmanager
    def read(self) -> Iterator[Store]:
        with self.lock:
            yield self.store

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
            with self.lock:
                found = keystore.find_key(self.store, key)
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
                       key_id=principal.key_id if principal else None,
                       role=principal.role if principal else None, detail=detail)

    def audit_outside(self, request: Request, principal: Principal | None, status: int, detail: Any) -> None:
        """An audit row in its own transaction (refused or failed requests)."""
        with self.lock, self.store.transaction():
            self._audit(request, principal, status, detail)
        request.state.audited = True

    def close(self) -> None:
        with self.lock:
            self.store.close()


__all__ = ["ApiState", "AuditStore", "Cache", "Principal", "WriteRecord"]

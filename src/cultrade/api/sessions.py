"""Server-side login sessions: an opaque random id in the cookie, never the API key.

Logging in with a key (``POST /api/v1/session`` or the dashboard's form) opens a session: a random
256-bit id (``secrets.token_urlsafe(32)``) goes to the browser in the HttpOnly cookie :data:`COOKIE`; the
store keeps only its SHA-256 digest (like keys: an unguessable random secret needs no salt or stretching),
the key's id, a CSRF token, and the times it was opened, expires and ended. A session is valid while it
has not expired, has not been ended, and its key is not revoked, so:

* logging out ends it (the old cookie then gets 401);
* revoking the key ends all its sessions, whatever process revokes it (the key check is in the same lookup);
* a stolen store file gives no usable cookie.

Every cookie-authenticated write must send the session's CSRF token in the ``X-CSRF-Token`` header
(:data:`CSRF_HEADER`); keys sent in a header are not ambient credentials and need none.

>>> from cultrade.store import Store
>>> from cultrade.api.keys import create_key, revoke_key
>>> store = Store(":memory:")
>>> key = create_key(store, "alice", "analyst")
>>> opened = open_session(store, key.id, max_age=3600)
>>> found = find_session(store, opened.id)
>>> (found.key.name, found.csrf == opened.csrf)
('alice', True)
>>> _ = revoke_key(store, key.id)
>>> find_session(store, opened.id) is None
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cultrade.store import Store

COOKIE = "cultrade_session"
CSRF_HEADER = "X-CSRF-Token"
SESSIONS_TABLE = "api_sessions"
_DDL = f"""CREATE TABLE IF NOT EXISTS {SESSIONS_TABLE} (
    id_hash VARCHAR PRIMARY KEY, key_id VARCHAR NOT NULL, csrf VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL, ended_at TIMESTAMP)"""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


def ensure_table(store: Store) -> None:
    store.con.execute(_DDL)


@dataclass(frozen=True)
class OpenedSession:
    """A new session: the id for the cookie and the CSRF token exist only here and in the browser."""

    id: str
    csrf: str
    expires_at: datetime


@dataclass(frozen=True)
class Session:
    """A valid session found by its id: the key it logs in as and its CSRF token."""

    key: Any  # cultrade.api.keys.ApiKey (not imported: keys imports this module to end sessions)
    csrf: str
    expires_at: datetime

    def csrf_ok(self, presented: str | None) -> bool:
        """Constant-time comparison of a presented CSRF token with the session's."""
        return bool(presented) and hmac.compare_digest(self.csrf.encode(), str(presented).encode())


def open_session(store: Store, key_id: str, *, max_age: int) -> OpenedSession:
    """Open a session for the key ``key_id`` lasting ``max_age`` seconds."""
    ensure_table(store)
    sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = _now().replace(microsecond=0)
    expires = now + timedelta(seconds=max_age)
    store.con.execute(f"INSERT INTO {SESSIONS_TABLE} VALUES (?, ?, ?, ?, ?, NULL)",
                      [_digest(sid), key_id, csrf, now, expires])
    return OpenedSession(sid, csrf, expires)


def find_session(store: Store, session_id: str, *, now: datetime | None = None) -> Session | None:
    """The session with this id if it is open, unexpired and its key is active; else None."""
    from cultrade.api.keys import KEYS_TABLE, key_columns, key_row

    if not session_id or len(session_id) > 200:
        return None
    row = store.con.execute(
        f"SELECT s.csrf, s.expires_at, {key_columns('k')} FROM {SESSIONS_TABLE} s JOIN {KEYS_TABLE} k "
        "ON k.id = s.key_id WHERE s.id_hash = ? AND s.ended_at IS NULL AND s.expires_at > ? "
        "AND k.revoked_at IS NULL", [_digest(session_id), now or _now()]).fetchone()
    if row is None:
        return None
    return Session(key_row(row[2:]), str(row[0]), row[1])


def end_session(store: Store, session_id: str) -> bool:
    """End one session (logout); True if it was open."""
    ensure_table(store)
    found = store.con.execute(f"UPDATE {SESSIONS_TABLE} SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL "
                              "RETURNING key_id", [_now(), _digest(session_id)]).fetchall()
    return bool(found)


def end_key_sessions(store: Store, key_id: str) -> int:
    """End every open session of a key (on revocation); returns how many."""
    ensure_table(store)
    return len(store.con.execute(f"UPDATE {SESSIONS_TABLE} SET ended_at = ? WHERE key_id = ? AND ended_at IS NULL "
                                 "RETURNING key_id", [_now(), key_id]).fetchall())


__all__ = ["COOKIE", "CSRF_HEADER", "SESSIONS_TABLE", "OpenedSession", "Session", "end_key_sessions",
           "end_session", "ensure_table", "find_session", "open_session"]

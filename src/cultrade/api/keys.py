"""API keys and the API audit trail, in the store tables ``api_keys`` and ``api_audit``.

A key is ``ct_`` + ``secrets.token_urlsafe(32)`` (256 random bits), shown once at
creation. The store keeps only its SHA-256 hex digest. A salted slow hash
(scrypt, bcrypt) protects *guessable* secrets such as passwords; a 256-bit random
key cannot be guessed or brute-forced whatever the hash, so salting and
stretching would add nothing but cost (scrypt: tens of ms on every request) and
would rule out the indexed lookup ``WHERE hash = ?`` that a per-key salt prevents.

Roles are ordered: ``viewer`` (read) < ``analyst`` (also watchlists,
acknowledgements, silences, risk overrides) < ``admin`` (also rules and keys).

>>> from cultrade.store import Store
>>> store = Store(":memory:")
>>> created = create_key(store, "demo", "analyst")
>>> created.key.startswith("ct_"), len(created.key) > 40
(True, True)
>>> found = find_key(store, created.key)
>>> (found.name, found.role, found.revoked_at is None)
('demo', 'analyst', True)
>>> revoke_key(store, created.id).revoked_at is not None
True
>>> find_key(store, "ct_not-a-key") is None
True
>>> role_at_least("admin", "analyst"), role_at_least("viewer", "analyst")
(True, False)
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

import pandas as pd

from cultrade.errors import ConfigError
from cultrade.store import Store

Role = Literal["viewer", "analyst", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
KEY_PREFIX = "ct_"
KEYS_TABLE = "api_keys"
AUDIT_TABLE = "api_audit"

_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {KEYS_TABLE} (
        id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, role VARCHAR NOT NULL, hash VARCHAR NOT NULL UNIQUE,
        created_at TIMESTAMP NOT NULL, revoked_at TIMESTAMP, last_used_at TIMESTAMP)""",
    "CREATE SEQUENCE IF NOT EXISTS api_audit_ids",
    f"""CREATE TABLE IF NOT EXISTS {AUDIT_TABLE} (
        id BIGINT PRIMARY KEY DEFAULT nextval('api_audit_ids'), "at" TIMESTAMP NOT NULL, key_id VARCHAR,
        role VARCHAR, method VARCHAR NOT NULL, path VARCHAR NOT NULL, status INTEGER NOT NULL, detail VARCHAR)""",
    # Stores made before the key's name was recorded beside its id.
    f"ALTER TABLE {AUDIT_TABLE} ADD COLUMN IF NOT EXISTS key_name VARCHAR",
)
_COLUMNS = ("id", "name", "role", "created_at", "revoked_at", "last_used_at")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def hash_key(key: str) -> str:
    """SHA-256 hex digest of a key (what the store keeps)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}", hint=f"use one of {', '.join(ROLES)}")
    return role


def role_at_least(role: str, needed: str) -> bool:
    """True when ``role`` may do what ``needed`` may."""
    return ROLES.index(check_role(role)) >= ROLES.index(check_role(needed))


def ensure_tables(store: Store) -> None:
    """Create ``api_keys``, ``api_audit`` and ``api_sessions`` if missing (idempotent)."""
    from cultrade.api.sessions import ensure_table

    for ddl in _DDL:
        store.con.execute(ddl)
    ensure_table(store)


def key_columns(alias: str = "") -> str:
    """The SELECT list of a stored key (for :func:`key_row`), optionally qualified by a table alias."""
    return ", ".join(f"{alias}.{c}" if alias else c for c in _COLUMNS)


@dataclass(frozen=True)
class ApiKey:
    """A stored key (never the secret itself)."""

    id: str
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class CreatedKey(ApiKey):
    """A new key with its secret, which exists only in this object."""

    key: str = ""


def key_row(values: tuple[Any, ...]) -> ApiKey:
    """An :class:`ApiKey` from a row selected with :func:`key_columns`."""
    return ApiKey(*values)


def create_key(store: Store, name: str, role: str) -> CreatedKey:
    """Make a random key for ``name`` with ``role``; the secret is returned once and stored hashed."""
    if not name.strip():
        raise ConfigError("an API key needs a name", hint="say who or what uses it, e.g. --name dashboard")
    check_role(role)
    ensure_tables(store)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    created = CreatedKey(secrets.token_hex(6), name.strip(), role, _now().replace(microsecond=0), key=key)
    store.con.execute(f"INSERT INTO {KEYS_TABLE} VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                      [created.id, created.name, role, hash_key(key), created.created_at])
    return created


def list_keys(store: Store, *, include_revoked: bool = True) -> list[ApiKey]:
    ensure_tables(store)
    where = "" if include_revoked else "WHERE revoked_at IS NULL"
    rows = store.con.execute(f"SELECT {', '.join(_COLUMNS)} FROM {KEYS_TABLE} {where} ORDER BY created_at, id")
    return [key_row(r) for r in rows.fetchall()]


def get_key(store: Store, key_id: str) -> ApiKey | None:
    ensure_tables(store)
    row = store.con.execute(f"SELECT {', '.join(_COLUMNS)} FROM {KEYS_TABLE} WHERE id = ?", [key_id]).fetchone()
    return key_row(row) if row else None


def find_key(store: Store, key: str) -> ApiKey | None:
    """The stored key whose hash matches ``key`` (revoked ones too: the caller decides), or None."""
    if not key:
        return None
    row = store.con.execute(f"SELECT {', '.join(_COLUMNS)} FROM {KEYS_TABLE} WHERE hash = ?",
                            [hash_key(key)]).fetchone()
    return key_row(row) if row else None


def revoke_key(store: Store, key_id: str) -> ApiKey:
    """Revoke a key for good (it stays listed with ``revoked_at``)."""
    ensure_tables(store)
    found = get_key(store, key_id)
    if found is None:
        from cultrade.api.errors import NotFoundError

        raise NotFoundError(f"no API key with id {key_id!r}", hint="list them with `cultrade keys list`")
    if found.revoked_at is None:
        from cultrade.api.sessions import end_key_sessions

        store.con.execute(f"UPDATE {KEYS_TABLE} SET revoked_at = ? WHERE id = ?", [_now(), key_id])
        end_key_sessions(store, key_id)
    return get_key(store, key_id) or found


def touch_key(store: Store, key_id: str, at: datetime | None = None) -> None:
    store.con.execute(f"UPDATE {KEYS_TABLE} SET last_used_at = ? WHERE id = ?", [at or _now(), key_id])


def audit(store: Store, *, method: str, path: str, status: int, key_id: str | None = None,
          role: str | None = None, detail: Any = None, key_name: str | None = None) -> None:
    """Append one row to ``api_audit`` (call inside the write's transaction when there is one)."""
    text = detail if isinstance(detail, str) or detail is None else json.dumps(detail, default=str,
                                                                                ensure_ascii=False)
    store.con.execute(f'INSERT INTO {AUDIT_TABLE} ("at", key_id, key_name, role, method, path, status, detail) '
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      [_now(), key_id, key_name, role, method, path, int(status), text])


def audit_local(store: Store, command: str, detail: Any = None) -> None:
    """Audit a write made by the local command line (no key: the operating-system user and role ``local``)."""
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (containers)
        user = "unknown"
    ensure_tables(store)
    audit(store, method="CLI", path=command, status=0, key_name=f"cli:{user}", role="local", detail=detail)


def audit_frame(store: Store, *, key_id: str | None = None, method: str | None = None,
                limit: int = 100, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """A page of the audit trail, newest first, and the total number of matching rows."""
    ensure_tables(store)
    where, params = ["TRUE"], []
    if key_id:
        where.append("key_id = ?")
        params.append(key_id)
    if method:
        where.append("method = ?")
        params.append(method.upper())
    cond = " AND ".join(where)
    total_row = store.con.execute(f"SELECT count(*) FROM {AUDIT_TABLE} WHERE {cond}", params).fetchone()
    page = store.con.execute(f"SELECT * FROM {AUDIT_TABLE} WHERE {cond} ORDER BY id DESC LIMIT ? OFFSET ?",
                             [*params, int(limit), int(offset)]).df()
    return page, int(total_row[0]) if total_row else 0


__all__ = ["AUDIT_TABLE", "KEYS_TABLE", "ROLES", "ApiKey", "CreatedKey", "Role", "audit", "audit_frame",
           "audit_local", "check_role", "create_key", "ensure_tables", "find_key", "get_key", "hash_key",
           "key_columns", "key_row", "list_keys", "revoke_key", "role_at_least", "touch_key"]

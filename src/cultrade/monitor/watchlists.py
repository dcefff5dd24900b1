"""Watchlists: which enterprise wants which alerts, and where they go.

A watchlist is countries × domains × a minimum severity, with receivers:
``webhook:https://host/path``, ``email:ops@example.org`` or ``log``. An alert
goes to a watchlist when its ``iso3`` is listed (an empty list means every
country), its ``domain`` label (risk alerts carry one; others have none and match
any domain) is listed (empty = every domain) and its severity is at least the
minimum. An alert no watchlist takes goes to the log, so nothing is dropped.

>>> w = Watchlist.create("acme", countries=["irn", "TUR"], domains=["games"], min_severity="warning",
...                      receivers=["webhook:http://127.0.0.1:9/hook", "log"])
>>> w.wants({"iso3": "IRN", "severity": "critical"}), w.wants({"iso3": "IRN", "severity": "info"})
(True, False)
>>> w.wants({"iso3": "IRN", "severity": "warning", "domain": "film_tv"})
False
>>> route([w], {"iso3": "FRA", "severity": "critical"})
['log']
>>> parse_receiver("email:ops@example.org")
('email', 'ops@example.org')
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from cultrade.errors import ConfigError
from cultrade.monitor.alerts import ensure_schema, utcnow
from cultrade.monitor.rules import check, severity_rank
from cultrade.store import Store

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_RECEIVER = "log"


def parse_receiver(text: str) -> tuple[str, str]:
    """``(kind, target)`` of a receiver string, validated."""
    kind, _, target = text.partition(":")
    check("receiver kind", kind)
    if kind == "webhook" and not re.match(r"^https?://\S+$", target):
        raise ConfigError(f"bad webhook receiver {text!r}", hint="write webhook:https://host/path")
    if kind == "email" and not _EMAIL.match(target):
        raise ConfigError(f"bad e-mail receiver {text!r}", hint="write email:name@example.org")
    return kind, target


@dataclass(frozen=True)
class Watchlist:
    id: str
    enterprise: str
    countries: tuple[str, ...]
    domains: tuple[str, ...]
    min_severity: str
    receivers: tuple[str, ...]
    created_at: datetime | None = None

    @classmethod
    def create(cls, enterprise: str, *, countries: Iterable[str] = (), domains: Iterable[str] = (),
               min_severity: str = "warning", receivers: Sequence[str] = (DEFAULT_RECEIVER,),
               id: str | None = None) -> Watchlist:
        if not enterprise.strip():
            raise ConfigError("a watchlist needs an enterprise name", hint="pass the enterprise's name")
        check("severity", min_severity)
        for r in receivers:
            parse_receiver(r)
        if not receivers:
            raise ConfigError("a watchlist needs at least one receiver", hint="pass --receiver webhook:URL, "
                              "--receiver email:ADDRESS or --receiver log")
        codes = tuple(sorted({c.strip().upper() for c in countries if c.strip()}))
        bad = [c for c in codes if not re.fullmatch(r"[A-Z]{3}", c)]
        if bad:
            raise ConfigError(f"not ISO3 codes: {', '.join(bad)}", hint="use three-letter codes such as IRN")
        return cls(id or uuid.uuid4().hex[:8], enterprise.strip(), codes, tuple(sorted(set(domains))),
                   min_severity, tuple(dict.fromkeys(receivers)), utcnow())

    def wants(self, labels: dict[str, str]) -> bool:
        if self.countries and labels.get("iso3") not in self.countries:
            return False
        domain = labels.get("domain")
        if self.domains and domain is not None and domain not in self.domains:
            return False
        return severity_rank(labels.get("severity", "warning")) >= severity_rank(self.min_severity)


def route(watchlists: Sequence[Watchlist], labels: dict[str, str]) -> list[str]:
    """The receivers an alert with ``labels`` goes to (the log when no watchlist takes it)."""
    out: dict[str, None] = {}
    for w in watchlists:
        if w.wants(labels):
            out.update(dict.fromkeys(w.receivers))
    return list(out) or [DEFAULT_RECEIVER]


def add_watchlist(store: Store, watchlist: Watchlist) -> Watchlist:
    ensure_schema(store)
    with store.transaction() as con:
        con.execute("INSERT INTO watchlists VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [watchlist.id, watchlist.enterprise, list(watchlist.countries), list(watchlist.domains),
                     watchlist.min_severity, list(watchlist.receivers), watchlist.created_at])
    return watchlist


def load_watchlists(store: Store, enterprise: str | None = None) -> list[Watchlist]:
    ensure_schema(store)
    rows = store.con.execute("SELECT * FROM watchlists ORDER BY enterprise, created_at").fetchall()
    out = [Watchlist(r[0], r[1], tuple(r[2] or ()), tuple(r[3] or ()), r[4], tuple(r[5]), r[6]) for r in rows]
    return [w for w in out if enterprise is None or w.enterprise == enterprise]


def remove_watchlist(store: Store, watchlist_id: str) -> None:
    ensure_schema(store)
    if not any(w.id == watchlist_id for w in load_watchlists(store)):
        raise ConfigError(f"no watchlist with id {watchlist_id!r}", hint="see `cultrade alerts watchlist list`")
    with store.transaction() as con:
        con.execute("DELETE FROM watchlists WHERE id = ?", [watchlist_id])


def watchlist_frame(watchlists: Sequence[Watchlist]) -> pd.DataFrame:
    return pd.DataFrame([{"id": w.id, "enterprise": w.enterprise, "countries": ", ".join(w.countries) or "all",
                          "domains": ", ".join(w.domains) or "all", "min_severity": w.min_severity,
                          "receivers": ", ".join(w.receivers)} for w in watchlists],
                        columns=["id", "enterprise", "countries", "domains", "min_severity", "receivers"])


__all__ = ["DEFAULT_RECEIVER", "Watchlist", "add_watchlist", "load_watchlists", "parse_receiver",
           "remove_watchlist", "route", "watchlist_frame"]

"""Library functions the API needs and the packages do not have yet: store queries behind thin routes.

>>> frame = list_countries(region="East Asia & Pacific", q="china")
>>> frame["iso3"].tolist()
['CHN']
>>> page(frame, limit=10, offset=0)[1]
1
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import duckdb
import ibis
import numpy as np
import pandas as pd

from cultrade.api.errors import NotFoundError
from cultrade.api.schemas import utc
from cultrade.countries import get_countries
from cultrade.errors import StoreError
from cultrade.monitor.alerts import AlertState, Silence, list_alerts, load_alerts, load_silences
from cultrade.sources.loading import summarise
from cultrade.store import INDICATOR_VIEW, Store


def _plain(value: Any) -> Any:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return utc(value).isoformat()  # every timestamp served carries its offset
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, np.ndarray | list | tuple):
        return [_plain(v) for v in value]
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: NaN/NaT/NA → None, timestamps → ISO 8601 in UTC with the offset (the store keeps naive
    UTC), numpy scalars → Python (floats exact).

    >>> records(pd.DataFrame({"a": [1.0, float("nan")], "t": pd.to_datetime(["2025-01-02", None])}))
    [{'a': 1.0, 't': '2025-01-02T00:00:00+00:00'}, {'a': None, 't': None}]
    """
    if df.empty:
        return []
    cols = [str(c) for c in df.columns]
    return [{c: _plain(v) for c, v in zip(cols, row, strict=True)} for row in df.itertuples(index=False, name=None)]


def page(df: pd.DataFrame, limit: int, offset: int) -> tuple[pd.DataFrame, int]:
    """Rows ``offset .. offset+limit`` of ``df`` and the total row count."""
    return df.iloc[offset:offset + limit], len(df)


# -- countries ---------------------------------------------------------------------------------
def list_countries(*, region: str | None = None, income: str | None = None, q: str | None = None,
                   include_historical: bool = False) -> pd.DataFrame:
    """The country reference (iso3, iso2, m49, name, name_zh, region, income, historical), filtered."""
    t = get_countries().table.reset_index(drop=True)
    t = t[["iso3", "iso2", "m49", "name", "name_zh", "region", "income", "historical"]]
    if not include_historical:
        t = t[~t["historical"]]
    if region:
        t = t[t["region"].str.casefold() == region.casefold()]
    if income:
        t = t[t["income"].str.casefold() == income.casefold()]
    if q:
        needle = q.casefold()
        t = t[t["name"].str.casefold().str.contains(needle, regex=False)
              | t["name_zh"].str.contains(q, regex=False) | (t["iso3"] == q.upper())]
    return t.sort_values("iso3").reset_index(drop=True)


# -- indicators --------------------------------------------------------------------------------
def _indicators(store: Store) -> ibis.Table:
    if not store.has_table(INDICATOR_VIEW):
        raise StoreError("no indicators are loaded", hint="run `cultrade init` to load the bundled snapshot")
    return store.table(INDICATOR_VIEW)


def sources_overview(store: Store) -> pd.DataFrame:
    """One row per loaded source: licence, publisher, vintage, files, rows, and indicator coverage."""
    s = summarise(store)
    cols = ["source", "licence", "publisher", "vintage", "files", "rows", "indicators", "countries", "first_year",
            "last_year"]
    if s.catalog.empty:
        return pd.DataFrame(columns=cols)
    cat = (s.catalog.groupby("source", as_index=False)
           .agg(licence=("licence", "first"), publisher=("publisher", "first"), vintage=("vintage", "max"),
                files=("partition", "count"), rows=("rows", "sum")))
    cov = s.indicator_coverage.drop(columns=["rows"], errors="ignore")
    out = cat.merge(cov, on="source", how="left")
    for c in cols:
        if c not in out.columns:
            out[c] = None
    return out[cols].sort_values("source").reset_index(drop=True)


def list_indicators(store: Store, *, source: str | None = None, q: str | None = None) -> pd.DataFrame:
    """Every (source, indicator) in the ``indicators`` view with its country and year coverage."""
    t = _indicators(store)
    if source:
        t = t.filter(t.source == source)
    if q:
        t = t.filter(t.indicator.lower().contains(q.lower()))
    agg = t.group_by(["source", "indicator"]).aggregate(
        countries=t.iso3.nunique(), first_year=t.year.min(), last_year=t.year.max(), rows=t.count())
    return agg.order_by(["source", "indicator"]).execute()


def indicator_values(store: Store, *, iso3: Sequence[str] = (), indicator: Sequence[str] = (),
                     source: str | None = None, year_from: int | None = None, year_to: int | None = None,
                     limit: int = 100, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """A page of indicator values (source, iso3, year, indicator, value) and the number of matching rows.

    One parameterised query (the total rides along as a window count): building and compiling the same
    query as an Ibis expression cost ~50 ms of Python per call, the query itself ~2 ms.
    """
    if not store.has_table(INDICATOR_VIEW):
        raise StoreError("no indicators are loaded", hint="run `cultrade init` to load the bundled snapshot")
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    for column, values in (("iso3", [c.upper() for c in iso3]), ("indicator", list(indicator))):
        if values:
            where.append(f"{column} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(values)
    for condition, value in (("source = ?", source), ("year >= ?", year_from), ("year <= ?", year_to)):
        if value is not None:
            where.append(condition)
            params.append(value)
    cond = " AND ".join(where)
    rows = store.con.execute(
        f"SELECT source, iso3, year, indicator, value, count(*) OVER () AS total FROM {INDICATOR_VIEW} "
        f"WHERE {cond} ORDER BY source, indicator, iso3, year LIMIT ? OFFSET ?", [*params, limit, offset]).df()
    if not rows.empty:
        return rows.drop(columns="total"), int(rows["total"].iloc[0])
    counted = store.con.execute(f"SELECT count(*) FROM {INDICATOR_VIEW} WHERE {cond}", params).fetchone()
    return rows.drop(columns="total"), int(counted[0]) if counted else 0


# -- alerts ------------------------------------------------------------------------------------
def alerts_table(store: Store, *, state: str | None = None, country: str | None = None,
                 severity: str | None = None, rule: str | None = None,
                 include_inactive: bool = False) -> pd.DataFrame:
    """:func:`cultrade.monitor.alerts.list_alerts` with severity and rule filters, labels parsed."""
    df = list_alerts(store, state=state, country=country, include_inactive=include_inactive)
    if severity:
        df = df[df["severity"] == severity]
    if rule:
        df = df[df["rule"] == rule]
    df = df.assign(labels=df["labels"].map(json.loads)) if not df.empty else df
    return df.reset_index(drop=True)


def alerts_version(store: Store) -> tuple[Any, ...] | None:
    """A cheap stamp that changes whenever an alert or acknowledgement is written (None: no alert tables).

    Every write of an alert row sets ``last_eval_at``, every transition bumps ``seq``,
    value changes move Σ value, and every acknowledgement adds an ``alert_acks`` row
    and sets ``acked_seq``, so cached alert lists keyed by this stamp are not stale.
    """
    try:
        row = store.con.execute(
            "SELECT (SELECT [count(*), sum(seq), sum(acked_seq), sum(value)]::VARCHAR || max(last_eval_at) "
            "FROM alerts), (SELECT count(*) FROM alert_acks)").fetchone()
    except duckdb.Error:
        return None
    return tuple(row) if row else None


def signals_version(store: Store) -> tuple[Any, ...]:
    """A cheap stamp that changes whenever signals are written (rows and the last write)."""
    from cultrade.monitor.signals import SIGNALS_TABLE

    try:
        row = store.con.execute(f"SELECT count(*), max(updated_at) FROM {SIGNALS_TABLE}").fetchone()
    except duckdb.CatalogException:
        return ("no signals table",)
    return tuple(row) if row else ("no signals table",)


def get_alert(store: Store, ident: str) -> AlertState:
    """The alert with this id (fingerprint, or a unique prefix of at least 6 characters); else 404."""
    ident = ident.lower()
    alerts = load_alerts(store)
    if ident in alerts:
        return alerts[ident]
    hits = [a for fp, a in alerts.items() if len(ident) >= 6 and fp.startswith(ident)]
    if len(hits) != 1:
        raise NotFoundError(f"no alert with id {ident!r}", hint="use an id from GET /api/v1/alerts")
    return hits[0]


def alert_silences(store: Store, alert: AlertState) -> list[Silence]:
    """The active silences that mute ``alert`` now."""
    from cultrade.monitor.alerts import utcnow

    now = utcnow()
    return [s for s in load_silences(store, now=now) if s.matches(alert.labels, now)]


def get_silence(store: Store, silence_id: str) -> Silence:
    for s in load_silences(store, include_expired=True):
        if s.id == silence_id:
            return s
    raise NotFoundError(f"no silence with id {silence_id!r}", hint="use an id from GET /api/v1/silences")


__all__ = [
    "alert_silences",
    "alerts_table",
    "alerts_version",
    "get_alert",
    "get_silence",
    "indicator_values",
    "list_countries",
    "list_indicators",
    "page",
    "records",
    "signals_version",
    "sources_overview",
]

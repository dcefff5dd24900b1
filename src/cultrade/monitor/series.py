"""Series providers and conditions: what a rule reads from the store, and which samples are active.

:func:`load_series` gives one frame per rule: the key columns (``iso3`` plus
``currency``, ``home``/``domain`` or ``horizon_years``/``model`` for some kinds),
``ts`` (sample time, naive UTC: the bucket start of a signal, 1 January of an
annual value, the 1st of a month for FX), ``value`` and, for signals, ``anomaly``
or, for risk, ``band``. A missing table gives an empty frame.

:func:`scan` applies the rule's condition to every sample: ``derived`` (the
compared quantity), ``enter`` (the level that starts an alert is met) and
``hold`` (the hysteresis ``exit`` level is met, which keeps a started alert
going). The engine uses the latest sample per key; the indicator-warning
reports use the whole scan.

>>> import pandas as pd
>>> from cultrade.monitor.rules import load_rules
>>> rule = load_rules(text='''
... rules: [{name: fx, series: {kind: indicator, indicator: PA.NUS.FCRF},
...          condition: {type: change, op: ">", value: 30, window: 1y, mode: percent}}]''', shipped=False).rules[0]
>>> frame = pd.DataFrame({"iso3": ["ARG"] * 3, "ts": pd.to_datetime(["2021-01-01", "2022-01-01", "2023-01-01"]),
...                       "value": [95.0, 130.6, 296.3]})
>>> out = conditions(frame, rule)
>>> out["derived"].round(1).tolist(), out["enter"].tolist()
([nan, 37.5, 126.9], [False, True, True])
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from cultrade.monitor.rules import BANDS, Duration, Rule
from cultrade.store import Store

_OPS: dict[str, Callable[[Any, Any], Any]] = {">": operator.gt, ">=": operator.ge, "<": operator.lt,
                                                "<=": operator.le}
KEYS: dict[str, tuple[str, ...]] = {
    "signal": ("iso3",), "indicator": ("iso3",), "fx": ("iso3", "currency"),
    "risk": ("iso3", "home", "domain"), "forecast": ("iso3", "horizon_years", "model"),
}


def series_labels(rule: Rule) -> dict[str, str]:
    """Labels every alert of ``rule`` carries, besides its key columns.

    >>> from cultrade.monitor.rules import load_rules
    >>> series_labels(load_rules().rule("protest_surge"))
    {'metric': 'protest', 'granularity': 'hour'}
    """
    s = rule.series
    if s.kind == "signal":
        return {"metric": str(s.metric), "granularity": s.granularity}
    if s.kind == "indicator":
        return {"indicator": str(s.indicator)}
    if s.kind == "forecast":
        return {"target": str(s.target)}
    return {}


def _empty(rule: Rule) -> pd.DataFrame:
    cols = [*KEYS[rule.series.kind], "ts", "value"]
    extra = {"signal": ["anomaly"], "risk": ["band"]}.get(rule.series.kind, [])
    if rule.series.kind == "signal" and rule.condition.min_events is not None:
        extra = [*extra, "events"]
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "ts" else object) for c in cols + extra})


def _where(clauses: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
    used = [(sql, v) for sql, v in clauses if v is not None]
    return (" AND ".join(sql for sql, _ in used) or "TRUE"), [v for _, v in used]


def load_series(store: Store, rule: Rule, *, since: datetime | None = None, until: datetime | None = None,
                tables: set[str] | None = None) -> pd.DataFrame:
    """The samples ``rule`` reads, between ``since`` and ``until`` (inclusive, naive UTC).

    ``tables``: the store's table and view names, when the caller already has them.
    """
    s = rule.series
    table = {"signal": "monitor_signals", "indicator": "indicators", "fx": "fx_rates",
             "risk": "risk_scores_history", "forecast": "forecast_probabilities"}[s.kind]
    if table not in (tables if tables is not None else set(store.table_names(include_views=True))):
        return _empty(rule)
    bounds = [("ts >= ?", since), ("ts <= ?", until)]
    if s.kind == "signal":
        where, params = _where([("metric = ?", s.metric), ("granularity = ?", s.granularity)])
        sql = (f"SELECT iso3, ts, arg_max(value, updated_at) AS value, arg_max(anomaly, updated_at) AS anomaly "
               f"FROM monitor_signals WHERE {where} GROUP BY iso3, ts")
        if rule.condition.min_events is not None:  # the volume guard reads the bucket's event count (no row: 0)
            sql = (f"SELECT s.*, coalesce(e.events, 0.0) AS events FROM ({sql}) s LEFT JOIN ("
                   "SELECT iso3, ts, arg_max(value, updated_at) AS events FROM monitor_signals "
                   "WHERE metric = 'events' AND granularity = ? GROUP BY iso3, ts) e USING (iso3, ts)")
            params.append(s.granularity)
    elif s.kind == "indicator":
        where, params = _where([("indicator = ?", s.indicator), ("source = ?", s.source)])
        obs = (f"SELECT iso3, year, arg_min(value, source) AS value FROM indicators "
               f"WHERE {where} AND value IS NOT NULL AND iso3 IS NOT NULL GROUP BY iso3, year")
        if s.fill is not None:
            obs = (f"WITH o AS ({obs}), span AS (SELECT min(year) AS lo, max(year) AS hi FROM o), "
                   f"grid AS (SELECT c.iso3, CAST(y.year AS INTEGER) AS year FROM (SELECT DISTINCT iso3 FROM o) c, "
                   f"span, range(span.lo, span.hi + 1) AS y(year)) "
                   f"SELECT g.iso3, g.year, coalesce(o.value, ?) AS value FROM grid g LEFT JOIN o USING (iso3, year)")
            params.append(float(s.fill))
        sql = f"SELECT iso3, make_date(year, 1, 1)::TIMESTAMP AS ts, value FROM ({obs})"
    elif s.kind == "fx":
        sql = ("SELECT iso3, currency, date::TIMESTAMP AS ts, avg(rate) AS value FROM fx_rates "
               "WHERE frequency = 'monthly' AND iso3 IS NOT NULL AND rate > 0 GROUP BY ALL")
        params = []
    elif s.kind == "risk":
        where, params = _where([("home = ?", s.home), ("domain = ?", s.domain)])
        sql = ("SELECT iso3, home, domain, make_date(CAST(year AS INTEGER), 1, 1)::TIMESTAMP AS ts, "
               "arg_max(score, computed_at) AS value, arg_max(band, computed_at) AS band "
               f"FROM risk_scores_history WHERE {where} GROUP BY ALL")
    else:
        where, params = _where([("target = ?", s.target), ("horizon_years = ?", s.horizon_years),
                                ("model = ?", s.model)])
        sql = ("SELECT iso3, CAST(horizon_years AS VARCHAR) AS horizon_years, model, "
               "make_date(CAST(origin_year AS INTEGER), 1, 1)::TIMESTAMP AS ts, "
               f"arg_max(probability, created_at) AS value FROM forecast_probabilities WHERE {where} GROUP BY ALL")
    where_b, params_b = _where(bounds)
    df = store.con.execute(f"SELECT * FROM ({sql}) WHERE {where_b} ORDER BY ALL", [*params, *params_b]).df()
    if df.empty:
        return _empty(rule)
    for key in KEYS[s.kind]:
        df[key] = df[key].fillna("").astype(str)
    df["ts"] = pd.to_datetime(df["ts"])
    df["value"] = df["value"].astype(float)
    return df


def shift_back(ts: pd.Series, window: Duration) -> pd.Series:
    """``ts - window`` with calendar months and years."""
    out = ts
    if window.months:
        out = out - pd.DateOffset(months=window.months)
    if window.seconds:
        out = out - pd.Timedelta(seconds=window.seconds)
    return out


def previous(frame: pd.DataFrame, keys: list[str], window: Duration, column: str = "value") -> pd.Series:
    """Per row, ``column`` of the same key at ``ts - window`` (latest sample within half a window before it)."""
    if frame.empty:
        return pd.Series(dtype=float)
    left = frame[keys].copy()
    left["_at"] = shift_back(frame["ts"], window)
    left["_row"] = np.arange(len(frame))
    right = frame[[*keys, "ts", column]].rename(columns={"ts": "_at", column: "_prev"})
    tolerance = pd.Timedelta(window.timedelta / 2)
    merged = pd.merge_asof(left.sort_values("_at"), right.sort_values("_at"), on="_at", by=keys,
                           direction="backward", tolerance=tolerance)
    return merged.sort_values("_row")["_prev"].reset_index(drop=True).set_axis(frame.index)


def _band_rank(bands: pd.Series) -> pd.Series:
    rank = {b: i for i, b in enumerate(BANDS)}
    return bands.map(lambda b: rank.get(b, np.nan)).astype(float)


def conditions(frame: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    """``frame`` plus ``derived``, ``enter`` and ``hold`` for every sample (see the module doc)."""
    cond = rule.condition
    keys = list(KEYS[rule.series.kind])
    out = frame.copy()
    if out.empty:
        return out.assign(derived=pd.Series(dtype=float), enter=pd.Series(dtype=bool), hold=pd.Series(dtype=bool))
    op = _OPS[cond.op]
    level = cond.value
    exit_level = cond.exit if cond.exit is not None else level
    if cond.type == "band":
        assert cond.window is not None
        rank = _band_rank(out["band"])
        out["_rank"] = rank
        before = previous(out, keys, cond.window, "_rank")
        out = out.drop(columns="_rank")
        out["derived"] = rank - before
        floor = BANDS.index(cond.at_least) if cond.at_least else 0
        enter = (out["derived"] > 0) & (rank >= floor)
        out["enter"], out["hold"] = enter, enter
        return out
    if cond.type == "anomaly":
        derived = out["anomaly"].astype(float)
    elif cond.type == "change":
        assert cond.window is not None
        before = previous(out, keys, cond.window)
        if cond.mode == "percent":
            derived = (out["value"] / before.where(before != 0) - 1.0) * 100.0
        else:
            derived = out["value"] - before
    else:
        derived = out["value"].astype(float)
    out["derived"] = derived
    valid = derived.notna()
    out["enter"] = valid & op(derived, level)
    out["hold"] = valid & op(derived, exit_level)
    if cond.type == "crossing":
        assert cond.window is not None
        before = previous(out, keys, cond.window)
        crossed = out["enter"] & before.notna() & ~op(before, level)
        out["enter"] = crossed
        out["hold"] = out["hold"] if cond.exit is not None else crossed
    return _guarded(out, rule)


def _guarded(out: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    """The volume guards: a sample below ``min_value`` (its own value) or ``min_events`` (its bucket's
    ``events``; a frame without that column counts as 0 events) cannot enter; ``hold`` is unchanged, so a
    started alert exits by its exit level as usual.

    >>> from cultrade.monitor.rules import load_rules
    >>> rule = load_rules(text='''
    ... rules: [{name: t, series: {kind: signal, metric: tone, granularity: day},
    ...          condition: {type: threshold, op: "<", value: -5, min_events: 50}}]''', shipped=False).rules[0]
    >>> frame = pd.DataFrame({"iso3": ["ERI", "USA"], "ts": pd.to_datetime(["2025-06-01"] * 2),
    ...                       "value": [-9.0, -6.0], "anomaly": [0.0, 0.0], "events": [3.0, 900.0]})
    >>> conditions(frame, rule)[["iso3", "enter", "hold"]].values.tolist()
    [['ERI', False, True], ['USA', True, True]]
    """
    cond = rule.condition
    if cond.min_value is not None:
        out["enter"] = out["enter"] & (out["value"].astype(float) >= cond.min_value)
    if cond.min_events is not None:
        events = out["events"].astype(float).fillna(0.0) if "events" in out else pd.Series(0.0, index=out.index)
        out["enter"] = out["enter"] & (events >= cond.min_events)
    return out


def scan(store: Store, rule: Rule, *, since: datetime | None = None, until: datetime | None = None,
         tables: set[str] | None = None) -> pd.DataFrame:
    """Every sample of ``rule``'s series with its condition evaluated; ``since`` should leave room for the window."""
    return conditions(load_series(store, rule, since=since, until=until, tables=tables), rule)


def lookback_start(rule: Rule, now: datetime) -> datetime:
    """The earliest sample time a live evaluation at ``now`` needs (staleness + window + slack)."""
    window = rule.condition.window.timedelta if rule.condition.window else timedelta(0)
    return now - rule.stale_after.timedelta - window * 1.5 - timedelta(days=1)


def stream_head(store: Store, rule: Rule, now: datetime, tables: set[str] | None = None) -> pd.Timestamp | None:
    """For signals: the newest bucket of the stream at ``now`` (any country, any metric), else None."""
    present = tables if tables is not None else set(store.table_names())
    if rule.series.kind != "signal" or "monitor_signals" not in present:
        return None
    row = store.con.execute("SELECT max(ts) FROM monitor_signals WHERE granularity = ? AND ts <= ?",
                            [rule.series.granularity, now]).fetchone()
    return pd.Timestamp(row[0]) if row and row[0] is not None else None


def latest(scanned: pd.DataFrame, rule: Rule, now: datetime, *, head: pd.Timestamp | None = None) -> pd.DataFrame:
    """The newest sample per key at or before ``now``, with ``stale`` (older than ``stale_after``).

    ``head`` (signals, see :func:`stream_head`): a country without a row in a bucket
    the stream covers had no events, so its series is fresh but inactive (the
    event stream's own gaps still make every series stale).
    """
    keys = list(KEYS[rule.series.kind])
    df = scanned[scanned["ts"] <= pd.Timestamp(now)]
    if df.empty:
        return df.assign(stale=pd.Series(dtype=bool))
    df = df.sort_values("ts").groupby(keys, sort=True).tail(1)
    newest = df["ts"]
    if head is not None:
        behind = df["ts"] < head
        df = df.assign(enter=df["enter"] & ~behind, hold=df["hold"] & ~behind)
        newest = newest.where(~behind, head)
    return df.assign(stale=newest < pd.Timestamp(now) - rule.stale_after.timedelta)


__all__ = ["KEYS", "conditions", "latest", "load_series", "lookback_start", "previous", "scan", "series_labels",
           "stream_head"]

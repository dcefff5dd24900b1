"""What the rule evaluator reads: *panels* of samples, one column per series key.

Two kinds of panel, one layout (:class:`Panel`: sample times × keys, NaN where a key has no sample):

* **stream panels** (rules of kind ``signal`` and ``dyad``) are kept in memory by :class:`StreamData`, seeded
  from ``monitor_signals``, ``monitor_dyads`` and ``monitor_slices`` and then updated from each slice's
  :class:`~cultrade.monitor.stream.SliceChanges` (the very numbers the stream writes), so a rule needs no
  query per slice. Their buckets are the *covered* hours or days (those with at least one slice); in a
  covered bucket a key without a row counted 0. Each bucket also carries its *exposure*, the articles the
  whole stream carried in it (the detectors' denominator, see :mod:`cultrade.monitor.detect`);
* **outlook panels** (``indicator``, ``fx``, ``risk``, ``forecast``) are read from the store by
  :func:`load_panel` and cached by the evaluator until their source tables change.

Keys: a country (``iso3``) for signals and indicators; (iso3, currency) for fx; (iso3, home, domain) for
risk; (iso3, horizon_years, model) for forecasts; (actor1, actor2) for dyads, or the partner country for a
dyad rule with ``pairs_with`` (both directions of the pair summed).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from cultrade.monitor import codes
from cultrade.monitor import dyads as dy
from cultrade.monitor import signals as sig
from cultrade.monitor.rules import BANDS, Rule
from cultrade.store import Store

KEYS: dict[str, tuple[str, ...]] = {
    "signal": ("iso3",), "dyad": ("actor1", "actor2"), "indicator": ("iso3",), "fx": ("iso3", "currency"),
    "risk": ("iso3", "home", "domain"), "forecast": ("iso3", "horizon_years", "model"),
}


@dataclass
class Panel:
    """Samples of one series: ``values`` (and ``rank`` for risk bands) are (times × keys), NaN = no sample."""

    times: list[datetime]
    keys: list[tuple[str, ...]]
    values: np.ndarray
    rank: np.ndarray | None = None

    @classmethod
    def empty(cls) -> Panel:
        return cls([], [], np.zeros((0, 0)))

    @classmethod
    def from_frame(cls, df: pd.DataFrame, keys: tuple[str, ...] | list[str]) -> Panel:
        """A panel from rows of key columns, ``ts`` and ``value`` (and ``band`` for risk bands).

        >>> p = Panel.from_frame(pd.DataFrame({"iso3": ["B", "A"], "ts": ["2020-01-01"] * 2, "value": [1.0, 2.0]}),
        ...                      ["iso3"])
        >>> p.keys, p.values.tolist()
        ([('A',), ('B',)], [[2.0, 1.0]])
        """
        if df.empty:
            return cls.empty()
        keys = list(keys)
        ts = pd.to_datetime(df["ts"])
        key_tuples = list(map(tuple, df[keys].astype(str).to_numpy()))
        uniq = sorted(set(key_tuples))
        kpos = {k: i for i, k in enumerate(uniq)}
        times = sorted(ts.unique())
        tpos = {pd.Timestamp(t): i for i, t in enumerate(times)}
        ti = ts.map(tpos).to_numpy(dtype=np.int64)
        ki = np.array([kpos[k] for k in key_tuples], dtype=np.int64)
        values = np.full((len(times), len(uniq)), np.nan)
        values[ti, ki] = df["value"].to_numpy(dtype=float)
        rank = None
        if "band" in df:
            order = {b: i for i, b in enumerate(BANDS)}
            rank = np.full_like(values, np.nan)
            rank[ti, ki] = df["band"].map(lambda b: order.get(b, np.nan)).to_numpy(dtype=float)
        return cls([pd.Timestamp(t).to_pydatetime() for t in times], uniq, values, rank)


class Buckets:
    """Rows of one stream series: bucket times (ascending) × keys, both growing; NaN = no row. The stream only
    changes its newest buckets or starts a new one, so updating in place and appending are cheap, and a
    window is a view.

    >>> b = Buckets(2)
    >>> b.set(datetime(2025, 6, 1, 1), np.array([0], dtype=np.int64), np.array([1.0]))
    >>> b.add(datetime(2025, 6, 1, 0), np.array([1]), np.array([2.0]))  # out of order: kept sorted
    >>> times, values = b.window(datetime(2025, 6, 1), datetime(2025, 6, 1, 1))
    >>> [t.hour for t in times], values.tolist()
    ([0, 1], [[nan, 2.0], [1.0, nan]])
    """

    def __init__(self, n_keys: int, capacity: int = 64) -> None:
        self.times: list[datetime] = []
        self._v = np.full((capacity, max(n_keys, 1)), np.nan)
        self._lo = 0  # rows [_lo, _lo + len(times)) are live

    @property
    def width(self) -> int:
        return int(self._v.shape[1])

    def widen(self, n_keys: int) -> None:
        if n_keys > self.width:
            grown = np.full((self._v.shape[0], max(n_keys, 2 * self.width)), np.nan)
            grown[:, : self.width] = self._v
            self._v = grown

    def _row(self, t: datetime) -> int:
        k = bisect_left(self.times, t)
        if k < len(self.times) and self.times[k] == t:
            return self._lo + k
        self._make_room()
        row, end = self._lo + k, self._lo + len(self.times)
        if k < len(self.times):  # out of order (loading, a late slice): shift the later rows down one
            self._v[row + 1: end + 1] = self._v[row:end]
        self._v[row] = np.nan
        self.times.insert(k, t)
        return row

    def set(self, t: datetime, cols: np.ndarray, values: np.ndarray) -> None:
        row = self._row(t)
        self._v[row, cols] = values

    def add(self, t: datetime, cols: np.ndarray, values: np.ndarray) -> None:
        row = self._row(t)  # (may reallocate: index after it)
        r = self._v[row]  # a view of the row
        r[cols] = np.nan_to_num(r[cols])  # no row yet: 0, then add (a key may come twice)
        np.add.at(r, cols, values)

    def drop_before(self, t: datetime) -> None:
        k = bisect_left(self.times, t)
        if k:
            del self.times[:k]
            self._lo += k

    def window(self, since: datetime, until: datetime) -> tuple[list[datetime], np.ndarray]:
        """The buckets with since <= time <= until and (a view of) their rows."""
        i, j = bisect_left(self.times, since), bisect_right(self.times, until)
        return self.times[i:j], self._v[self._lo + i: self._lo + j]

    def _make_room(self) -> None:
        n = len(self.times)
        if self._lo + n < len(self._v):
            return
        v = np.full((max(2 * n, 64), self.width), np.nan)
        v[:n] = self._v[self._lo: self._lo + n]
        self._v, self._lo = v, 0


@cache
def _COUNTRY_KEYS() -> list[tuple[str, ...]]:
    return [(c,) for c in codes.country_index()]


#: A stream series: (source, granularity, metric, field). ``source`` is "signal", "dyad" or "with:ISO3" (dyads
#: with one country, keyed by the partner); ``field`` is "value" or "anomaly".
SeriesId = tuple[str, str, str, str]


def stream_series(rule: Rule, home: str) -> list[SeriesId]:
    """The stream series a rule reads (its metrics, and what its guards and criteria read)."""
    s, cond = rule.series, rule.condition
    source = "signal" if s.kind == "signal" else (f"with:{home if s.pairs_with == 'home' else s.pairs_with}"
                                                   if s.pairs_with else "dyad")
    g = str(s.granularity)
    out: list[SeriesId] = [(source, g, m, "value") for m in s.metrics]
    if cond.type == "anomaly":
        out += [(source, g, m, "anomaly") for m in s.metrics]
    if cond.min_events is not None:
        out.append((source, g, "events", "value"))
    if rule.critical is not None and rule.critical.mentions is not None:
        out.append((source, g, "mentions", "value"))
    return out


@dataclass
class StreamData:
    """The stream panels of the active rules (see the module doc)."""

    series: dict[SeriesId, Buckets] = field(default_factory=dict)
    exposure: dict[str, dict[datetime, float]] = field(default_factory=dict)
    covered: dict[str, list[datetime]] = field(default_factory=dict)
    pairs: list[tuple[int, int]] = field(default_factory=list)  # dyad key → (actor1, actor2) positions
    _pair_col: dict[tuple[int, int], int] = field(default_factory=dict)
    _pair_keys: list[tuple[str, ...]] = field(default_factory=list)

    # -- keys -------------------------------------------------------------------------------
    def width(self, source: str) -> int:
        return len(self.pairs) if source == "dyad" else len(codes.country_index())

    def keys(self, source: str) -> list[tuple[str, ...]]:
        if source != "dyad":
            return _COUNTRY_KEYS()
        iso = codes.country_index()
        if len(self._pair_keys) < len(self.pairs):
            self._pair_keys.extend((iso[a], iso[b]) for a, b in self.pairs[len(self._pair_keys):])
        return self._pair_keys

    def pair_cols(self, a1: np.ndarray, a2: np.ndarray) -> np.ndarray:
        out = np.empty(len(a1), dtype=np.int64)
        for i, key in enumerate(zip(a1.tolist(), a2.tolist(), strict=True)):
            col = self._pair_col.get(key)
            if col is None:
                col = self._pair_col[key] = len(self.pairs)
                self.pairs.append(key)
            out[i] = col
        return out

    def buckets(self, sid: SeriesId) -> Buckets:
        b = self.series.get(sid)
        if b is None:
            b = self.series[sid] = Buckets(self.width(sid[0]))
        b.widen(self.width(sid[0]))
        return b

    def cover(self, granularity: str, t: datetime) -> None:
        times = self.covered.setdefault(granularity, [])
        k = bisect_left(times, t)
        if k == len(times) or times[k] != t:
            times.insert(k, t)

    def head(self, granularity: str, now: datetime) -> datetime | None:
        """The newest covered bucket at or before ``now``."""
        times = self.covered.get(granularity, [])
        k = bisect_right(times, now)
        return times[k - 1] if k else None

    # -- loading ----------------------------------------------------------------------------
    def seed(self, store: Store, needs: set[SeriesId], since: datetime) -> None:
        """Load every needed series from the store, from ``since`` on (replacing what was held)."""
        self.series, self.exposure, self.covered = {}, {}, {}
        self.pairs, self._pair_col, self._pair_keys = [], {}, []
        tables = set(store.table_names(include_views=True))
        grans = {sid[1] for sid in needs}
        if "monitor_slices" in tables:
            df = store.con.execute("SELECT slice_ts, articles FROM monitor_slices WHERE slice_ts >= ? "
                                   "ORDER BY slice_ts", [since]).df()
            for g in grans:
                for ts, part in df.groupby(df["slice_ts"].map(lambda t, g=g: sig.bucket_start(
                        pd.Timestamp(t).to_pydatetime(), g))):
                    start = pd.Timestamp(ts).to_pydatetime()
                    self.cover(g, start)
                    arts = part["articles"]
                    self.exposure.setdefault(g, {})[start] = float("nan") if arts.isna().any() else float(arts.sum())
        for g in grans:
            self.covered.setdefault(g, [])
            if sig.SIGNALS_TABLE in tables:
                for (t,) in store.con.execute(f"SELECT DISTINCT ts FROM {sig.SIGNALS_TABLE} WHERE granularity = ? "
                                              "AND ts >= ?", [g, since]).fetchall():
                    self.cover(g, pd.Timestamp(t).to_pydatetime())
        signal_needs = [sid for sid in needs if sid[0] == "signal"]
        if signal_needs and sig.SIGNALS_TABLE in tables:
            self._seed_signals(store, signal_needs, since)
        dyad_needs = [sid for sid in needs if sid[0] != "signal"]
        if dyad_needs and dy.DYADS_TABLE in tables:
            self._seed_dyads(store, dyad_needs, since)
        for sid in needs:
            self.buckets(sid)

    def _seed_signals(self, store: Store, needs: list[SeriesId], since: datetime) -> None:
        pos = codes.iso3_position()
        for g in {sid[1] for sid in needs}:
            metrics = sorted({sid[2] for sid in needs if sid[1] == g})
            df = store.con.execute(
                f"SELECT iso3, ts, metric, value, anomaly FROM {sig.SIGNALS_TABLE} WHERE granularity = ? "
                "AND ts >= ? AND list_contains(?, metric) ORDER BY updated_at", [g, since, metrics]).df()
            df = df[df["iso3"].isin(pos.keys())]
            for (metric, ts), part in df.groupby(["metric", "ts"], sort=False):
                t = pd.Timestamp(ts).to_pydatetime()  # type: ignore[arg-type]
                cols = part["iso3"].map(pos).to_numpy(dtype=np.int64)
                for fld in ("value", "anomaly"):
                    sid = ("signal", g, str(metric), fld)
                    if sid in needs:
                        self.buckets(sid).set(t, cols, part[fld].to_numpy(dtype=float))

    def _seed_dyads(self, store: Store, needs: list[SeriesId], since: datetime) -> None:
        pos = codes.iso3_position()
        for g in {sid[1] for sid in needs}:
            metrics = sorted({sid[2] for sid in needs if sid[1] == g})
            df = store.con.execute(
                f"SELECT ts, actor1_iso3, actor2_iso3, {', '.join(metrics)} FROM {dy.DYADS_TABLE} "
                "WHERE granularity = ? AND ts >= ? ORDER BY ts", [g, since]).df()
            df = df[df["actor1_iso3"].isin(pos.keys()) & df["actor2_iso3"].isin(pos.keys())]
            for ts, part in df.groupby("ts", sort=True):
                a1 = part["actor1_iso3"].map(pos).to_numpy(dtype=np.int64)
                a2 = part["actor2_iso3"].map(pos).to_numpy(dtype=np.int64)
                self._add_dyads(g, pd.Timestamp(ts).to_pydatetime(), a1, a2,  # type: ignore[arg-type]
                                {m: part[m].to_numpy(dtype=float) for m in metrics}, needs)

    def _add_dyads(self, g: str, t: datetime, a1: np.ndarray, a2: np.ndarray, values: dict[str, np.ndarray],
                   needs: list[SeriesId] | set[SeriesId]) -> None:
        for source, gg, metric, _fld in needs:
            if gg != g or metric not in values:
                continue
            if source == "dyad":
                cols = self.pair_cols(a1, a2)
                self.buckets((source, g, metric, "value")).add(t, cols, values[metric])
            elif source.startswith("with:"):
                home = codes.iso3_position().get(source[5:], -1)
                hit = (a1 == home) | (a2 == home)
                if hit.any():
                    partner = np.where(a1[hit] == home, a2[hit], a1[hit])
                    self.buckets((source, g, metric, "value")).add(t, partner, values[metric][hit])

    # -- updating -----------------------------------------------------------------------------
    def update(self, changes: Any, needs: set[SeriesId]) -> None:
        """Add one slice's :class:`~cultrade.monitor.stream.SliceChanges`."""
        for g, (start, values, med, mad) in changes.buckets.items():
            self.cover(g, start)
            exp = self.exposure.setdefault(g, {})
            exp[start] = exp.get(start, 0.0) + float(changes.articles)
            present = sig._present(values)
            z = None
            all_cols = np.arange(values.shape[0])
            for source, gg, metric, fld in needs:
                if source != "signal" or gg != g:
                    continue
                m = sig._IDX[metric]
                if fld == "anomaly":
                    z = sig.anomalies(values, med, mad) if z is None else z
                    row = np.where(present[:, m], z[:, m], np.nan)
                else:
                    row = np.where(present[:, m], values[:, m], np.nan)
                self.buckets((source, g, metric, fld)).set(start, all_cols, row)
            agg = changes.dyads
            if len(agg):
                cols = {m: agg.values[:, dy._IDX[m]] for m in dy.COLUMNS}
                self._add_dyads(g, start, agg.actor1, agg.actor2, cols,
                                [sid for sid in needs if sid[0] != "signal"])

    def drop_before(self, t: datetime) -> None:
        for b in self.series.values():
            b.drop_before(t)
        for g, times in self.covered.items():
            k = bisect_left(times, t)
            del times[:k]
            exp = self.exposure.get(g, {})
            for old in [x for x in exp if x < t]:
                del exp[old]

    def exposure_of(self, granularity: str, times: list[datetime]) -> np.ndarray:
        exp = self.exposure.get(granularity, {})
        return np.array([exp.get(t, np.nan) for t in times], dtype=float)


# -- outlook panels ---------------------------------------------------------------------------------
_TABLES = {"indicator": "indicators", "fx": "fx_rates", "risk": "risk_scores_history",
           "forecast": "forecast_probabilities"}


def _where(clauses: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
    used = [(sql, v) for sql, v in clauses if v is not None]
    return (" AND ".join(sql for sql, _ in used) or "TRUE"), [v for _, v in used]


def load_frame(store: Store, rule: Rule, *, since: datetime | None = None, until: datetime | None = None,
               tables: set[str] | None = None) -> pd.DataFrame:
    """The samples an outlook rule reads (key columns, ``ts``, ``value``; ``band`` for risk), since..until."""
    s = rule.series
    keys = list(KEYS[s.kind])
    if _TABLES[s.kind] not in (tables if tables is not None else set(store.table_names(include_views=True))):
        return pd.DataFrame(columns=[*keys, "ts", "value", *(["band"] if s.kind == "risk" else [])])
    if s.kind == "indicator":
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
    where_b, params_b = _where([("ts >= ?", since), ("ts <= ?", until)])
    df = store.con.execute(f"SELECT * FROM ({sql}) WHERE {where_b} ORDER BY ALL", [*params, *params_b]).df()
    for key in keys:
        df[key] = df[key].fillna("").astype(str) if not df.empty else df[key]
    return df


def load_panel(store: Store, rule: Rule, *, since: datetime | None = None, until: datetime | None = None,
               tables: set[str] | None = None) -> Panel:
    """:func:`load_frame` as a :class:`Panel`."""
    return Panel.from_frame(load_frame(store, rule, since=since, until=until, tables=tables), KEYS[rule.series.kind])


__all__ = ["KEYS", "Buckets", "Panel", "SeriesId", "StreamData", "load_frame", "load_panel", "stream_series"]

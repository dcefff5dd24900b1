"""The event stream's state in the store: the cache of recent buckets and baselines it reads back, and the
writes of a transaction (signal rows, seen ids, slice rows, gaps, the watermark).

:class:`StreamState` is the part of :class:`cultrade.monitor.stream.EventStream` that talks to the
store tables (see :mod:`cultrade.monitor.stream` for them); the processor sets the attributes
declared below in its ``_reload``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from cultrade.monitor import signals as sig


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class StreamState:
    """Bucket cache and transactional writes of the event stream (a base class of ``EventStream``)."""

    con: duckdb.DuckDBPyConnection
    processed: dict[datetime, str]
    watermark: datetime | None
    covered: dict[str, set[datetime]]
    buckets: dict[tuple[str, datetime], np.ndarray]
    base: dict[tuple[str, date], tuple[np.ndarray, np.ndarray]]
    _stored: dict[tuple[str, datetime], np.ndarray]
    _touched: dict[tuple[str, datetime], np.ndarray]
    _p_seen: list[tuple[np.ndarray, datetime]]
    _p_slices: list[list[Any]]
    _p_gaps: set[datetime]
    _p_ungap: set[datetime]
    _p_mark: bool

    # -- the bucket cache ---------------------------------------------------------------
    def _load_buckets(self, granularity: str, starts: Sequence[datetime]) -> None:
        """Fill the bucket cache for ``starts`` from the store (absent rows are zeros)."""
        missing = [t for t in starts if (granularity, t) not in self.buckets]
        blank = [t for t in missing if t not in self.covered[granularity]]  # never written: no rows to read
        for t in blank:
            self.buckets[(granularity, t)] = np.zeros((len(sig.country_index()), sig.ACC))
        missing = [t for t in missing if t in self.covered[granularity]]
        if not missing:
            return
        n_c, n_m = len(sig.country_index()), len(sig.METRICS)
        values = np.zeros((len(missing), n_c, n_m))
        values[..., sig.I_TONE] = np.nan
        df = self.con.execute(
            "SELECT iso3, ts, metric, value FROM monitor_signals WHERE granularity = ? AND list_contains(?, ts)",
            [granularity, missing]).df()
        if not df.empty:
            pos_t = {t: i for i, t in enumerate(missing)}
            ti = df["ts"].map(lambda t: pos_t[pd.Timestamp(t).to_pydatetime()]).to_numpy(dtype=np.int64)
            ci = df["iso3"].map(sig._iso3_position()).to_numpy(dtype=np.int64)
            mi = df["metric"].map(sig._IDX).to_numpy(dtype=np.int64)
            values[ti, ci, mi] = df["value"].to_numpy(dtype=np.float64)
        acc = sig.accumulators(values)
        for i, t in enumerate(missing):
            self.buckets[(granularity, t)] = acc[i]

    def _bucket(self, granularity: str, start: datetime) -> np.ndarray:
        self._load_buckets(granularity, [start])
        return self.buckets[(granularity, start)]

    def _baseline(self, granularity: str, day: date) -> tuple[np.ndarray, np.ndarray]:
        key = (granularity, day)
        if key not in self.base:
            window = sig.window_buckets(day, granularity, self.covered[granularity])
            self._load_buckets(granularity, window)
            stack = sig.output_values(np.stack([self.buckets[(granularity, t)] for t in window])) if window \
                else np.zeros((0, 0, 0))
            self.base[key] = sig.baselines(stack, granularity)
        return self.base[key]

    def _evict(self, today: date) -> None:
        keep_from = datetime.combine(today - timedelta(days=sig.WINDOW_DAYS + 1), datetime.min.time())
        self.buckets = {k: v for k, v in self.buckets.items() if k[1] >= keep_from or k in self._stored}
        self.base = {k: v for k, v in self.base.items() if k[1] >= keep_from.date()}

    # -- writing (inside the transaction) -------------------------------------------------
    def _flush(self) -> None:
        """Write everything pending: signal rows, seen ids, slice rows, gaps, the watermark."""
        con, now = self.con, _now()
        self._flush_signals()
        self._flush_seen()
        if self._p_ungap:
            con.execute("DELETE FROM monitor_gaps WHERE list_contains(?, slice_ts)", [sorted(self._p_ungap)])
        if self._p_gaps:
            con.execute("INSERT INTO monitor_gaps SELECT unnest(?::TIMESTAMP[]), ?::TIMESTAMP",
                        [sorted(self._p_gaps), now])
        if self._p_slices:
            cols = list(zip(*self._p_slices, strict=True))
            con.execute("INSERT INTO monitor_slices SELECT * FROM (SELECT unnest(?::TIMESTAMP[]), unnest(?::VARCHAR[]),"
                        " unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::INTEGER[]), unnest(?::BOOLEAN[]),"
                        " unnest(?::TIMESTAMP[]))", [list(c) for c in cols])
        if self._p_mark and self.watermark is not None:
            con.execute("UPDATE monitor_state SET value = ?, updated_at = ? WHERE key = 'watermark'",
                        [self.watermark.isoformat(), now])
        self._p_gaps, self._p_ungap, self._p_slices, self._p_mark = set(), set(), [], False

    def _flush_seen(self) -> None:
        if not self._p_seen:
            return
        ids = np.concatenate([i for i, _ in self._p_seen]).astype(np.int64)
        stamps = np.concatenate([np.full(len(i), np.datetime64(t, "us")) for i, t in self._p_seen])
        self._p_seen = []
        self.con.register("_mon_ids", pa.table({"globaleventid": ids, "slice_ts": stamps}))
        try:
            self.con.execute("INSERT INTO monitor_seen SELECT globaleventid, slice_ts FROM _mon_ids")
        finally:
            self.con.unregister("_mon_ids")

    def _flush_signals(self) -> None:
        """Write the rows of every bucket changed since the last flush: new rows in one INSERT, changed ones
        in one UPDATE per granularity (rows whose value did not change keep their ``updated_at``)."""
        if not self._stored:
            return
        now = _now()
        inserts: list[pa.Table] = []
        updates: dict[str, list[pa.Table]] = {str(g): [] for g in sig.GRANULARITIES}
        for (g, start), stored in self._stored.items():
            med, mad = self._baseline(g, start.date())
            rows, existed, changed = sig.signal_rows(g, start, self._touched[(g, start)],
                                                     sig.output_values(self.buckets[(g, start)]), med, mad, now,
                                                     previous=sig.output_values(stored))
            inserts.append(rows.filter(pa.array(~existed)))
            updates[g].append(rows.filter(pa.array(existed & changed)))
        starts: dict[str, list[datetime]] = {g: sorted(t for gg, t in self._stored if gg == g)
                                             for g in sig.GRANULARITIES}
        self._stored, self._touched = {}, {}
        for g, tables in updates.items():
            self._update_rows(tables, g, starts[g])
        self._insert_rows(inserts)

    def _insert_rows(self, rows: list[pa.Table]) -> None:
        frame = pa.concat_tables(rows)
        if frame.num_rows == 0:
            return
        self.con.register("_mon_rows", frame)
        try:
            self.con.execute("INSERT INTO monitor_signals SELECT * FROM _mon_rows")
        finally:
            self.con.unregister("_mon_rows")

    def _update_rows(self, rows: list[pa.Table], granularity: str, starts: list[datetime]) -> None:
        """Update existing signal rows in place (a delete + insert would leave dead rows behind until a checkpoint).

        One statement, filtered on the buckets' time span so DuckDB skips other row groups.
        """
        frame = pa.concat_tables(rows)
        if frame.num_rows == 0 or not starts:
            return
        self.con.register("_mon_upd", frame)
        try:
            self.con.execute(
                "UPDATE monitor_signals AS s SET value = r.value, baseline = r.baseline, mad = r.mad, "
                "anomaly = r.anomaly, updated_at = r.updated_at FROM _mon_upd AS r WHERE s.granularity = ? "
                "AND s.ts >= ? AND s.ts <= ? AND s.ts = r.ts AND s.iso3 = r.iso3 AND s.metric = r.metric",
                [granularity, min(starts), max(starts)])
        finally:
            self.con.unregister("_mon_upd")

    def _refresh_after(self, day: date) -> None:
        """A late slice changed day ``day``: recompute baselines and anomalies of the next WINDOW_DAYS days."""
        now = _now()
        for k in range(1, sig.WINDOW_DAYS + 1):
            d = day + timedelta(days=k)
            lo = datetime.combine(d, datetime.min.time())
            hi = lo + timedelta(days=1)
            for g in sig.GRANULARITIES:
                starts = sorted(t for t in self.covered[g] if lo <= t < hi)
                if not starts:
                    continue
                self.base.pop((g, d), None)
                med, mad = self._baseline(g, d)
                self._load_buckets(g, starts)
                rows = []
                for t in starts:
                    values = sig.output_values(self.buckets[(g, t)])
                    present = np.flatnonzero((values[:, : sig.N_ADD] != 0).any(axis=1))
                    rows.append(sig.signal_rows(g, t, present, values, med, mad, now)[0])
                self._update_rows(rows, g, starts)


__all__ = ["StreamState"]

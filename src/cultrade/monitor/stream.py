"""The GDELT 2.0 event stream processor :class:`EventStream`: 15-minute export slices → deduplicated events →
country signals (:mod:`cultrade.monitor.signals`) and dyad counts (:mod:`cultrade.monitor.dyads`).

The feeds that drive it (replay a folder, watch a folder, download the live lists) are in
:mod:`cultrade.monitor.feeds`.

Each batch of slices is committed in ONE store transaction with everything it changes: its
``monitor_slices`` rows, the new GLOBALEVENTIDs in ``monitor_seen``, the signal rows and dyad counts of its
buckets, the gaps it reveals, the watermark, and (through the *transactional* hooks, i.e. the rule
evaluator) the alert transitions and notifications it causes. A restart (even after SIGKILL) reopens the
store, finds the processed slices there and carries on: no slice is processed twice (a slice already in
``monitor_slices`` is skipped) and none is skipped. Other callbacks ``on_slice(store, slice_ts, summary)``
run after each commit.

Tables (all times UTC, naive ``TIMESTAMP``):

``monitor_slices(slice_ts PK, file, sha256, events, new_events, late, processed_at, articles)``
    one row per processed slice; ``events - new_events`` are duplicates dropped; ``articles`` are the
    distinct source articles of the new events (the exposure of the event detectors); ``processed_at`` is
    when the slice arrived (the feed's clock, see :mod:`cultrade.monitor.status`).
``monitor_state(key PK, value, updated_at)``
    ``watermark`` (the latest slice processed, ISO format), ``schema_version``, ``seen_retention_days``.
``monitor_seen(globaleventid, slice_ts)``
    the ids already counted and the slice that first held them. An event counts once, in the bucket of the
    first processed slice that holds it. Ids whose slice is more than ``retention_days`` (default 7) days
    older than the newest slice are pruned at each day change, so an event repeated after that would count
    again. GDELT repeats an event when it updates it, within hours to days; the real 2025 set repeats none of
    its 1,044,402 events.
``monitor_gaps(slice_ts PK, detected_at)``
    15-minute slices missing between processed ones (recorded, not errors). A slice older than the watermark
    that was never processed is a *late arrival*: it is processed, flagged ``late``, removed from the gaps,
    and the baselines of the 7 following days are recomputed; one already processed is skipped.
``monitor_quarantine(slice_ts, sha256, file, error, quarantined_at)``
    slices that could not be read (damaged, truncated, encrypted, mis-encoded...): recorded with the
    :class:`~cultrade.errors.CultradeError` that says why, and nothing else is written for them. A feed tries
    a quarantined file again only when its content (sha256) changes.

Schema version 2 added ``monitor_slices.articles``, the article signal metrics, the dyad counts
(``monitor_dyad_increments`` and the view ``monitor_dyads``, see :mod:`cultrade.monitor.dyads`) and
``monitor_quarantine``; a version-1 store is migrated in place (its old slices keep ``articles`` NULL, so the
detectors' baselines start with the first slice processed after the upgrade).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from cultrade.errors import ConfigError, StoreError
from cultrade.monitor import codes
from cultrade.monitor import dyads as dy
from cultrade.monitor import signals as sig
from cultrade.monitor.slices import OnSlice, ParsedSlice, SliceSummary, read_slice, slice_time
from cultrade.store import Store

log = logging.getLogger(__name__)

SCHEMA_VERSION = "2"
SLICE_MINUTES = 15
DEFAULT_RETENTION_DAYS = 7

STREAM_DDL = (
    """CREATE TABLE IF NOT EXISTS monitor_slices (
        slice_ts TIMESTAMP PRIMARY KEY, file VARCHAR, sha256 VARCHAR, events INTEGER, new_events INTEGER,
        late BOOLEAN, processed_at TIMESTAMP, articles INTEGER)""",
    "ALTER TABLE monitor_slices ADD COLUMN IF NOT EXISTS articles INTEGER",
    "CREATE TABLE IF NOT EXISTS monitor_state (key VARCHAR PRIMARY KEY, value VARCHAR, updated_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS monitor_seen (globaleventid BIGINT NOT NULL, slice_ts TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS monitor_gaps (slice_ts TIMESTAMP PRIMARY KEY, detected_at TIMESTAMP)",
    """CREATE TABLE IF NOT EXISTS monitor_quarantine (
        slice_ts TIMESTAMP NOT NULL, sha256 VARCHAR NOT NULL, file VARCHAR, error VARCHAR,
        quarantined_at TIMESTAMP, PRIMARY KEY (slice_ts, sha256))""",
    sig.SIGNALS_DDL,
    *dy.DYADS_DDL,
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class SliceChanges:
    """What one slice changed, for the rule evaluator: per granularity its bucket start, the bucket's metric
    values after the slice (countries × METRICS) and baseline median/MAD; the slice's dyad counts and
    articles (its exposure). ``reload``: older buckets changed too (a late slice): re-read the store."""

    ts: datetime
    buckets: dict[str, tuple[datetime, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    dyads: dy.DyadAggregate = field(default_factory=dy.DyadAggregate.empty)
    articles: int = 0
    reload: bool = False


class EventStream:
    """Processes slices into the store; keeps caches of the recent buckets, baselines and seen ids.

    The store is the truth: the caches are rebuilt from it on start and after any failed transaction.
    """

    def __init__(self, store: Store, *, on_slice: Iterable[OnSlice] = (),
                 retention_days: int = DEFAULT_RETENTION_DAYS, durable: bool = True) -> None:
        if retention_days < 1:
            raise ConfigError(f"retention_days must be at least 1, got {retention_days}",
                              hint="keep seen event ids for a week (7) or more")
        self.store = store
        self.con = store.con
        hooks = list(on_slice)
        # Transactional hooks (the rule evaluator) run inside the slice's transaction; the others after the commit.
        self.rules: list[Any] = [h for h in hooks if getattr(h, "transactional", False)]
        self.on_slice = [h for h in hooks if not getattr(h, "transactional", False)]
        self.retention_days = retention_days
        self.mapper = codes.CodeMapper()
        if not durable:
            # Skips fsync on commit: survives a killed process, not an OS crash or power loss.
            self.con.execute("SET fsync_mode = 'NONE'")
        try:
            with store.transaction() as con:
                for ddl in STREAM_DDL:
                    con.execute(ddl)
                con.execute("INSERT OR REPLACE INTO monitor_state VALUES ('schema_version', ?, ?), "
                            "('seen_retention_days', ?, ?)",
                            [SCHEMA_VERSION, _now(), str(retention_days), _now()])
                con.execute("INSERT INTO monitor_state VALUES ('watermark', NULL, NULL) ON CONFLICT DO NOTHING")
        except duckdb.Error as exc:
            raise StoreError(f"cannot create the monitor tables: {exc}", path=store.path,
                             hint="open the store read-write, and close other programs using it") from exc
        self._reload()

    # -- state --------------------------------------------------------------------------
    def _reload(self) -> None:
        con = self.con
        self.processed: dict[datetime, str] = dict(
            con.execute("SELECT slice_ts, sha256 FROM monitor_slices").fetchall())
        row = con.execute("SELECT value FROM monitor_state WHERE key = 'watermark'").fetchone()
        self.watermark: datetime | None = datetime.fromisoformat(row[0]) if row and row[0] else None
        ids = con.execute("SELECT globaleventid FROM monitor_seen").fetchnumpy()["globaleventid"]
        self.seen: set[int] = set(np.asarray(ids, dtype=np.int64).tolist())
        self.covered: dict[str, set[datetime]] = {
            g: {sig.bucket_start(t, g) for t in self.processed} for g in sig.GRANULARITIES}
        self.buckets: dict[tuple[str, datetime], np.ndarray] = {}
        self.base: dict[tuple[str, date], tuple[np.ndarray, np.ndarray]] = {}
        self.day: date | None = self.watermark.date() if self.watermark else None
        # Written at the end of the transaction (see _flush): bucket -> its accumulators as stored, and the
        # countries touched since; dyad increments; seen ids, slice rows, gaps added/removed, the watermark.
        self._stored: dict[tuple[str, datetime], np.ndarray] = {}
        self._touched: dict[tuple[str, datetime], np.ndarray] = {}
        self._dyads: dict[datetime, list[dy.DyadAggregate]] = {}
        self._p_seen: list[tuple[np.ndarray, datetime]] = []
        self._p_slices: list[list[Any]] = []
        self._p_gaps: set[datetime] = set()
        self._p_ungap: set[datetime] = set()
        self._p_mark = False

    def is_processed(self, ts: datetime) -> bool:
        return ts in self.processed

    def quarantined(self) -> dict[tuple[datetime, str], str]:
        """(slice time, sha256) → error of every quarantined slice."""
        rows = self.con.execute("SELECT slice_ts, sha256, error FROM monitor_quarantine").fetchall()
        return {(r[0], r[1]): r[2] for r in rows}

    def quarantine(self, path: str | Path, error: Exception, sha256: str = "") -> SliceSummary:
        """Record an unreadable slice (its own small transaction; nothing else is written)."""
        ts = slice_time(path) or datetime(1970, 1, 1)
        with self.store.transaction() as con:
            con.execute("INSERT INTO monitor_quarantine VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                        "error = excluded.error, quarantined_at = excluded.quarantined_at",
                        [ts, sha256, str(path), str(error), _now()])
        log.error("quarantined %s: %s", path, error)
        return SliceSummary(ts, str(path), "quarantined", error=str(error))

    # -- processing ---------------------------------------------------------------------
    def process_file(self, path: str | Path) -> SliceSummary:
        ts = slice_time(path)
        if ts is not None and ts in self.processed:
            return SliceSummary(ts, str(path), "skipped")
        return self.process(read_slice(path))

    def process(self, parsed: ParsedSlice) -> SliceSummary:
        """Commit one parsed slice (or skip it if its time was processed before), then run the callbacks."""
        return self.process_batch([parsed])[0]

    def process_batch(self, batch: Sequence[ParsedSlice]) -> list[SliceSummary]:
        """Commit parsed slices in ONE transaction (with the transactional hooks' writes), then run the callbacks.

        Slices processed before are skipped. A failure rolls everything of the batch back (store and caches):
        none of its slices is recorded, so a rerun processes them again.
        """
        out: list[SliceSummary] = []
        done: list[SliceSummary] = []
        try:
            with self.store.transaction():
                for hook in self.rules:
                    hook.begin(self.store)
                for parsed in batch:
                    ts = parsed.ts
                    if ts in self.processed:
                        if parsed.sha256 and self.processed[ts] and parsed.sha256 != self.processed[ts]:
                            log.warning("slice %s was processed before from a different file (%s); skipped", ts,
                                        parsed.path)
                        out.append(SliceSummary(ts, parsed.path, "skipped"))
                        continue
                    t0 = time.perf_counter()
                    summary, changes = self._apply(parsed)
                    for hook in self.rules:
                        hook.apply(self.store, ts, changes)
                    summary = replace(summary, seconds=time.perf_counter() - t0)
                    out.append(summary)
                    done.append(summary)
                if done:
                    self._flush()
                for hook in self.rules:
                    hook.flush(self.store)
        except BaseException as exc:
            self._reload()  # the transaction rolled back: so do the caches
            for hook in self.rules:
                hook.reset()
            if isinstance(exc, duckdb.Error):
                where = f"{done[0].slice_ts}..{done[-1].slice_ts}" if done else "batch"
                raise StoreError(f"processing slice(s) {where} failed: {exc}", path=batch[0].path if batch else None,
                                 hint="check the store's disk space; the slices were not recorded") from exc
            raise
        for summary in done:
            for callback in self.on_slice:
                callback(self.store, summary.slice_ts, summary)
        return out

    def _new_events(self, table: pa.Table) -> tuple[pa.Table, np.ndarray]:
        """The events of ``table`` not seen before (a repeat inside one file counts once too), and their ids."""
        ids = table.column("GLOBALEVENTID").to_numpy()
        first = np.zeros(len(ids), dtype=bool)
        first[np.unique(ids, return_index=True)[1]] = True
        seen = self.seen
        fresh = np.fromiter((i not in seen for i in ids.tolist()), dtype=bool, count=len(ids)) & first
        if fresh.all():
            return table, ids
        return table.filter(pa.array(fresh)), ids[fresh]

    def _apply(self, parsed: ParsedSlice) -> tuple[SliceSummary, SliceChanges]:
        con, ts = self.con, parsed.ts
        late = self.watermark is not None and ts < self.watermark
        if late:
            self._flush()  # a late slice rewrites older buckets directly: bring the store up to date first
        new, new_ids = self._new_events(parsed.table)
        agg = sig.aggregate_events(new, self.mapper)
        dyads = dy.aggregate_dyads(new, self.mapper)

        # Day change: prune seen ids and evict old cache entries (same point in every run → deterministic).
        pruned: list[int] = []
        if self.day is None or ts.date() > self.day:
            self.day = ts.date()
            cutoff = datetime.combine(self.day - timedelta(days=self.retention_days), datetime.min.time())
            self._flush_seen()
            pruned = [int(i) for i in con.execute("SELECT globaleventid FROM monitor_seen WHERE slice_ts < ?",
                                                  [cutoff]).fetchnumpy()["globaleventid"]]
            if pruned:
                con.execute("DELETE FROM monitor_seen WHERE slice_ts < ?", [cutoff])
            self._evict(self.day)

        touched = agg.touched
        buckets: dict[str, tuple[datetime, np.ndarray, np.ndarray, np.ndarray]] = {}
        for g in sig.GRANULARITIES:
            start = sig.bucket_start(ts, g)
            key = (g, start)
            old = self._bucket(g, start)
            if key not in self._stored:
                self._stored[key], self._touched[key] = old, touched
            else:
                self._touched[key] = np.union1d(self._touched[key], touched)
            acc = old + agg.values
            self.buckets[key] = acc
            med, mad = self._baseline(g, start.date())
            buckets[g] = (start, sig.output_values(acc), med, mad)
        if len(dyads):  # the ledger holds hours; monitor_dyads sums them into days
            self._dyads.setdefault(sig.bucket_start(ts, "hour"), []).append(dyads)
        new_cover = {g: sig.bucket_start(ts, g) not in self.covered[g] for g in sig.GRANULARITIES}
        for g in sig.GRANULARITIES:
            self.covered[g].add(sig.bucket_start(ts, g))

        if len(new_ids):
            self._p_seen.append((new_ids, ts))
        gaps = 0
        if late:
            if ts in self._p_gaps:
                self._p_gaps.discard(ts)
            else:
                self._p_ungap.add(ts)
        elif self.watermark is not None and ts - self.watermark > timedelta(minutes=SLICE_MINUTES):
            step = timedelta(minutes=SLICE_MINUTES)
            missing = [self.watermark + step * k for k in range(1, int((ts - self.watermark) / step))]
            self._p_gaps.update(missing)
            gaps = len(missing)
        self._p_slices.append([ts, parsed.path, parsed.sha256, parsed.events, len(new_ids), late, _now(),
                               agg.articles])
        self.watermark = ts if self.watermark is None else max(self.watermark, ts)
        self._p_mark = True
        self.processed[ts] = parsed.sha256
        self.seen.update(new_ids.tolist())
        if pruned:
            self.seen.difference_update(pruned)
        if late:  # write it all now: the evaluator re-reads the store after a late slice
            self._flush()
            if any(new_cover.values()) or len(touched):
                self._refresh_after(ts.date())
        summary = SliceSummary(ts, parsed.path, "processed", parsed.events, len(new_ids), late, len(touched),
                               agg.unmapped, gaps, touched=tuple(codes.country_index()[i] for i in touched),
                               articles=agg.articles)
        return summary, SliceChanges(ts, buckets, dyads, agg.articles, reload=late)

    # -- the bucket cache ---------------------------------------------------------------
    def _load_buckets(self, granularity: str, starts: Sequence[datetime]) -> None:
        """Fill the bucket cache for ``starts`` from the store (absent rows are zeros)."""
        missing = [t for t in starts if (granularity, t) not in self.buckets]
        blank = [t for t in missing if t not in self.covered[granularity]]  # never written: no rows to read
        for t in blank:
            self.buckets[(granularity, t)] = np.zeros((len(codes.country_index()), sig.ACC))
        missing = [t for t in missing if t in self.covered[granularity]]
        if not missing:
            return
        n_c, n_m = len(codes.country_index()), len(sig.METRICS)
        values = np.zeros((len(missing), n_c, n_m))
        values[..., sig.I_TONE] = np.nan
        df = self.con.execute(
            "SELECT iso3, ts, metric, value FROM monitor_signals WHERE granularity = ? AND list_contains(?, ts)",
            [granularity, missing]).df()
        df = df[df["metric"].isin(sig._IDX.keys())]
        if not df.empty:
            stamps = np.array(missing, dtype="datetime64[us]")
            order = np.argsort(stamps)
            ti = order[np.searchsorted(stamps[order], df["ts"].to_numpy(dtype="datetime64[us]"))]
            ci = df["iso3"].map(codes.iso3_position()).to_numpy(dtype=np.int64)
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
        """Write everything pending: signal rows, dyad counts, seen ids, slice rows, gaps, the watermark."""
        con, now = self.con, _now()
        self._flush_signals()
        self._flush_dyads()
        self._flush_seen()
        if self._p_ungap:
            con.execute("DELETE FROM monitor_gaps WHERE list_contains(?, slice_ts)", [sorted(self._p_ungap)])
        if self._p_gaps:
            con.execute("INSERT INTO monitor_gaps SELECT unnest(?::TIMESTAMP[]), ?::TIMESTAMP",
                        [sorted(self._p_gaps), now])
        if self._p_slices:
            cols = list(zip(*self._p_slices, strict=True))
            con.execute("INSERT INTO monitor_slices (slice_ts, file, sha256, events, new_events, late, processed_at,"
                        " articles) SELECT * FROM (SELECT unnest(?::TIMESTAMP[]), unnest(?::VARCHAR[]),"
                        " unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::INTEGER[]), unnest(?::BOOLEAN[]),"
                        " unnest(?::TIMESTAMP[]), unnest(?::INTEGER[]))", [list(c) for c in cols])
        if self._p_mark and self.watermark is not None:
            con.execute("UPDATE monitor_state SET value = ?, updated_at = ? WHERE key = 'watermark'",
                        [self.watermark.isoformat(), now])
        self._p_gaps, self._p_ungap, self._p_slices, self._p_mark = set(), set(), [], False

    def _flush_dyads(self) -> None:
        if not self._dyads:
            return
        now = _now()
        rows = [dy.dyad_rows(ts, dy.merge(parts), now) for ts, parts in sorted(self._dyads.items())]
        self._dyads = {}
        self.con.register("_dyad_rows", pa.concat_tables(rows))
        try:
            self.con.execute(dy.INSERT_SQL)
        finally:
            self.con.unregister("_dyad_rows")

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
        updates: list[pa.Table] = []
        for (g, start), stored in self._stored.items():
            med, mad = self._baseline(g, start.date())
            rows, existed, changed = sig.signal_rows(g, start, self._touched[(g, start)],
                                                     sig.output_values(self.buckets[(g, start)]), med, mad, now,
                                                     previous=sig.output_values(stored))
            inserts.append(rows.filter(pa.array(~existed)))
            updates.append(rows.filter(pa.array(existed & changed)))
        starts = sorted(t for _, t in self._stored)
        self._stored, self._touched = {}, {}
        self._update_rows(updates, starts)
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

    def _update_rows(self, rows: list[pa.Table], starts: list[datetime]) -> None:
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
                "anomaly = r.anomaly, updated_at = r.updated_at FROM _mon_upd AS r WHERE s.ts >= ? AND s.ts <= ? "
                "AND s.granularity = r.granularity AND s.ts = r.ts AND s.iso3 = r.iso3 AND s.metric = r.metric",
                [min(starts), max(starts)])
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
                self._update_rows(rows, starts)


def processed_slices(store: Store) -> pd.DataFrame:
    """The ``monitor_slices`` table, in time order."""
    if not store.has_table("monitor_slices"):
        return pd.DataFrame(columns=["slice_ts", "file", "sha256", "events", "new_events", "late", "processed_at",
                                     "articles"])
    return store.con.execute("SELECT * FROM monitor_slices ORDER BY slice_ts").df()


def gaps(store: Store) -> pd.DataFrame:
    """The ``monitor_gaps`` table: missing 15-minute slices between processed ones."""
    if not store.has_table("monitor_gaps"):
        return pd.DataFrame(columns=["slice_ts", "detected_at"])
    return store.con.execute("SELECT * FROM monitor_gaps ORDER BY slice_ts").df()


def quarantined_slices(store: Store) -> pd.DataFrame:
    """The ``monitor_quarantine`` table: slices that could not be read, and why."""
    if not store.has_table("monitor_quarantine"):
        return pd.DataFrame(columns=["slice_ts", "sha256", "file", "error", "quarantined_at"])
    return store.con.execute("SELECT * FROM monitor_quarantine ORDER BY slice_ts").df()


__all__ = ["DEFAULT_RETENTION_DAYS", "SCHEMA_VERSION", "SLICE_MINUTES", "STREAM_DDL", "EventStream", "SliceChanges",
           "gaps", "processed_slices", "quarantined_slices"]

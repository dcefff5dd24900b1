"""The slice processor :class:`EventStream` (see :mod:`cultrade.monitor.stream` for what it stores)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from cultrade.errors import ConfigError, StoreError
from cultrade.monitor import signals as sig
from cultrade.monitor.persist import StreamState, _now
from cultrade.monitor.slices import OnSlice, ParsedSlice, SliceSummary, read_slice, slice_time
from cultrade.store import Store

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
SLICE_MINUTES = 15
DEFAULT_RETENTION_DAYS = 7

STREAM_DDL = (
    """CREATE TABLE IF NOT EXISTS monitor_slices (
        slice_ts TIMESTAMP PRIMARY KEY, file VARCHAR, sha256 VARCHAR, events INTEGER, new_events INTEGER,
        late BOOLEAN, processed_at TIMESTAMP)""",
    "CREATE TABLE IF NOT EXISTS monitor_state (key VARCHAR PRIMARY KEY, value VARCHAR, updated_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS monitor_seen (globaleventid BIGINT NOT NULL, slice_ts TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS monitor_gaps (slice_ts TIMESTAMP PRIMARY KEY, detected_at TIMESTAMP)",
    sig.SIGNALS_DDL,
)

class EventStream(StreamState):
    """Processes slices into the store; keeps caches of the recent buckets, baselines and seen ids.

    The store is the truth: the caches are rebuilt from it on start and after any failed transaction.
    """

    def __init__(self, store: Store, *, on_slice: Iterable[OnSlice] = (),
                 retention_days: int = DEFAULT_RETENTION_DAYS, durable: bool = True, batch: int = 1) -> None:
        if retention_days < 1:
            raise ConfigError(f"retention_days must be at least 1, got {retention_days}",
                              hint="keep seen event ids for a week (7) or more")
        self.store = store
        self.con = store.con
        hooks = list(on_slice)
        # Transactional hooks (the rules engine) run inside the slice's transaction; the others after the commit.
        self.rules: list[Any] = [h for h in hooks if getattr(h, "transactional", False)]
        self.on_slice = [h for h in hooks if not getattr(h, "transactional", False)]
        if batch < 1:
            raise ConfigError(f"batch must be at least 1, got {batch}", hint="commit every slice (1) or more")
        self.batch = batch
        self.retention_days = retention_days
        self.mapper = sig.CodeMapper()
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
        # countries touched since; seen ids, slice rows, gaps added/removed, whether the watermark moved.
        self._stored: dict[tuple[str, datetime], np.ndarray] = {}
        self._touched: dict[tuple[str, datetime], np.ndarray] = {}
        self._p_seen: list[tuple[np.ndarray, datetime]] = []
        self._p_slices: list[list[Any]] = []
        self._p_gaps: set[datetime] = set()
        self._p_ungap: set[datetime] = set()
        self._p_mark = False

    def is_processed(self, ts: datetime) -> bool:
        return ts in self.processed

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

    def _apply(self, parsed: ParsedSlice) -> tuple[SliceSummary, Any]:
        from cultrade.monitor.evaluator import SliceChanges

        con, ts, table = self.con, parsed.ts, parsed.table
        late = self.watermark is not None and ts < self.watermark
        if late:
            self._flush()  # a late slice rewrites older buckets directly: bring the store up to date first
        ids = table.column("GLOBALEVENTID").to_numpy()
        seen = self.seen
        ids_list = ids.tolist()
        pre = parsed.pre
        if pre is not None and pre.unique and seen.isdisjoint(ids_list):
            new_ids, agg = ids, pre.aggregate()  # every event is new: the prefetched sums are this slice's
        else:
            if pre is not None and not pre.complete:
                table = parsed.full().table  # a reader sent the ids only
            first = np.zeros(len(ids), dtype=bool)
            first[np.unique(ids, return_index=True)[1]] = True  # a repeat inside one file counts once too
            fresh = np.fromiter((i not in seen for i in ids_list), dtype=bool, count=len(ids_list)) & first
            new = table.filter(pa.array(fresh)) if not fresh.all() else table
            new_ids = ids[fresh]
            agg = sig.aggregate_events(new, self.mapper)

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
        new_cover = {g: sig.bucket_start(ts, g) not in self.covered[g] for g in sig.GRANULARITIES}
        for g in sig.GRANULARITIES:
            self.covered[g].add(sig.bucket_start(ts, g))
        if late:
            self._flush_signals()
            if any(new_cover.values()) or len(touched):
                self._refresh_after(ts.date())

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
        self._p_slices.append([ts, parsed.path, parsed.sha256, parsed.events, len(new_ids), late, _now()])
        self.watermark = ts if self.watermark is None else max(self.watermark, ts)
        self._p_mark = True
        self.processed[ts] = parsed.sha256
        self.seen.update(ids_list if new_ids is ids else new_ids.tolist())
        if pruned:
            self.seen.difference_update(pruned)
        summary = SliceSummary(ts, parsed.path, "processed", parsed.events, len(new_ids), late, len(touched),
                               agg.unmapped, gaps, touched=tuple(sig.country_index()[i] for i in touched))
        return summary, SliceChanges(ts, buckets, reload=late)


__all__ = ["DEFAULT_RETENTION_DAYS", "SCHEMA_VERSION", "SLICE_MINUTES", "STREAM_DDL", "EventStream"]

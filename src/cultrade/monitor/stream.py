"""The GDELT 2.0 event stream: 15-minute export slices → deduplicated events → country signals.

Three ways in, one processor (:class:`EventStream`):

* :func:`replay` a date range of stored slices in time order (reading and parsing
  the next slices in a background thread while the current one is committed);
* :func:`watch` a directory, polling every ``interval`` seconds for new
  ``<YYYYMMDDHHMMSS>.export.CSV[.gz|.zip]`` files (``max_iterations`` or a
  ``stop`` callable end the loop; write files atomically, e.g. with a rename: a
  file that cannot be read yet is retried :data:`READ_RETRIES` times);
* :func:`live` from GDELT's lastupdate/master file lists (:mod:`cultrade.sources.fetch`):
  each export is downloaded with its md5 checked, then processed.

Each slice is committed in ONE store transaction with everything it changes:
its ``monitor_slices`` row, the new GLOBALEVENTIDs in ``monitor_seen``, the
signal rows of its buckets (``monitor_signals``, see :mod:`cultrade.monitor.signals`),
the gaps it reveals and the watermark. A restart (even after SIGKILL) reopens
the store, finds the processed slices there and carries on: no slice is
processed twice (a slice already in ``monitor_slices`` is skipped) and none is
skipped. Callbacks ``on_slice(store, slice_ts, summary)`` run after each commit.

Tables (all times UTC, naive ``TIMESTAMP``):

``monitor_slices(slice_ts PK, file, sha256, events, new_events, late, processed_at)``
    one row per processed slice; ``events - new_events`` are duplicates dropped.
``monitor_state(key PK, value, updated_at)``
    ``watermark`` (the latest slice processed, ISO format), ``schema_version``,
    ``seen_retention_days``.
``monitor_seen(globaleventid, slice_ts)``
    the ids already counted and the slice that first held them. An event counts
    once, in the bucket of the first processed slice that holds it. Ids whose
    slice is more than ``retention_days`` (default 7) days older than the
    newest slice are pruned at each day change, so an event repeated after that
    would count again. GDELT repeats an event when it updates it, within hours
    to days; the real 2025 set repeats none of its 1,044,402 events.
``monitor_gaps(slice_ts PK, detected_at)``
    15-minute slices missing between processed ones (recorded, not errors). A
    slice older than the watermark that was never processed is a *late arrival*:
    it is processed, flagged ``late``, removed from the gaps, and the baselines
    of the 7 following days are recomputed; one already processed is skipped.

>>> slice_time("20250515194500.export.CSV.gz")
datetime.datetime(2025, 5, 15, 19, 45)
>>> slice_time("20250515194500.mentions.CSV.zip") is None
True
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import re
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cultrade.errors import ConfigError, CultradeError, SourceFormatError, StoreError
from cultrade.monitor import signals as sig
from cultrade.sources.gdelt import V2_COLUMNS
from cultrade.store import Store

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
SLICE_MINUTES = 15
DEFAULT_RETENTION_DAYS = 7
READ_RETRIES = 3
# Replay commits up to REPLAY_BATCH slices spanning less than REPLAY_SPAN per transaction (watch and live: one).
REPLAY_BATCH = 48
REPLAY_SPAN = timedelta(hours=6)
_SLICE_NAME = re.compile(r"^(\d{14})\.export\.csv(\.gz|\.zip)?$", re.IGNORECASE)
_HINT = "the slice is damaged or truncated; download it again from data.gdeltproject.org"

# Only these columns are parsed (pyarrow skips the others while tokenising).
COLUMNS = ("GLOBALEVENTID", "Actor1CountryCode", "Actor2CountryCode", "EventBaseCode", "EventRootCode",
           "QuadClass", "GoldsteinScale", "NumMentions", "AvgTone", "ActionGeo_CountryCode", "DATEADDED")
_TYPES = {"GLOBALEVENTID": pa.int64(), "QuadClass": pa.int8(), "EventRootCode": pa.int16(), "GoldsteinScale": pa.float64(),
          "NumMentions": pa.int64(), "AvgTone": pa.float64()}
_READ = pacsv.ReadOptions(column_names=V2_COLUMNS, use_threads=False, block_size=1 << 24)
_PARSE = pacsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False, newlines_in_values=False)
_CONVERT = pacsv.ConvertOptions(include_columns=list(COLUMNS),
                                column_types={c: _TYPES.get(c, pa.string()) for c in COLUMNS},
                                strings_can_be_null=True, quoted_strings_can_be_null=False)

STREAM_DDL = (
    """CREATE TABLE IF NOT EXISTS monitor_slices (
        slice_ts TIMESTAMP PRIMARY KEY, file VARCHAR, sha256 VARCHAR, events INTEGER, new_events INTEGER,
        late BOOLEAN, processed_at TIMESTAMP)""",
    "CREATE TABLE IF NOT EXISTS monitor_state (key VARCHAR PRIMARY KEY, value VARCHAR, updated_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS monitor_seen (globaleventid BIGINT NOT NULL, slice_ts TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS monitor_gaps (slice_ts TIMESTAMP PRIMARY KEY, detected_at TIMESTAMP)",
    sig.SIGNALS_DDL,
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def slice_time(path: str | Path) -> datetime | None:
    """The DATEADDED of a GDELT 2.0 export slice from its file name; None for any other file."""
    m = _SLICE_NAME.match(Path(path).name)
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def list_slices(directory: str | Path, start: datetime | None = None, end: datetime | None = None
                ) -> list[tuple[datetime, Path]]:
    """Slices in ``directory`` with start <= time < end, in time order (hidden/partial files ignored)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise ConfigError(f"not a folder of GDELT slices: {folder}", path=folder,
                          hint="pass the folder holding <YYYYMMDDHHMMSS>.export.CSV.gz files")
    found: dict[datetime, Path] = {}
    for p in folder.iterdir():
        if p.name.startswith(".") or (ts := slice_time(p)) is None:
            continue
        in_range = (start is None or ts >= start) and (end is None or ts < end)
        # Prefer .gz over .zip over plain when a slice exists twice.
        if in_range and (ts not in found or _rank(p) < _rank(found[ts])):
            found[ts] = p
    return sorted(found.items())


def _rank(path: Path) -> int:
    return {".gz": 0, ".zip": 1}.get(path.suffix.lower(), 2)


# -- reading one slice ----------------------------------------------------------------------
@dataclass
class ParsedSlice:
    ts: datetime
    path: str
    sha256: str
    table: pa.Table

    @property
    def events(self) -> int:
        return int(self.table.num_rows)


def _decompress(path: Path, raw: bytes) -> bytes:
    suffix = path.suffix.lower()
    try:
        if suffix == ".gz":
            return gzip.decompress(raw)
        if suffix == ".zip":
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                members = [m for m in archive.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    raise SourceFormatError(f"the zip holds {len(members)} files, GDELT zips hold one", path=path,
                                            hint="pass the .export.CSV.zip exactly as GDELT publishes it")
                return archive.read(members[0])
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise SourceFormatError(f"cannot decompress the slice ({exc})", path=path, hint=_HINT) from exc
    return raw


def parse_slice(data: bytes, ts: datetime, *, path: str | Path = "<bytes>", sha256: str = "") -> ParsedSlice:
    """Parse an uncompressed slice (61 tab-separated columns, no header), keeping :data:`COLUMNS`."""
    if not data.strip():
        table = pa.table({c: pa.array([], type=_TYPES.get(c, pa.string())) for c in COLUMNS})
        return ParsedSlice(ts, str(path), sha256, table)
    try:
        table = pacsv.read_csv(pa.py_buffer(data), read_options=_READ, parse_options=_PARSE,
                               convert_options=_CONVERT)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        text = str(exc)
        row = re.search(r"row (\d+)|line (\d+)", text)
        raise SourceFormatError(f"not a GDELT 2.0 export slice ({text.splitlines()[0]})", path=path,
                                row=int(next(g for g in row.groups() if g)) if row else None,
                                hint="slices have 61 tab-separated fields and no header; " + _HINT) from exc
    stamp = ts.strftime("%Y%m%d%H%M%S")
    added = table.column("DATEADDED")
    if added.null_count or not pc.all(pc.equal(added, stamp)).as_py():
        bad = pc.index(pc.not_equal(added.fill_null(""), stamp), True).as_py()
        raise SourceFormatError(f"DATEADDED differs from the slice time {stamp} in the file name", path=path,
                                row=int(bad) + 1 if bad is not None and bad >= 0 else None, column="DATEADDED",
                                hint="GDELT names each slice by its DATEADDED; rename the file or fix the rows")
    if table.column("GLOBALEVENTID").null_count:
        raise SourceFormatError("GLOBALEVENTID is empty", path=path, column="GLOBALEVENTID",
                                hint="every event needs its id; " + _HINT)
    return ParsedSlice(ts, str(path), sha256, table)


def read_slice(path: str | Path) -> ParsedSlice:
    """Read, hash, decompress and parse one slice file."""
    p = Path(path)
    ts = slice_time(p)
    if ts is None:
        raise ConfigError(f"not a GDELT 2.0 export slice name: {p.name}", path=p,
                          hint="slices are named <YYYYMMDDHHMMSS>.export.CSV[.gz|.zip]")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SourceFormatError(f"cannot read the slice ({exc})", path=p, hint="check the file") from exc
    return parse_slice(_decompress(p, raw), ts, path=p, sha256=hashlib.sha256(raw).hexdigest())


# -- the processor --------------------------------------------------------------------------
@dataclass(frozen=True)
class SliceSummary:
    """What one slice did; passed to ``on_slice`` callbacks."""

    slice_ts: datetime
    file: str
    status: str  # processed | skipped
    events: int = 0
    new_events: int = 0
    late: bool = False
    countries: int = 0
    unmapped: int = 0
    gaps: int = 0
    seconds: float = 0.0
    touched: tuple[str, ...] = ()

    @property
    def duplicates(self) -> int:
        return self.events - self.new_events


class OnSlice(Protocol):
    def __call__(self, store: Store, slice_ts: datetime, summary: SliceSummary) -> Any: ...


@dataclass
class StreamReport:
    """Totals of a replay, watch or live run."""

    processed: int = 0
    skipped: int = 0
    late: int = 0
    missing: int = 0
    failed: int = 0
    events: int = 0
    new_events: int = 0
    seconds: float = 0.0
    first: datetime | None = None
    last: datetime | None = None
    summaries: list[SliceSummary] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.events - self.new_events

    def add(self, s: SliceSummary) -> None:
        self.summaries.append(s)
        if s.status == "skipped":
            self.skipped += 1
            return
        self.processed += 1
        self.late += int(s.late)
        self.events += s.events
        self.new_events += s.new_events
        self.first = s.slice_ts if self.first is None else min(self.first, s.slice_ts)
        self.last = s.slice_ts if self.last is None else max(self.last, s.slice_ts)

    def as_dict(self) -> dict[str, Any]:
        return {"processed": self.processed, "skipped": self.skipped, "late": self.late, "missing": self.missing,
                "failed": self.failed, "events": self.events, "new_events": self.new_events,
                "duplicates": self.duplicates, "seconds": round(self.seconds, 3)}


class EventStream:
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
        first = np.zeros(len(ids), dtype=bool)
        first[np.unique(ids, return_index=True)[1]] = True  # a repeat inside one file counts once too
        seen = self.seen
        ids_list = ids.tolist()
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
        self.seen.update(new_ids.tolist())
        if pruned:
            self.seen.difference_update(pruned)
        summary = SliceSummary(ts, parsed.path, "processed", parsed.events, len(new_ids), late, len(touched),
                               agg.unmapped, gaps, touched=tuple(sig.country_index()[i] for i in touched))
        return summary, SliceChanges(ts, buckets, reload=late)

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


# -- drivers --------------------------------------------------------------------------------
Progress = Callable[[SliceSummary], Any]


def _prefetched(paths: Sequence[Path], depth: int) -> Iterator[tuple[Path, Future[ParsedSlice]]]:
    """Read and parse upcoming slices in a background thread (gzip, pyarrow and DuckDB release the GIL)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cultrade-slices") as pool:
        queue: list[tuple[Path, Future[ParsedSlice]]] = []
        it = iter(paths)
        for p in it:
            queue.append((p, pool.submit(read_slice, p)))
            if len(queue) >= depth:
                break
        while queue:
            head = queue.pop(0)
            nxt = next(it, None)
            if nxt is not None:
                queue.append((nxt, pool.submit(read_slice, nxt)))
            yield head


def expected_slices(start: datetime, end: datetime) -> int:
    """How many 15-minute slices GDELT publishes with start <= time < end."""
    return max(0, int((end - start) / timedelta(minutes=SLICE_MINUTES)))


def replay(store: Store, directory: str | Path, start: datetime | None = None, end: datetime | None = None, *,
           on_slice: Iterable[OnSlice] = (), progress: Progress | None = None, prefetch: int = 4,
           retention_days: int = DEFAULT_RETENTION_DAYS, durable: bool = True,
           stream: EventStream | None = None, batch: int = REPLAY_BATCH,
           batch_span: timedelta = REPLAY_SPAN) -> StreamReport:
    """Process the stored slices with start <= time < end in time order; processed ones are skipped.

    Slices are committed in batches of at most ``batch`` slices spanning less than ``batch_span`` of data
    time (one transaction each, with the rules' transitions and outbox rows): a crash loses at most the
    open batch, which a rerun processes again.
    ``missing`` in the report counts the 15-minute slices of the range that have no file.
    """
    t0 = time.perf_counter()
    stream = stream or EventStream(store, on_slice=on_slice, retention_days=retention_days, durable=durable)
    found = list_slices(directory, start, end)
    report = StreamReport()
    if found:
        lo = start or found[0][0]
        hi = end or found[-1][0] + timedelta(minutes=SLICE_MINUTES)
        report.missing = expected_slices(lo, hi) - len(found)
    todo = []
    for ts, path in found:
        if stream.is_processed(ts):
            s = SliceSummary(ts, str(path), "skipped")
            report.add(s)
            if progress:
                progress(s)
        else:
            todo.append(path)

    def commit(parsed: list[ParsedSlice]) -> None:
        for s in stream.process_batch(parsed):
            report.add(s)
            if progress:
                progress(s)
        parsed.clear()

    pending: list[ParsedSlice] = []
    for _path, future in _prefetched(todo, max(1, prefetch, min(batch, 16))):
        try:
            parsed = future.result()
        except CultradeError as exc:
            report.failed += 1
            report.errors.append(str(exc))
            log.error("%s", exc)
            continue
        if pending and (len(pending) >= batch or parsed.ts - pending[0].ts >= batch_span):
            commit(pending)
        pending.append(parsed)
    if pending:
        commit(pending)
    report.seconds = time.perf_counter() - t0
    return report


def watch(store: Store, directory: str | Path, *, interval: float = 5.0, max_iterations: int | None = None,
          stop: Callable[[], bool] | None = None, on_slice: Iterable[OnSlice] = (),
          progress: Progress | None = None, retention_days: int = DEFAULT_RETENTION_DAYS, durable: bool = True,
          stream: EventStream | None = None, sleep: Callable[[float], None] = time.sleep) -> StreamReport:
    """Poll ``directory`` for new slices and process them in time order until ``stop()`` or ``max_iterations``.

    A slice that cannot be read (still being written, damaged) is retried on the next
    :data:`READ_RETRIES` polls, then reported as failed.
    """
    t0 = time.perf_counter()
    stream = stream or EventStream(store, on_slice=on_slice, retention_days=retention_days, durable=durable)
    report = StreamReport()
    attempts: dict[Path, int] = {}
    iteration = 0
    while True:
        iteration += 1
        for ts, path in list_slices(directory):
            if stream.is_processed(ts) or attempts.get(path, 0) >= READ_RETRIES:
                continue
            try:
                parsed = read_slice(path)
            except SourceFormatError as exc:
                attempts[path] = attempts.get(path, 0) + 1
                if attempts[path] >= READ_RETRIES:
                    report.failed += 1
                    report.errors.append(str(exc))
                    log.error("giving up on %s: %s", path, exc)
                continue
            s = stream.process(parsed)
            report.add(s)
            if progress:
                progress(s)
        if (max_iterations is not None and iteration >= max_iterations) or (stop is not None and stop()):
            break
        sleep(interval)
    report.seconds = time.perf_counter() - t0
    return report


def live(store: Store, dest: str | Path, *, fetcher: Any = None, entries: Sequence[Any] | None = None,
         start: datetime | None = None, end: datetime | None = None, master: bool = False,
         interval: float = 900.0, max_iterations: int | None = 1, stop: Callable[[], bool] | None = None,
         on_slice: Iterable[OnSlice] = (), progress: Progress | None = None,
         retention_days: int = DEFAULT_RETENTION_DAYS, durable: bool = True,
         sleep: Callable[[float], None] = time.sleep) -> StreamReport:
    """Download export slices listed by GDELT (lastupdate.txt, or the master list) into ``dest`` and process them.

    ``entries`` (:class:`cultrade.sources.fetch.GdeltFile`) skips the list request. Each
    download is md5-checked by :func:`cultrade.sources.fetch.download_gdelt_file`. With
    ``max_iterations`` > 1 the list is polled again every ``interval`` seconds.
    """
    from cultrade.sources.fetch import download_gdelt_file, gdelt_file_list

    t0 = time.perf_counter()
    stream = EventStream(store, on_slice=on_slice, retention_days=retention_days, durable=durable)
    report = StreamReport()
    Path(dest).mkdir(parents=True, exist_ok=True)
    iteration = 0
    while True:
        iteration += 1
        listed = list(entries) if entries is not None else gdelt_file_list(
            start=start, end=end, kind="export", master=master, fetcher=fetcher)
        for entry in sorted((e for e in listed if e.kind == "export"), key=lambda e: e.timestamp):
            if stream.is_processed(entry.timestamp):
                continue
            path = download_gdelt_file(entry, dest, fetcher=fetcher)
            s = stream.process(read_slice(path))
            report.add(s)
            if progress:
                progress(s)
        if (max_iterations is not None and iteration >= max_iterations) or (stop is not None and stop()):
            break
        sleep(interval)
    report.seconds = time.perf_counter() - t0
    return report


def processed_slices(store: Store) -> pd.DataFrame:
    """The ``monitor_slices`` table, in time order."""
    if not store.has_table("monitor_slices"):
        return pd.DataFrame(columns=["slice_ts", "file", "sha256", "events", "new_events", "late", "processed_at"])
    return store.con.execute("SELECT * FROM monitor_slices ORDER BY slice_ts").df()


def gaps(store: Store) -> pd.DataFrame:
    """The ``monitor_gaps`` table: missing 15-minute slices between processed ones."""
    if not store.has_table("monitor_gaps"):
        return pd.DataFrame(columns=["slice_ts", "detected_at"])
    return store.con.execute("SELECT * FROM monitor_gaps ORDER BY slice_ts").df()


__all__ = ["COLUMNS", "DEFAULT_RETENTION_DAYS", "EventStream", "OnSlice", "ParsedSlice", "SliceSummary",
           "StreamReport", "expected_slices", "gaps", "list_slices", "live", "parse_slice", "processed_slices",
           "read_slice", "replay", "slice_time", "watch"]

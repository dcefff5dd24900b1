"""The GDELT 2.0 event stream: 15-minute export slices → deduplicated events → country signals.

Three ways in, one processor (:class:`EventStream`):

* :func:`replay` a date range of stored slices in time order (reading, parsing and
  summing the next slices in worker processes while the current ones are committed);
* :func:`watch` a directory, polling every ``interval`` seconds for new
  ``<YYYYMMDDHHMMSS>.export.CSV[.gz|.zip]`` files (``max_iterations`` or a
  ``stop`` callable end the loop; write files atomically, e.g. with a rename: a
  file that cannot be read yet is retried :data:`READ_RETRIES` times);
* :func:`live` from GDELT's lastupdate/master file lists (:mod:`cultrade.sources.fetch`):
  each export is downloaded with its md5 checked, then processed.

Each slice (in :func:`replay`, each batch of up to :data:`REPLAY_BATCH` slices) is committed in ONE store
transaction with everything it changes:
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

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from cultrade.errors import CultradeError, SourceFormatError
from cultrade.monitor.persist import StreamState
from cultrade.monitor.prefetch import DEFAULT_WORKERS, prefetched
from cultrade.monitor.processor import (
    DEFAULT_RETENTION_DAYS,
    SCHEMA_VERSION,
    SLICE_MINUTES,
    STREAM_DDL,
    EventStream,
)
from cultrade.monitor.slices import (
    COLUMNS,
    OnSlice,
    ParsedSlice,
    SliceSummary,
    StreamReport,
    list_slices,
    parse_slice,
    read_slice,
    slice_time,
)
from cultrade.store import Store

log = logging.getLogger(__name__)

READ_RETRIES = 3
# Replay commits up to REPLAY_BATCH slices spanning less than REPLAY_SPAN per transaction (watch and live: one).
REPLAY_BATCH = 192
REPLAY_SPAN = timedelta(hours=48)


# -- drivers --------------------------------------------------------------------------------
Progress = Callable[[SliceSummary], Any]


def expected_slices(start: datetime, end: datetime) -> int:
    """How many 15-minute slices GDELT publishes with start <= time < end."""
    return max(0, int((end - start) / timedelta(minutes=SLICE_MINUTES)))


def replay(store: Store, directory: str | Path, start: datetime | None = None, end: datetime | None = None, *,
           on_slice: Iterable[OnSlice] = (), progress: Progress | None = None, prefetch: int = 64,
           workers: int = DEFAULT_WORKERS,
           retention_days: int = DEFAULT_RETENTION_DAYS, durable: bool = True,
           stream: EventStream | None = None, batch: int = REPLAY_BATCH,
           batch_span: timedelta = REPLAY_SPAN) -> StreamReport:
    """Process the stored slices with start <= time < end in time order; processed ones are skipped.

    Slices are committed in batches of at most ``batch`` slices spanning less than ``batch_span`` of data
    time (one transaction each, with the rules' transitions and outbox rows): a crash loses at most the
    open batch, which a rerun processes again.
    ``missing`` in the report counts the 15-minute slices of the range that have no file. Up to ``prefetch``
    slices are read ahead by ``workers`` processes (:mod:`cultrade.monitor.prefetch`; 0: read here).
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
    for _path, parsed in prefetched(todo, workers=workers, depth=max(1, prefetch)):
        if isinstance(parsed, CultradeError):
            report.failed += 1
            report.errors.append(str(parsed))
            log.error("%s", parsed)
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

__all__ = ["COLUMNS", "DEFAULT_RETENTION_DAYS", "READ_RETRIES", "REPLAY_BATCH", "REPLAY_SPAN", "SCHEMA_VERSION",
           "SLICE_MINUTES", "STREAM_DDL", "EventStream", "OnSlice", "ParsedSlice", "SliceSummary", "StreamReport",
           "StreamState", "expected_slices", "gaps", "list_slices", "live", "parse_slice", "processed_slices",
           "read_slice", "replay", "slice_time", "watch"]

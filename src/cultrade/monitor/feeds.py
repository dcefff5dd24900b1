"""The three ways slices reach the :class:`~cultrade.monitor.stream.EventStream`:

* :func:`replay` a date range of stored slices in time order, committing batches of up to
  :data:`REPLAY_BATCH` slices (spanning less than :data:`REPLAY_SPAN`); with ``workers`` > 0 the next
  slices are read and parsed ahead in a :class:`concurrent.futures.ProcessPoolExecutor` (forkserver);
* :func:`watch` a directory, polling every ``interval`` seconds for new
  ``<YYYYMMDDHHMMSS>.export.CSV[.gz|.zip]`` files (``max_iterations`` or a ``stop`` callable end the loop;
  write files atomically, e.g. with a rename: a file that cannot be read is retried on the next
  :data:`READ_RETRIES` polls before it is quarantined);
* :func:`live` from GDELT's lastupdate/master file lists (:mod:`cultrade.sources.fetch`): each export is
  downloaded with its md5 checked, then processed.

A slice that cannot be read is *quarantined* (:meth:`EventStream.quarantine`: recorded in
``monitor_quarantine`` with the :class:`~cultrade.errors.CultradeError` that says why, counted as ``failed``
in the :class:`~cultrade.monitor.slices.StreamReport`), and the others are processed: one damaged file never
stops a replay or a watcher, and nothing already stored changes.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cultrade.errors import CultradeError, SourceFormatError
from cultrade.monitor.slices import (
    OnSlice,
    ParsedSlice,
    SliceSummary,
    StreamReport,
    list_slices,
    read_slice,
    read_slice_or_error,
    slice_time,
)
from cultrade.monitor.stream import DEFAULT_RETENTION_DAYS, SLICE_MINUTES, EventStream
from cultrade.store import Store

log = logging.getLogger(__name__)

READ_RETRIES = 3
# Replay commits up to REPLAY_BATCH slices spanning less than REPLAY_SPAN per transaction (watch and live: one).
REPLAY_BATCH = 192
REPLAY_SPAN = timedelta(hours=48)
#: Reader processes of a replay; 0 reads in the calling thread.
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
#: Fewer slices than this are read in the calling thread: a forkserver and its readers take ~1 s to start.
MIN_PATHS = 32

Progress = Callable[[SliceSummary], Any]


def expected_slices(start: datetime, end: datetime) -> int:
    """How many 15-minute slices GDELT publishes with start <= time < end."""
    return max(0, int((end - start) / timedelta(minutes=SLICE_MINUTES)))


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes ('' when it cannot be read)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def read_ahead(paths: Sequence[Path], *, workers: int = DEFAULT_WORKERS, depth: int = 64
               ) -> Iterator[tuple[Path, ParsedSlice | CultradeError]]:
    """Each path with its :func:`read_slice` result (or error), in order; with ``workers`` > 0 and enough
    paths, up to ``depth`` slices are read ahead in reader processes. A reader that dies is not fatal: its
    slice, and the rest, are read here."""
    if workers <= 0 or len(paths) < MIN_PATHS:
        for p in paths:
            yield p, read_slice_or_error(p)
        return
    pending: deque[tuple[Path, Future[ParsedSlice | CultradeError] | None]] = deque()
    rest = iter(paths)
    pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("forkserver"))

    def submit(p: Path) -> None:
        nonlocal pool
        future = None
        if pool is not None:
            try:
                future = pool.submit(read_slice_or_error, p)
            except Exception as exc:  # a broken pool: read the rest here
                log.warning("reader processes stopped (%s); reading here", exc)
                pool.shutdown(wait=False, cancel_futures=True)
                pool = None
        pending.append((p, future))

    try:
        for p in rest:
            submit(p)
            if len(pending) >= depth:
                break
        while pending:
            p, future = pending.popleft()
            result: ParsedSlice | CultradeError
            try:
                result = future.result() if future is not None else read_slice_or_error(p)
            except Exception as exc:  # the reader died (BrokenProcessPool) or could not send the result
                log.warning("reader failed on %s (%s); reading it here", p.name, exc)
                result = read_slice_or_error(p)
            nxt = next(rest, None)
            if nxt is not None:
                submit(nxt)
            yield p, result
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def replay(store: Store, directory: str | Path, start: datetime | None = None, end: datetime | None = None, *,
           on_slice: Iterable[OnSlice] = (), progress: Progress | None = None, workers: int = DEFAULT_WORKERS,
           retention_days: int = DEFAULT_RETENTION_DAYS, durable: bool = True,
           stream: EventStream | None = None, batch: int = REPLAY_BATCH,
           batch_span: timedelta = REPLAY_SPAN) -> StreamReport:
    """Process the stored slices with start <= time < end in time order; processed ones are skipped,
    unreadable ones quarantined.

    Slices are committed in batches of at most ``batch`` slices spanning less than ``batch_span`` of data
    time (one transaction each, with the rules' transitions and outbox rows): a crash loses at most the
    open batch, which a rerun processes again. ``missing`` in the report counts the 15-minute slices of the
    range that have no file.
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
            _note(report, progress, SliceSummary(ts, str(path), "skipped"))
        else:
            todo.append(path)

    pending: list[ParsedSlice] = []

    def commit() -> None:
        for s in stream.process_batch(pending):
            _note(report, progress, s)
        pending.clear()

    for path, parsed in read_ahead(todo, workers=workers):
        if isinstance(parsed, CultradeError):
            if pending:
                commit()  # in time order: what came before the bad slice is committed first
            _note(report, progress, stream.quarantine(path, parsed, file_sha256(path)))
            continue
        if pending and (len(pending) >= batch or parsed.ts - pending[0].ts >= batch_span):
            commit()
        pending.append(parsed)
    if pending:
        commit()
    report.seconds = time.perf_counter() - t0
    return report


def _note(report: StreamReport, progress: Progress | None, summary: SliceSummary) -> None:
    report.add(summary)
    if progress:
        progress(summary)


def watch(store: Store, directory: str | Path, *, interval: float = 5.0, max_iterations: int | None = None,
          stop: Callable[[], bool] | None = None, on_slice: Iterable[OnSlice] = (),
          progress: Progress | None = None, retention_days: int = DEFAULT_RETENTION_DAYS, durable: bool = True,
          stream: EventStream | None = None, sleep: Callable[[float], None] = time.sleep) -> StreamReport:
    """Poll ``directory`` for new slices and process them in time order until ``stop()`` or ``max_iterations``.

    A slice that cannot be read (still being written, damaged) is retried on the next :data:`READ_RETRIES`
    polls, then quarantined; a quarantined file is tried again only when its content changes.
    """
    t0 = time.perf_counter()
    stream = stream or EventStream(store, on_slice=on_slice, retention_days=retention_days, durable=durable)
    report = StreamReport()
    poller = FolderPoller(stream, directory)
    _repeat(poller.poll, report, progress, interval=interval, max_iterations=max_iterations, stop=stop, sleep=sleep)
    report.seconds = time.perf_counter() - t0
    return report


def _repeat(poll: Callable[[], list[SliceSummary]], report: StreamReport, progress: Progress | None, *,
            interval: float, max_iterations: int | None, stop: Callable[[], bool] | None,
            sleep: Callable[[float], None]) -> None:
    """Poll until ``stop()`` or ``max_iterations``, sleeping ``interval`` between polls."""
    iteration = 0
    while True:
        iteration += 1
        for s in poll():
            _note(report, progress, s)
        if (max_iterations is not None and iteration >= max_iterations) or (stop is not None and stop()):
            break
        sleep(interval)


class FolderPoller:
    """One poll of a watched folder at a time (what :func:`watch` and the server's watcher repeat)."""

    def __init__(self, stream: EventStream, directory: str | Path) -> None:
        self.stream = stream
        self.directory = Path(directory)
        self.attempts: dict[tuple[Path, int, int], int] = {}
        self.known_bad = {(ts, sha) for ts, sha in stream.quarantined()}

    def poll(self) -> list[SliceSummary]:
        """Process every new readable slice of the folder (in time order); quarantine the hopeless ones."""
        out = []
        for ts, path in list_slices(self.directory):
            if self.stream.is_processed(ts):
                continue
            try:
                st = path.stat()
            except OSError:
                continue  # renamed or removed meanwhile
            key = (path, st.st_mtime_ns, st.st_size)
            if self.attempts.get(key, 0) >= READ_RETRIES:
                continue
            if self.known_bad and (ts, file_sha256(path)) in self.known_bad:
                self.attempts[key] = READ_RETRIES  # quarantined before, unchanged since
                continue
            try:
                parsed = read_slice(path)
            except SourceFormatError as exc:
                self.attempts[key] = self.attempts.get(key, 0) + 1
                if self.attempts[key] >= READ_RETRIES:
                    out.append(self.stream.quarantine(path, exc, file_sha256(path)))
                continue
            out.append(self.stream.process(parsed))
        return out


def live(store: Store, dest: str | Path, *, fetcher: Any = None, entries: Sequence[Any] | None = None,
         start: datetime | None = None, end: datetime | None = None, master: bool = False,
         interval: float = 900.0, max_iterations: int | None = 1, stop: Callable[[], bool] | None = None,
         on_slice: Iterable[OnSlice] = (), progress: Progress | None = None,
         retention_days: int = DEFAULT_RETENTION_DAYS, durable: bool = True,
         sleep: Callable[[float], None] = time.sleep) -> StreamReport:
    """Download export slices listed by GDELT (lastupdate.txt, or the master list) into ``dest`` and process them.

    ``entries`` (:class:`cultrade.sources.fetch.GdeltFile`) skips the list request. Each download is
    md5-checked by :func:`cultrade.sources.fetch.download_gdelt_file`; a downloaded slice that cannot be read
    is quarantined. With ``max_iterations`` > 1 the list is polled again every ``interval`` seconds.
    """
    t0 = time.perf_counter()
    stream = EventStream(store, on_slice=on_slice, retention_days=retention_days, durable=durable)
    report = StreamReport()
    Path(dest).mkdir(parents=True, exist_ok=True)
    _repeat(lambda: live_poll(stream, dest, fetcher=fetcher, entries=entries, start=start, end=end, master=master),
            report, progress, interval=interval, max_iterations=max_iterations, stop=stop, sleep=sleep)
    report.seconds = time.perf_counter() - t0
    return report


def live_poll(stream: EventStream, dest: str | Path, *, fetcher: Any = None, entries: Sequence[Any] | None = None,
              start: datetime | None = None, end: datetime | None = None,
              master: bool = False) -> list[SliceSummary]:
    """One poll of GDELT's file list: download and process the exports not processed yet."""
    from cultrade.sources.fetch import download_gdelt_file, gdelt_file_list

    listed = list(entries) if entries is not None else gdelt_file_list(
        start=start, end=end, kind="export", master=master, fetcher=fetcher)
    out = []
    for entry in sorted((e for e in listed if e.kind == "export"), key=lambda e: e.timestamp):
        if stream.is_processed(entry.timestamp):
            continue
        path = download_gdelt_file(entry, dest, fetcher=fetcher)
        try:
            parsed = read_slice(path)
        except SourceFormatError as exc:
            out.append(stream.quarantine(path, exc, file_sha256(path)))
            continue
        out.append(stream.process(parsed))
    return out


__all__ = ["DEFAULT_WORKERS", "READ_RETRIES", "REPLAY_BATCH", "REPLAY_SPAN", "FolderPoller", "expected_slices",
           "file_sha256", "live", "live_poll", "read_ahead", "replay", "slice_time", "watch"]

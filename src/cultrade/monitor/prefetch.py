"""Reading, parsing and pre-aggregating upcoming slices in worker processes while the stream commits.

:func:`prefetched` yields the slices of a replay in order, each with its per-country
sums already computed (:class:`Prepared`). The work that needs no stream state
(read, sha256, decompress, parse, validate, map codes, sum per country) runs in a
few reader *processes* (fresh interpreters fed paths over a pipe), so it neither
waits for nor slows the stream's thread on the GIL; the stream only deduplicates, adds the sums to its buckets and runs
the rules. While the pool starts (a fresh interpreter importing pyarrow and
numpy, about a second), the calling thread reads the slices itself, so a short
replay never waits for it. ``workers=0`` reads everything in the calling thread.

>>> from pathlib import Path
>>> folder = Path(__file__).parent.parent / "data" / "gdelt_demo"
>>> paths = sorted(folder.glob("*.export.CSV.gz"))[:3]
>>> [(p.name[:12], type(r).__name__, r.pre is not None) for p, r in prefetched(paths, workers=0)]
[('202506020145', 'ParsedSlice', True), ('202506020330', 'ParsedSlice', True), ('202506020415', 'ParsedSlice', True)]
"""

from __future__ import annotations

import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from cultrade.errors import CultradeError
from cultrade.monitor import signals as sig
from cultrade.monitor.slices import ParsedSlice, read_slice

log = logging.getLogger(__name__)

#: Worker processes of a replay. Two keep up with the stream's thread; more only compete with it for cores.
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
#: Fewer slices than this are read in the calling thread: starting a reader costs ~0.45 s of imports.
MIN_PATHS = 32


@dataclass(frozen=True)
class Prepared:
    """A slice's sums per country over ALL its rows, valid when none of them was seen before: the rows of
    ``values`` for the countries ``touched`` (the others are zero), kept sparse because they travel through a
    pipe. ``unique``: no GLOBALEVENTID repeats inside the file; ``complete``: the slice's table has every
    column (a reader process sends the ids only: :meth:`ParsedSlice.full` reads the rest when needed)."""

    touched: np.ndarray
    rows: np.ndarray
    unmapped: int
    unique: bool
    complete: bool = True

    def aggregate(self) -> sig.SliceAggregate:
        values = np.zeros((len(sig.country_index()), sig.ACC))
        values[self.touched] = self.rows
        return sig.SliceAggregate(values, self.touched, self.unmapped)


_MAPPER: sig.CodeMapper | None = None  # one per process: a cache of code -> country position


def prepare(path: str | Path, *, ids_only: bool = False) -> ParsedSlice:
    """Read one slice and pre-aggregate it (what a reader runs, with ``ids_only``: the table keeps only
    GLOBALEVENTID); raises what :func:`read_slice` raises."""
    global _MAPPER
    if _MAPPER is None:
        _MAPPER = sig.CodeMapper()
    parsed = read_slice(path)
    ids = parsed.table.column("GLOBALEVENTID").to_numpy()
    # GDELT writes ids in ascending order: a strictly rising file has no repeats, without sorting it
    unique = bool((ids[1:] > ids[:-1]).all()) or len(np.unique(ids)) == len(ids)
    agg = sig.aggregate_events(parsed.table, _MAPPER)
    parsed.pre = Prepared(agg.touched, agg.values[agg.touched], agg.unmapped, unique, not ids_only)
    if ids_only:
        parsed.table = parsed.table.select(["GLOBALEVENTID"])
    return parsed


class _Worker:
    """One reader process (:func:`_serve`): paths in on its stdin, pickled
    :class:`ParsedSlice` (or the error) out on its stdout, in order. A fresh interpreter, not a fork: nothing of
    this process (DuckDB's threads, the caller's ``__main__``) is copied or re-run."""

    def __init__(self) -> None:
        # -c, not -m: run as __main__, the module's classes would not unpickle here
        self.proc = subprocess.Popen([sys.executable, "-c", f"from {__name__} import _serve; _serve()"],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, bufsize=0)
        _widen(self.proc.stdout)
        self.ready = threading.Event()
        self.pending: deque[Future[ParsedSlice]] = deque()
        self._lock = threading.Lock()
        self.dead = False
        threading.Thread(target=self._read, daemon=True, name="cultrade-slice-reader").start()

    def submit(self, path: Path) -> Future[ParsedSlice]:
        fut: Future[ParsedSlice] = Future()
        with self._lock:
            if self.dead:
                raise BrokenPipeError("the slice reader process stopped")
            self.pending.append(fut)
        assert self.proc.stdin is not None
        _send(self.proc.stdin, str(path))
        return fut

    def _read(self) -> None:
        assert self.proc.stdout is not None
        out = self.proc.stdout
        try:
            if _receive(out) != "ready":
                return
            self.ready.set()
            while (message := _receive(out)) is not None:
                kind, payload = message
                fut = self.pending.popleft()
                fut.set_result(payload) if kind == "ok" else fut.set_exception(payload)
        except (OSError, EOFError, pickle.UnpicklingError):
            pass
        finally:
            with self._lock:
                self.dead = True
                for fut in self.pending:
                    fut.set_exception(BrokenPipeError("the slice reader process stopped"))
                self.pending.clear()

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


def _widen(pipe: IO[bytes] | None) -> None:
    """A 1 MB pipe (Linux; 64 KB by default), so that a reader seldom waits for this process to take its
    answers: the thread taking them needs the GIL, which the stream's thread holds most of the time."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)  # type: ignore[union-attr]
    except (ImportError, OSError, AttributeError):
        pass


def _send(stream: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=5)
    stream.write(struct.pack("<Q", len(data)) + data)


def _receive(stream: IO[bytes]) -> Any:
    head = _exactly(stream, 8)
    return None if head is None else pickle.loads(_exactly(stream, struct.unpack("<Q", head)[0]) or b"")


def _exactly(stream: IO[bytes], n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            if left == n:
                return None
            raise EOFError("truncated message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def prefetched(paths: Sequence[Path], *, workers: int = DEFAULT_WORKERS, depth: int = 64, steal: bool = True,
               min_paths: int = MIN_PATHS) -> Iterator[tuple[Path, ParsedSlice | CultradeError]]:
    """Each path with its :func:`prepare`\\ d slice, or the :class:`CultradeError` reading it raised, in order.

    Up to ``depth`` slices are read ahead (64 absorb the stream's pauses at commits and day changes: 16 left the
    stream waiting 1.6 s per full replay). Fewer than ``min_paths`` paths, or ``workers=0``, are read in the
    calling thread; so is every slice after a worker stopped, and (``steal``) every slice while no worker is
    ready yet.
    """
    if workers <= 0 or len(paths) < min_paths:
        for p in paths:
            yield p, _local(p)
        return
    pool: list[_Worker] = []
    try:
        pool.extend(_Worker() for _ in range(workers))
    except OSError as exc:  # no interpreter to start (an embedded or frozen Python): read everything here
        log.warning("cannot start slice reader processes (%s); reading the slices in this process", exc)
    if not steal:
        for w in pool:
            w.ready.wait(timeout=60)
    queue: deque[tuple[Path, Future[ParsedSlice]]] = deque()
    nxt, broken = 0, False
    try:
        for i, p in enumerate(paths):
            up = [w for w in pool if w.ready.is_set()]
            if up and not broken:
                nxt = max(nxt, i)
                try:
                    while nxt < len(paths) and len(queue) < depth:
                        queue.append((paths[nxt], up[nxt % len(up)].submit(paths[nxt])))
                        nxt += 1
                except OSError:
                    broken = True
            if queue and queue[0][0] == p and not broken:
                try:
                    yield p, _collect(queue.popleft()[1])
                    continue
                except BrokenPipeError:  # a reader died (killed, out of memory): carry on here
                    log.warning("a slice reader process stopped; reading the other slices in this process")
                    broken = True
            yield p, _local(p)  # no reader is up yet, or one stopped: read it here
    finally:
        for w in pool:
            w.close()


def _local(path: Path) -> ParsedSlice | CultradeError:
    try:
        return prepare(path)
    except CultradeError as exc:
        return exc


def _collect(future: Future[ParsedSlice]) -> ParsedSlice | CultradeError:
    try:
        return future.result()
    except CultradeError as exc:
        return exc


def _serve() -> None:
    """The reader process: answer each path on stdin with its prepared slice or error, until stdin closes."""
    if hasattr(os, "nice"):
        # Below the stream's thread, which is the sequential part: the readers use the time it leaves free
        os.nice(5)
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the messages
    stdin = sys.stdin.buffer
    try:
        _send(out, "ready")
        while (path := _receive(stdin)) is not None:
            try:
                result: tuple[str, Any] = ("ok", prepare(path, ids_only=True))
            except CultradeError as exc:
                result = ("error", exc)
            except Exception as exc:  # reported to the caller, never lost
                result = ("error", CultradeError(f"reading the slice failed: {exc!r}", path=path))
            _send(out, result)
    except (BrokenPipeError, EOFError):  # the caller stopped (or was killed): nothing left to answer
        pass


__all__ = ["DEFAULT_WORKERS", "MIN_PATHS", "Prepared", "prefetched", "prepare"]

"""Slices read ahead by reader processes (cultrade.monitor.prefetch) give exactly what reading them here gives."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from cultrade.errors import SourceFormatError
from cultrade.monitor import prefetch
from cultrade.monitor.prefetch import prefetched, prepare
from cultrade.monitor.slices import ParsedSlice
from cultrade.monitor.stream import EventStream, replay
from cultrade.settings import Settings
from cultrade.store import Store
from tests.monitor.test_stream import T0, signal_frame, synthetic_set, write_slice


def _slices(folder: Path, n: int) -> list[Path]:
    return [write_slice(folder, T0 + timedelta(minutes=15 * k), list(range(10 * k + 1, 10 * k + 8)),
                        geo=("KE", "FR", "IR")[k % 3], code=("141", "190")[k % 2], a1="CHN") for k in range(n)]


def _same(a: ParsedSlice, b: ParsedSlice) -> None:
    assert (a.ts, a.path, a.sha256) == (b.ts, b.path, b.sha256)
    if not a.pre.complete:
        assert a.table.column_names == ["GLOBALEVENTID"]  # a reader sends the ids only...
    assert a.full().table.equals(b.table)  # ...and the rest is read again when needed
    assert a.pre.unique == b.pre.unique and b.pre.complete
    x, y = a.pre.aggregate(), b.pre.aggregate()
    np.testing.assert_array_equal(x.values, y.values)
    np.testing.assert_array_equal(x.touched, y.touched)
    assert x.values.any()


def test_reader_processes_give_what_reading_here_gives(tmp_path: Path) -> None:
    paths = _slices(tmp_path, 12)
    broken = tmp_path / "20250301031500.export.CSV.gz"
    broken.write_bytes(b"\x1f\x8b not really gzip")
    paths.insert(len(paths) // 2, broken)
    got = list(prefetched(paths, workers=2, depth=3, steal=False, min_paths=1))
    assert [p for p, _ in got] == paths  # in order
    for p, result in got:
        if p == broken:
            assert isinstance(result, SourceFormatError)  # the reader's error, with the file named
            assert str(broken) in str(result) and "decompress" in str(result)
        else:
            assert isinstance(result, ParsedSlice) and not result.pre.complete
            _same(result, prepare(p))


def test_a_reader_that_dies_is_replaced_by_reading_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _slices(tmp_path, 10)
    started: list[prefetch._Worker] = []
    real_init = prefetch._Worker.__init__

    def init(self: prefetch._Worker) -> None:
        real_init(self)
        started.append(self)

    monkeypatch.setattr(prefetch._Worker, "__init__", init)
    out = []
    for i, (p, result) in enumerate(prefetched(paths, workers=1, depth=2, steal=False, min_paths=1)):
        out.append((p, result))
        if i == 2:
            started[0].proc.kill()  # e.g. the OOM killer
    assert [p for p, _ in out] == paths
    for p, result in out:
        assert isinstance(result, ParsedSlice)
        _same(result, prepare(p))
    assert not out[0][1].pre.complete and out[-1][1].pre.complete  # from the reader, then read here


def test_replay_with_readers_stores_the_same_signals(tmp_path: Path) -> None:
    folder = tmp_path / "slices"
    synthetic_set(folder, days=6, per_day=8)  # with events repeated from the previous slice
    frames = []
    for workers in (0, 2):
        home = tmp_path / f"w{workers}"
        with Store(home / "s.duckdb", settings=Settings(home=home)) as store:
            report = replay(store, folder, workers=workers, prefetch=4)
            assert report.processed == 48 and report.duplicates > 0
            frames.append(signal_frame(store))
    assert len(frames[0]) > 0
    assert frames[0].equals(frames[1])


def test_stream_fed_by_readers_counts_repeated_events_once(tmp_path: Path) -> None:
    paths = synthetic_set(tmp_path / "slices", days=3, per_day=8)  # each slice repeats two earlier events
    frames = []
    for readers in (False, True):
        home = tmp_path / f"readers-{readers}"
        with Store(home / "s.duckdb", settings=Settings(home=home)) as store:
            stream = EventStream(store)
            items = prefetched(paths, workers=2, depth=2, steal=False, min_paths=1) if readers else ((p, prepare(p)) for p in paths)
            summaries = [stream.process(parsed) for _, parsed in items]  # type: ignore[arg-type]
            assert sum(s.duplicates for s in summaries) == 2 * (len(paths) - 1)
            frames.append(signal_frame(store))
    assert frames[0].equals(frames[1])


def test_a_slice_changed_under_the_reader_is_an_error(tmp_path: Path) -> None:
    paths = _slices(tmp_path, 6)
    _, parsed = next(iter(prefetched(paths, workers=1, depth=2, steal=False, min_paths=1)))
    assert isinstance(parsed, ParsedSlice)
    write_slice(tmp_path, parsed.ts, [999])  # rewritten after it was read
    with pytest.raises(SourceFormatError, match="changed while"):
        parsed.full()


def test_without_reader_processes_everything_is_read_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _slices(tmp_path, 8)

    def cannot_start(self: prefetch._Worker) -> None:
        raise FileNotFoundError("no python here")

    monkeypatch.setattr(prefetch._Worker, "__init__", cannot_start)
    out = list(prefetched(paths, workers=2, depth=2, min_paths=1))
    assert [p for p, _ in out] == paths
    assert all(isinstance(r, ParsedSlice) and r.pre.complete for _, r in out)  # read in this process

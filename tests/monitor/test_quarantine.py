"""Bad slices: every way a slice can be broken gives a SourceFormatError (a bounded hypothesis fuzz of
``read_slice``), and a feed quarantines it and processes the rest. Slices hold INVENTED events."""

from __future__ import annotations

import bz2
import gzip
import io
import struct
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cultrade.errors import CultradeError, SourceFormatError
from cultrade.monitor.feeds import FolderPoller, replay, watch
from cultrade.monitor.slices import MAX_SLICE_BYTES, ParsedSlice, read_slice
from cultrade.monitor.stream import EventStream, quarantined_slices
from cultrade.settings import Settings
from cultrade.sources.gdelt import V2_COLUMNS
from cultrade.store import Store

T0 = datetime(2025, 3, 1, 0, 0)
STEP = timedelta(minutes=15)


def text(ts: datetime, ids: list[int]) -> bytes:
    rows = []
    for gid in ids:
        f = dict.fromkeys(V2_COLUMNS, "")
        f.update(GLOBALEVENTID=str(gid), SQLDATE=ts.strftime("%Y%m%d"), Actor1CountryCode="KEN", EventCode="141",
                 EventBaseCode="141", EventRootCode="14", QuadClass="3", GoldsteinScale="-6.5", NumMentions="2",
                 AvgTone="-3.5", ActionGeo_CountryCode="KE", DATEADDED=ts.strftime("%Y%m%d%H%M%S"),
                 SOURCEURL=f"https://example.org/{gid}")
        rows.append("\t".join(f[c] for c in V2_COLUMNS))
    return ("\n".join(rows) + "\n").encode()


def name(ts: datetime, suffix: str = ".gz") -> str:
    return f"{ts:%Y%m%d%H%M%S}.export.CSV{suffix}"


def zipped(data: bytes, *, method: int = zipfile.ZIP_DEFLATED, members: int = 1) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        for k in range(members):
            z.writestr(f"slice{k}.CSV", data)
    return buf.getvalue()


def encrypted(data: bytes) -> bytes:
    """A zip whose member claims to be encrypted (flag bit 0): zipfile raises RuntimeError when reading it."""
    raw = bytearray(zipped(data, method=zipfile.ZIP_STORED))
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(sig)
        flags = struct.unpack_from("<H", raw, at + off)[0] | 1
        struct.pack_into("<H", raw, at + off, flags)
    return bytes(raw)


GOOD = text(T0, [1, 2, 3])
BROKEN: dict[str, tuple[str, bytes]] = {
    "truncated gzip": (".gz", gzip.compress(GOOD)[:-9]),
    "corrupt gzip": (".gz", gzip.compress(GOOD)[:20] + b"\x00" * 30 + gzip.compress(GOOD)[50:]),
    "not gzip": (".gz", b"PK\x03\x04 not a gzip at all"),
    "empty zip": (".zip", zipped(b"", members=0)),
    "two members": (".zip", zipped(GOOD, members=2)),
    "lzma zip": (".zip", zipped(GOOD, method=zipfile.ZIP_LZMA)[:-40]),
    "bzip2 zip, damaged": (".zip", zipped(GOOD, method=zipfile.ZIP_BZIP2).replace(bz2.compress(GOOD)[10:20],
                                                                                  b"\xff" * 10)),
    "encrypted zip": (".zip", encrypted(GOOD)),
    "mis-encoded": (".gz", gzip.compress(GOOD.replace(b"KEN", b"K\xe9N"))),
    "wrong columns": (".gz", gzip.compress(b"1\t2\t3\n")),
    "other slice's time": (".gz", gzip.compress(text(T0 + STEP, [1]))),
    "no event id": (".gz", gzip.compress(GOOD.replace(b"1\t", b"\t", 1))),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_every_broken_slice_is_a_source_format_error(tmp_path: Path, case: str) -> None:
    suffix, data = BROKEN[case]
    path = tmp_path / name(T0, suffix)
    path.write_bytes(data)
    with pytest.raises(SourceFormatError) as err:
        read_slice(path)
    assert path.name in str(err.value) and "Fix:" in str(err.value)


def test_a_decompression_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cultrade.monitor.slices.MAX_SLICE_BYTES", 1000)
    path = tmp_path / name(T0)
    path.write_bytes(gzip.compress(GOOD * 20))
    with pytest.raises(SourceFormatError, match="larger than"):
        read_slice(path)
    assert MAX_SLICE_BYTES > 10**8  # the real limit


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.sampled_from([".gz", ".zip", ""]), how=st.sampled_from(["random", "flip", "cut", "splice"]),
       blob=st.binary(min_size=0, max_size=400), at=st.integers(0, 10_000))
def test_fuzz_read_slice_raises_only_source_format_errors(tmp_path: Path, suffix: str, how: str, blob: bytes,
                                                          at: int) -> None:
    packed = {".gz": gzip.compress(GOOD), ".zip": zipped(GOOD), "": GOOD}[suffix]
    if how == "random":
        data = blob
    elif how == "flip":
        i = at % max(len(packed), 1)
        data = packed[:i] + bytes([packed[i] ^ (blob[0] if blob else 0xFF)]) + packed[i + 1:]
    elif how == "cut":
        data = packed[: at % max(len(packed), 1)]
    else:
        i = at % max(len(packed), 1)
        data = packed[:i] + blob + packed[i:]
    path = tmp_path / name(T0, suffix)
    path.write_bytes(data)
    try:
        parsed = read_slice(path)
    except SourceFormatError:
        return
    assert isinstance(parsed, ParsedSlice) and parsed.ts == T0


def write(folder: Path, ts: datetime, data: bytes, suffix: str = ".gz") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name(ts, suffix)
    path.write_bytes(data)
    return path


def signals(store: Store) -> pd.DataFrame:
    return store.con.execute("SELECT iso3, granularity, ts, metric, value FROM monitor_signals ORDER BY ALL").df()


@pytest.mark.parametrize("case", ["truncated gzip", "encrypted zip", "mis-encoded", "lzma zip"])
def test_replay_quarantines_a_bad_slice_and_processes_the_rest(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "slices"
    for k in range(6):
        write(folder, T0 + k * STEP, gzip.compress(text(T0 + k * STEP, [10 * k + 1, 10 * k + 2])))
    bad_ts = T0 + 3 * STEP
    (folder / name(bad_ts)).unlink()
    suffix, data = BROKEN[case]
    write(folder, bad_ts, data.replace(T0.strftime("%Y%m%d%H%M%S").encode(), bad_ts.strftime("%Y%m%d%H%M%S").encode())
          if case == "mis-encoded" else data, suffix)
    with Store(tmp_path / "s.duckdb", settings=Settings(home=tmp_path)) as store:
        report = replay(store, folder, workers=0)
        assert (report.processed, report.failed) == (5, 1)
        assert name(bad_ts, suffix) in report.errors[0]
        q = quarantined_slices(store)
        assert q["slice_ts"].tolist() == [pd.Timestamp(bad_ts)] and q["sha256"].str.len().tolist() == [64]
        assert bad_ts not in set(store.con.execute("SELECT slice_ts FROM monitor_slices").df()["slice_ts"])
        before = signals(store)
        again = replay(store, folder, workers=0)  # reported again; nothing stored changes
        assert (again.processed, again.skipped, again.failed) == (0, 5, 1)
        pd.testing.assert_frame_equal(before, signals(store))
        assert len(quarantined_slices(store)) == 1


def test_watch_quarantines_and_goes_on_then_skips_it_after_a_restart(tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    write(folder, T0, gzip.compress(text(T0, [1])))
    write(folder, T0 + STEP, gzip.compress(GOOD)[:-9])  # truncated
    write(folder, T0 + 2 * STEP, gzip.compress(text(T0 + 2 * STEP, [5])))
    with Store(tmp_path / "w.duckdb", settings=Settings(home=tmp_path)) as store:
        report = watch(store, folder, interval=0.0, max_iterations=4, sleep=lambda _: None)
        assert (report.processed, report.failed) == (2, 1) and "decompress" in report.errors[0]
        stamp = quarantined_slices(store)["quarantined_at"].tolist()
        # a restarted watcher knows the file is quarantined and unchanged: it does not try it again
        poller = FolderPoller(EventStream(store), folder)
        assert poller.poll() == [] and quarantined_slices(store)["quarantined_at"].tolist() == stamp
        # a good copy of the slice (new content) is processed as a late slice
        write(folder, T0 + STEP, gzip.compress(text(T0 + STEP, [3])))
        done = poller.poll()
        assert [(s.status, s.late) for s in done] == [("processed", True)]


def test_errors_are_cultrade_errors() -> None:
    assert issubclass(SourceFormatError, CultradeError)

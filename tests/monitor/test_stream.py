"""The event stream. Synthetic slices hold INVENTED events written by the tests; one test reads the real
2025 GDELT slices in ../shared/data (skipped when absent)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pandas as pd
import pytest

from cultrade.errors import SourceFormatError, UpstreamError
from cultrade.monitor import signals as sig
from cultrade.monitor.feeds import live, replay, watch
from cultrade.monitor.slices import SliceSummary, list_slices, read_slice, slice_time
from cultrade.monitor.stream import EventStream, gaps, processed_slices
from cultrade.settings import Settings
from cultrade.sources.fetch import Fetcher
from cultrade.sources.gdelt import V2_COLUMNS
from cultrade.store import Store

T0 = datetime(2025, 3, 1, 0, 0)
STEP = timedelta(minutes=15)
ROOT = Path(__file__).resolve().parents[2]


def event(gid: int, ts: datetime, geo: str = "KE", code: str = "141", a1: str = "", mentions: int = 2) -> str:
    """One invented GDELT 2.0 row."""
    f = dict.fromkeys(V2_COLUMNS, "")
    f.update(GLOBALEVENTID=str(gid), SQLDATE=ts.strftime("%Y%m%d"), Actor1CountryCode=a1, EventCode=code,
             EventBaseCode=code[:3], EventRootCode=code[:2], QuadClass="3" if code < "15" else "4",
             GoldsteinScale="-6.5", NumMentions=str(mentions), AvgTone="-3.5", ActionGeo_CountryCode=geo,
             DATEADDED=ts.strftime("%Y%m%d%H%M%S"))
    return "\t".join(f[c] for c in V2_COLUMNS)


def slice_bytes(ts: datetime, ids: list[int], **kw: str) -> bytes:
    return ("\n".join(event(i, ts, **kw) for i in ids) + "\n").encode()  # type: ignore[arg-type]


def write_slice(folder: Path, ts: datetime, ids: list[int], **kw: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ts:%Y%m%d%H%M%S}.export.CSV.gz"
    tmp = folder / f".{path.name}.tmp"
    tmp.write_bytes(gzip.compress(slice_bytes(ts, ids, **kw)))
    os.replace(tmp, path)  # atomic, as a downloader should write
    return path


def synthetic_set(folder: Path, days: int = 10, per_day: int = 6, repeats: bool = True) -> list[Path]:
    """Slices over ``days`` days, with gaps, a varying volume, and events repeated from the previous slice."""
    paths, gid = [], 0
    for d in range(days):
        for k in range(per_day):
            ts = T0 + timedelta(days=d, hours=3 * k + (d % 2))
            n = 5 + (d * 7 + k * 3) % 11
            ids = list(range(gid + 1, gid + n + 1))
            ids += [gid - 1, gid] if gid > 2 and repeats else []  # repeats of the previous slice's last two events
            gid += n
            geo = ("KE", "IR", "FR")[k % 3]
            paths.append(write_slice(folder, ts, ids, geo=geo, code=("141", "190", "163")[(d + k) % 3], a1="CHN"))
    return paths


def signal_frame(store: Store) -> pd.DataFrame:
    df = store.con.execute("SELECT iso3, granularity, ts, metric, value, baseline, mad, anomaly FROM monitor_signals "
                           "ORDER BY ALL").df()
    return df.reset_index(drop=True)


def test_slice_names(tmp_path: Path) -> None:
    assert slice_time("20250515194500.export.CSV.zip") == datetime(2025, 5, 15, 19, 45)
    assert slice_time("20250515194500.export.CSV") == datetime(2025, 5, 15, 19, 45)
    assert slice_time("20250515194500.gkg.csv.zip") is None
    write_slice(tmp_path, T0, [1])
    (tmp_path / ".20250301001500.export.CSV.gz.part").write_bytes(b"partial")
    assert [t for t, _ in list_slices(tmp_path)] == [T0]


def test_dedup_across_slices(tmp_path: Path, store: Store) -> None:
    stream = EventStream(store)
    a = stream.process(read_slice(write_slice(tmp_path, T0, [1, 2, 3])))
    b = stream.process(read_slice(write_slice(tmp_path, T0 + STEP, [2, 3, 4, 4])))  # 4 twice in one file too
    assert (a.events, a.new_events, b.events, b.new_events, b.duplicates) == (3, 3, 4, 1, 3)
    day = sig.signals(store, iso3="KEN", metric="protest")
    assert day["value"].tolist() == [4.0]
    assert store.con.execute("SELECT count(*), count(DISTINCT globaleventid) FROM monitor_seen").fetchone() == (4, 4)


def test_gaps_late_and_skipped(tmp_path: Path, store: Store) -> None:
    stream = EventStream(store)
    stream.process(read_slice(write_slice(tmp_path, T0, [1])))
    s3 = stream.process(read_slice(write_slice(tmp_path, T0 + 3 * STEP, [3])))
    assert s3.gaps == 2 and not s3.late
    assert gaps(store)["slice_ts"].tolist() == [pd.Timestamp(T0 + STEP), pd.Timestamp(T0 + 2 * STEP)]
    late = stream.process(read_slice(write_slice(tmp_path, T0 + STEP, [2, 3])))
    assert late.late and late.new_events == 1
    again = stream.process(read_slice(tmp_path / f"{T0 + STEP:%Y%m%d%H%M%S}.export.CSV.gz"))
    assert again.status == "skipped"
    assert gaps(store)["slice_ts"].tolist() == [pd.Timestamp(T0 + 2 * STEP)]
    slices = processed_slices(store)
    assert slices["late"].tolist() == [False, True, False]
    assert stream.watermark == T0 + 3 * STEP
    assert sig.signals(store, iso3="KEN", metric="events")["value"].tolist() == [3.0]


def test_late_slice_gives_the_in_order_result(tmp_path: Path, settings: Settings) -> None:
    """A slice arriving days late updates its buckets and the baselines after it, as if it had come in order.

    The slices repeat no ids (a repeat would count in whichever slice came first), so both orders must agree.
    """
    paths = synthetic_set(tmp_path / "in", days=10, per_day=3, repeats=False)
    with Store(tmp_path / "a.duckdb", settings=settings) as a:
        stream = EventStream(a)
        for p in paths:
            stream.process(read_slice(p))
        expected = signal_frame(a)
    order = paths[:5] + paths[6:] + [paths[5]]  # slice 5 (day 1) arrives after day 9
    with Store(tmp_path / "b.duckdb", settings=settings) as b:
        stream = EventStream(b)
        for p in order:
            stream.process(read_slice(p))
        got = signal_frame(b)
        assert processed_slices(b)["late"].sum() == 1
    keys = ["iso3", "granularity", "ts", "metric"]
    merged = expected.merge(got, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    assert (merged["_merge"] == "both").all()
    for col in ("value", "baseline", "mad", "anomaly"):
        pd.testing.assert_series_equal(merged[f"{col}_a"], merged[f"{col}_b"], check_names=False, atol=1e-9)


def test_watermark_resume(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "slices"
    paths = synthetic_set(folder, days=6, per_day=4)
    with Store(tmp_path / "clean.duckdb", settings=settings) as clean:
        replay(clean, folder)
        expected = signal_frame(clean)
    store_path = tmp_path / "resume.duckdb"
    with Store(store_path, settings=settings) as s:
        first = replay(s, folder, end=slice_time(paths[10]))
        assert first.processed == 10
    with Store(store_path, settings=settings) as s:
        rest = replay(s, folder)
        assert (rest.processed, rest.skipped) == (len(paths) - 10, 10)
        pd.testing.assert_frame_equal(signal_frame(s), expected, atol=1e-9)


RUNNER = textwrap.dedent("""
    import sys, time
    from cultrade.monitor.feeds import replay
    from cultrade.settings import Settings
    from cultrade.store import Store

    def slow(store, ts, summary):
        print(ts.isoformat(), flush=True)
        time.sleep(0.02)

    with Store(sys.argv[1], settings=Settings(home=sys.argv[3])) as s:
        replay(s, sys.argv[2], on_slice=[slow])
    print("done", flush=True)
""")


@pytest.mark.slow
def test_restart_after_sigkill(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "slices"
    paths = synthetic_set(folder, days=8, per_day=6)
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    store_path = tmp_path / "killed.duckdb"
    args = [sys.executable, str(script), str(store_path), str(folder), str(tmp_path / "home")]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    for seen, _line in enumerate(proc.stdout, start=1):
        if seen == 17:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with duckdb.connect(str(store_path), read_only=True) as con:  # replays the WAL: commits survived
        done = con.execute("SELECT count(*) FROM monitor_slices").fetchone()
    assert done is not None and 17 <= done[0] < len(paths)
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, check=True).stdout.split()
    assert out[-1] == "done"
    assert len(out) - 1 == len(paths) - done[0]  # the rerun processed exactly the slices left
    with Store(tmp_path / "clean.duckdb", settings=settings) as clean:
        replay(clean, folder)
        expected = signal_frame(clean)
        clean_slices = processed_slices(clean)
    with Store(store_path, settings=settings) as s:
        slices = processed_slices(s)
        assert slices["slice_ts"].is_unique and len(slices) == len(paths)
        assert slices["new_events"].tolist() == clean_slices["new_events"].tolist()
        pd.testing.assert_frame_equal(signal_frame(s), expected, atol=1e-9)
        assert s.con.execute("SELECT count(*) FROM monitor_seen").fetchone() == \
            (int(clean_slices["new_events"].sum()),)


def test_watch_picks_up_a_new_file(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "incoming"
    write_slice(folder, T0, [1, 2])
    arrivals = iter([T0 + STEP, T0 + 2 * STEP])
    seen: list[tuple[datetime, SliceSummary]] = []

    def sleep(_: float) -> None:  # a new slice lands while the watcher sleeps
        ts = next(arrivals, None)
        if ts is not None:
            write_slice(folder, ts, [int(ts.minute) + 10])

    report = watch(store, folder, interval=0.0, max_iterations=3, sleep=sleep,
                   on_slice=[lambda _s, ts, summary: seen.append((ts, summary))])
    assert report.processed == 3 and [t for t, _ in seen] == [T0, T0 + STEP, T0 + 2 * STEP]
    assert seen[1][1].events == 1


def test_watch_retries_then_gives_up_on_a_broken_file(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / f"{T0:%Y%m%d%H%M%S}.export.CSV.gz").write_bytes(gzip.compress(b"1\t2\t3\n")[:-4])
    report = watch(store, folder, interval=0.0, max_iterations=4, sleep=lambda _: None)
    assert (report.processed, report.failed) == (0, 1)
    assert "decompress" in report.errors[0] or "GDELT" in report.errors[0]


def test_bad_slices_are_located(tmp_path: Path) -> None:
    path = tmp_path / f"{T0:%Y%m%d%H%M%S}.export.CSV.gz"
    path.write_bytes(gzip.compress(b"1\t2\t3\n"))
    with pytest.raises(SourceFormatError, match="61 tab-separated"):
        read_slice(path)
    write_slice(tmp_path, T0 + STEP, [1])
    misnamed = tmp_path / f"{T0 + 2 * STEP:%Y%m%d%H%M%S}.export.CSV.gz"
    (tmp_path / f"{T0 + STEP:%Y%m%d%H%M%S}.export.CSV.gz").rename(misnamed)
    with pytest.raises(SourceFormatError, match="DATEADDED differs"):
        read_slice(misnamed)


def test_live_mode_with_mock_transport(tmp_path: Path, store: Store) -> None:
    """lastupdate.txt lists an export zip (md5 checked) plus mentions/gkg files, which are ignored."""
    ts = datetime(2025, 6, 1, 12, 0)
    name = f"{ts:%Y%m%d%H%M%S}.export.CSV"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, slice_bytes(ts, [7, 8, 9]))
    body = buf.getvalue()
    base = "http://data.gdeltproject.org/gdeltv2"
    listing = "\n".join([
        f"{len(body)} {hashlib.md5(body).hexdigest()} {base}/{name}.zip",
        f"10 {'0' * 32} {base}/{ts:%Y%m%d%H%M%S}.mentions.CSV.zip",
        f"10 {'0' * 32} {base}/{ts:%Y%m%d%H%M%S}.gkg.csv.zip",
    ])
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path)
        if request.url.path.endswith("lastupdate.txt"):
            return httpx.Response(200, text=listing)
        if request.url.path.endswith(f"{name}.zip"):
            return httpx.Response(200, content=body)
        return httpx.Response(404)

    settings = Settings(home=tmp_path / "fetch-home")
    with Fetcher(settings, transport=httpx.MockTransport(handler), ttl=0, sleep=lambda _: None) as f:
        report = live(store, tmp_path / "dl", fetcher=f)
        assert report.processed == 1 and report.new_events == 3
        again = live(store, tmp_path / "dl", fetcher=f)  # already processed: nothing downloaded
        assert again.processed == 0
    assert requests.count(f"/gdeltv2/{name}.zip") == 1
    assert sig.signals(store, iso3="KEN", metric="protest")["value"].tolist() == [3.0]

    corrupt = listing.replace(hashlib.md5(body).hexdigest(), "f" * 32).replace(name, name.replace("1200", "1215"))

    def bad(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("lastupdate.txt"):
            return httpx.Response(200, text=corrupt)
        return httpx.Response(200, content=body)

    fresh = Settings(home=tmp_path / "fetch-home-2")  # lastupdate.txt is cached for 10 minutes
    with Fetcher(fresh, transport=httpx.MockTransport(bad), ttl=0, sleep=lambda _: None) as f, \
            pytest.raises(UpstreamError, match="md5"):
        live(store, tmp_path / "dl2", fetcher=f)


# -- real data --------------------------------------------------------------------------------
def _direct_count(folder: Path, day: str, fips: str, cameo: str, root: str) -> int:
    """Events of one DATEADDED day with the root code involving a country, straight from the raw files."""
    files = [str(p) for t, p in list_slices(folder) if t.strftime("%Y-%m-%d") == day]
    con = duckdb.connect()
    got = con.execute(
        "SELECT count(DISTINCT column00) FROM read_csv(?, delim='\t', header=false, quote='', escape='', "
        "all_varchar=true) WHERE column28 = ? AND (column53 = ? OR column07 = ? OR column17 = ?)",
        [files, root, fips, cameo, cameo]).fetchone()
    assert got is not None
    return int(got[0])


@pytest.mark.shared
def test_real_replay_of_three_days(shared: Path, store: Store) -> None:
    folder = shared / "events" / "gdelt_v2_2025" / "export"
    report = replay(store, folder, datetime(2025, 5, 16), datetime(2025, 5, 19))
    assert report.failed == 0 and report.late == 0
    assert report.processed == len(list_slices(folder, datetime(2025, 5, 16), datetime(2025, 5, 19)))
    assert report.processed + report.missing == 3 * 96
    assert report.new_events == report.events  # the real set repeats no GLOBALEVENTID
    # Checked by hand against the raw files (and recomputed here): US protests on 2025-05-17 and
    # Israeli fights on 2025-05-18, counting each event once for each country it involves.
    usa = sig.signals(store, iso3="USA", metric="protest", start="2025-05-17", end="2025-05-18")
    assert usa["value"].tolist() == [_direct_count(folder, "2025-05-17", "US", "USA", "14")]
    isr = sig.signals(store, iso3="ISR", metric="fight", start="2025-05-18", end="2025-05-19")
    assert isr["value"].tolist() == [_direct_count(folder, "2025-05-18", "IS", "ISR", "19")]
    assert usa["value"].iloc[0] == USA_PROTESTS_0517
    total = store.con.execute("SELECT sum(events) FROM monitor_slices").fetchone()
    assert total == (report.events,)


USA_PROTESTS_0517 = 61  # counted by hand with DuckDB over the 42 slices of 2025-05-17


# -- CLI --------------------------------------------------------------------------------------
def test_cli_replay_and_signals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from cultrade.commands import monitor as cmd
    from cultrade.settings import get_settings

    monkeypatch.setenv("CULTRADE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    folder = tmp_path / "slices"
    synthetic_set(folder, days=5, per_day=3)
    runner = CliRunner()
    try:
        out = runner.invoke(cmd.monitor_app, ["replay", "--from", "2025-03-01", "--to", "2025-03-03",
                                              "--dir", str(folder), "--no-rules"])
        assert out.exit_code == 0, out.output
        assert "9 processed" in out.output and "rules: off (signals only)" in out.output
        again = runner.invoke(cmd.monitor_app, ["replay", "--dir", str(folder)])
        assert "6 processed, 9 skipped" in again.output
        shown = runner.invoke(cmd.monitor_app, ["signals", "--country", "KEN", "--metric", "protest"])
        assert shown.exit_code == 0 and "KEN" in shown.output
        missing = runner.invoke(cmd.monitor_app, ["replay", "--dir", str(tmp_path / "nowhere")])
        assert missing.exit_code == 2 and "not a folder of GDELT slices" in missing.output
        watched = runner.invoke(cmd.monitor_app, ["watch", str(folder), "--interval", "0", "--max-iterations", "1"])
        assert watched.exit_code == 0 and "0 processed" in watched.output
    finally:
        get_settings.cache_clear()

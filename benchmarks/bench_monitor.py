"""Benchmark: replay the REAL GDELT 2.0 slices of 2025 (../shared/data) through the event stream.

Unlike the other benchmarks this one reads real data (845 slices, 1,044,402 events,
2025-05-15..06-05); without ../shared it returns ``skipped``. ``rows`` is ignored.
Measured in the same process, on the same files (in the page cache):

* decompress: read + ``gzip.decompress`` every slice, nothing else (the floor);
* ours: :func:`cultrade.monitor.stream.replay` into a fresh file store: read,
  parse and per-country sums in reader processes (:mod:`cultrade.monitor.prefetch`)
  → dedup → signals, committed in batches of up to 192 slices (< 48 h of data); once with the default durable
  commits (fsync) and once with ``durable=False`` (no fsync: safe against a
  killed process, not against an OS crash);
* pandas: a straightforward implementation: ``pd.read_csv`` per slice (needed
  columns only), dedup with a set, FIPS/CAMEO → ISO3 with ``map``, a groupby per
  country × hour and × day, and rolling 7-day median/MAD baselines at the end.
  It keeps everything in memory and commits nothing;
* ours_with_rules: the same with ``cultrade monitor replay``'s rules hook
  (``cultrade.monitor.engine.evaluate`` as of each slice's time) when it exists;
* latency: a writer thread drops real slices one by one (atomic rename) into a
  folder that :func:`cultrade.monitor.stream.watch` polls every 5 ms; the time
  from the rename to the slice's commit (``on_slice``), p50 and p95.
"""

from __future__ import annotations

import gzip
import os
import shutil
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cultrade.commands.monitor import rules_hook
from cultrade.monitor.signals import CodeMapper
from cultrade.monitor.stream import list_slices, replay, watch
from cultrade.settings import Settings
from cultrade.sources.gdelt import V2_COLUMNS
from cultrade.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CULTRADE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SLICES = SHARED / "events" / "gdelt_v2_2025" / "export"
LATENCY_SLICES = 60


def _engine() -> Any:
    return rules_hook()  # cultrade.monitor.engine.evaluate as an on_slice callback, or None


def decompress_all(paths: list[Path]) -> tuple[float, int]:
    t0 = time.perf_counter()
    size = sum(len(gzip.decompress(p.read_bytes())) for p in paths)
    return time.perf_counter() - t0, size


def ours(paths_dir: Path, workdir: Path, name: str, *, durable: bool, hook: Any) -> tuple[float, dict[str, Any]]:
    store_path = workdir / f"{name}.duckdb"
    if store_path.exists():
        store_path.unlink()
    with Store(store_path, settings=Settings(home=workdir)) as store:
        t0 = time.perf_counter()
        report = replay(store, paths_dir, on_slice=[hook] if hook else [], durable=durable)
        seconds = time.perf_counter() - t0
        rows = store.row_count("monitor_signals")
        extra = {"transitions": len(hook.transitions)} if hasattr(hook, "transitions") else {}
    return seconds, {**report.as_dict(), "signal_rows": rows, **extra}


_USE = ["GLOBALEVENTID", "Actor1CountryCode", "Actor2CountryCode", "EventBaseCode", "EventRootCode", "QuadClass",
        "GoldsteinScale", "NumMentions", "AvgTone", "ActionGeo_CountryCode", "DATEADDED"]
GROUPS = {"protest": "14", "threaten": "13", "coerce": "17", "assault": "18", "fight": "19", "mass_violence": "20"}


def _baseline(history: dict[pd.Timestamp, pd.DataFrame], day: pd.Timestamp, need: int
              ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Median and MAD per country × metric over the covered buckets of the 7 days before ``day`` (zeros filled)."""
    window = {t: f for t, f in history.items() if day - pd.Timedelta(days=7) <= t < day}
    if len(window) < need:
        return None
    panel = pd.concat(window, names=["t", "iso3"])
    full = panel.unstack("iso3").fillna(0.0).stack("iso3", future_stack=True)
    med = full.groupby(level="iso3").median()
    mad = (full - med.reindex(full.index, level="iso3")).abs().groupby(level="iso3").median()
    return pd.DataFrame(med), pd.DataFrame(mad)


def pandas_impl(paths: list[Path]) -> tuple[float, int]:
    """The straightforward way, per slice: pd.read_csv (needed columns), set-based dedup, map to ISO3, a
    groupby per country into the slice's hour and day buckets, the same 7-day rolling median/MAD baselines
    (recomputed at each day change) and robust z-scores, and a threshold check of the shipped signal rules'
    levels on the current buckets. In memory: nothing is committed."""
    t0 = time.perf_counter()
    mapper = CodeMapper()
    from cultrade.monitor.signals import country_index

    iso = np.array(country_index(), dtype=object)

    def to_iso(series: pd.Series, scheme: str) -> pd.Series:
        return series.map(lambda c: iso[p] if isinstance(c, str) and (p := mapper.code(c, scheme)) >= 0 else None)

    seen: set[int] = set()
    hist: dict[str, dict[pd.Timestamp, pd.DataFrame]] = {"h": {}, "d": {}}
    base: dict[str, tuple[pd.DataFrame, pd.DataFrame] | None] = {"h": None, "d": None}
    today = None
    hits = 0
    checks = {"h": [("protest", 4.0), ("mass_violence", 4.0)],
              "d": [("coerce", 4.0), ("sanctions", 4.0), ("conflict_intensity", 6.0)]}
    floors = {"conflict_intensity": 5.0, "mentions": 5.0}
    for path in paths:
        df = pd.read_csv(path, sep="\t", header=None, names=V2_COLUMNS, usecols=_USE, quoting=3,
                         dtype={"Actor1CountryCode": str, "Actor2CountryCode": str, "EventBaseCode": str,
                                "EventRootCode": str, "ActionGeo_CountryCode": str, "DATEADDED": str})
        df = df[~df["GLOBALEVENTID"].isin(seen)].drop_duplicates("GLOBALEVENTID")
        seen.update(df["GLOBALEVENTID"].tolist())
        long = pd.concat([df.assign(iso3=to_iso(df["ActionGeo_CountryCode"], "fips")),
                          df.assign(iso3=to_iso(df["Actor1CountryCode"], "cameo")),
                          df.assign(iso3=to_iso(df["Actor2CountryCode"], "cameo"))])
        long = long.dropna(subset=["iso3"]).drop_duplicates(["GLOBALEVENTID", "iso3"])
        m = pd.DataFrame({"iso3": long["iso3"], "events": 1.0, "mentions": long["NumMentions"],
                          "conflict_intensity": np.where(long["GoldsteinScale"] < 0,
                                                         -long["GoldsteinScale"] * long["NumMentions"], 0.0),
                          "tone_sum": long["AvgTone"] * long["NumMentions"]})
        for q in (1, 2, 3, 4):
            m[f"quad{q}"] = (long["QuadClass"] == q).astype(float)
        for name, root in GROUPS.items():
            m[name] = (long["EventRootCode"] == root).astype(float)
        m["sanctions"] = (long["EventBaseCode"] == "163").astype(float)
        m["expel"] = long["EventBaseCode"].isin(["174", "166"]).astype(float)
        agg = m.groupby("iso3").sum()
        ts = pd.Timestamp(datetime.strptime(path.name[:14], "%Y%m%d%H%M%S"))
        buckets = {"h": ts.floor("h"), "d": ts.floor("D")}
        if buckets["d"] != today:
            today = buckets["d"]
            base = {"h": _baseline(hist["h"], today, 24), "d": _baseline(hist["d"], today, 3)}
        for g, t in buckets.items():
            cur = hist[g].get(t)
            cur = agg if cur is None else cur.add(agg, fill_value=0.0)
            hist[g][t] = cur
            if base[g] is not None:
                med, mad = base[g]  # type: ignore[misc]
                for metric, level in checks[g]:
                    v = cur[metric].reindex(med.index, fill_value=0.0)
                    z = (v - med[metric]) / (1.4826 * mad[metric].clip(lower=floors.get(metric, 1.0)))
                    hits += int((z >= level).sum())
    return time.perf_counter() - t0, hits


def latency(paths: list[Path], workdir: Path, hook: Any) -> dict[str, Any]:
    folder = workdir / "incoming"
    folder.mkdir()
    written: dict[datetime, float] = {}
    committed: dict[datetime, float] = {}
    done = threading.Event()

    def on_slice(store: Store, ts: datetime, summary: Any) -> None:
        committed[ts] = time.perf_counter()  # after the commit: signals AND the alert decision

    def writer() -> None:
        for p in paths:
            tmp = folder / f".{p.name}.part"
            shutil.copyfile(p, tmp)
            ts = datetime.strptime(p.name[:14], "%Y%m%d%H%M%S")
            written[ts] = time.perf_counter()
            os.replace(tmp, folder / p.name)
            while ts not in committed and not done.is_set():
                time.sleep(0.001)
            time.sleep(0.02)
        done.set()

    store_path = workdir / "latency.duckdb"
    with Store(store_path, settings=Settings(home=workdir)) as store:
        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        hooks: list[Any] = [on_slice, *([hook] if hook else [])]
        watch(store, folder, interval=0.005, stop=done.is_set, on_slice=hooks)
        thread.join()
    lat = np.array([committed[t] - written[t] for t in written if t in committed]) * 1000
    return {"slices": len(lat), "poll_interval_ms": 5, "p50_ms": float(np.percentile(lat, 50)),
            "p95_ms": float(np.percentile(lat, 95)), "max_ms": float(lat.max())}


def run(rows: int, workdir: Path) -> dict[str, Any]:
    load_before = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None
    if not SLICES.is_dir():
        return {"benchmark": "monitor_replay", "skipped": True,
                "reason": f"the real GDELT slices are not at {SLICES} (set CULTRADE_SHARED_DATA)"}
    paths = [p for _, p in list_slices(SLICES)]
    # CULTRADE_BENCH_RULES=0 skips the (slow) end-to-end run with the rules engine.
    hook = _engine() if os.environ.get("CULTRADE_BENCH_RULES", "1") != "0" else None
    decompress_all(paths)  # warm the page cache
    t_dec, raw_bytes = decompress_all(paths)
    t_ours, rep = ours(SLICES, workdir, "durable", durable=True, hook=None)
    t_fast, _ = ours(SLICES, workdir, "nofsync", durable=False, hook=None)
    t_e2e, rep_rules = ours(SLICES, workdir, "rules", durable=True, hook=hook) if hook else (None, {})
    t_pd, pd_hits = pandas_impl(paths)
    lat = latency(paths[-LATENCY_SLICES:], workdir, _engine() if hook else None)
    events = rep["events"]
    seconds = {"decompress": t_dec, "ours": t_ours, "ours_no_fsync": t_fast, "ours_with_rules": t_e2e,
               "pandas": t_pd}
    return {
        "benchmark": "monitor_replay",
        "data": "REAL GDELT 2.0 export slices 2025-05-15..06-05 (../shared/data)",
        "pipeline": "ours: read/parse/per-country sums in reader processes -> dedup -> signals, committed in "
                    "batches (<= 192 slices, < 48 h of data); "
                    "ours_with_rules adds " + ("the rules engine as of each slice, in the same transactions"
                                               if hook else "nothing (rules off)"),
        "pandas_threshold_hits": pd_hits, "alert_transitions": rep_rules.get("transitions"),
        "slices": len(paths), "events": events, "raw_mb": round(raw_bytes / 1e6, 1), "replay": rep,
        "seconds": seconds,
        "events_per_s": {k: events / v for k, v in seconds.items() if v and k != "decompress"},
        "ratios": {"ours_over_decompress": t_ours / t_dec, "ours_no_fsync_over_decompress": t_fast / t_dec,
                   "ours_with_rules_over_decompress": t_e2e / t_dec if t_e2e else None,
                   "pandas_over_ours": t_pd / t_ours, "pandas_over_ours_no_fsync": t_pd / t_fast,
                   "pandas_over_ours_with_rules": t_pd / t_e2e if t_e2e else None},
        "latency": lat,
        "loadavg_before": load_before,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3] if load_before else None,
        "targets": {"ours_over_decompress": "<= 2", "pandas_over_ours": ">= 4", "latency_p95_ms": "<= 100"},
    }


if __name__ == "__main__":  # pragma: no cover
    import json
    import tempfile

    print(json.dumps(run(0, Path(tempfile.mkdtemp())), indent=1, default=str))

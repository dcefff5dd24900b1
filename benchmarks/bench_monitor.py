"""Benchmark: replay the REAL GDELT 2.0 slices of 2025 (../shared/data) through the monitor.

Unlike the other benchmarks this one reads real data (845 slices, 1,044,402 events, 2025-05-15..06-05);
without ../shared it returns ``skipped``. ``rows`` is ignored. Measured in the same process, on the same files
(in the page cache):

* ours: :func:`cultrade.monitor.feeds.replay` into a fresh file store with the rule engine as of every slice
  (parse → dedup → country signals and dyad counts → every shipped rule → alerts and outbox), slices read
  ahead by reader processes, batches committed with fsync; also without the rules (signals and dyads only),
  and with the rules but no reader processes;
* pandas: a straightforward pandas implementation of the same pipeline, in memory and committing nothing:
  ``pd.read_csv`` per slice, dedup with a set, FIPS/CAMEO → ISO3 with ``map``, per-country counts and distinct
  articles by event group, dyad counts with state actors, hourly and daily buckets, 7-day median/MAD
  baselines at each day change, and after every slice the surprise test of the shipped event rules (1 h and
  3 h windows against the key's 7-day share of the stream's articles, negative binomial tail with scipy;
  the baselines cached per hour);
* latency: a writer thread drops real slices one by one (atomic rename) into a folder that
  :func:`cultrade.monitor.feeds.watch` polls every 5 ms with the rule engine; the time from the rename to the
  commit of the slice's alert decision (``on_slice``), p50 and p95 (wall clock, so it includes waiting for
  the CPU when other processes load the machine); also the process CPU time from one decision to the next
  (the work per slice, polling included), which other processes' load does not inflate;
* evaluate: :func:`cultrade.monitor.evaluation.evaluate_labels` on the developer window with the shipped
  labels (``docs/monitoring_labels.csv``): replay, rules and scoring.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cultrade.monitor.codes import CodeMapper, country_index
from cultrade.monitor.evaluator import Evaluator
from cultrade.monitor.feeds import replay, watch
from cultrade.monitor.rules import load_rules
from cultrade.monitor.slices import list_slices
from cultrade.settings import Settings
from cultrade.sources.gdelt import V2_COLUMNS
from cultrade.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CULTRADE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SLICES = SHARED / "events" / "gdelt_v2_2025" / "export"
LABELS = ROOT / "docs" / "monitoring_labels.csv"
LATENCY_SLICES = 120


def ours(paths_dir: Path, workdir: Path, name: str, *, rules: bool, workers: int | None = None
         ) -> tuple[float, dict[str, Any]]:
    store_path = workdir / f"{name}.duckdb"
    if store_path.exists():
        store_path.unlink()
    hook = Evaluator() if rules else None
    with Store(store_path, settings=Settings(home=workdir)) as store:
        t0 = time.perf_counter()
        kw = {} if workers is None else {"workers": workers}
        report = replay(store, paths_dir, on_slice=[hook] if hook else [], **kw)  # type: ignore[arg-type]
        seconds = time.perf_counter() - t0
        rows = store.row_count("monitor_signals")
    extra = {"transitions": len(hook.transitions)} if hook else {}
    return seconds, {**report.as_dict(), "signal_rows": rows, **extra}


_USE = ["GLOBALEVENTID", "Actor1Code", "Actor1CountryCode", "Actor1Type1Code", "Actor2Code", "Actor2CountryCode",
        "Actor2Type1Code", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale", "NumMentions", "AvgTone",
        "ActionGeo_CountryCode", "DATEADDED", "SOURCEURL"]
GROUPS = {"protest": "14", "threaten": "13", "coerce": "17", "assault": "18", "fight": "19", "mass_violence": "20"}
ARTICLES = {"articles": None, "protest_articles": ("r", "14"), "coerce_articles": ("r", "17"),
            "assault_articles": ("r", "18"), "fight_articles": ("r", "19"), "aerial_articles": ("b", "195"),
            "mass_violence_articles": ("r", "20"), "sanctions_articles": ("b", "163")}
STATE = {"GOV", "MIL", "COP", "SPY"}


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


def _rule_specs() -> list[tuple[str, tuple[str, ...], str, float, float]]:
    """(table, metrics, home, level, critical level) of the shipped event rules."""
    out = []
    for r in load_rules().active:
        if r.outlook:
            continue
        table = "country" if r.series.kind == "signal" else ("home" if r.series.pairs_with else "dyad")
        out.append((table, r.series.metrics, "CHN", float(r.condition.value or 4),
                    float(r.critical.surprise) if r.critical and r.critical.surprise else np.inf))
    return out


def pandas_impl(paths: list[Path]) -> tuple[float, int]:
    """The straightforward pandas pipeline (see the module doc); returns seconds and the surprises found."""
    t0 = time.perf_counter()
    mapper = CodeMapper()
    iso = np.array(country_index(), dtype=object)

    def to_iso(series: pd.Series, scheme: str) -> pd.Series:
        return series.map(lambda c: iso[p] if isinstance(c, str) and (p := mapper.code(c, scheme)) >= 0 else None)

    specs = _rule_specs()
    seen: set[int] = set()
    hist: dict[str, dict[pd.Timestamp, pd.DataFrame]] = {"h": {}, "d": {}}
    hours: dict[str, dict[pd.Timestamp, pd.DataFrame]] = {"country": {}, "dyad": {}, "home": {}}
    exposure: dict[pd.Timestamp, float] = {}
    base_cache: dict[tuple[str, pd.Timestamp], tuple[pd.DataFrame, float]] = {}
    today = None
    hits = 0
    for path in paths:
        df = pd.read_csv(path, sep="\t", header=None, names=V2_COLUMNS, usecols=_USE, quoting=3,
                         dtype={c: str for c in _USE if c not in ("GLOBALEVENTID", "QuadClass", "GoldsteinScale",
                                                                 "NumMentions", "AvgTone")})
        df = df[~df["GLOBALEVENTID"].isin(seen)].drop_duplicates("GLOBALEVENTID")
        seen.update(df["GLOBALEVENTID"].tolist())
        df["a1"], df["a2"] = to_iso(df["Actor1CountryCode"], "cameo"), to_iso(df["Actor2CountryCode"], "cameo")
        long = pd.concat([df.assign(iso3=to_iso(df["ActionGeo_CountryCode"], "fips")), df.assign(iso3=df["a1"]),
                          df.assign(iso3=df["a2"])])
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
        for name, how in ARTICLES.items():
            sel = long if how is None else long[long["EventRootCode" if how[0] == "r" else "EventBaseCode"] == how[1]]
            agg[name] = sel.groupby("iso3")["SOURCEURL"].nunique().reindex(agg.index, fill_value=0)
        d = df.dropna(subset=["a1", "a2"])
        d = d[d["a1"] != d["a2"]]
        s1 = (d["Actor1Code"] == d["Actor1CountryCode"]) | d["Actor1Type1Code"].isin(STATE)
        s2 = (d["Actor2Code"] == d["Actor2CountryCode"]) | d["Actor2Type1Code"].isin(STATE)
        d = d.assign(mcs=d["EventRootCode"].isin(["18", "19", "20"]) & s1 & s2,
                     conflict=d["QuadClass"].isin([3, 4]), sanc=d["EventBaseCode"] == "163",
                     restr=d["EventBaseCode"] == "172")
        g = d.groupby(["a1", "a2"])
        dyad = pd.DataFrame({"events": g.size(), "mentions": g["NumMentions"].sum(),
                             "goldstein_sum": g["GoldsteinScale"].sum()})
        for col, mask in (("material_conflict_state_articles", "mcs"), ("conflict_articles", "conflict"),
                          ("sanctions_articles", "sanc"), ("restrictions_articles", "restr")):
            dyad[col] = d[d[mask]].groupby(["a1", "a2"])["SOURCEURL"].nunique().reindex(dyad.index, fill_value=0)
        home = dyad[(dyad.index.get_level_values(0) == "CHN") | (dyad.index.get_level_values(1) == "CHN")].copy()
        home.index = [b if a == "CHN" else a for a, b in home.index]
        home = home.groupby(level=0).sum()
        ts = pd.Timestamp(datetime.strptime(path.name[:14], "%Y%m%d%H%M%S"))
        hour, day = ts.floor("h"), ts.floor("D")
        if day != today:
            today = day
            _baseline(hist["h"], today, 24)
            _baseline(hist["d"], today, 3)
        for key, t in (("h", hour), ("d", day)):
            cur = hist[key].get(t)
            hist[key][t] = agg if cur is None else cur.add(agg, fill_value=0.0)
        for table, frame in (("country", agg), ("dyad", dyad), ("home", home)):
            cur = hours[table].get(hour)
            hours[table][hour] = frame if cur is None else cur.add(frame, fill_value=0.0)
        exposure[hour] = exposure.get(hour, 0.0) + float(df["SOURCEURL"].nunique())
        for table, metrics, _home, level, _crit in specs:
            for w in (1, 3):
                start = hour - pd.Timedelta(hours=w - 1)
                win = [f for t, f in hours[table].items() if start <= t <= hour]
                x = pd.concat(win).groupby(level=0).sum() if len(win) > 1 else win[0]
                n = sum(v for t, v in exposure.items() if start <= t <= hour)
                key = (table, start)
                if key not in base_cache:
                    past = [f for t, f in hours[table].items() if start - pd.Timedelta(days=7) <= t < start]
                    if len(past) < 24:
                        continue
                    base_cache[key] = (pd.concat(past).groupby(level=0).sum(),
                                       sum(v for t, v in exposure.items() if start - pd.Timedelta(days=7) <= t < start))
                base, e = base_cache[key]
                for metric in metrics:
                    xs = x[metric][x[metric] >= 2]
                    xb = base[metric].reindex(xs.index, fill_value=0.0)
                    mu = (xb + 0.5) / e * n
                    size = 1 / (0.2 + 1 / (xb + 0.5))
                    s = -np.log10(np.clip(stats.nbinom.sf(xs - 1, size, size / (size + mu)), 1e-300, 1))
                    hits += int((s - np.log10(2 * len(metrics)) >= level).sum())
    return time.perf_counter() - t0, hits


def latency(paths: list[Path], workdir: Path) -> dict[str, Any]:
    folder = workdir / "incoming"
    folder.mkdir()
    written: dict[datetime, float] = {}
    committed: dict[datetime, float] = {}
    cpu: list[float] = []
    done = threading.Event()

    def on_slice(store: Store, ts: datetime, summary: Any) -> None:
        committed[ts] = time.perf_counter()  # after the commit: signals, dyads AND the alert decision
        cpu.append(time.process_time())

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

    # the engine is seeded with the slices before: a live monitor has its week of history
    history = workdir / "latency-history"
    history.mkdir()
    for p in [p for _, p in list_slices(SLICES)][-LATENCY_SLICES - 300:-LATENCY_SLICES]:
        os.symlink(p, history / p.name)
    store_path = workdir / "latency.duckdb"
    with Store(store_path, settings=Settings(home=workdir)) as store:
        replay(store, history, on_slice=[Evaluator()], durable=False)
        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        watch(store, folder, interval=0.005, stop=done.is_set, on_slice=[on_slice, Evaluator()])
        thread.join()
    lat = np.array([committed[t] - written[t] for t in written if t in committed]) * 1000
    work = np.diff(cpu) * 1000  # from the second slice on (the first includes the start of the watch)
    return {"slices": len(lat), "poll_interval_ms": 5, "p50_ms": float(np.percentile(lat, 50)),
            "p95_ms": float(np.percentile(lat, 95)), "max_ms": float(lat.max()),
            "cpu_p50_ms": float(np.percentile(work, 50)), "cpu_p95_ms": float(np.percentile(work, 95))}


def evaluate_window(workdir: Path) -> dict[str, Any]:
    from cultrade.monitor.evaluation import evaluate_labels
    from cultrade.monitor.labels import read_labels

    start, end = datetime(2025, 5, 15), datetime(2025, 6, 6)
    labels = read_labels(LABELS, start=start, end=end)
    t0 = time.perf_counter()
    ev = evaluate_labels(SLICES, labels, start=start, end=end, workdir=workdir)
    return {"seconds": time.perf_counter() - t0, "recall": ev.recall, "median_latency_h": ev.median_latency_h,
            "false_critical_per_quiet_country_week": ev.false_rate(critical=True)}


def run(rows: int, workdir: Path) -> dict[str, Any]:
    load_before = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None
    if not SLICES.is_dir():
        return {"benchmark": "monitor_replay", "skipped": True,
                "reason": f"the real GDELT slices are not at {SLICES} (set CULTRADE_SHARED_DATA)"}
    paths = [p for _, p in list_slices(SLICES)]
    for p in paths:  # warm the page cache
        p.read_bytes()
    t_e2e, rep = ours(SLICES, workdir, "rules", rules=True)
    t_pd, pd_hits = pandas_impl(paths)
    t_sig, rep_sig = ours(SLICES, workdir, "signals", rules=False)
    t_e2e0, _ = ours(SLICES, workdir, "rules-noreaders", rules=True, workers=0)
    lat = latency(paths[-LATENCY_SLICES:], workdir)
    evaluation = evaluate_window(workdir)
    events = rep["events"]
    seconds = {"ours_with_rules": t_e2e, "ours_with_rules_no_readers": t_e2e0, "ours_signals_only": t_sig,
               "pandas": t_pd, "evaluate_window": evaluation["seconds"]}
    return {
        "benchmark": "monitor_replay",
        "data": "REAL GDELT 2.0 export slices 2025-05-15..06-05 (../shared/data)",
        "slices": len(paths), "events": events, "replay": rep, "signals_only": rep_sig,
        "alert_transitions": rep.get("transitions"), "pandas_surprises": pd_hits,
        "seconds": seconds,
        "events_per_s": {k: events / v for k, v in seconds.items() if v and k != "evaluate_window"},
        "ratios": {"pandas_over_ours_with_rules": t_pd / t_e2e,
                   "pandas_over_ours_with_rules_no_readers": t_pd / t_e2e0,
                   "readers_speedup": t_e2e0 / t_e2e},
        "latency": lat,
        "evaluation": evaluation,
        "loadavg_before": load_before,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3] if load_before else None,
        "targets": {"pandas_over_ours_with_rules": ">= 4", "latency_p95_ms": "<= 100",
                    "evaluate_window_seconds": "< 60"},
    }


if __name__ == "__main__":  # pragma: no cover
    import json
    import tempfile

    print(json.dumps(run(0, Path(tempfile.mkdtemp())), indent=1, default=str))


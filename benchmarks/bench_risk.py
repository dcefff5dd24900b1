"""Benchmark: a 1,000-draw Monte Carlo of the country risk index over every country, year and indicator.

Data: the REAL open-licence snapshot bundled with the package (``load_snapshot``:
WGI, WDI, OWID, UCDP, V-Dem, Hofstede, GeoDist, ...), not generated data. It runs
without ../shared. The optional non-commercial sources (FSI, Freedom House) are
not in it.

The task: 1,000 draws, each with perturbed weights (every weight ±25%, uniform),
a normalisation drawn from min-max / z-score / rank / goalposts and an
arithmetic or geometric aggregation between dimensions. Each draw scores all
countries × all years × all indicators, with the coverage and whole-dimension
rules, and ranks the countries in every year. Then the median, 5th and 95th
percentile rank and score are summarised per country and year.

* ours: :func:`cultrade.risk.uncertainty.simulate` + ``.summary()``. The draws are
  batched, with one GEMM per batch of 100 draws and vectorised ranks and
  quantiles (numpy).
* pandas: a straightforward per-draw implementation of the same computation on
  a long table (year, country, indicator). Per draw it normalises with
  groupby/transform, weights and aggregates with groupby sums, applies the
  coverage rule and ranks with groupby.rank. It is timed on ``baseline_draws``
  draws (the same draws as ours) and extrapolated linearly to ``draws``. Its
  summary step is not counted, which favours pandas.

Both start from the treated cube already in memory (building the index from the
store is timed separately). The pandas scores are checked against ours on the
same draws.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cultrade.risk import RiskIndex, build_index
from cultrade.risk.steps import GEO_HIGH, GEO_LOW
from cultrade.risk.uncertainty import Simulation, simulate
from cultrade.settings import Settings
from cultrade.sources.snapshot import load_snapshot
from cultrade.store import Store

SHARED = Path(os.environ.get("CULTRADE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
REFERENCE_FILES = {"fsi": "indicators/fsi/fsi_2006-2023_long.csv", "gpi": "indicators/gpi/gpi_2008-2019_long.csv",
                   "freedom_house": "indicators/freedom_house/fiw_2013-2025_long.csv",
                   "ti_cpi": "indicators/cpi_ti/ti_cpi_historical.csv",
                   "polity": "indicators/conflict/polity5_p5v2018.csv"}


def validation_seconds(workdir: Path) -> dict[str, Any]:
    """``cultrade risk validate`` over every year and the five references (read from ../shared), timed.

    The baseline measured in the same run is one ``build_index`` on the same store.
    """
    from cultrade.risk.validate import validate

    refs = {k: SHARED / v for k, v in REFERENCE_FILES.items() if (SHARED / v).exists()}
    with Store(workdir / "bench_validate.duckdb", settings=Settings(home=workdir)) as store:
        load_snapshot(store)
        start = time.perf_counter()
        build_index(store, home="CHN", domain="general")
        build = time.perf_counter() - start
        start = time.perf_counter()
        report = validate(store, "CHN", "general", references=refs or None)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "build_index_seconds": build, "ratio_over_build_index": seconds / build,
            "references": sorted(refs), "years": list(report.years),
            "target": "< 30 s over every year and reference"}


def snapshot_index(workdir: Path) -> tuple[RiskIndex, dict[str, float]]:
    """Load the bundled snapshot into a fresh store and build the index (CHN, general)."""
    timings = {}
    start = time.perf_counter()
    with Store(workdir / "bench_risk.duckdb", settings=Settings(home=workdir)) as store:
        load_snapshot(store)
        timings["load_snapshot"] = time.perf_counter() - start
        start = time.perf_counter()
        idx = build_index(store, home="CHN", domain="general")
        timings["build_index"] = time.perf_counter() - start
    return idx, timings


# -- the pandas baseline ---------------------------------------------------------------------
def long_table(idx: RiskIndex) -> pd.DataFrame:
    """The treated cube as a long table: one row per observed or carried cell.

    ``keep`` marks the cells of dimensions with enough data (``idx.dim_mask``, which does not depend
    on the drawn weights); the others are normalised like every cell, then left out of the scores.
    """
    st = idx.structure
    Y, C, K = idx.treated.shape
    keep = idx.dim_mask[:, :, st.tree.ind_dim()].ravel()
    sub_of = np.asarray(st.sub_ids)[st.tree.ind_sub]
    dim_of = np.asarray(st.dim_ids)[st.tree.ind_dim()]
    df = pd.DataFrame({
        "year": np.repeat(idx.years, C * K), "iso3": np.tile(np.repeat(idx.countries.astype(str), K), Y),
        "indicator": np.tile(np.asarray(st.ind_ids), Y * C), "sub": np.tile(sub_of, Y * C),
        "dim": np.tile(dim_of, Y * C), "value": idx.treated.ravel(), "fit": idx.fit_mask.ravel(),
        "more_risk": np.tile(idx.more_risk, Y * C),
        "gp_lo": np.tile(idx.goalposts[:, 0], Y * C), "gp_hi": np.tile(idx.goalposts[:, 1], Y * C),
    })
    df["keep"] = keep
    return df[df["value"].notna()].reset_index(drop=True)


def pandas_normalise(long: pd.DataFrame, method: str) -> pd.Series:
    v = long["value"]
    g = v.where(long["fit"]).groupby(long["indicator"])
    if method == "minmax":
        lo, hi = g.transform("min"), g.transform("max")
        n = ((v - lo) / (hi - lo)).where(hi > lo)
    elif method == "zscore":
        mu, sd = g.transform("mean"), g.transform("std", ddof=0)
        n = ((((v - mu) / sd).clip(-3, 3) + 3) / 6).where(sd > 0)
    elif method == "rank":
        pct = (g.rank(method="average") - 1) / (g.transform("count") - 1)
        table = pd.DataFrame({"indicator": long["indicator"], "value": v, "pct": pct}).dropna()
        table = table.drop_duplicates(["indicator", "value"])
        n = long[["indicator", "value"]].merge(table, on=["indicator", "value"], how="left")["pct"]
        n.index = long.index
    else:  # goalposts: the framework's, else the 5th/95th percentiles, else min/max
        lo = long["gp_lo"].fillna(long["indicator"].map(g.quantile(0.05)))
        hi = long["gp_hi"].fillna(long["indicator"].map(g.quantile(0.95)))
        collapsed = long["gp_lo"].isna() & ~(hi > lo)
        lo = lo.where(~collapsed, g.transform("min"))
        hi = hi.where(~collapsed, g.transform("max"))
        n = ((v - lo) / (hi - lo)).clip(0, 1).where(hi > lo)
    return n.where(long["more_risk"], 1 - n)


def pandas_draw(long: pd.DataFrame, idx: RiskIndex, method: str, between: str, w_ind: pd.Series,
                w_sub: pd.Series, w_dim: pd.Series) -> pd.Series:
    """0-10 scores indexed by (year, iso3) for one draw; NaN = insufficient."""
    p, st = idx.params, idx.structure
    df = long[["year", "iso3", "indicator", "sub", "dim"]].assign(v=pandas_normalise(long, method))
    df = df[df["v"].notna() & long["keep"]]
    df["w"] = df["indicator"].map(w_ind)
    df["wv"] = df["w"] * df["v"]
    sub = df.groupby(["year", "iso3", "sub"], as_index=False)[["wv", "w"]].sum()
    sub["score"] = sub["wv"] / sub["w"]
    sub["dim"] = sub["sub"].map(dict(zip(st.sub_ids, np.asarray(st.dim_ids)[st.tree.sub_dim], strict=True)))
    sub["w"] = sub["sub"].map(w_sub)
    sub["wv"] = sub["w"] * sub["score"]
    dim = sub.groupby(["year", "iso3", "dim"], as_index=False)[["wv", "w"]].sum()
    dim["score"] = dim["wv"] / dim["w"]
    dim["w"] = dim["dim"].map(w_dim)
    term = np.log(GEO_LOW + (GEO_HIGH - GEO_LOW) * dim["score"]) if between == "geometric" else dim["score"]
    dim["wt"] = dim["w"] * term
    top = dim.groupby(["year", "iso3"])[["wt", "w"]].sum()
    score = top["wt"] / top["w"]
    if between == "geometric":
        score = (score.apply(np.exp) - GEO_LOW) / (GEO_HIGH - GEO_LOW)
    # coverage: the share of the index weight available, with the drawn weights
    ind = pd.DataFrame({"indicator": st.ind_ids, "sub": np.asarray(st.sub_ids)[st.tree.ind_sub],
                        "dim": np.asarray(st.dim_ids)[st.tree.ind_dim()]})
    ind["w"] = ind["indicator"].map(w_ind)
    subs = pd.DataFrame({"sub": st.sub_ids, "dim": np.asarray(st.dim_ids)[st.tree.sub_dim]})
    subs["ws"] = subs["sub"].map(w_sub)
    subs["share"] = subs["ws"] / subs.groupby("dim")["ws"].transform("sum")
    eff = (ind["w"] / ind.groupby("sub")["w"].transform("sum") * ind["sub"].map(subs.set_index("sub")["share"])
           * ind["dim"].map(w_dim) / w_dim.sum())
    coverage = df["indicator"].map(dict(zip(ind["indicator"], eff, strict=True))).groupby(
        [df["year"], df["iso3"]]).sum()
    ok = coverage.reindex(score.index) >= p["min_coverage"] - 1e-12
    if p["require_all_dimensions"]:
        required = [d for d, r in zip(st.dim_ids, idx.required, strict=True) if r]
        have = dim[dim["dim"].isin(required)].groupby(["year", "iso3"]).size().reindex(score.index)
        ok &= have == len(required)
    return 10.0 * score.where(ok)


def pandas_monte_carlo(idx: RiskIndex, sim: Simulation, draws: int) -> tuple[float, pd.DataFrame]:
    """Seconds per draw of the pandas baseline, and its (draw, year, iso3, score, rank) table."""
    if idx.applied or idx.params["aggregation_within"] != "arithmetic":
        raise RuntimeError("the pandas baseline covers indexes without overrides and arithmetic within dimensions")
    st = idx.structure
    long = long_table(idx)
    base = pd.Series(idx.score.ravel(), index=pd.MultiIndex.from_product(
        [idx.years, idx.countries.astype(str)], names=["year", "iso3"]))
    scored = base.index[base.notna()]
    out = []
    start = time.perf_counter()
    for b in range(draws):
        w_ind = pd.Series(sim.weights["ind"][b], index=st.ind_ids)
        w_sub = pd.Series(sim.weights["sub"][b], index=st.sub_ids)
        w_dim = pd.Series(sim.weights["dim"][b], index=st.dim_ids)
        s = pandas_draw(long, idx, str(sim.normalisation[b]), str(sim.aggregation[b]), w_ind, w_sub, w_dim)
        s = s.reindex(scored)  # insufficient in the baseline: excluded
        r = s.groupby(level="year").rank(ascending=False, method="min")
        out.append(pd.DataFrame({"draw": b, "score": s, "rank": r}))
    per_draw = (time.perf_counter() - start) / draws
    return per_draw, pd.concat(out).reset_index()


# -- the benchmark ---------------------------------------------------------------------------
def run(rows: int | None = None, workdir: Path | None = None, *, draws: int = 1000, baseline_draws: int = 20,
        seed: int = 0, repeat: int = 3) -> dict[str, Any]:
    """Time ours (best of ``repeat``) and the pandas baseline; ``rows`` is unused (run.py's BACI size)."""
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="cultrade-bench-risk-"))
    idx, setup = snapshot_index(work)
    best, sim, table = float("inf"), None, None
    parts: dict[str, float] = {}
    load_before = os.getloadavg()[0]
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        sim = simulate(idx, draws, seed=seed, all_years=True)
        mid = time.perf_counter()
        table = sim.summary()
        end = time.perf_counter()
        if end - start < best:
            best = end - start
            parts = {"simulate": mid - start, "summary": end - mid, "cpu": time.process_time() - cpu}
    assert sim is not None and table is not None
    per_draw, pdf = pandas_monte_carlo(idx, sim, baseline_draws)
    # the same draws give the same scores and ranks
    ours = pd.DataFrame({
        "draw": np.repeat(np.arange(baseline_draws), sim.scores[0].size),
        "year": np.tile(np.repeat(sim.years, len(sim.countries)), baseline_draws),
        "iso3": np.tile(sim.countries.astype(str), baseline_draws * len(sim.years)),
        "ours_score": sim.scores[:baseline_draws].ravel(), "ours_rank": sim.ranks[:baseline_draws].ravel()})
    both = pdf.merge(ours, on=["draw", "year", "iso3"], how="left")
    diff = (both["score"] - both["ours_score"]).abs()
    same_nan = bool((both["score"].isna() == both["ours_score"].isna()).all())
    rank_agree = float((both["rank"] == both["ours_rank"]).sum() / both["rank"].notna().sum())
    pandas_seconds = per_draw * draws
    Y, C, K = idx.norm.shape
    return {
        "benchmark": "risk_monte_carlo",
        "data": "REAL open-licence snapshot bundled with cultrade (load_snapshot), GeoDist included",
        "draws": draws,
        "shape": {"years": Y, "countries": C, "indicators": K, "first_year": int(idx.years[0]),
                  "last_year": int(idx.years[-1]), "scored_country_years": int((~np.isnan(idx.score)).sum())},
        "assumptions": {"weights": "uniform ±25% (every level)", "normalisation": list(sim.assumptions.normalisation),
                        "aggregation": list(sim.assumptions.aggregation)},
        "seconds": {"ours": best, **{f"ours_{k}": v for k, v in parts.items()},
                    "pandas_per_draw": per_draw, "pandas_extrapolated": pandas_seconds, **setup},
        "pandas_draws_timed": baseline_draws,
        "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "ratio_pandas_over_ours": pandas_seconds / best,
        "agreement": {"max_abs_score_diff": float(diff.max()), "same_insufficient": same_nan,
                      "rank_agreement": rank_agree},
        "output_rows": len(table),
        "targets": {"ours_seconds": "<= 3", "ratio_pandas_over_ours": ">= 20"},
        "validate": validation_seconds(work),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Monte Carlo benchmark of the risk index (bundled snapshot).")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--baseline-draws", type=int, default=20, help="draws timed for the pandas baseline")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cultrade-bench-risk-") as tmp:
        result = run(None, Path(tmp), draws=args.draws, baseline_draws=args.baseline_draws, seed=args.seed)
    result = {"machine": {"platform": platform.platform(), "python": platform.python_version(),
                          "cpus": os.cpu_count()}, "date": datetime.now(UTC).strftime("%Y-%m-%d"), **result}
    print(json.dumps(result, indent=1, default=str))
    return result


if __name__ == "__main__":  # pragma: no cover
    main()

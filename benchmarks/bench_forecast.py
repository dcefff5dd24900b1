"""Benchmark: the lead-1 forecast backtest that decides which models ship, on the real snapshot.

Data: the REAL open-licence snapshot bundled with the package (``load_snapshot``), not generated
data; it runs without ../shared.

The task is what ``cultrade forecast predict`` runs the first time on a store (no decision recorded
yet): a rolling-origin backtest of every target (6), model (2) and baseline (5) at lead 1, origins
2008 to the latest complete data year, then the pooled scores with 200 bootstrap resamples of the
origin years behind every AUC interval.

* ours: :func:`cultrade.forecast.backtest` + ``.pooled()``; the bootstrap AUCs come from one
  matrix of correctly ranked pairs per model and origin pair (:func:`cultrade.forecast.metrics.pair_counts`).
* baseline, same run: the same bootstrap done the plain way, one scikit-learn ``roc_auc_score``
  with sample weights per resample, model and target (checked equal to ours), and the backtest's
  time split by model, with the five baselines' share as the floor a backtest cannot go below.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from cultrade.forecast import backtest, load_data
from cultrade.forecast import rolling as bt
from cultrade.forecast.options import BASELINES, BOOTSTRAP, TARGETS
from cultrade.settings import Settings
from cultrade.sources.snapshot import load_snapshot
from cultrade.store import Store


def _sklearn_bootstrap(preds: Any, boot: int, seed: int) -> dict[tuple[str, str], np.ndarray]:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    out = {}
    for (target, _h), g in preds.groupby(["target", "horizon"], sort=False):
        years = np.sort(g["origin"].unique())
        picks = rng.choice(len(years), size=(boot, len(years)), replace=True)
        weights = np.stack([np.bincount(p, minlength=len(years)) for p in picks]).astype(float)
        for model, gm in g.groupby("model", sort=False):
            pos = np.searchsorted(years, gm["origin"].to_numpy())
            y, p = gm["y"].to_numpy(), gm["p"].to_numpy()
            draws = []
            for w in weights:
                keep = w[pos] > 0
                ok = y[keep].min() != y[keep].max() if keep.any() else False
                draws.append(roc_auc_score(y[keep], p[keep], sample_weight=w[pos][keep]) if ok else np.nan)
            out[(str(target), str(model))] = np.asarray(draws)
    return out


def run(rows: int, workdir: Path) -> dict[str, Any]:  # rows: the generated-data size, unused here
    timings: dict[str, float] = {}
    start = time.perf_counter()
    with Store(workdir / "bench_forecast.duckdb", settings=Settings(home=workdir)) as store:
        load_snapshot(store)
        timings["load_snapshot"] = time.perf_counter() - start
        start = time.perf_counter()
        data = load_data(store)
        timings["load_data"] = time.perf_counter() - start
    per_model: dict[str, float] = defaultdict(float)
    real = bt.fit_predict

    def timed(name: str, *args: Any, **kw: Any) -> np.ndarray:
        t0 = time.perf_counter()
        try:
            return real(name, *args, **kw)  # type: ignore[arg-type]
        finally:
            per_model[name] += time.perf_counter() - t0

    bt.fit_predict = timed  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        report = backtest(data, TARGETS, origins=range(2008, data.complete_year + 1), horizons=(1,), seed=0)
        timings["backtest"] = time.perf_counter() - start
    finally:
        bt.fit_predict = real
    start = time.perf_counter()
    pooled = report.pooled()
    timings["pooled_ours"] = time.perf_counter() - start
    start = time.perf_counter()
    plain = _sklearn_bootstrap(report.predictions, BOOTSTRAP, report.seed)
    timings["bootstrap_sklearn"] = time.perf_counter() - start
    # ours alone (the same resamples, same seed and order as pooled()), for the ratio and the equality check
    rng = np.random.default_rng(report.seed)
    start = time.perf_counter()
    ours = {(str(t), m): d for (t, _h), g in report.predictions.groupby(["target", "horizon"], sort=False)
            for m, d in report._auc_draws(g, rng, BOOTSTRAP).items()}
    timings["bootstrap_ours"] = time.perf_counter() - start
    worst = 0.0
    for key, d in ours.items():
        diff = np.nanmax(np.abs(d - plain[key])) if np.isfinite(d).any() else 0.0
        worst = max(worst, float(diff))
    fit_total = sum(per_model.values())
    baseline_fit = sum(per_model[m] for m in (*BASELINES,))
    decision = report.decision()
    return {
        "data": "REAL bundled open-licence snapshot (load_snapshot), home CHN, domain general",
        "task": f"lead-1 backtest of {len(TARGETS)} targets x {len(report.models)} models, origins "
                f"{report.origins[0]}-{report.origins[-1]}, {len(report.predictions)} forecasts, then pooled scores "
                f"with {BOOTSTRAP} origin resamples",
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
        "fit_s_by_model": {k: round(v, 2) for k, v in sorted(per_model.items())},
        "ratio_bootstrap_sklearn_over_ours": round(timings["bootstrap_sklearn"] / timings["bootstrap_ours"], 1),
        "ratio_backtest_over_baseline_fits": round(timings["backtest"] / baseline_fit, 1) if baseline_fit else None,
        "share_of_backtest_in_fits": round(fit_total / timings["backtest"], 2),
        "max_abs_diff_bootstrap_auc": worst,
        "pooled_rows": len(pooled),
        "shipped": {t: m for t, m in zip(decision["target"], decision["model"], strict=True)
                    if decision.loc[(decision["target"] == t) & (decision["model"] == m), "shipped"].any()},
    }


if __name__ == "__main__":
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run(0, Path(tmp)), indent=1))

"""Rolling-origin backtests: for each origin year o, train on what was known at o, forecast o + h.

At origin o the features of every country-year t <= o come from data of years <= o
(:func:`~cultrade.forecast.design.features`). Training rows are the years t whose label year (the
last data year the label needs, :mod:`cultrade.forecast.targets`) is <= o; the test rows are the
countries in the target's risk set at o. Every model and baseline forecasts the **same** test rows
from the **same** training rows, so their scores compare like with like.

:meth:`BacktestReport.pooled` scores every target x horizon x model on the forecasts pooled over the
origins, with 90% intervals from resampling origin years; :meth:`BacktestReport.decision` applies the
shipping rule (:mod:`cultrade.forecast.skill`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from cultrade.errors import ConfigError
from cultrade.forecast import metrics
from cultrade.forecast.data import ForecastData, load_data
from cultrade.forecast.design import feature_columns, features
from cultrade.forecast.models import baseline_feature, fit_predict
from cultrade.forecast.options import BOOTSTRAP, LEARNED, MODELS, TARGETS, Binning, check_horizon, check_many
from cultrade.forecast.targets import label_lag, labels
from cultrade.store import Store

DEFAULT_ORIGINS = range(2008, 2024)
METRIC_COLUMNS = ("n", "events", "base_rate", "auc", "auc_lo", "auc_hi", "auc_within", "ap", "brier", "bss",
                  "log_loss", "slope", "intercept")
_KEY = ["target", "origin", "horizon", "iso3"]


@dataclass
class BacktestReport:
    """Forecasts of every model on every test row, the folds, and the scores computed from them."""

    targets: tuple[str, ...]
    horizons: tuple[int, ...]
    models: tuple[str, ...]
    predictions: pd.DataFrame               # target, origin, horizon, target_year, iso3, y, model, p
    folds: pd.DataFrame                     # target, origin, horizon, n_train, train years, test year ...
    seed: int = 0
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)
    home: str = "CHN"
    domain: str = "general"
    complete_year: int = 0
    feature_names: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    _pooled: dict[int, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def origins(self) -> list[int]:
        return sorted(int(o) for o in self.folds["origin"].unique()) if not self.folds.empty else []

    def _with_reference(self) -> pd.DataFrame:
        """The predictions with ``ref``: climatology's forecast of the same row (the Brier skill reference)."""
        p = self.predictions
        clim = p[p["model"] == "climatology"].set_index(_KEY)["p"]
        return p.assign(ref=clim.reindex(pd.MultiIndex.from_frame(p[_KEY])).to_numpy())

    def pooled(self, *, boot: int = BOOTSTRAP) -> pd.DataFrame:
        """Scores per target, horizon and model over all origins, with 90% intervals from resampling origins.

        ``auc_within`` is the mean of the per-origin AUCs: how well the rows are ranked within a year,
        whatever the level of the year (a common shock such as 2020 lowers the pooled AUC only).

        ``gain`` is the AUC above the best baseline's and ``gain_lo`` / ``gain_hi`` its interval (the
        same resampled origins for every model, so the difference is paired).
        """
        if boot in self._pooled:
            return self._pooled[boot].copy()
        rng = np.random.default_rng(self.seed)
        rows = []
        for (target, h), g in self._with_reference().groupby(["target", "horizon"], sort=False):
            draws = self._auc_draws(g, rng, boot)
            for model, gm in g.groupby("model", sort=False):
                ref = gm["ref"].to_numpy() if gm["ref"].notna().all() else None
                row: dict[str, Any] = {"target": target, "horizon": h, "model": model,
                                       **metrics.summary(gm["y"], gm["p"], ref)}
                row["n"], row["events"] = int(row["n"]), int(row["events"])
                if model == "climatology":
                    row["slope"] = float("nan")  # its forecasts differ only between origins: a slope means nothing
                within = [metrics.auc(d["y"], d["p"]) for _, d in gm.groupby("origin")]
                row["auc_within"] = float(np.nanmean(within)) if np.isfinite(within).any() else float("nan")
                d = draws.get(str(model))
                row["auc_lo"], row["auc_hi"] = (np.nanquantile(d, [0.05, 0.95]) if d is not None
                                                and np.isfinite(d).any() else (np.nan, np.nan))
                rows.append(row)
            self._gain(rows, str(target), int(cast(int, h)), draws)
        out = self._order(pd.DataFrame(rows), ["target", "horizon"])
        self._pooled[boot] = out
        return out.copy()

    def _gain(self, rows: list[dict[str, Any]], target: str, h: int, draws: dict[str, np.ndarray]) -> None:
        mine = [r for r in rows if r["target"] == target and r["horizon"] == h]
        base = [r for r in mine if r["model"] not in LEARNED]
        if not base:
            return
        best = max(base, key=lambda r: -np.inf if np.isnan(r["auc"]) else r["auc"])
        base_draws = [draws[str(r["model"])] for r in base if str(r["model"]) in draws]
        best_draw = np.fmax.reduce(np.vstack(base_draws), axis=0) if base_draws else None
        for r in mine:
            r["best_baseline"], r["best_baseline_auc"] = best["model"], best["auc"]
            r["gain"] = r["auc"] - best["auc"]
            d = draws.get(str(r["model"]))
            if r["model"] in LEARNED and d is not None and best_draw is not None and np.isfinite(d - best_draw).any():
                r["gain_lo"], r["gain_hi"] = np.nanquantile(d - best_draw, [0.05, 0.95])

    @staticmethod
    def _auc_draws(g: pd.DataFrame, rng: np.random.Generator, boot: int) -> dict[str, np.ndarray]:
        """Per model, ``boot`` AUCs on resampled origin years (an origin drawn twice counts twice)."""
        years = np.sort(g["origin"].unique())
        if boot <= 0 or len(years) < 3:
            return {}
        picks = rng.choice(len(years), size=(boot, len(years)), replace=True)
        weights = np.stack([np.bincount(p, minlength=len(years)) for p in picks]).astype(float)  # (boot, K)
        out = {}
        for model, gm in g.groupby("model", sort=False):
            pairs, pos, neg = metrics.pair_counts(gm["y"].to_numpy(), gm["p"].to_numpy(),
                                                  np.searchsorted(years, gm["origin"].to_numpy()), len(years))
            with np.errstate(invalid="ignore", divide="ignore"):
                out[str(model)] = (np.einsum("bk,kl,bl->b", weights, pairs, weights)
                                   / ((weights @ pos) * (weights @ neg)))
        return out

    def per_origin(self) -> pd.DataFrame:
        """Scores per target, origin, horizon and model (few events per year: read with care)."""
        rows = []
        for (target, o, h, model), g in self._with_reference().groupby(["target", "origin", "horizon", "model"],
                                                                        sort=False):
            rows.append({"target": target, "origin": o, "horizon": h, "model": model,
                         **metrics.summary(g["y"], g["p"], g["ref"].to_numpy())})
        return self._order(pd.DataFrame(rows), ["target", "origin", "horizon"])

    def reliability(self, bins: int = 10, binning: Binning = "quantile") -> pd.DataFrame:
        """Reliability table per target, horizon and model, pooled over origins."""
        frames = []
        for (target, h, model), g in self.predictions.groupby(["target", "horizon", "model"], sort=False):
            t = metrics.reliability_table(g["y"], g["p"], bins, binning)
            frames.append(t.assign(target=cast(str, target), horizon=cast(int, h), model=cast(str, model)))
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return self._order(out, ["target", "horizon"]) if not out.empty else out

    def decision(self) -> pd.DataFrame:
        """Per target and learned model: does it clear the shipping bar at lead 1? (see :mod:`~.skill`)"""
        from cultrade.forecast.skill import decide

        return decide(self.pooled())

    def _order(self, df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        if df.empty:
            return df
        rank = {m: i for i, m in enumerate(self.models)}
        trank = {t: i for i, t in enumerate(self.targets)}
        df = df.assign(_m=df["model"].map(rank), _t=df["target"].map(trank))
        df = df.sort_values(["_t", *by[1:], "_m"]).drop(columns=["_m", "_t"])
        lead = [*by, "model"]
        return df[lead + [c for c in df.columns if c not in lead]].reset_index(drop=True)

    def to_markdown(self) -> str:
        """The full report (settings, decision, scores, reliability, per origin): :mod:`~.report`."""
        from cultrade.forecast.report import render

        return render(self)


def split(data: ForecastData, target: str, horizon: int, origin: int, *,
          feats: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) for one origin: train rows have label year <= origin, test rows are the origin year.

    The test labels are attached for scoring only; test rows outside the target's risk set at the
    origin (e.g. in conflict already, for onset) have no label and drop out.
    """
    feats = features(data, origin) if feats is None else feats
    truth = labels(data, target, horizon)  # type: ignore[arg-type]
    test = feats[feats["year"] == origin].merge(truth[truth["year"] == origin], on=["iso3", "year"])
    train = feats.merge(labels(data, target, horizon, as_of=origin), on=["iso3", "year"])  # type: ignore[arg-type]
    if not train.empty and int(train["label_year"].max()) > origin:  # guard: never train on the test years
        raise AssertionError(f"training label year {train['label_year'].max()} after origin {origin}")
    return train, test


def backtest(source: Store | ForecastData, targets: str | Sequence[str] = TARGETS, *,
             origins: Iterable[int] = DEFAULT_ORIGINS, horizons: Sequence[int] = (1,),
             models: Sequence[str] = MODELS, seed: int = 0, home: str = "CHN",
             domain: str = "general") -> BacktestReport:
    """Rolling-origin backtest of ``models`` for each of ``targets`` at each lead time in ``horizons``."""
    ts = check_many("target", targets)
    hs = tuple(dict.fromkeys(check_horizon(h) for h in horizons))
    ms = check_many("model", models)
    if "climatology" not in ms:
        ms = (*ms, "climatology")  # the reference of the Brier skill score
    years = sorted({int(o) for o in origins})
    if not years:
        raise ConfigError("no origin year given", hint="e.g. origins=range(2008, 2024)")
    start = time.perf_counter()
    data = source if isinstance(source, ForecastData) else load_data(source, home, domain)
    preds, folds, notes, skipped = [], [], [], []
    used: dict[str, None] = {}
    for o in years:
        if o < data.first_year + 2 or o > data.complete_year:
            notes.append(f"origin {o} skipped: outside the complete data years {data.first_year + 2}-"
                         f"{data.complete_year}")
            continue
        feats = features(data, o)
        for target in ts:
            for h in hs:
                train, test = split(data, target, h, o, feats=feats)
                if test.empty or train["y"].nunique() < 2:
                    skipped.append((target, h, o, "no labelled test row: the label year is beyond the data"
                                    if test.empty else "a single class in training"))
                    continue
                cols = feature_columns(train)
                used.update(dict.fromkeys(cols))
                folds.append({"target": target, "origin": o, "horizon": h, "n_train": len(train),
                              "train_events": int(train["y"].sum()), "train_first_year": int(train["year"].min()),
                              "train_last_year": int(train["year"].max()),
                              "train_last_label_year": int(train["label_year"].max()), "test_year": o,
                              "test_label_year": o + label_lag(target, h), "n_test": len(test),
                              "test_events": int(test["y"].sum()), "features": len(cols)})
                for m in ms:
                    p = fit_predict(m, train[cols], train["y"].to_numpy(), test[cols],  # type: ignore[arg-type]
                                    feature=baseline_feature(m, target), seed=seed)
                    preds.append(pd.DataFrame({"target": target, "origin": o, "horizon": h, "target_year": o + h,
                                               "iso3": test["iso3"].to_numpy(), "y": test["y"].to_numpy(dtype=int),
                                               "model": m, "p": p}))
    for key, g in pd.DataFrame(skipped, columns=["t", "h", "o", "why"]).groupby(["t", "h", "why"], sort=False):
        what = cast(tuple[str, int, str], key)
        notes.append(f"{what[0]} at lead {what[1]}: origin(s) {', '.join(map(str, g['o']))} skipped ({what[2]})")
    if not preds:
        raise ConfigError(f"no origin in {years[0]}-{years[-1]} could be backtested for {', '.join(ts)}",
                          hint=f"pick origins between {data.first_year + 2} and the last labelled year")
    return BacktestReport(ts, hs, ms, pd.concat(preds, ignore_index=True), pd.DataFrame(folds), seed,
                          time.perf_counter() - start, notes, data.home, data.domain, data.complete_year,
                          tuple(used), data.sources)


__all__ = ["DEFAULT_ORIGINS", "METRIC_COLUMNS", "BacktestReport", "backtest", "split"]

"""Rolling-origin backtests: for each origin year o, train on what was known at o, forecast o + h.

At origin o the features of every country-year t <= o come from data of years <= o
(:func:`~cultrade.forecast.design.features`). Training rows are the years t whose label year
t + h is <= o; the test rows are the countries scored at o, labelled at o + h. Band labels are
first-release labels (the pair t, t + h read from the index as of t + h), the same definition for
training and test. So no training label comes from the test target year o + h or later.

>>> import numpy as np, pandas as pd
>>> print(markdown_table(pd.DataFrame({"model": ["hgb"], "auc": [0.81234]})))
| model | auc |
|---|---|
| hgb | 0.812 |
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
from cultrade.forecast.design import PERSISTENCE_FLAG, feature_columns, features, labels
from cultrade.forecast.models import fit_predict
from cultrade.forecast.options import MODELS, Binning, Target, check, check_horizon, check_many
from cultrade.store import Store

DEFAULT_ORIGINS = range(2008, 2023)
METRIC_COLUMNS = ("n", "events", "base_rate", "auc", "auc_lo", "auc_hi", "ap", "brier", "bss", "log_loss",
                  "slope", "intercept")
_KEY = ["origin", "horizon", "iso3"]


def markdown_table(df: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub markdown table; floats rounded to ``digits``, NaN shown as an empty cell."""
    def cell(v: Any) -> str:
        if isinstance(v, float | np.floating):
            fv = float(v)
            return "" if np.isnan(fv) else (f"{fv:.0f}" if fv.is_integer() and abs(fv) >= 10 else f"{fv:.{digits}f}")
        return str(v)
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def _summary(model: str, y: pd.Series, p: pd.Series, ref: np.ndarray | None) -> dict[str, Any]:
    out: dict[str, Any] = metrics.summary(y, p, ref)
    out["n"], out["events"] = int(out["n"]), int(out["events"])
    if model == "climatology":
        out["slope"] = float("nan")  # its forecasts differ only between origins: a slope means nothing
    return out


@dataclass
class BacktestReport:
    """Forecasts of every model on every test row, the folds, and the scores computed from them."""

    target: str
    horizons: tuple[int, ...]
    models: tuple[str, ...]
    predictions: pd.DataFrame               # origin, horizon, target_year, iso3, y, model, p
    folds: pd.DataFrame                     # origin, horizon, n_train, train years, last train label year, test year
    seed: int = 0
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)

    def _groups(self, by: Sequence[str]) -> Iterable[tuple[Any, pd.DataFrame, pd.DataFrame]]:
        clim = self.predictions[self.predictions["model"] == "climatology"].set_index(_KEY)["p"]
        for key, g in self.predictions.groupby([*by, "model"], sort=False):
            yield key, g, g.assign(ref=clim.reindex(pd.MultiIndex.from_frame(g[_KEY])).to_numpy())

    def pooled(self, *, boot: int = 200) -> pd.DataFrame:
        """Scores per horizon and model over all origins; 90% AUC interval from resampling origin years."""
        rng = np.random.default_rng(self.seed)
        rows = []
        for (h, model), g, r in self._groups(["horizon"]):
            ref = r["ref"].to_numpy() if r["ref"].notna().all() else None
            row: dict[str, Any] = {"horizon": h, "model": model, **_summary(model, g["y"], g["p"], ref)}
            row["auc_lo"], row["auc_hi"] = self._auc_interval(g, rng, boot)
            rows.append(row)
        return self._order(pd.DataFrame(rows), ["horizon"])

    @staticmethod
    def _auc_interval(g: pd.DataFrame, rng: np.random.Generator, boot: int) -> tuple[float, float]:
        years = g["origin"].unique()
        if boot <= 0 or len(years) < 3:
            return float("nan"), float("nan")
        parts = {yr: (d["y"].to_numpy(), d["p"].to_numpy()) for yr, d in g.groupby("origin")}
        draws = []
        for _ in range(boot):
            pick = rng.choice(years, size=len(years), replace=True)
            draws.append(metrics.auc(np.concatenate([parts[k][0] for k in pick]),
                                     np.concatenate([parts[k][1] for k in pick])))
        lo, hi = np.nanquantile(np.asarray(draws), [0.05, 0.95]) if np.isfinite(draws).any() else (np.nan, np.nan)
        return float(lo), float(hi)

    def per_origin(self) -> pd.DataFrame:
        """Scores per origin, horizon and model (few events per year: read with care)."""
        rows = []
        for (o, h, model), g, r in self._groups(["origin", "horizon"]):
            rows.append({"origin": o, "horizon": h, "model": model,
                         **_summary(model, g["y"], g["p"], r["ref"].to_numpy())})
        return self._order(pd.DataFrame(rows), ["origin", "horizon"])

    def reliability(self, bins: int = 10, binning: Binning = "quantile") -> pd.DataFrame:
        """Reliability table per horizon and model, pooled over origins."""
        frames = []
        for (h, model), g in self.predictions.groupby(["horizon", "model"], sort=False):
            t = metrics.reliability_table(g["y"], g["p"], bins, binning)
            frames.append(t.assign(horizon=cast(int, h), model=cast(str, model)))
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return self._order(out, ["horizon"]) if not out.empty else out

    def _order(self, df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        if df.empty:
            return df
        rank = {m: i for i, m in enumerate(self.models)}
        df = df.assign(_m=df["model"].map(rank)).sort_values([*by, "_m"]).drop(columns="_m")
        lead = [*by, "model"]
        return df[lead + [c for c in df.columns if c not in lead]].reset_index(drop=True)

    def to_markdown(self, *, per_origin: bool = True, reliability: bool = True) -> str:
        """The report: settings, pooled scores, reliability tables and per-origin AUC / Brier."""
        pooled = self.pooled()
        origins = sorted(self.folds["origin"].unique().tolist()) if not self.folds.empty else []
        out = [f"### Backtest: {self.target}",
               f"origins {origins[0] if origins else '-'}-{origins[-1] if origins else '-'}, horizons "
               f"{', '.join(map(str, self.horizons))}, seed {self.seed}, {len(self.predictions) // max(len(self.models), 1)}"
               f" test forecasts per model, {self.elapsed:.1f} s", ""]
        out += [markdown_table(pooled[["horizon", "model", *[c for c in METRIC_COLUMNS if c in pooled]]]), ""]
        if reliability:
            rel = self.reliability(bins=5)
            out += ["Reliability (5 quantile bins, pooled over origins):", "",
                    markdown_table(rel[["horizon", "model", "bin", "n", "events", "p_mean", "observed"]]), ""]
        if per_origin:
            po = self.per_origin()
            wide = po.pivot_table(index=["horizon", "origin", "n", "events"], columns="model", values=["auc", "brier"])
            wide.columns = pd.Index([f"{col[1]} {col[0]}" for col in wide.columns])
            cols = [f"{m} {s}" for s in ("auc", "brier") for m in self.models if f"{m} {s}" in wide.columns]
            out += ["Per origin (AUC, then Brier):", "", markdown_table(wide[cols].reset_index()), ""]
        out += [f"- {n}" for n in self.notes]
        return "\n".join(out).rstrip() + "\n"


def split(data: ForecastData, target: Target, horizon: int, origin: int, *,
          feats: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) for one origin: train rows have label year <= origin, test rows are the origin year.

    The test labels (year origin + horizon) are attached for scoring only; for onset, test rows
    in conflict at the origin are not in the risk set and have no label, so they drop out.
    """
    feats = features(data, origin) if feats is None else feats
    truth = labels(data, target, horizon)
    test = feats[feats["year"] == origin].merge(truth[truth["year"] == origin], on=["iso3", "year"])
    train = feats.merge(labels(data, target, horizon, as_of=origin), on=["iso3", "year"])
    if not train.empty and int(train["label_year"].max()) > origin:  # guard: never train on the test years
        raise AssertionError(f"training label year {train['label_year'].max()} after origin {origin}")
    return train, test


def backtest(source: Store | ForecastData, target: Target = "conflict_onset", *,
             origins: Iterable[int] = DEFAULT_ORIGINS, horizons: Sequence[int] = (1,),
             models: Sequence[str] = MODELS, seed: int = 0, home: str = "CHN",
             domain: str = "general") -> BacktestReport:
    """Rolling-origin backtest of ``models`` for ``target`` at each lead time in ``horizons``."""
    check("target", target)
    hs = tuple(dict.fromkeys(check_horizon(h) for h in horizons))
    ms = check_many("model", models)
    if "climatology" not in ms:
        ms = (*ms, "climatology")  # the reference of the Brier skill score
    years = sorted({int(o) for o in origins})
    if not years:
        raise ConfigError("no origin year given", hint="e.g. origins=range(2008, 2023)")
    start = time.perf_counter()
    data = source if isinstance(source, ForecastData) else load_data(source, home, domain)
    preds, folds, notes = [], [], []
    flag = PERSISTENCE_FLAG[target]
    for o in years:
        if o < data.first_year + 2 or o > data.last_year:
            notes.append(f"origin {o} skipped: outside the panel years {data.first_year + 2}-{data.last_year}")
            continue
        feats = features(data, o)
        for h in hs:
            train, test = split(data, target, h, o, feats=feats)
            if test.empty or train["y"].nunique() < 2:
                notes.append(f"origin {o}, horizon {h} skipped: "
                             + ("no labelled test row (target year beyond the data)" if test.empty
                                else "a single class in training"))
                continue
            cols = feature_columns(train, target)
            folds.append({"origin": o, "horizon": h, "n_train": len(train), "train_first_year": int(train["year"].min()),
                          "train_last_year": int(train["year"].max()),
                          "train_last_label_year": int(train["label_year"].max()), "test_year": o,
                          "test_target_year": o + h, "n_test": len(test), "test_events": int(test["y"].sum()),
                          "features": len(cols)})
            for m in ms:
                p = fit_predict(m, train[cols], train["y"].to_numpy(), test[cols], flag=flag, seed=seed)  # type: ignore[arg-type]
                preds.append(pd.DataFrame({"origin": o, "horizon": h, "target_year": o + h,
                                           "iso3": test["iso3"].to_numpy(), "y": test["y"].to_numpy(dtype=int),
                                           "model": m, "p": p}))
    if not preds:
        raise ConfigError(f"no origin in {years[0]}-{years[-1]} could be backtested for {target}",
                          hint=f"pick origins between {data.first_year + 2} and the last labelled year")
    return BacktestReport(target, hs, ms, pd.concat(preds, ignore_index=True), pd.DataFrame(folds), seed,
                          time.perf_counter() - start, notes)


__all__ = ["DEFAULT_ORIGINS", "METRIC_COLUMNS", "BacktestReport", "backtest", "markdown_table", "split"]

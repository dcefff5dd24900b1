"""The backtest report in markdown: ``cultrade forecast backtest --out docs/forecast_backtest.md``.

:func:`render` writes every figure from a :class:`~cultrade.forecast.rolling.BacktestReport`. The
prose around the figures (definitions, leakage precautions, limits) describes the method and never
states a result, so the document cannot drift from the numbers.

>>> print(markdown_table(pd.DataFrame({"model": ["hgb"], "auc": [0.81234]})))
| model | auc |
|---|---|
| hgb | 0.812 |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cultrade.forecast.data import COMPLETE_SHARE
from cultrade.forecast.models import BASELINE_TEXT, HGB_PARAMS, LOGIT_C
from cultrade.forecast.options import BOOTSTRAP, DECISION_HORIZON, LEARNED, LOW_COVERAGE, MIN_AUC_GAIN
from cultrade.forecast.targets import PERSISTENCE_TEXT, TARGET_TEXT

if TYPE_CHECKING:
    from cultrade.forecast.rolling import BacktestReport

FEW_EVENTS = 30  # test events at lead 1 below which a target's figures are flagged as fragile

LEAKAGE = """\
## Leakage precautions and publication lags

* **Features at t use data of years <= t only.** The index features come from the index built on
  panel years <= t (`ForecastData.index_as_of(t)`): later years are dropped before carrying,
  winsorising, normalising and calibrating the band cut points, so later data cannot move row t.
  Raw series are carried forward only (at most one or two years), never backward. A test alters
  every source after t (WGI, WDI, OWID, SIPRI, UCDP, the H.10 exchange rates) and checks that the
  features and the training labels of every target at t stay identical, and that the alteration
  does bite one year later.
* **Training labels are known at the origin.** At origin o a training row (t, label) is used only
  when the last data year its label needs is <= o (t + h for the events, t + h + 1 for the
  sustained score rise). `split()` raises an error otherwise, and a test checks that the backtest
  fits exactly the rows `split()` returns.
* **Index labels are first-release labels.** The score-rise and band labels of (t, t + h) are read
  from the index built with data up to their last year only, so a label never depends on data
  published after it, and training and test labels share one definition.
* **No WEO forecasts.** OWID's `gdp_growth_fcst` comes from the *current* WEO vintage, so a past
  year would see a forecast made later: those cells are missing in the index used for features and
  labels, and growth features and the output-collapse target use IMF observations only.
* **Baselines see the same rows.** Every baseline is fitted on the same training rows and scored on
  the same test rows as the models; its one-variable logistic calibration uses training years only.
* **No tuning on the test years.** The models' hyper-parameters were fixed before any backtest was
  run and are the same for every target; nothing was chosen per target or per event.
* **Publication lags.** The convention is the *data year*: row t uses every value describing year
  t. WGI for year t appears around September of t + 1, UCDP/PRIO around June of t + 1, WDI through
  t + 1. A lead-1 forecast in data-year terms can therefore only be issued late in the target year;
  **lead 2 is the release-realistic "next year" forecast** (section 4 when the backtest runs it).
* **Not handled: data revisions.** The store holds today's vintage of past data. WGI re-estimates
  its whole series with each update, and WDI and the IMF revise history; real-time vintages are
  not available, so the backtest is somewhat optimistic. The same applies to UCDP's recoding of
  past conflicts. Static inputs (Hofstede, GeoDist) apply to every year, as in the risk index.
"""

LIMITS = """\
## Limits

* Events are few: a handful per origin. Single-origin AUCs spread widely, and the intervals above
  are wide; a target with fewer than 30 test events at lead 1 is marked as fragile.
* The pooled AUC compares forecasts across years. A common shock that no country-level data
  foresees (the 2009 recession, COVID-19 in 2020) puts many events in one year whose forecasts were
  low, and lowers every model's pooled AUC and Brier skill; `AUC within` (the mean of the per-origin
  AUCs) shows how well each year is ranked on its own. The shipping rule uses the pooled figures.
* Onset targets ignore countries already in the event at t: their risk is a continuation question.
* Conflict uses UCDP/PRIO state-based conflicts located in the country (25+ battle deaths); it
  ignores non-state and one-sided violence, riots and coups.
* The score-rise and band targets depend on the index's configuration (home, domain, framework);
  the backtest is run for one configuration, named at the top.
* When optional sources start mid-panel (FSI 2005, Freedom House 2012), the change in the index's
  composition moves scores and bands in the training years; the index targets are then noisier.
"""


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


def _f(v: Any, digits: int = 3, sign: bool = False) -> str:
    fv = float(v)
    return "–" if np.isnan(fv) else (f"{fv:+.{digits}f}" if sign else f"{fv:.{digits}f}")


def _ci(r: pd.Series, col: str) -> str:
    lo, hi = r.get(f"{col}_lo", np.nan), r.get(f"{col}_hi", np.nan)
    return "" if pd.isna(lo) else f" [{_f(lo)}, {_f(hi)}]"


def _decision(rep: BacktestReport, pooled: pd.DataFrame, decision: pd.DataFrame) -> list[str]:
    lead = pooled[pooled["horizon"] == DECISION_HORIZON]
    decision = decision[decision["horizon"] == DECISION_HORIZON]
    rows, lines = [], []
    for target in rep.targets:
        d = decision[decision["target"] == target]
        g = lead[lead["target"] == target]
        if d.empty or g.empty:
            rows.append({"target": target, "decision": "not backtested at lead 1"})
            continue
        best = d.sort_values("auc", ascending=False).iloc[0]
        ship = d[d["shipped"].astype(bool)]
        n, events = int(g["n"].iloc[0]), int(g["events"].iloc[0])
        rows.append({
            "target": target, "events / forecasts": f"{events} / {n}" + (" (few)" if events < FEW_EVENTS else ""),
            **{f"{m} AUC": _f(d.set_index("model")["auc"].get(m, np.nan)) for m in LEARNED},
            "best baseline (AUC)": f"{best['best_baseline']} ({_f(best['best_baseline_auc'])})",
            "gain of the best model [90% CI]": _f(best["gain"], sign=True) + _ci(best, "gain"),
            "its BSS": _f(best["bss"], sign=True),
            "decision": f"**ships {ship['model'].iloc[0]}**" if not ship.empty else "not shipped",
        })
        lines += [f"- `{target}` {m}: {r}" for m, r in zip(d["model"], d["reason"], strict=True)]
    shipped = [f"`{t}` ({m})" for t, m in zip(decision["target"], decision["model"], strict=True)
               if decision.loc[(decision["target"] == t) & (decision["model"] == m), "shipped"].any()]
    failed = [f"`{t}`" for t in rep.targets if not decision[(decision["target"] == t)]["shipped"].astype(bool).any()]
    return ["## 1. Decision (lead 1)", "",
            f"A learned model ships for a target when, at lead {DECISION_HORIZON} and pooled over the origins, its "
            f"AUC is at least {MIN_AUC_GAIN:.2f} above the best of the five baselines **and** its Brier skill against "
            "climatology is positive. The shipped model is the passing one with the highest AUC. `cultrade forecast "
            "predict` publishes shipped targets only, so the alert rules never read the others. The decision is "
            "recomputed by every backtest and stored in `forecast_skill`.", "",
            markdown_table(pd.DataFrame(rows).fillna("")), "",
            "**Shipped:** " + (", ".join(shipped) if shipped else "none") + ". "
            "**Not shipped:** " + (", ".join(failed) if failed else "none") + ".", "", *lines, ""]


def _definitions(rep: BacktestReport) -> list[str]:
    targets = pd.DataFrame({"target": [f"`{t}`" for t in rep.targets],
                            "event (lead h: under way at t + h)": [TARGET_TEXT[t] for t in rep.targets],
                            "persistence baseline ranks by": [PERSISTENCE_TEXT[t] for t in rep.targets]})
    base = pd.DataFrame({"baseline": [f"`{b}`" for b in BASELINE_TEXT], "ranks by": list(BASELINE_TEXT.values())})
    return ["## 2. Targets and baselines", "",
            "The four adverse events are those of `cultrade.risk.events` (the risk validation uses the same "
            "definitions); each is an onset, with the country-years already in the event at t outside the risk set. "
            "The score rise and band targets read the risk index as first released.", "",
            markdown_table(targets), "",
            "Each baseline but climatology ranks by one column; its probabilities come from a one-variable logistic "
            "regression fitted on the training rows (so it is calibrated like the models).", "",
            markdown_table(base), ""]


def _results(rep: BacktestReport, pooled: pd.DataFrame) -> list[str]:
    out = ["## 3. Every target, model and baseline (lead 1)", "",
           f"AUC: ranking quality, 0.5 is chance, [90% interval] from resampling origin years ({BOOTSTRAP} draws). "
           "AUC within: the mean of the per-origin AUCs. AP: average precision (compare with the base rate). "
           "Brier: mean squared error, lower is better. BSS: Brier skill against climatology, above 0 beats it. "
           "slope / intercept: logistic recalibration of the outcome on logit(p); 1 / 0 is perfect, a slope "
           "below 1 means too extreme, an intercept above 0 under-forecasting.", ""]
    lead = pooled[pooled["horizon"] == DECISION_HORIZON]
    for target in rep.targets:
        g = lead[lead["target"] == target]
        if g.empty:
            continue
        out += [f"**{target}** ({int(g['events'].iloc[0])} events in {int(g['n'].iloc[0])} forecasts, base rate "
                f"{_f(g['base_rate'].iloc[0])})", ""]
        table = pd.DataFrame({
            "model": g["model"], "AUC [90% CI]": [_f(r["auc"]) + _ci(r, "auc") for _, r in g.iterrows()],
            "AUC within": g["auc_within"], "AP": g["ap"], "Brier": g["brier"].map(lambda v: f"{v:.4f}"),
            "BSS": g["bss"], "slope": g["slope"], "intercept": g["intercept"]})
        out += [markdown_table(table), ""]
    return out


def _longer(pooled: pd.DataFrame, decision: pd.DataFrame, targets: tuple[str, ...]) -> list[str]:
    rows = []
    ships = {(t, int(h)): m for t, h, m, s in decision[["target", "horizon", "model", "shipped"]].itertuples(
        index=False) if s}
    for (target, h), g in pooled[pooled["horizon"] != DECISION_HORIZON].groupby(["target", "horizon"], sort=False):
        learned = g[g["model"].isin(LEARNED)].sort_values("auc", ascending=False)
        if learned.empty:
            continue
        best = learned.iloc[0]
        rows.append({"target": target, "h": h, "events / forecasts": f"{int(best['events'])} / {int(best['n'])}",
                     "best model": best["model"], "AUC": _f(best["auc"]) + _ci(best, "auc"),
                     "best baseline": f"{best['best_baseline']} ({_f(best['best_baseline_auc'])})",
                     "gain": _f(best["gain"], sign=True), "BSS": _f(best["bss"], sign=True),
                     "published": ships.get((str(target), int(str(h))), "no"),
                     "_t": targets.index(str(target))})
    if not rows:
        return []
    table = pd.DataFrame(rows).sort_values(["_t", "h"]).drop(columns="_t")
    return ["## 4. Longer leads", "",
            "The best learned model per target and lead, against the best baseline on the same rows. A lead is "
            "published (`forecast predict --horizon h`) only where a model clears the same bar as at lead 1 in "
            "this backtest; `published` names that model.", "", markdown_table(table), ""]


def _reliability(rep: BacktestReport) -> list[str]:
    rel = rep.reliability(bins=5)
    rel = rel[(rel["horizon"] == DECISION_HORIZON) & rel["model"].isin(LEARNED)]
    if rel.empty:
        return []
    rel = rel.assign(cell=[f"{r.p_mean:.3f} → {r.observed:.3f}" for r in rel.itertuples()])
    wide = rel.pivot_table(index=["target", "model"], columns="bin", values="cell", aggfunc="first")
    wide.columns = pd.Index([f"bin {int(c) + 1}" for c in wide.columns])
    wide = wide.reset_index()
    wide["_t"] = wide["target"].map({t: i for i, t in enumerate(rep.targets)})
    wide = wide.sort_values(["_t", "model"]).drop(columns="_t").fillna("")
    return ["## 5. Calibration: reliability at lead 1", "",
            "Five bins with equal numbers of forecasts, pooled over the origins; each cell gives the mean "
            "predicted probability → the observed frequency.", "", markdown_table(wide), ""]


def _per_origin(rep: BacktestReport, pooled: pd.DataFrame) -> list[str]:
    po = rep.per_origin()
    po = po[po["horizon"] == DECISION_HORIZON]
    out = ["## 6. Per origin (lead 1)", "", "AUC of the learned models and of the target's best baseline, per "
           "origin year (few events per year: read with care; empty = no event that year).", ""]
    lead = pooled[pooled["horizon"] == DECISION_HORIZON]
    for target in rep.targets:
        g = po[po["target"] == target]
        best = lead[lead["target"] == target]["best_baseline"]
        if g.empty or best.empty:
            continue
        cols = [*LEARNED, str(best.iloc[0])]
        g = g[g["model"].isin(cols)].astype({"n": int, "events": int})
        wide = g.set_index(["origin", "n", "events", "model"])["auc"].unstack("model")
        wide = wide.reindex(columns=cols).reset_index()
        out += [f"**{target}** (best baseline: {best.iloc[0]})", "", markdown_table(wide), ""]
    return out


def _design(rep: BacktestReport) -> list[str]:
    hgb = ", ".join(f"{k} {v}" for k, v in HGB_PARAMS.items())
    return ["## 7. Design", "",
            "**Rows.** One row per country and data year t, for the countries the risk index scores at t and "
            "that are in the target's risk set; the home economy is never a row.", "",
            "**Rolling origin.** For each origin o and lead h, the training rows are every country-year whose "
            "label was known at o; the test rows are the risk set at o. Every model and baseline forecasts the "
            "same test rows from the same training rows. Scores are computed on the test forecasts pooled over "
            "the origins, and per origin.", "",
            f"**Features** ({len(rep.feature_names)}; from `cultrade.forecast.design`): "
            + ", ".join(f"`{c}`" for c in rep.feature_names) + ".", "",
            f"**Models** (`cultrade.forecast.models`; fixed before any backtest, the same for every target): "
            f"`logit` is median imputation with missing-value indicators, standardisation and L2 logistic "
            f"regression (C = {LOGIT_C}) with no class weighting; `hgb` is scikit-learn's "
            f"HistGradientBoostingClassifier ({hgb}; random_state = the seed, one thread).", "",
            f"**Publishing** (`cultrade forecast predict`). Forecasts start from the latest complete data year "
            f"({rep.complete_year} here: the last year with observed WGI for at least {COMPLETE_SHARE:.0%} of the "
            "countries WGI "
            "covers, and covered by UCDP; later years only carry WGI forward). Only shipped targets and leads are "
            "written to `forecast_probabilities`, which the alert rules read. Top lists leave out the countries "
            f"whose index coverage at the origin is below {LOW_COVERAGE:.0%} of the index's weight, and name them.",
            ""]


def render(rep: BacktestReport) -> str:
    """The whole document (see the module docstring)."""
    pooled = rep.pooled()
    decision = rep.decision()
    origins = rep.origins
    head = ["# Forecasts of adverse events: design and backtest", "",
            "<!-- Generated by `cultrade forecast backtest --out`; do not edit by hand (scripts/forecast_backtest_doc.py"
            " regenerates it). -->", "",
            "Code: `cultrade.forecast` (`cultrade forecast backtest`, `cultrade forecast predict`). Next-year "
            "probabilities for the adverse events an investor acts on, each checked against five simple baselines "
            "in the same rolling-origin backtest.", "",
            f"**Run:** home {rep.home}, domain {rep.domain}; origins {origins[0] if origins else '–'}–"
            f"{origins[-1] if origins else '–'} (latest complete data year {rep.complete_year}); leads "
            f"{', '.join(map(str, rep.horizons))}; models {', '.join(rep.models)}; seed {rep.seed}; "
            f"run time {rep.elapsed:.0f} s (features, indices and model fits, on 2 shared cores).", "",
            "**Data:** " + (", ".join(rep.sources) if rep.sources else "as loaded") + ".", ""]
    notes = ["## Notes from the run", "", *[f"- {n}" for n in rep.notes]] if rep.notes else []
    parts = [*head, *_decision(rep, pooled, decision), *_definitions(rep), *_results(rep, pooled),
             *_longer(pooled, decision, rep.targets), *_reliability(rep), *_per_origin(rep, pooled), *_design(rep),
             LEAKAGE, LIMITS, *notes]
    return "\n".join(parts).rstrip() + "\n"


__all__ = ["FEW_EVENTS", "markdown_table", "render"]

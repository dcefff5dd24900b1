"""Scoring market rankings against what happened, and choosing the ranking the product ships.

A *case* is one home country at one origin year t: every other market with each ranking's score (higher
is better) and what happened from t to t+k. Each ranking is scored per case by

* **NDCG@N** with the realised export growth (USD, 0 for a fall) as the gain, and the **hit rate@N**, the
  share of the N markets ranked first that are among the N with the largest realised growth;
* two **adverse outcomes** among the N ranked first: *contraction@N*, the share of markets whose total
  imports fell from t to t+k, and *loss@N*, the share of the markets the home already exported to whose
  imports from the home fell.

:data:`RANKINGS` lists every ranking the backtest scores and, for the product's own rankings, the
situations (:data:`SITUATIONS`) in which :func:`cultrade.markets.rank_markets` can order markets by it.
:func:`decide` applies the one rule that picks the default ranking per situation from the figures (see
its docstring); :func:`cultrade.markets.choice.default_ranking` reads the decision back.

>>> [r.id for r in RANKINGS if r.kind == "baseline"]
['largest', 'nearest']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

TOP_N = 10
BOOTSTRAP = 2000
SEED = 20240101
#: The situations in which ``rank_markets`` chooses an order: goods with a bilateral (BACI) year of the home,
#: goods without one, and digital product types (no bilateral data exist for them).
SITUATIONS = ("bilateral", "goods", "digital")
Situation = Literal["bilateral", "goods", "digital"]
SITUATION_LABELS = {"bilateral": "goods with bilateral data (a BACI year with the home as exporter)",
                    "goods": "goods without bilateral data (proxies)",
                    "digital": "digital product types (proxies; no bilateral digital trade data exist)"}
RISK = "+risk"  # suffix of a ranking's risk-adjusted version: score x (1 - risk/10)


@dataclass(frozen=True)
class RankingSpec:
    """One ranking: id, label, kind, and the situations in which the product can order markets by it."""

    id: str
    label: str
    kind: Literal["model", "baseline", "reference"]
    situations: tuple[str, ...] = ()
    note: str = ""

    @property
    def shipped(self) -> bool:
        return bool(self.situations)


RANKINGS: tuple[RankingSpec, ...] = (
    RankingSpec("untapped", "model: untapped potential (ITC supply x demand x ease)", "model", ("bilateral",),
                "the product's export-potential formula (`export_potential`), untapped part"),
    RankingSpec("size_access", "model: market size x access (GDP)", "model", SITUATIONS,
                "the product's proxy: WDI GDP, projected, times gravity access from the home"),
    RankingSpec("size_access_digital", "model: market size x access (GDP x internet users)", "model",
                ("digital",), "the product's digital proxy: the online economy times access"),
    RankingSpec("persistence", "model: gravity with persistence", "model", (),
                "it needs two bilateral years k apart to estimate the persistence"),
    RankingSpec("gravity_gap", "model: gravity gap (projected gravity minus actual)", "model", (),
                "the row this page called 'untapped potential' before (a one-product analogue of it)"),
    RankingSpec("largest", "baseline: largest markets", "baseline", (), "the market's total imports at t"),
    RankingSpec("nearest", "baseline: nearest markets", "baseline", (), "distance from the home, nearest first"),
    RankingSpec("partners", "reference: current partners", "reference", (),
                "the home's exports to the market at t: not a 'where next' answer, the bar to read against"),
)
SPECS = {r.id: r for r in RANKINGS}


def label(ranking: str) -> str:
    """The label of a ranking id, with '+ risk adjustment' for a risk-adjusted version."""
    base = ranking.removesuffix(RISK)
    return SPECS[base].label + (", risk-adjusted" if ranking.endswith(RISK) else "")


def ndcg(scores: np.ndarray, gains: np.ndarray, n: int = TOP_N) -> float:
    """NDCG@n of the ranking by ``scores`` (descending) with ``gains``; NaN when no gain is positive.

    >>> round(ndcg(np.array([3.0, 2.0, 1.0]), np.array([1.0, 0.0, 2.0]), n=2), 4)  # 1 / (2 + 1/log2(3))
    0.3801
    """
    gains = np.clip(np.nan_to_num(gains, nan=0.0), 0.0, None)
    if gains.sum() <= 0:
        return float("nan")
    order = np.argsort(-scores, kind="stable")[:n]
    discount = 1.0 / np.log2(np.arange(2, min(n, len(gains)) + 2))
    dcg = float((gains[order] * discount[: len(order)]).sum())
    ideal = float((np.sort(gains)[::-1][:n] * discount[: min(n, len(gains))]).sum())
    return dcg / ideal


def hit_rate(scores: np.ndarray, realised: np.ndarray, n: int = TOP_N) -> float:
    """Share of the ``n`` best-scored items that are among the ``n`` largest realised values.

    >>> hit_rate(np.array([3.0, 2.0, 1.0, 0.0]), np.array([5.0, 0.0, 4.0, 1.0]), n=2)
    0.5
    """
    top_pred = set(np.argsort(-scores, kind="stable")[:n])
    top_true = set(np.argsort(-np.nan_to_num(realised, nan=-np.inf), kind="stable")[:n])
    return len(top_pred & top_true) / n


def score_case(case: pd.DataFrame, rankings: Sequence[str], n: int = TOP_N) -> list[dict[str, Any]]:
    """NDCG, hit rate, contraction and loss at ``n`` of each ranking column of one case.

    ``case`` has one row per market: a score column per ranking (higher is better; NaN ranks last),
    ``growth`` (realised, USD), ``contraction`` and ``loss`` (booleans; loss is NaN where the home did not
    export at t).
    """
    gains = case["growth"].to_numpy(dtype=float)
    contraction = case["contraction"].to_numpy(dtype=float)
    loss = case["loss"].to_numpy(dtype=float)
    rows = []
    for r in rankings:
        s = np.nan_to_num(case[r].to_numpy(dtype=float), nan=-np.inf)
        top = np.argsort(-s, kind="stable")[:n]
        exported = loss[top][~np.isnan(loss[top])]
        rows.append({"ranking": r, "ndcg": ndcg(s, gains, n), "hit_rate": hit_rate(s, gains, n),
                     "contraction": float(np.nanmean(contraction[top])) if len(top) else float("nan"),
                     "loss": float(exported.mean()) if len(exported) else float("nan")})
    return rows


def bootstrap_difference(wide: pd.DataFrame, a: str, b: str, draws: int = BOOTSTRAP,
                         seed: int = SEED) -> tuple[float, float, float]:
    """Mean of ``a - b`` over cases and its 95% percentile interval, resampling homes (all their cases).

    ``wide`` is indexed by (home, origin) with one column per ranking.

    >>> w = pd.DataFrame({"a": [0.6, 0.7, 0.5, 0.8], "b": [0.5, 0.5, 0.5, 0.5]},
    ...                  index=pd.MultiIndex.from_tuples([("X", 1), ("X", 2), ("Y", 1), ("Y", 2)]))
    >>> mean, lo, hi = bootstrap_difference(w, "a", "b", draws=200)
    >>> round(mean, 3), lo <= mean <= hi
    (0.15, True)
    """
    d = (wide[a] - wide[b]).dropna()
    if d.empty:
        return float("nan"), float("nan"), float("nan")
    homes = d.index.get_level_values(0)
    sums = d.groupby(homes).sum()
    counts = d.groupby(homes).size()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(sums), size=(draws, len(sums)))
    means = sums.to_numpy()[pick].sum(axis=1) / counts.to_numpy()[pick].sum(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(d.mean()), float(lo), float(hi)


@dataclass
class BacktestResult:
    """The per-case scores of one source, and the notes that say how they were made.

    ``scores``: one row per home, origin and ranking (ndcg, hit_rate, contraction, loss), every market.
    ``risk_scores``: the same on the origins the risk index covers, markets with a usable risk score only,
    for each shipped model and its risk-adjusted version (``id+risk``).
    """

    source: str
    title: str
    origins: tuple[int, ...]
    horizon: int
    homes: int
    scores: pd.DataFrame
    notes: list[str]
    risk_scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    risk_origins: tuple[int, ...] = ()
    primary: bool = False  # the source whose figures decide the product's defaults

    def wide(self, metric: str = "ndcg", risk: bool = False) -> pd.DataFrame:
        frame = self.risk_scores if risk else self.scores
        return frame.pivot_table(index=["home", "origin"], columns="ranking", values=metric)

    def home_wins(self, ranking: str) -> dict[str, list[int]]:
        """Per home: [cases where ``ranking`` has a higher NDCG than the best baseline, cases]."""
        wide = self.wide()[[ranking, self.best_baseline()]].dropna()
        won = (wide[ranking] > wide[self.best_baseline()]).groupby(level="home")
        return {str(h): [int(w.sum()), len(w)] for h, w in won}

    def best_baseline(self) -> str:
        means = self.scores.groupby("ranking")["ndcg"].mean()
        return str(means.reindex([r.id for r in RANKINGS if r.kind == "baseline"]).idxmax())

    def summary(self) -> pd.DataFrame:
        """Per ranking: mean NDCG and hit rate, cases, share of cases above each baseline and the reference,
        and the NDCG difference with the best baseline with its 95% interval over homes."""
        wide = self.wide()
        best = self.best_baseline()
        out = []
        for spec in RANKINGS:
            if spec.id not in wide:
                continue
            part = self.scores[self.scores["ranking"] == spec.id]
            row: dict[str, Any] = {"ranking": spec.id, "label": spec.label, "kind": spec.kind,
                                   "ndcg": part["ndcg"].mean(), "hit_rate": part["hit_rate"].mean(),
                                   "cases": int(part["ndcg"].notna().sum())}
            for other in ("largest", "nearest", "partners"):
                ok = wide[[spec.id, other]].dropna() if other in wide and other != spec.id else None
                row[f"beats_{other}"] = float((ok[spec.id] > ok[other]).mean()) if ok is not None else np.nan
            diff = bootstrap_difference(wide, spec.id, best) if spec.id != best else (np.nan,) * 3
            row.update(vs=best, diff=diff[0], lo=diff[1], hi=diff[2])
            out.append(row)
        return pd.DataFrame(out).set_index("ranking")

    def risk_summary(self) -> pd.DataFrame:
        """Per shipped model on the risk cases: unadjusted and risk-adjusted NDCG, hit rate, contraction and
        loss at N, and the NDCG difference (adjusted - unadjusted) with its 95% interval over homes."""
        if self.risk_scores.empty:
            return pd.DataFrame()
        wide = self.wide(risk=True)
        means = self.risk_scores.groupby("ranking")[["ndcg", "hit_rate", "contraction", "loss"]].mean()
        out = []
        for spec in RANKINGS:
            adj = spec.id + RISK
            if adj not in means.index or spec.id not in means.index:
                continue
            diff = bootstrap_difference(wide, adj, spec.id)
            row = {"ranking": spec.id, "label": spec.label,
                   "cases": int(wide[[spec.id, adj]].dropna().shape[0])}
            for metric in ("ndcg", "hit_rate", "contraction", "loss"):
                row[metric] = means.loc[spec.id, metric]
                row[f"{metric}_adjusted"] = means.loc[adj, metric]
            row.update(diff=diff[0], lo=diff[1], hi=diff[2],
                       better=float((wide[adj] > wide[spec.id]).mean()))
            out.append(row)
        return pd.DataFrame(out).set_index("ranking")


def model_figures(result: BacktestResult) -> dict[str, dict[str, Any]]:
    """Per model: mean NDCG and hit rate, cases, the best baseline and its NDCG, the difference with its 95%
    interval over homes and the share of cases won; ``risk``: the same model unadjusted and risk-adjusted
    (NDCG, the difference with its interval, contraction and loss) on the cases the risk index covers."""
    summary = result.summary()
    risk = result.risk_summary()
    out: dict[str, dict[str, Any]] = {}
    for m, f in summary[summary["kind"] == "model"].iterrows():
        entry: dict[str, Any] = {
            "ndcg": float(f["ndcg"]), "hit_rate": float(f["hit_rate"]), "cases": int(f["cases"]),
            "baseline": str(f["vs"]), "baseline_ndcg": float(summary.loc[f["vs"], "ndcg"]),
            "diff": float(f["diff"]), "ci": [float(f["lo"]), float(f["hi"])],
            "share_beats": float(f[f"beats_{f['vs']}"])}
        if m in risk.index:
            r = risk.loc[str(m)].to_dict()
            entry["risk"] = {"cases": int(r["cases"]), "ndcg": [float(r["ndcg"]), float(r["ndcg_adjusted"])],
                             "diff": float(r["diff"]), "ci": [float(r["lo"]), float(r["hi"])],
                             "contraction": [float(r["contraction"]), float(r["contraction_adjusted"])],
                             "loss": [float(r["loss"]), float(r["loss_adjusted"])]}
        out[str(m)] = entry
    return out


#: The rule :func:`choose` applies, in words (quoted on the backtest page and kept in the record).
DECISION_RULE = """\
1. The candidates of a situation are the product's rankings that can order markets in it.
2. A candidate *beats the baselines* when its mean NDCG@10 is above that of the best baseline (the baseline
   with the highest mean NDCG@10) and the 95% interval of the difference, over homes, lies above 0.
3. The default is the candidate with the highest mean NDCG@10 among those that beat the baselines; when none
   does, the candidate with the highest mean NDCG@10, recorded and shown as *not beating the baselines*.
4. The risk adjustment (opportunity x (1 - risk/10)) is kept for the default only if, on the cases the risk
   index covers, it is not worse: mean NDCG@10 not lower, and neither adverse outcome (contraction@10,
   loss@10) higher. Otherwise risk is shown beside the opportunity (the frontier), not multiplied into it.
   Without risk cases the adjustment is untested and not applied."""


def choose(figures: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The default ranking per situation: :data:`DECISION_RULE` applied to :func:`model_figures`.

    >>> f = {"size_access": {"ndcg": 0.64, "diff": 0.07, "ci": [0.04, 0.09]},
    ...      "untapped": {"ndcg": 0.32, "diff": -0.26, "ci": [-0.31, -0.21]},
    ...      "size_access_digital": {"ndcg": 0.57, "diff": -0.01, "ci": [-0.02, 0.01]}}
    >>> d = choose(f)["bilateral"]
    >>> d["ranking"], d["beats_baseline"], d["risk_adjusted"], d["risk_worse"]
    ('size_access', True, False, ['untested'])
    """
    out: dict[str, dict[str, Any]] = {}
    for situation in SITUATIONS:
        cands = [r.id for r in RANKINGS if situation in r.situations and r.id in figures]
        beating = [c for c in cands if figures[c]["diff"] > 0 and figures[c]["ci"][0] > 0]
        best = max(beating or cands, key=lambda c: figures[c]["ndcg"])
        risk = figures[best].get("risk")
        if risk:
            worse = [m for m, bad in (("NDCG@10", risk["ndcg"][1] < risk["ndcg"][0]),
                                      ("contraction@10", risk["contraction"][1] > risk["contraction"][0]),
                                      ("loss@10", risk["loss"][1] > risk["loss"][0])) if bad]
        else:
            worse = ["untested"]
        out[situation] = {"ranking": best, "candidates": cands, "beats_baseline": bool(beating),
                          "risk_adjusted": not worse, "risk_worse": worse}
    return out


def decide(result: BacktestResult) -> dict[str, dict[str, Any]]:
    """:func:`choose` on the figures of ``result``."""
    return choose(model_figures(result))


__all__ = ["BOOTSTRAP", "DECISION_RULE", "RANKINGS", "RISK", "SITUATIONS", "SITUATION_LABELS", "SPECS", "TOP_N",
           "BacktestResult", "RankingSpec", "Situation", "bootstrap_difference", "choose", "decide", "hit_rate",
           "label", "model_figures", "ndcg", "score_case"]

"""Backtest of market rankings on real data: rank with data up to year t, score against growth to t+k.

For every home country and origin year t, markets (every other country) are ranked by:

* **model: untapped potential** - the structural-gravity prediction of the home's exports to the market at
  t (PPML with exporter-year and importer-year fixed effects and the AGTPA covariates, fitted on years up
  to t only), projected k years with the home's export growth and the market's import growth over the k
  years before t, minus the actual exports at t;
* **model: gravity with persistence** - the same projected prediction, but the pair's deviation from it
  at t (actual / predicted) is carried forward with the persistence rho estimated on the k years before t
  (OLS of log deviation at t on log deviation at t-k): expected exports at t+k = projected prediction x
  deviation^rho; the score is the expected growth in USD;
* **baseline: largest markets** - the market's total imports at t;
* **baseline: nearest markets** - distance from the home, nearest first;
* **reference: current partners** - the home's exports to the market at t (not asked for; shown because it
  is the bar any "where next" model must be read against).

Each ranking is scored against the **realised export growth** from t to t+k (USD): NDCG@N with the growth
(0 for a fall) as the gain, and the hit rate@N, the share of the N markets ranked first that are among the
N markets with the largest realised growth. No information after t enters a ranking.

Sources: AGTPA (1986-2006; origins 1990, 1994, 1998, 2002 with k = 4, 69 homes); and BACI when two or
more years are loaded (cultural goods; the model is the untapped export potential of
:mod:`cultrade.markets.potential` at t). ``cultrade markets backtest --out docs/markets_backtest.md``
writes the results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from cultrade.errors import StoreError
from cultrade.markets.data import agtpa_frame
from cultrade.markets.gravity import estimate_gravity
from cultrade.store import Store

TOP_N = 10
AGTPA_ORIGINS = (1990, 1994, 1998, 2002)
HORIZON = 4
MODELS = ("model: untapped potential", "model: gravity with persistence", "baseline: largest markets",
          "baseline: nearest markets", "reference: current partners")


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


@dataclass
class BacktestResult:
    source: str
    origins: tuple[int, ...]
    horizon: int
    homes: int
    scores: pd.DataFrame  # one row per home, origin and ranking: ndcg, hit_rate
    notes: list[str]

    def summary(self) -> pd.DataFrame:
        """Mean NDCG@N and hit rate@N per ranking, and the share of cases it beats each baseline on NDCG."""
        s = self.scores.groupby("ranking")[["ndcg", "hit_rate"]].agg(["mean", "count"])
        out = pd.DataFrame({"ndcg": s[("ndcg", "mean")], "hit_rate": s[("hit_rate", "mean")],
                            "cases": s[("ndcg", "count")]})
        wide = self.scores.pivot_table(index=["home", "origin"], columns="ranking", values="ndcg")
        for base, col in ((MODELS[2], "beats_largest"), (MODELS[3], "beats_nearest")):
            out[col] = [float((wide[r] > wide[base]).mean()) if r != base and base in wide else float("nan")
                        for r in out.index]
        return out.reindex([m for m in MODELS if m in out.index])


def _score_case(frame: pd.DataFrame, realised: str, n: int) -> list[dict[str, object]]:
    rows = []
    columns = (("model", False), ("persistence", False), ("market_size", False), ("distance", True),
               ("actual", False))
    for name, (column, ascending) in zip(MODELS, columns, strict=True):
        if column not in frame.columns:
            continue
        s = frame[column].to_numpy(dtype=float)
        s = -s if ascending else s
        s = np.nan_to_num(s, nan=-np.inf)
        rows.append({"ranking": name, "ndcg": ndcg(s, frame[realised].to_numpy(dtype=float), n),
                     "hit_rate": hit_rate(s, frame[realised].to_numpy(dtype=float), n)})
    return rows


def persistence(before: pd.DataFrame, now: pd.DataFrame) -> float:
    """rho: OLS slope of log(actual / predicted) at t on the same at t-k, over pairs positive in both years.

    >>> b = pd.DataFrame({"exporter": list("AB"), "importer": list("CD"), "value": [2.0, 0.5], "predicted": 1.0})
    >>> n = b.assign(value=[1.5, 0.75])
    >>> round(persistence(b, n), 3)
    0.5
    """
    j = before.merge(now, on=["exporter", "importer"], suffixes=("_0", "_1"))
    j = j[(j["value_0"] > 0) & (j["value_1"] > 0) & (j["predicted_0"] > 0) & (j["predicted_1"] > 0)]
    x, y = np.log(j["value_0"] / j["predicted_0"]), np.log(j["value_1"] / j["predicted_1"])
    x = x - x.mean()
    return float((x * (y - y.mean())).sum() / (x * x).sum())


def backtest_agtpa(store: Store, origins: Sequence[int] = AGTPA_ORIGINS, horizon: int = HORIZON,
                   n: int = TOP_N) -> BacktestResult:
    """The backtest on AGTPA's international manufacturing flows (see the module docstring)."""
    data = agtpa_frame(store)
    covariates = ["log_dist", "cntg", "lang", "clny", "rta"]
    rows: list[dict[str, object]] = []
    rhos: list[str] = []
    for t in origins:
        if t - horizon < data["year"].min() or t + horizon > data["year"].max():
            raise StoreError(f"origin {t} needs AGTPA years {t - horizon} and {t + horizon}",
                             hint=f"use origins within {data['year'].min() + horizon}-{data['year'].max() - horizon}")
        fit_years = [y for y in (t - 2 * horizon, t - horizon, t) if y >= data["year"].min()]
        fit = estimate_gravity(data[data["year"].isin(fit_years)], covariates, source=f"agtpa {fit_years}")
        now = data[data["year"] == t].copy()
        now["predicted"] = fit.predict(now)
        before = data[data["year"] == t - horizon].copy()
        before["predicted"] = fit.predict(before)
        rho = persistence(before, now)
        rhos.append(f"{t}: {rho:.3f}")
        g_exp = now.groupby("exporter")["value"].sum() / before.groupby("exporter")["value"].sum()
        g_imp = now.groupby("importer")["value"].sum() / before.groupby("importer")["value"].sum()
        later = data[data["year"] == t + horizon][["exporter", "importer", "value"]].rename(columns={"value": "later"})
        now = now.merge(later, on=["exporter", "importer"], how="left")
        projected = now["predicted"] * now["exporter"].map(g_exp) * now["importer"].map(g_imp)
        now["model"] = projected - now["value"]
        deviation = (now["value"] / now["predicted"]).where(now["predicted"] > 0)
        now["persistence"] = projected * deviation.pow(rho) - now["value"]
        now["market_size"] = now["importer"].map(now.groupby("importer")["value"].sum())
        now["distance"] = np.exp(now["log_dist"])
        now["actual"] = now["value"]
        now["growth"] = now["later"] - now["value"]
        for home, case in now.groupby("exporter"):
            for r in _score_case(case, "growth", n):
                rows.append({"home": home, "origin": t, **r})
    notes = [f"AGTPA international manufacturing flows, {len(origins)} origins x "
             f"{data['exporter'].nunique()} homes, horizon {horizon} years, top {n}",
             "gravity refitted at each origin on years up to it only (exporter-year and importer-year fixed "
             "effects; ln distance, contiguity, language, colony, RTA)",
             f"persistence rho estimated at each origin from the k years before it: {', '.join(rhos)}"]
    return BacktestResult("agtpa", tuple(origins), horizon, data["exporter"].nunique(), pd.DataFrame(rows), notes)


def backtest_baci(store: Store, n: int = TOP_N) -> BacktestResult | None:
    """The backtest on BACI cultural goods between the first and last loaded years; None with one year only."""
    from cultrade.markets.data import geodist
    from cultrade.markets.potential import potential, product_flows, sample_note

    if not store.has_table("baci_flows"):
        return None
    years = [int(r[0]) for r in store.con.execute("SELECT DISTINCT year FROM baci_flows ORDER BY 1").fetchall()]
    if len(years) < 2:
        return None
    t, later = years[-2], years[-1]
    pot = potential(store, year=t, level="domain")
    model = pot.groupby(["exporter", "importer"], as_index=False)["untapped"].sum(min_count=1)
    now = product_flows(store, t, "domain").execute().groupby(["exporter", "importer"], as_index=False)["value"].sum()
    after = product_flows(store, later, "domain").execute().groupby(["exporter", "importer"], as_index=False)[
        "value"].sum().rename(columns={"value": "later"})
    frame = model.merge(now, on=["exporter", "importer"], how="left").merge(
        after, on=["exporter", "importer"], how="left")
    frame[["value", "later"]] = frame[["value", "later"]].fillna(0.0)
    size = now.groupby("importer")["value"].sum()
    g = geodist(store).rename(columns={"iso_o": "exporter", "iso_d": "importer"})
    frame = frame.merge(g[["exporter", "importer", "log_dist"]], on=["exporter", "importer"], how="left")
    frame = frame.assign(model=frame["untapped"], market_size=frame["importer"].map(size),
                         distance=np.exp(frame["log_dist"]), actual=frame["value"],
                         growth=frame["later"] - frame["value"])
    exporters_later = set(after["exporter"])
    rows: list[dict[str, object]] = []
    for home, case in frame.groupby("exporter"):
        if home not in exporters_later:
            continue
        for r in _score_case(case, "growth", n):
            rows.append({"home": home, "origin": t, **r})
    if not rows:
        return None
    notes = [f"BACI cultural goods (UNCTAD core), {t} -> {later}, homes: the exporters present in both years; "
             f"data: {sample_note(store)}"]
    return BacktestResult("baci", (t,), later - t, len({r['home'] for r in rows}), pd.DataFrame(rows), notes)


def render_markdown(results: Sequence[BacktestResult], command: str) -> str:
    """The backtest page: method, one table per source, how often the model wins, caveats."""
    lines = ["# Market rankings: backtest", "",
             f"Generated by `{command}` on {datetime.now(UTC).date().isoformat()}; do not edit by hand.", "",
             "Each ranking orders every other country as a target market for a home country with data up to "
             "year t only, and is scored against the home's realised export growth (USD) from t to t+k: "
             f"NDCG@{TOP_N} (gain: the growth, 0 for a fall) and hit rate@{TOP_N} (share of the first "
             f"{TOP_N} that are among the {TOP_N} largest realised gains). *beats largest* and *beats nearest* "
             "are the shares of (home, origin) cases in which a ranking's NDCG is above that baseline's.", ""]
    for res in results:
        lines += [f"## {res.source.upper()}: origins {', '.join(map(str, res.origins))}, horizon {res.horizon} "
                  f"years, {res.homes} home countries", ""]
        lines += [f"- {note}" for note in res.notes]
        lines += ["", f"| ranking | NDCG@{TOP_N} | hit rate@{TOP_N} | cases | beats largest | beats nearest |",
                  "|---|---|---|---|---|---|"]
        for name, r in res.summary().iterrows():
            wins = " | ".join("" if v != v else f"{v:.2f}" for v in (r["beats_largest"], r["beats_nearest"]))
            lines.append(f"| {name} | {r['ndcg']:.3f} | {r['hit_rate']:.3f} | {int(r['cases'])} | {wins} |")
        per = res.scores.pivot_table(index="origin", columns="ranking", values="ndcg").reindex(columns=list(MODELS))
        lines += ["", f"NDCG@{TOP_N} by origin year:", "", "| origin | " + " | ".join(per.columns) + " |",
                  "|---|" + "---|" * len(per.columns)]
        for origin, r in per.iterrows():
            lines.append(f"| {origin} | " + " | ".join("" if v != v else f"{v:.3f}" for v in r) + " |")
        lines.append("")
    lines += ["## Reading the results", "",
              "- Realised growth in dollars is dominated by markets that are already large partners, which is "
              "why *current partners* is a hard reference; the model ranks *untapped* potential (predicted "
              "minus actual), the question a company asks about where to go next.",
              "- The model has no tuning to these cases: the gravity covariates are the AGTPA guide's and the "
              "projection uses the k years before t.",
              "- Goods rankings with bilateral data (`cultrade markets rank`) order markets by the ITC-style untapped "
              "potential; the *gravity with persistence* row shows how much a model that also carries each pair's "
              "deviation from gravity forward changes the score. Compare the two model rows with the baselines "
              "before relying on either.",
              "- A BACI section appears only when two or more BACI years are loaded; on the bundled sample "
              "(two exporters, about 55% of their rows, 2020 in HS17 and 2021 in HS92) it is a smoke test, "
              "not evidence.", ""]
    return "\n".join(lines)


__all__ = ["AGTPA_ORIGINS", "HORIZON", "MODELS", "TOP_N", "BacktestResult", "backtest_agtpa", "backtest_baci",
           "hit_rate", "ndcg", "render_markdown"]

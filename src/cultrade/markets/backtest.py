"""Backtest of every market ranking the product ships, on real data: rank with data up to t, score at t+k.

For every home country and origin year t, every other market is scored by each ranking of
:data:`cultrade.markets.evaluation.RANKINGS`, with data up to t only:

* **untapped potential** - the product's ITC formula (:func:`cultrade.markets.potential.export_potential`,
  the same Ibis expression) on the source's flows at t: supply (the home's world share) x demand (the
  market's imports, projected k years with its real GDP growth over the k years *before* t) x ease (actual
  / gravity prediction at t), minus actual trade, floored at 0;
* **market size x access** - the product's proxy (:func:`cultrade.markets.rank.market_size` and
  :func:`~cultrade.markets.rank.access`): WDI GDP at t (or GDP x internet users, the digital proxy),
  projected with the real GDP growth of the k years before t, times access from the home with the PPML
  elasticities fitted on the AGTPA year min(t, 2006) - what ``rank_markets`` uses when no bilateral year
  is loaded, rebuilt at each origin;
* **gravity with persistence** - structural gravity refitted on the years up to t (exporter-year and
  importer-year fixed effects), projected k years with the home's export growth and the market's import
  growth over the k years before t, with the pair's deviation from it at t carried forward with the
  persistence rho estimated from t-k to t; the score is the expected growth (USD);
* **gravity gap** - the same projected prediction minus actual exports at t;
* baselines **largest markets** (total imports at t) and **nearest markets** (distance), and the
  reference **current partners** (the home's exports at t).

Rankings are scored against the realised export growth from t to t+k and two adverse outcomes
(:mod:`cultrade.markets.evaluation`). On the origins the risk index covers, each shipped model is also
scored risk-adjusted, x (1 - risk/10), with the risk index built from the home with data up to t only
(:func:`cultrade.risk.risk_scores` with ``years`` ending at t), on the markets that have a usable score.

Sources: AGTPA (1986-2006, 69 countries; the primary source, whose figures decide the product's
defaults), UN Comtrade bilateral totals (1995-2019, 86 countries; when loaded with ``cultrade ingest
comtrade``: a later, independent check) and BACI cultural goods (when two or more years are loaded).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from cultrade.errors import CultradeError, StoreError
from cultrade.markets.data import agtpa_frame, geodist
from cultrade.markets.evaluation import RISK, SPECS, TOP_N, BacktestResult, score_case
from cultrade.markets.gravity import estimate_gravity
from cultrade.markets.potential import export_potential, growth_factors
from cultrade.markets.rank import access, access_elasticities, market_size
from cultrade.store import Store

AGTPA_ORIGINS = (1990, 1994, 1998, 2002)
COMTRADE_ORIGINS = (2003, 2007, 2011, 2015)
HORIZON = 4
AGTPA_COVARIATES = ("log_dist", "cntg", "lang", "clny", "rta")
COMTRADE_COVARIATES = ("log_dist", "contig", "comlang_off", "colony")
SHIPPED = tuple(r.id for r in SPECS.values() if r.shipped)
RiskLookup = Callable[[str, int], "pd.Series | None"]


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


def _growth(now: pd.DataFrame, before: pd.DataFrame, key: str) -> pd.Series:
    """Ratio of totals at t to t-k per ``key``, over the pairs observed in both years."""
    both = now.merge(before[["exporter", "importer", "value"]], on=["exporter", "importer"], suffixes=("", "_0"))
    sums = both.groupby(key)[["value", "value_0"]].sum()
    return (sums["value"] / sums["value_0"]).where(sums["value_0"] > 0)


def with_proxies(store: Store, cases: pd.DataFrame, t: int, horizon: int) -> pd.DataFrame:
    """``cases`` (exporter, importer, ...) with the product's proxy scores at ``t``: market size (GDP, or the
    online economy) projected with the real GDP growth of the ``horizon`` years before t, times access from
    each home with the PPML elasticities of the AGTPA year min(t, latest)."""
    trailing = growth_factors(store, t - horizon, horizon)
    goods, _ = market_size(store, False, t, horizon, growth=trailing)
    online, _ = market_size(store, True, t, horizon, growth=trailing)
    size = goods[["iso3", "size"]].merge(online[["iso3", "size"]].rename(columns={"size": "online"}), on="iso3",
                                         how="left").rename(columns={"iso3": "importer"})
    last = store.con.execute("SELECT max(year) FROM agtpa_gravity").fetchall()[0][0]
    fit = access_elasticities(store, year=min(t, int(last)))
    parts = []
    for home, case in cases.merge(size, on="importer", how="left").groupby("exporter"):
        case = case.merge(access(store, str(home), fit).rename(columns={"iso3": "importer"}), on="importer",
                          how="left")
        parts.append(case.assign(size_access=case["size"] * case["access"],
                                 size_access_digital=case["online"] * case["access"]))
    return pd.concat(parts, ignore_index=True)


def _itc_untapped(store: Store, now: pd.DataFrame, growth: pd.DataFrame) -> pd.DataFrame:
    """exporter, importer, untapped: the product's export-potential expression on one-product flows at t."""
    flows = store.register_frame("_bt_flows", now[["exporter", "importer", "value"]].assign(product="all"))
    ease = now[["exporter", "importer"]].assign(ease=(now["value"] / now["predicted"]).where(now["predicted"] > 0))
    out = export_potential(flows, store.register_frame("_bt_ease", ease), store.register_frame("_bt_growth", growth))
    return out.execute()[["exporter", "importer", "untapped"]]


def origin_cases(store: Store, flows: pd.DataFrame, covariates: Sequence[str], t: int, horizon: int = HORIZON,
                 homes: Sequence[str] | None = None) -> tuple[pd.DataFrame, float]:
    """One row per exporter (home) and importer at origin ``t``: every ranking's score and the outcomes.

    ``flows``: exporter, importer, year, value (USD; NaN for not reported) and the gravity ``covariates``.
    Returns the rows (of ``homes`` only, when given) and the persistence rho. Only data up to ``t`` enters a
    score.
    """
    years = set(flows["year"])
    if not {t - horizon, t, t + horizon} <= years:
        raise StoreError(f"origin {t} needs flows for {t - horizon}, {t} and {t + horizon}",
                         hint=f"use origins within {min(years) + horizon}-{max(years) - horizon}")
    observed = flows[flows["value"].notna()]
    fit_years = [y for y in (t - 2 * horizon, t - horizon, t) if y in years]
    fit = estimate_gravity(observed[observed["year"].isin(fit_years)], covariates, source=f"fit {fit_years}")
    kept = observed.merge(fit.dropped[["exporter", "importer", "year"]], how="left", indicator=True)
    kept = kept[kept["_merge"] == "left_only"].drop(columns="_merge")
    now = kept[kept["year"] == t].copy()
    now["predicted"] = fit.predict(now)
    before = kept[kept["year"] == t - horizon].copy()
    before["predicted"] = fit.predict(before)
    rho = persistence(before, now)
    g_exp, g_imp = _growth(now, before, "exporter"), _growth(now, before, "importer")
    projected = now["predicted"] * now["exporter"].map(g_exp) * now["importer"].map(g_imp)
    deviation = (now["value"] / now["predicted"]).where(now["predicted"] > 0)
    now = now.assign(persistence=projected * deviation.pow(rho) - now["value"], gravity_gap=projected - now["value"],
                     largest=now["importer"].map(observed[observed["year"] == t].groupby("importer")["value"].sum()),
                     nearest=-np.exp(now["log_dist"]), partners=now["value"])
    now = now.merge(_itc_untapped(store, now, growth_factors(store, t - horizon, horizon)), how="left",
                    on=["exporter", "importer"])
    # the outcomes: pairs observed at t + k only (a pair not reported then is left out, never read as zero)
    later = observed[observed["year"] == t + horizon][["exporter", "importer", "value"]]
    now = now.merge(later.rename(columns={"value": "later"}), on=["exporter", "importer"], how="inner")
    totals = now.groupby("importer")[["value", "later"]].sum()
    now = now.assign(growth=now["later"] - now["value"],
                     contraction=now["importer"].map(totals["later"] < totals["value"]).astype(float),
                     loss=np.where(now["value"] > 0, (now["later"] < now["value"]).astype(float), np.nan))
    if homes is not None:
        now = now[now["exporter"].isin(homes)]
    return with_proxies(store, now, t, horizon), rho


def score_origin(cases: pd.DataFrame, t: int, risk: RiskLookup | None, n: int = TOP_N
                 ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Scores of every ranking per home at one origin, and of the shipped models with and without risk."""
    rankings = [r for r in SPECS if r in cases.columns]
    rows, risk_rows = [], []
    for home, case in cases.groupby("exporter"):
        rows += [{"home": home, "origin": t, **r} for r in score_case(case, rankings, n)]
        scores = risk(str(home), t) if risk is not None else None
        if scores is None:
            continue
        rated = case.assign(risk=case["importer"].map(scores))
        rated = rated[rated["risk"].notna()]
        shipped = [r for r in SHIPPED if r in rated.columns]
        for r in shipped:
            rated[r + RISK] = rated[r] * (1.0 - rated["risk"] / 10.0)
        risk_rows += [{"home": home, "origin": t, **r}
                      for r in score_case(rated, shipped + [r + RISK for r in shipped], n)]
    return rows, risk_rows


def risk_lookup(store: Store, domain: str = "general") -> tuple[RiskLookup, int]:
    """A function (home, t) -> the risk index's scores at t built with data up to t (None before it starts),
    and the first year the index covers. Markets whose score rests on too few indicators get no score."""
    from cultrade.risk import build_index, risk_scores

    first = int(build_index(store, "USA", domain).years[0])

    def lookup(home: str, t: int) -> pd.Series | None:
        if t < first:
            return None
        try:
            s = risk_scores(store, home, domain, t, years=list(range(first, t + 1)))
        except CultradeError:
            return None
        s = s[~s["insufficient"].fillna(False).astype(bool) & (s["iso3"] != home)]
        return s.set_index("iso3")["score"]

    return lookup, first


def backtest_flows(store: Store, flows: pd.DataFrame, covariates: Sequence[str], *, source: str, title: str,
                   origins: Sequence[int], horizon: int = HORIZON, n: int = TOP_N, risk: bool = True,
                   homes: Sequence[str] | None = None, notes: Sequence[str] = ()) -> BacktestResult:
    """The backtest on any bilateral flows table (see the module docstring); ``homes`` limits the homes."""
    lookup, first = risk_lookup(store) if risk else (None, 0)
    rows: list[dict[str, object]] = []
    risk_rows: list[dict[str, object]] = []
    rhos = []
    for t in origins:
        cases, rho = origin_cases(store, flows, covariates, t, horizon, homes)
        rhos.append(f"{t}: {rho:.3f}")
        a, b = score_origin(cases, t, lookup, n)
        rows += a
        risk_rows += b
    scores = pd.DataFrame(rows)
    risk_scores = pd.DataFrame(risk_rows)
    risk_origins = tuple(sorted(set(risk_scores["origin"]))) if len(risk_scores) else ()
    all_notes = [*notes, f"persistence rho estimated at each origin from the k years before it: {', '.join(rhos)}"]
    if risk:
        all_notes.append(f"risk index: built from each home with data up to t only (it starts in {first}); "
                         f"risk-adjusted rankings scored at origins {', '.join(map(str, risk_origins)) or 'none'}")
    return BacktestResult(source, title, tuple(origins), horizon, int(scores["home"].nunique()), scores,
                          all_notes, risk_scores, risk_origins)


def backtest_agtpa(store: Store, origins: Sequence[int] = AGTPA_ORIGINS, horizon: int = HORIZON,
                   n: int = TOP_N, *, homes: Sequence[str] | None = None, risk: bool = True) -> BacktestResult:
    """The primary backtest: AGTPA's international manufacturing flows (the cases the defaults rest on)."""
    data = agtpa_frame(store)
    notes = [f"AGTPA international manufacturing flows (Yotov et al. 2016), {data['exporter'].nunique()} countries, "
             "every pair observed (zeros included)",
             "gravity: ln distance, contiguity, language, colony, RTA (AGTPA's own); market size: WDI GDP "
             "(NY.GDP.MKTP.CD, latest value up to t) for the same countries, since AGTPA holds manufacturing "
             "only; projection: OWID/IMF real GDP growth of the k years before t"]
    result = backtest_flows(store, data, AGTPA_COVARIATES, source="agtpa", title=f"AGTPA 1986-2006 (origins "
                            f"{', '.join(map(str, origins))}, horizon {horizon} years)", origins=origins,
                            horizon=horizon, n=n, risk=risk, homes=homes, notes=notes)
    result.primary = True
    return result


def comtrade_frame(store: Store) -> pd.DataFrame | None:
    """UN Comtrade bilateral totals (importer-reported) with GeoDist covariates; None when not loaded."""
    if not store.has_table("comtrade_imports"):
        return None
    df = store.con.execute(
        "SELECT exporter, importer, CAST(year AS INTEGER) AS year, value_usd AS value FROM comtrade_imports "
        "WHERE exporter <> importer").df()
    g = geodist(store).rename(columns={"iso_o": "exporter", "iso_d": "importer"})
    df = df.merge(g[["exporter", "importer", *COMTRADE_COVARIATES]], on=["exporter", "importer"], how="inner")
    return df.dropna(subset=list(COMTRADE_COVARIATES))


def backtest_comtrade(store: Store, origins: Sequence[int] = COMTRADE_ORIGINS, horizon: int = HORIZON,
                      n: int = TOP_N, *, homes: Sequence[str] | None = None,
                      risk: bool = True) -> BacktestResult | None:
    """The check on UN Comtrade bilateral totals (1995-2019), when loaded; None otherwise."""
    data = comtrade_frame(store)
    if data is None:
        return None
    notes = [f"UN Comtrade total merchandise imports as reported by the importer, {data['importer'].nunique()} "
             "countries; a pair not reported at t or t+k is left out of its case (never read as zero)",
             "gravity: GeoDist ln distance, contiguity, common official language, colony; market size and "
             "access as for AGTPA"]
    return backtest_flows(store, data, COMTRADE_COVARIATES, source="comtrade", title=f"UN Comtrade 1995-2019 "
                          f"(origins {', '.join(map(str, origins))}, horizon {horizon} years)", origins=origins,
                          horizon=horizon, n=n, risk=risk, homes=homes, notes=notes)


def backtest_baci(store: Store, n: int = TOP_N, *, risk: bool = True) -> BacktestResult | None:
    """BACI cultural goods between the last two loaded years (None with fewer than two): a smoke test on the
    bundled sample, evidence on full years. The untapped potential is the product's, by domain, at t."""
    from cultrade.markets.potential import potential, product_flows, sample_note

    if not store.has_table("baci_flows"):
        return None
    years = [int(r[0]) for r in store.con.execute("SELECT DISTINCT year FROM baci_flows ORDER BY 1").fetchall()]
    if len(years) < 2:
        return None
    t, later = years[-2], years[-1]

    def pairs(year: int, name: str) -> pd.DataFrame:
        flows = product_flows(store, year, "domain").execute()
        return flows.groupby(["exporter", "importer"], as_index=False)["value"].sum().rename(columns={"value": name})

    pot = potential(store, year=t, level="domain").groupby(["exporter", "importer"], as_index=False)[
        "untapped"].sum(min_count=1)
    now, after = pairs(t, "value"), pairs(later, "later")
    homes = sorted(set(now["exporter"]) & set(after["exporter"]))
    frame = pot[pot["exporter"].isin(homes)].merge(now, how="left").merge(after, how="left")
    frame[["value", "later"]] = frame[["value", "later"]].fillna(0.0)  # BACI lists positive flows only
    g = geodist(store).rename(columns={"iso_o": "exporter", "iso_d": "importer"})
    frame = frame.merge(g[["exporter", "importer", "log_dist"]], on=["exporter", "importer"], how="left")
    totals = frame.groupby("importer")[["value", "later"]].sum()
    frame = frame.assign(
        largest=frame["importer"].map(now.groupby("importer")["value"].sum()), nearest=-np.exp(frame["log_dist"]),
        partners=frame["value"], growth=frame["later"] - frame["value"],
        contraction=frame["importer"].map(totals["later"] < totals["value"]).astype(float),
        loss=np.where(frame["value"] > 0, (frame["later"] < frame["value"]).astype(float), np.nan))
    lookup = risk_lookup(store)[0] if risk else None
    rows, risk_rows = score_origin(with_proxies(store, frame, t, later - t), t, lookup, n)
    if not rows:
        return None
    notes = [f"BACI cultural goods (UNCTAD core), {t} -> {later}, homes: the exporters present in both years; "
             f"data: {sample_note(store)}"]
    scores, risk_scores = pd.DataFrame(rows), pd.DataFrame(risk_rows)
    return BacktestResult("baci", f"BACI {t}-{later}", (t,), later - t, int(scores["home"].nunique()), scores, notes,
                          risk_scores, (t,) if len(risk_scores) else ())


__all__ = ["AGTPA_ORIGINS", "COMTRADE_ORIGINS", "HORIZON", "backtest_agtpa", "backtest_baci", "backtest_comtrade", "backtest_flows",
           "comtrade_frame", "origin_cases", "persistence", "risk_lookup", "score_origin"]

"""Where to go next: markets ranked for a home country and a product type, in the order the backtest chose.

**The order** is the ranking that :mod:`cultrade.markets.backtest` found best against the simple baselines
("largest markets", "nearest markets") for the situation - goods with a BACI year of the home, goods
without one, or a digital product type - read from the recorded decision
(:func:`cultrade.markets.choice.default_ranking`; figures in ``docs/markets_backtest.md``). No preference is
written here: the candidates are

* ``untapped``: the untapped export potential of the home in the market (ITC: supply x demand x ease,
  :mod:`.potential`), summed over the product type's trade domains; needs a BACI year of the home;
* ``size_access``: the share (%) of the **gravity-weighted market**: market size (GDP, current USD,
  projected ``horizon`` years with IMF WEO growth) times **access** from the home, exp(b'x_hj), with b the
  PPML elasticities of distance, contiguity, common language and colonial ties on AGTPA (latest year,
  exporter and importer fixed effects) and x_hj GeoDist's values for the pair (plus any covariate given
  through the hook, e.g. bilateral relations), scaled so that the average market has access 1;
* ``size_access_digital``: the same with the online economy (GDP x share of internet users) as the size.

Whatever the order, the other measures stay visible as columns (``untapped``, ``potential`` and ``actual``
when a BACI year is loaded, ``size``, ``access``, ``internet`` for digital product types), and
:attr:`Ranking.inputs` starts with the verdict: whether the order beats the baselines in the backtest (said
plainly when it does not) and how risk enters.

**Risk** is the cultrade risk index seen from the home country with the product type's risk profile
(:func:`cultrade.risk.risk_scores`, never recomputed here): it already holds cultural distance, digital
and regulatory barriers and, when loaded, relations with the home country. The backtest also decides
whether the **risk-adjusted opportunity**, opportunity x (1 - risk / 10), orders the markets; when it does
not (it did worse), risk is shown beside the opportunity and the ``adjusted`` column is for reference only.
A market without a risk score or without an opportunity value is listed as *not ranked* with the reason,
never given a score. The home economy is never a target.

The **frontier** holds the markets that no other market beats on both opportunity (higher) and risk
(lower). Every row carries the numbers and an explanation in words; :attr:`Ranking.inputs` says which data
the ranking used (a full BACI year, the bundled sample, or proxies).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cultrade.classification.markets import MarketDomain, market_domain
from cultrade.countries import get_countries
from cultrade.errors import ConfigError, StoreError
from cultrade.markets.choice import Choice, default_ranking
from cultrade.markets.data import geodist, gravity_frame
from cultrade.markets.explain import explain
from cultrade.markets.gravity import GravityResult, estimate_gravity
from cultrade.markets.potential import HORIZON, growth_factors, potential, sample_note
from cultrade.risk.culture import kogut_singh, load_hofstede
from cultrade.risk.relations import dyad_table
from cultrade.store import Store

#: AGTPA covariate -> the GeoDist column that measures the same thing for any pair.
ACCESS_TERMS = {"log_dist": "log_dist", "cntg": "contig", "lang": "comlang_off", "clny": "colony"}
SIZE_INDICATORS = {"gdp": "NY.GDP.MKTP.CD", "population": "SP.POP.TOTL", "internet": "IT.NET.USER.ZS"}
BASES = ("full_baci", "sample", "proxies")


@dataclass
class Ranking:
    """A ranking: one row per candidate market (ranked first, then not ranked with the reason)."""

    home: str
    domain: MarketDomain
    year: int | None
    basis: str
    table: pd.DataFrame
    inputs: list[str] = field(default_factory=list)
    #: The ranking that orders the markets (an id of :data:`cultrade.markets.evaluation.RANKINGS`), whether
    #: it beats the simple baselines in the backtest, and whether risk is multiplied into the order.
    method: str = ""
    validated: bool = False
    risk_adjusted: bool = False

    @property
    def ranked(self) -> pd.DataFrame:
        return self.table[self.table["rank"].notna()]

    def top(self, n: int) -> pd.DataFrame:
        return self.ranked.head(n)


def _latest(store: Store, indicator: str, year: int | None, window: int = 5) -> pd.DataFrame:
    """iso3, value, year: the latest value of a WDI indicator at or before ``year`` (within ``window`` years)."""
    cap = 9999 if year is None else year
    return store.con.execute(
        "SELECT iso3, arg_max(value, year) AS value, max(year) AS year FROM indicators WHERE source = 'wdi' "
        "AND indicator = ? AND value IS NOT NULL AND year <= ? AND year > ? - ? GROUP BY 1",
        [indicator, cap, cap if year is not None else 2100, window if year is not None else 200]).df()


def market_size(store: Store, online: bool, year: int | None = None, horizon: int = HORIZON, *,
                growth: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
    """iso3, size (USD, projected), and its parts (gdp, internet, population); a line per input used.

    ``size`` is GDP, or with ``online`` GDP times the share of internet users (the online economy). It is
    projected with ``growth`` (iso3, growth_factor): by default the IMF WEO real GDP growth of the
    ``horizon`` years after the latest GDP year; the backtest passes the growth known at its origin.
    """
    gdp = _latest(store, SIZE_INDICATORS["gdp"], year).rename(columns={"value": "gdp", "year": "gdp_year"})
    net = _latest(store, SIZE_INDICATORS["internet"], year).rename(columns={"value": "internet",
                                                                            "year": "internet_year"})
    pop = _latest(store, SIZE_INDICATORS["population"], year).rename(columns={"value": "population",
                                                                              "year": "population_year"})
    out = gdp.merge(net, on="iso3", how="left").merge(pop, on="iso3", how="left")
    inputs = [f"GDP (WDI NY.GDP.MKTP.CD, latest year per country up to {year or 'the latest'})"]
    if online:
        out["size_now"] = out["gdp"] * out["internet"] / 100.0
        inputs.append("internet users, % of population (WDI IT.NET.USER.ZS) and population (WDI SP.POP.TOTL)")
    else:
        out["size_now"] = out["gdp"]
    if growth is None:
        base = int(out["gdp_year"].max()) if len(out) else (year or 0)
        growth = growth_factors(store, base, horizon)
        inputs.append(f"real GDP growth {base + 1}-{base + horizon} (IMF WEO via OWID); markets without it are "
                      "not projected (flagged)")
    out = out.merge(growth[["iso3", "growth_factor"]], on="iso3", how="left")
    out["size"] = out["size_now"] * out["growth_factor"].fillna(1.0)
    return out, inputs


def access_elasticities(store: Store, extra: pd.DataFrame | None = None, year: int | None = None) -> GravityResult:
    """PPML on one AGTPA year (default the latest): the distance, contiguity, language and colony elasticities."""
    def build() -> GravityResult:
        years = [year] if year is not None else [
            int(r[0]) for r in store.con.execute("SELECT max(year) FROM agtpa_gravity").fetchall()]
        frame, _ = gravity_frame(store, "agtpa", years=years, extra=extra)
        extra_terms = [c for c in frame.columns if extra is not None and c in extra.columns
                       and c not in ("iso_o", "iso_d", "year")]
        return estimate_gravity(frame, [*ACCESS_TERMS, *extra_terms], source=f"agtpa {years[0]}")

    if not store.has_table("agtpa_gravity"):
        raise StoreError("the AGTPA dataset is not loaded (table agtpa_gravity)", hint="run `cultrade init`")
    if extra is not None:
        return build()
    found: GravityResult = store.memo(("access_elasticities", year), build)
    return found


def access(store: Store, home: str, fit: GravityResult, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """iso3 and access from ``home``: exp(b'x), scaled to mean 1 over the markets that have every covariate."""
    g = geodist(store)
    g = g[g["iso_o"] == home]
    cols = {agtpa: geo for agtpa, geo in ACCESS_TERMS.items()}
    x = g[["iso_d", *cols.values()]].rename(columns={"iso_d": "iso3"})
    if extra is not None:
        e = extra[extra["iso_o"] == home].drop(columns=[c for c in ("iso_o", "year") if c in extra.columns])
        x = x.merge(e.rename(columns={"iso_d": "iso3"}), on="iso3", how="left")
    index = np.zeros(len(x))
    for term in fit.coefficients["term"]:
        column = cols.get(term, term)
        index = index + fit.estimate(term) * x[column].to_numpy(dtype=float)
    raw = np.exp(index)
    return pd.DataFrame({"iso3": x["iso3"].to_numpy(), "access": raw / np.nanmean(raw)})


def frontier(opportunity: pd.Series, risk: pd.Series) -> pd.Series:
    """True where no other market has at least the opportunity and at most the risk, one of them strictly.

    >>> frontier(pd.Series([10.0, 8.0, 5.0, 9.0]), pd.Series([5.0, 3.0, 2.0, 6.0])).tolist()
    [True, True, True, False]
    """
    o, r = opportunity.to_numpy(dtype=float), risk.to_numpy(dtype=float)
    out = []
    for i in range(len(o)):
        dominated = ((o >= o[i]) & (r <= r[i]) & ((o > o[i]) | (r < r[i]))).any()
        out.append(not dominated and not np.isnan(o[i]) and not np.isnan(r[i]))
    return pd.Series(out, index=opportunity.index)


def _home_exports(store: Store, home: str) -> tuple[int | None, str]:
    """The latest BACI year in which ``home`` exports, and whether the loaded BACI is full or a sample."""
    if not store.has_table("baci_flows"):
        return None, "proxies"
    rows = store.con.execute("SELECT max(year) FROM baci_flows WHERE exporter = ?", [home]).fetchall()
    year = rows[0][0]
    if year is None:
        return None, "proxies"
    return int(year), "sample" if "sample" in sample_note(store, int(year)) else "full_baci"


def _proxy(store: Store, home: str, dom: MarketDomain, online: bool, markets: set[str], year: int | None,
           horizon: int, extra: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """iso3, share (% of the gravity-weighted market), size, access, gdp, internet; and the inputs used."""
    size, size_inputs = market_size(store, online, year, horizon)
    fit = access_elasticities(store, extra)
    out = size.merge(access(store, home, fit, extra), on="iso3", how="inner")
    out = out[(out["iso3"] != home) & out["iso3"].isin(markets)]
    weighted = out["size"] * out["access"]
    out["share"] = 100.0 * weighted / weighted.sum()
    terms = ", ".join(f"{t} {fit.estimate(t):+.3f}" for t in fit.coefficients["term"])
    what = "online economy (GDP x internet users)" if online else "GDP"
    inputs = [f"market size x access: gravity-weighted {what}", *size_inputs,
              f"access: PPML elasticities on AGTPA ({fit.source}; {terms}) applied to GeoDist pairs"]
    if dom.digital and not online:
        inputs.append("internet users are shown as a column and enter the risk index (barriers), not the size")
    return out[["iso3", "share", "size", "access", "gdp", *(["internet"] if dom.digital else [])]], inputs


def _order_inputs(choice: Choice, basis: str, baci_year: int | None, note: str, home: str, horizon: int) -> list[str]:
    """The lines that say what orders the ranking and what is only shown beside it."""
    lines = [choice.verdict(), *filter(None, [choice.home_record(home)]), choice.risk_verdict()]
    if choice.ranking == "untapped":
        lines.append(f"opportunity (the order): untapped export potential from BACI {baci_year} ({note}), supply x "
                     f"demand x ease, demand projected {horizon} years with IMF WEO growth")
    elif baci_year is not None:
        lines.append(f"opportunity (the order): share of the gravity-weighted market; the untapped export potential "
                     f"from BACI {baci_year} ({note}) is shown in the 'untapped' column, not used for the order "
                     f"(backtest: {choice.component('untapped')})")
    else:
        why = "a digital product type" if choice.situation == "digital" else \
            f"no BACI year with {home} as exporter is loaded ({note})"
        lines.append(f"opportunity (the order): share of the gravity-weighted market (proxies, since {why})")
    return lines


def rank_markets(store: Store, home: str = "CHN", domain: str = "general", *, year: int | None = None,
                 horizon: int = HORIZON, extra: pd.DataFrame | None = None,
                 risk: pd.DataFrame | None = None) -> Ranking:
    """Rank every market for an enterprise from ``home`` making ``domain`` (a product type).

    The order is the ranking the backtest chose for the situation (:func:`cultrade.markets.choice.default_ranking`):
    goods with a BACI year of the home, goods without, or a digital product type. ``extra`` is the dyadic
    covariate hook (iso_o, iso_d[, year], measures; e.g. ``relations``) used by the access term; ``risk`` a
    precomputed :func:`cultrade.risk.risk_scores` table (computed when None).
    """
    from cultrade.risk import risk_scores

    countries = get_countries()
    home = check_home(home)
    dom = market_domain(domain)
    if risk is None:
        risk = risk_scores(store, home, dom.risk_domain, year)
    risk = risk[risk["iso3"] != home]
    baci_year, kind = _home_exports(store, home)
    bilateral = not dom.digital and baci_year is not None and bool(dom.unctad)
    choice = default_ranking("digital" if dom.digital else "bilateral" if bilateral else "goods")
    note = sample_note(store, baci_year) if baci_year is not None else sample_note(store)
    inputs = _order_inputs(choice, kind, baci_year if bilateral else None, note, home, horizon)
    opp, proxy_inputs = _proxy(store, home, dom, choice.ranking == "size_access_digital", set(risk["iso3"]), year,
                               horizon, extra)
    if bilateral:
        pot = potential(store, year=baci_year, level="domain", exporter=home, horizon=horizon)
        pot = pot[pot["product"].isin(dom.unctad)].groupby("importer", as_index=False)[
            ["potential", "actual", "untapped"]].sum(min_count=1)
        opp = opp.merge(pot.rename(columns={"importer": "iso3"}), on="iso3", how="outer")
    basis = kind if choice.ranking == "untapped" else "proxies"
    opp["opportunity"] = opp["untapped"] if basis != "proxies" else opp["share"]
    if basis == "proxies":
        inputs += proxy_inputs
    inputs.append(f"risk: cultrade risk index from {home}, profile '{dom.risk_domain}', year "
                  f"{int(risk['year'].max()) if len(risk) else 'none'} (includes cultural distance, barriers"
                  f"{', relations' if 'dim_relations' in risk.columns else ''})")
    ks_home = kogut_singh(load_hofstede(store)[0], home)
    ks = pd.DataFrame({"iso3": ks_home.index, "cultural_distance": ks_home.to_numpy()})
    table = risk[["iso3", "score", "band", "insufficient", "dim_home", "dim_barriers"]].rename(
        columns={"score": "risk", "dim_home": "cultural_risk", "dim_barriers": "barriers"})
    table = table.merge(opp, on="iso3", how="outer")
    table = table[(table["iso3"] != home) & table["iso3"].isin(set(countries.codes()))]
    table = table.merge(ks, on="iso3", how="left").merge(_language(store, home), on="iso3", how="left")
    table, rel_line = _relations(store, home, table, extra)
    inputs.append(rel_line)
    reason = pd.Series("", index=table.index)
    reason[table["opportunity"].isna()] = "no opportunity data"
    reason[table["risk"].isna()] = "no risk score"
    reason[table["insufficient"].fillna(False).astype(bool)] = "risk score rests on too few indicators"
    table["reason"] = reason
    ok = reason == ""
    table["adjusted"] = np.where(ok, table["opportunity"] * (1.0 - table["risk"] / 10.0), np.nan)
    table["frontier"] = False
    table.loc[ok, "frontier"] = frontier(table.loc[ok, "opportunity"], table.loc[ok, "risk"])
    order = "adjusted" if choice.risk_adjusted else "opportunity"
    table["_key"] = np.where(ok, table[order], np.nan)
    table = table.sort_values(["_key", "iso3"], ascending=[False, True], na_position="last").drop(columns="_key")
    table["rank"] = pd.array(np.where(ok.loc[table.index], np.arange(1, len(table) + 1), np.nan), dtype="Int64")
    table["name"] = [countries.name(c) for c in table["iso3"]]
    n_ranked = int(ok.sum())
    if n_ranked == 0:
        raise StoreError(f"no market can be ranked for {home} / {dom.domain}",
                         hint="load risk indicators (`cultrade init`) and trade or WDI data")
    table["explanation"] = [explain(r, basis, n_ranked, choice.risk_adjusted) for _, r in table.iterrows()]
    table["unit"] = "% of gravity-weighted market" if basis == "proxies" else "USD (untapped potential)"
    return Ranking(home, dom, year, basis, table.reset_index(drop=True), inputs, method=choice.ranking,
                   validated=choice.beats_baseline, risk_adjusted=choice.risk_adjusted)


def _relations(store: Store, home: str, table: pd.DataFrame, extra: pd.DataFrame | None
               ) -> tuple[pd.DataFrame, str]:
    """The table with the bilateral relations measure where there is one, and the input line saying which."""
    if extra is not None and "relations" in extra.columns:
        rel = extra[extra["iso_o"] == home][["iso_d", "relations"]].rename(columns={"iso_d": "iso3"})
        return (table.merge(rel.drop_duplicates("iso3"), on="iso3", how="left"),
                "relations: the measure given through the covariate hook")
    dyads = dyad_table(store)
    dyads = dyads[dyads["iso_o"] == home]
    if dyads.empty:
        return table, (f"relations: no dyad history for {home} (the risk index's bilateral tension is not "
                       "available for this home)")
    latest = dyads.sort_values("year").drop_duplicates("iso_d", keep="last")
    table = table.merge(latest[["iso_d", "relations"]].rename(columns={"iso_d": "iso3"}), on="iso3", how="left")
    return table, (f"relations: the risk index's bilateral tension with {home} (GDELT), latest year "
                   f"{int(latest['year'].max())}")


def _language(store: Store, home: str) -> pd.DataFrame:
    """iso3, common_language: the risk index's language proximity to ``home`` (0, 0.5, 0.75 or 1)."""
    from cultrade.risk.culture import language_proximity, language_sets
    from cultrade.risk.geo import load_pairs

    if not store.has_table("geodist_countries"):
        return pd.DataFrame(columns=["iso3", "common_language"])
    prox = language_proximity(language_sets(store.frame("geodist_countries")), home, load_pairs(store))
    return pd.DataFrame({"iso3": prox.index, "common_language": prox.to_numpy()})


def check_home(home: object) -> str:
    """An ISO3 home country (a code or a name), or :class:`ConfigError` with close matches and the valid codes."""
    countries = get_countries()
    found = countries.try_iso3(home, "auto")
    if found is None or found not in set(countries.codes()):
        close = countries.suggest(str(home), "auto")
        raise ConfigError(f"unknown home country {home!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""),
                          hint=f"use an ISO3 code of a current economy: {' '.join(countries.codes())}")
    return found


__all__ = ["ACCESS_TERMS", "BASES", "Ranking", "access", "access_elasticities", "check_home", "frontier",
           "market_size", "rank_markets"]


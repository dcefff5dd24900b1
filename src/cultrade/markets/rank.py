"""Where to go next: markets ranked by risk-adjusted opportunity for a home country and a product type.

**Opportunity**, by the product type's basis (``classification/data/market_domains.csv``):

* ``goods`` with bilateral flows of the home as exporter (a BACI year): the untapped export potential of
  the home in the market, summed over the product type's trade domains (:mod:`.potential`).
* otherwise (every digital product type, and goods without bilateral data): **gravity-weighted market
  size**. Market size is GDP (goods) or GDP times the share of internet users (digital: the online
  economy that games, streams and web novels are sold into), in current USD, projected ``horizon`` years
  with IMF WEO growth. It is weighted by **access** from the home, exp(b'x_hj), with b the PPML elasticities
  of distance, contiguity, common language and colonial ties estimated on AGTPA (latest year, exporter and
  importer fixed effects) and x_hj GeoDist's values for the pair (plus any covariate given through the
  hook, e.g. bilateral relations), scaled so that the average market has access 1. The opportunity is
  each market's share (%) of the gravity-weighted total, since the product is an index, not a sales value.

**Risk** is the cultrade risk index seen from the home country with the product type's risk profile
(:func:`cultrade.risk.risk_scores`, never recomputed here): it already holds cultural distance, digital
and regulatory barriers and, when loaded, relations with the home country. The **risk-adjusted
opportunity** is opportunity x (1 - risk / 10). A market without a risk score or without an opportunity
value is listed as *not ranked* with the reason, never given a score. The home economy is never a target.

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
from cultrade.markets.data import geodist, gravity_frame
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


def market_size(store: Store, digital: bool, year: int | None = None, horizon: int = HORIZON) -> tuple[
        pd.DataFrame, list[str]]:
    """iso3, size (USD, projected), and its parts; with a line per input saying what was used."""
    gdp = _latest(store, SIZE_INDICATORS["gdp"], year).rename(columns={"value": "gdp", "year": "gdp_year"})
    out = gdp
    inputs = [f"GDP (WDI NY.GDP.MKTP.CD, latest year per country up to {year or 'the latest'})"]
    if digital:
        net = _latest(store, SIZE_INDICATORS["internet"], year).rename(columns={"value": "internet",
                                                                                "year": "internet_year"})
        pop = _latest(store, SIZE_INDICATORS["population"], year).rename(columns={"value": "population",
                                                                                  "year": "population_year"})
        out = out.merge(net, on="iso3").merge(pop, on="iso3", how="left")
        out["size_now"] = out["gdp"] * out["internet"] / 100.0
        inputs.append("internet users, % of population (WDI IT.NET.USER.ZS) and population (WDI SP.POP.TOTL)")
    else:
        out["size_now"] = out["gdp"]
    base = int(out["gdp_year"].max()) if len(out) else (year or 0)
    growth = growth_factors(store, base, horizon)
    out = out.merge(growth, on="iso3", how="left")
    out["size"] = out["size_now"] * out["growth_factor"].fillna(1.0)
    inputs.append(f"real GDP growth {base + 1}-{base + horizon} (IMF WEO via OWID); markets without it are not "
                  "projected (flagged)")
    return out, inputs


def access_elasticities(store: Store, extra: pd.DataFrame | None = None) -> GravityResult:
    """PPML on the latest AGTPA year: the distance, contiguity, language and colony elasticities of access."""
    def build() -> GravityResult:
        years = [int(r[0]) for r in store.con.execute("SELECT max(year) FROM agtpa_gravity").fetchall()]
        frame, _ = gravity_frame(store, "agtpa", years=years, extra=extra)
        extra_terms = [c for c in frame.columns if extra is not None and c in extra.columns
                       and c not in ("iso_o", "iso_d", "year")]
        return estimate_gravity(frame, [*ACCESS_TERMS, *extra_terms], source=f"agtpa {years[0]}")

    if not store.has_table("agtpa_gravity"):
        raise StoreError("the AGTPA dataset is not loaded (table agtpa_gravity)", hint="run `cultrade init`")
    if extra is not None:
        return build()
    found: GravityResult = store.memo(("access_elasticities",), build)
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


def _fmt_usd(v: float) -> str:
    if v != v:
        return "no data"
    for div, unit in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(v) >= div:
            return f"${v / div:.1f}{unit}"
    return f"${v:.0f}"


def _has(row: pd.Series, key: str) -> bool:
    return key in row.index and bool(pd.notna(row[key]))


def _explain(r: pd.Series, basis: str, n_ranked: int) -> str:
    name = r["name"]
    if pd.isna(r["rank"]):
        return f"{name}: not ranked ({r['reason']})."
    if basis == "proxies":
        opp = (f"{r['opportunity']:.2f}% of the gravity-weighted market (market {_fmt_usd(r['size'])}, access "
               f"x{r['access']:.2f} of the average market)")
    else:
        opp = f"untapped potential {_fmt_usd(r['opportunity'])} (potential {_fmt_usd(r['potential'])}, actual " \
              f"{_fmt_usd(r['actual'])})"
    adjusted = f"{r['adjusted']:.2f}%" if basis == "proxies" else _fmt_usd(r["adjusted"])
    parts = [f"#{int(r['rank'])} of {n_ranked}, {name}: {opp}; risk {r['risk']:.1f}/10 ({r['band']}) -> "
             f"risk-adjusted {adjusted}"]
    if r["frontier"]:
        parts.append("on the opportunity-risk frontier")
    if _has(r, "cultural_distance"):
        parts.append(f"cultural distance {r['cultural_distance']:.2f} (Kogut-Singh)")
    if _has(r, "common_language"):
        parts.append("common spoken language" if r["common_language"] else "no common spoken language")
    if _has(r, "barriers"):
        parts.append(f"digital and regulatory barriers {r['barriers']:.1f}/10")
    if _has(r, "relations"):
        parts.append(f"relations {r['relations']:.2f}")
    return "; ".join(parts) + "."


def rank_markets(store: Store, home: str = "CHN", domain: str = "general", *, year: int | None = None,
                 horizon: int = HORIZON, extra: pd.DataFrame | None = None,
                 risk: pd.DataFrame | None = None) -> Ranking:
    """Rank every market for an enterprise from ``home`` making ``domain`` (a product type).

    ``extra`` is the dyadic covariate hook (iso_o, iso_d[, year], measures; e.g. ``relations``) used by
    the access term; ``risk`` a precomputed :func:`cultrade.risk.risk_scores` table (computed when None).
    """
    from cultrade.risk import risk_scores

    countries = get_countries()
    home = check_home(home)
    dom = market_domain(domain)
    if risk is None:
        risk = risk_scores(store, home, dom.risk_domain, year)
    risk = risk[risk["iso3"] != home]
    inputs = [f"risk: cultrade risk index from {home}, profile '{dom.risk_domain}', year "
              f"{int(risk['year'].max()) if len(risk) else 'none'} (includes cultural distance, barriers"
              f"{', relations' if 'dim_relations' in risk.columns else ''})"]
    baci_year, kind = _home_exports(store, home)
    basis = "proxies"
    if not dom.digital and baci_year is not None and dom.unctad:
        pot = potential(store, year=baci_year, level="domain", exporter=home, horizon=horizon)
        pot = pot[pot["product"].isin(dom.unctad)].groupby("importer", as_index=False)[
            ["potential", "actual", "untapped"]].sum(min_count=1)
        opp = pot.rename(columns={"importer": "iso3", "untapped": "opportunity"})
        basis = kind
        inputs.append(f"opportunity: untapped export potential from BACI {baci_year} ({sample_note(store, baci_year)}), "
                      f"supply x demand x ease, demand projected {horizon} years with IMF WEO growth")
    else:
        size, size_inputs = market_size(store, dom.digital, year, horizon)
        fit = access_elasticities(store, extra)
        acc = access(store, home, fit, extra)
        opp = size.merge(acc, on="iso3", how="inner")
        opp = opp[(opp["iso3"] != home) & opp["iso3"].isin(set(risk["iso3"]))]
        weighted = opp["size"] * opp["access"]
        opp["opportunity"] = 100.0 * weighted / weighted.sum()
        terms = ", ".join(f"{t} {fit.estimate(t):+.3f}" for t in fit.coefficients["term"])
        why = "a digital product type" if dom.digital else \
            f"no BACI year with {home} as exporter is loaded ({sample_note(store)})"
        inputs.append(f"opportunity (proxies, since {why}): gravity-weighted "
                      f"{'online economy (GDP x internet users)' if dom.digital else 'GDP'}")
        inputs += size_inputs
        inputs.append(f"access: PPML elasticities on AGTPA ({fit.source}; {terms}) applied to GeoDist pairs")
    ks_home = kogut_singh(load_hofstede(store)[0], home)
    ks = pd.DataFrame({"iso3": ks_home.index, "cultural_distance": ks_home.to_numpy()})
    lang = _language(store, home)
    table = risk[["iso3", "score", "band", "insufficient", "dim_home", "dim_barriers"]].rename(
        columns={"score": "risk", "dim_home": "cultural_risk", "dim_barriers": "barriers"})
    table = table.merge(opp, on="iso3", how="outer")
    table = table[(table["iso3"] != home) & table["iso3"].isin(set(countries.codes()))]
    table = table.merge(ks, on="iso3", how="left").merge(lang, on="iso3", how="left")
    if extra is not None and "relations" in extra.columns:
        rel = extra[extra["iso_o"] == home][["iso_d", "relations"]].rename(columns={"iso_d": "iso3"})
        table = table.merge(rel.drop_duplicates("iso3"), on="iso3", how="left")
        inputs.append("relations: the measure given through the covariate hook")
    else:
        rel = dyad_table(store)
        rel = rel[rel["iso_o"] == home]
        if rel.empty:
            inputs.append(f"relations: no dyad history for {home} (the risk index's bilateral tension is not "
                          "available for this home)")
        else:
            latest = rel.sort_values("year").drop_duplicates("iso_d", keep="last")
            table = table.merge(latest[["iso_d", "relations"]].rename(columns={"iso_d": "iso3"}), on="iso3",
                                how="left")
            inputs.append(f"relations: the risk index's bilateral tension with {home} (GDELT), latest year "
                          f"{int(latest['year'].max())}")
    reason = pd.Series("", index=table.index)
    reason[table["opportunity"].isna()] = "no opportunity data"
    reason[table["risk"].isna()] = "no risk score"
    reason[table["insufficient"].fillna(False).astype(bool)] = "risk score rests on too few indicators"
    table["reason"] = reason
    table["adjusted"] = np.where(reason == "", table["opportunity"] * (1.0 - table["risk"] / 10.0), np.nan)
    ok = reason == ""
    table["frontier"] = False
    table.loc[ok, "frontier"] = frontier(table.loc[ok, "opportunity"], table.loc[ok, "risk"])
    table = table.sort_values(["adjusted", "iso3"], ascending=[False, True], na_position="last")
    table["rank"] = pd.array(np.where(ok.loc[table.index], np.arange(1, len(table) + 1), np.nan), dtype="Int64")
    table["name"] = [countries.name(c) for c in table["iso3"]]
    n_ranked = int(ok.sum())
    table["explanation"] = [_explain(r, basis, n_ranked) for _, r in table.iterrows()]
    if n_ranked == 0:
        raise StoreError(f"no market can be ranked for {home} / {dom.domain}",
                         hint="load risk indicators (`cultrade init`) and trade or WDI data")
    table["unit"] = "% of gravity-weighted market" if basis == "proxies" else "USD (untapped potential)"
    return Ranking(home, dom, year, basis, table.reset_index(drop=True), inputs)


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


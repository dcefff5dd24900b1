"""Export potential, after the ITC Export Potential Map: supply x demand x ease, and the untapped part.

For exporter i, market j and product k (an HS6 code or a cultural domain), in a base year:

* **supply** S_ik = i's share of world exports of k;
* **demand** D_jk = j's imports of k, projected ``horizon`` years ahead with j's real GDP growth from the
  IMF World Economic Outlook (bundled via OWID: forecasts where published, else outturns), elasticity 1;
* **ease** E_ij = i's actual exports to j in all goods divided by the structural-gravity prediction of
  them (PPML with exporter and importer fixed effects and GeoDist covariates, :mod:`.gravity`): above 1
  the pair trades more than size and geography predict, below 1 less;
* **potential** P_ijk = min(S_ik x D_jk x E_ij, D_jk) (no market takes more than it imports); **actual**
  A_ijk; **untapped** U_ijk = max(P_ijk - A_ijk, 0).

Every factor is reported with the result, so each potential decomposes into its parts. A market without
a GDP projection keeps its current imports (``growth_factor`` empty, flagged); a pair without gravity
covariates has no ease and no potential ("no data", never 0).

:func:`export_potential` is a pure Ibis expression over three tables (flows, ease, growth), so the same
code runs on DuckDB or PySpark; :func:`potential` builds them from the store for one BACI year, at HS6
(cultural codes) or by domain, for every exporter (or one). Ease only uses total bilateral trade, so it is
computed once per year (:func:`ease_table`).

>>> import ibis, pandas as pd
>>> flows = ibis.memtable(pd.DataFrame({"exporter": ["A", "A", "B", "C"], "importer": ["B", "C", "C", "B"],
...     "product": ["k"] * 4, "value": [10.0, 30.0, 20.0, 40.0]}))
>>> ease = ibis.memtable(pd.DataFrame({"exporter": ["A", "A"], "importer": ["B", "C"], "ease": [1.0, 0.5]}))
>>> growth = ibis.memtable(pd.DataFrame({"iso3": ["B"], "growth_factor": [1.1]}))
>>> out = export_potential(flows, ease, growth).execute().sort_values(["exporter", "importer"])
>>> out[["exporter", "importer", "supply", "demand", "potential", "actual", "untapped"]].round(2).values.tolist()
[['A', 'B', 0.4, 55.0, 22.0, 10.0, 12.0], ['A', 'C', 0.4, 50.0, 10.0, 30.0, 0.0], ['B', 'C', 0.2, 50.0, nan, 20.0, nan], ['C', 'B', 0.4, 55.0, nan, 40.0, nan]]
"""

from __future__ import annotations

from typing import Literal, get_args

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import ConfigError, StoreError
from cultrade.markets.data import GEODIST, geodist
from cultrade.markets.gravity import estimate_gravity
from cultrade.store import Store

Level = Literal["hs6", "domain"]
LEVELS: tuple[str, ...] = get_args(Level)
HORIZON = 5
COLUMNS = ["exporter", "importer", "product", "supply", "imports", "growth_factor", "demand", "ease", "potential",
           "actual", "untapped"]


def export_potential(flows: ir.Table, ease: ir.Table, growth: ir.Table) -> ir.Table:
    """Potential of every exporter in every market and product (columns :data:`COLUMNS`).

    ``flows``: exporter, importer, product, value (one base year); ``ease``: exporter, importer, ease;
    ``growth``: iso3, growth_factor (demand multiplier to the horizon).
    """
    x = flows.group_by(["exporter", "product"]).aggregate(x_ik=flows.value.sum())
    world = x.group_by("product").aggregate(x_k=x.x_ik.sum())
    supply = x.join(world, "product").select("exporter", "product", supply=x.x_ik / world.x_k)
    m = flows.group_by(["importer", "product"]).aggregate(imports=flows.value.sum())
    g = growth.select(g_iso3=growth.iso3, growth_factor=growth.growth_factor)
    m = m.left_join(g, m.importer == g.g_iso3)
    demand = m.select("importer", "product", "imports", "growth_factor",
                      demand=m.imports * m.growth_factor.fill_null(1.0))
    pairs = supply.join(demand, "product")
    pairs = pairs.filter(pairs.exporter != pairs.importer)
    e = ease.select(e_exp=ease.exporter, e_imp=ease.importer, ease=ease.ease)
    pairs = pairs.left_join(e, (pairs.exporter == e.e_exp) & (pairs.importer == e.e_imp))
    a = flows.select(a_exp=flows.exporter, a_imp=flows.importer, a_prod=flows.product, actual=flows.value)
    out = pairs.left_join(a, (pairs.exporter == a.a_exp) & (pairs.importer == a.a_imp) & (pairs.product == a.a_prod))
    raw = out.supply * out.demand * out.ease
    # A market cannot take more than it imports: potential is capped at demand. No ease, no potential (NULL).
    potential = ibis.ifelse(raw.isnull(), ibis.null("float64"), ibis.least(raw, out.demand))
    actual = out.actual.fill_null(0.0)
    untapped = ibis.ifelse(potential.isnull(), ibis.null("float64"), ibis.greatest(potential - actual, 0.0))
    return out.select("exporter", "importer", "product", "supply", "imports", "growth_factor", "demand", "ease",
                      potential=potential, actual=actual, untapped=untapped)


def growth_factors(store: Store, base_year: int, horizon: int = HORIZON) -> pd.DataFrame:
    """iso3, growth_factor: the product of (1 + real GDP growth) over the ``horizon`` years after ``base_year``.

    WEO forecasts where published for a year, outturns otherwise; a country missing any year has no factor.
    """
    if not store.has_table("indicators"):
        return pd.DataFrame(columns=["iso3", "growth_factor"])
    g = store.con.execute(
        "SELECT iso3, year, coalesce(max(value) FILTER (WHERE indicator = 'gdp_growth_obs'), "
        "max(value) FILTER (WHERE indicator = 'gdp_growth_fcst')) AS g FROM indicators "
        "WHERE source = 'owid' AND indicator IN ('gdp_growth_obs', 'gdp_growth_fcst') AND year > ? AND year <= ? "
        "GROUP BY 1, 2", [base_year, base_year + horizon]).df()
    g = g.dropna()
    full = g.groupby("iso3").filter(lambda d: len(d) == horizon)
    factor = full.groupby("iso3")["g"].apply(lambda s: float(np.prod(1.0 + s.to_numpy() / 100.0)))
    return factor.rename("growth_factor").reset_index()


def _baci_year(store: Store, year: int | None, level: str = "domain") -> int:
    if not store.has_table("baci_flows"):
        raise StoreError("no bilateral flows are loaded", hint="load a full BACI year: `cultrade ingest baci FILE`")
    years = [int(r[0]) for r in store.con.execute("SELECT DISTINCT year FROM baci_flows ORDER BY 1").fetchall()]
    if year is None and level == "hs6":  # HS6 codes are classified in HS17/HS22 only
        direct = [int(r[0]) for r in store.con.execute(
            "SELECT DISTINCT year FROM baci_flows WHERE hs_edition IN ('HS17', 'HS22')").fetchall()]
        years = direct or years
    if year is None:
        return max(years)
    if year not in years:
        raise ConfigError(f"no BACI flows for {year}", hint=f"years loaded: {years}; load that year with "
                                                            "`cultrade ingest baci BACI_HS17_Y{year}_V202401.csv`")
    return year


def ease_table(store: Store, year: int) -> pd.DataFrame:
    """exporter, importer, actual (all goods, USD), predicted (gravity), ease = actual / predicted."""
    def build() -> pd.DataFrame:
        tot = store.con.execute(
            "SELECT exporter, importer, sum(value_kusd) * 1000 AS value FROM baci_flows WHERE year = ? "
            "AND exporter <> importer GROUP BY 1, 2", [year]).df()
        ex, im = sorted(set(tot["exporter"])), sorted(set(tot["importer"]) | set(tot["exporter"]))
        grid = pd.MultiIndex.from_product([ex, im], names=["exporter", "importer"]).to_frame(index=False)
        grid = grid[grid["exporter"] != grid["importer"]].merge(tot, how="left", on=["exporter", "importer"])
        grid = grid.assign(year=year, value=grid["value"].fillna(0.0))
        g = geodist(store).rename(columns={"iso_o": "exporter", "iso_d": "importer"})
        frame = grid.merge(g, on=["exporter", "importer"], how="left")
        fit = estimate_gravity(frame, GEODIST, source=f"baci {year}")
        ok = frame[list(GEODIST)].notna().all(axis=1)
        kept = frame[ok].copy()
        kept["predicted"] = fit.predict(kept)
        out = kept[["exporter", "importer", "value", "predicted"]].rename(columns={"value": "actual"})
        out["ease"] = np.where(out["predicted"] > 0, out["actual"] / out["predicted"], np.nan)
        return out.reset_index(drop=True)

    found: pd.DataFrame = store.memo(("ease", year), build)
    return found


def product_flows(store: Store, year: int, level: Level = "domain", scheme: str = "unctad") -> ir.Table:
    """exporter, importer, product, value (USD) of cultural goods in ``year``: by domain or by HS6 code."""
    from cultrade.trade.data import bilateral_flows, classified_flows, cultural_mapping

    if level not in LEVELS:
        raise ConfigError(f"unknown level {level!r}", hint=f"use one of: {', '.join(LEVELS)}")
    if level == "domain":
        t = classified_flows(store, scheme, years=[year])
        return t.group_by(["exporter", "importer", t.domain.name("product")]).aggregate(value=t.value.sum())
    raw = bilateral_flows(store, [year])
    editions = [r[0] for r in store.con.execute(
        "SELECT DISTINCT hs_edition FROM baci_flows WHERE year = ?", [year]).fetchall()]
    codes = sorted({c for ed in editions if ed in ("HS17", "HS22")
                    for c in cultural_mapping(ed, scheme, role="core")["hs6"]})
    if not codes:
        raise ConfigError(f"HS6 potential needs HS17 or HS22 flows; {year} is in {editions}",
                          hint="use --level domain, which maps older editions through the concordance")
    t = raw.filter(raw.hs6.isin(codes))
    return t.group_by(["exporter", "importer", t.hs6.name("product")]).aggregate(value=t.value.sum())


def potential(store: Store, *, year: int | None = None, level: Level = "domain", exporter: str | None = None,
              scheme: str = "unctad", horizon: int = HORIZON) -> pd.DataFrame:
    """Export potential from the store's BACI year (default: the latest), for every exporter or one."""
    year = _baci_year(store, year, level)
    flows = product_flows(store, year, level, scheme)
    ease = store.register_frame("_market_ease", ease_table(store, year)[["exporter", "importer", "ease"]])
    growth = store.register_frame("_market_growth", growth_factors(store, year, horizon))
    expr = export_potential(flows, ease, growth)
    if exporter is not None:
        code = get_countries().to_iso3(exporter, "auto")
        expr = expr.filter(expr.exporter == code)
    out = expr.execute()
    return out[COLUMNS].sort_values(["exporter", "untapped"], ascending=[True, False]).reset_index(drop=True)


def sample_note(store: Store, year: int | None = None) -> str:
    """What the loaded BACI flows (of ``year``, or all) are: full years, or the bundled sample (say so on every view)."""
    cat = store.catalog()
    cat = cat[cat["source"] == "baci"]
    if year is not None:
        cat = cat[cat["partition"].astype(str).str.endswith(f"-{year}")]
    paths = cat["path"].astype(str)
    if paths.empty:
        return "no BACI year loaded" if year is None else f"no BACI flows for {year}"
    if paths.str.contains("sample", case=False).all():
        return "the bundled BACI sample (two exporters, about 55% of their rows): not a full year"
    return "full BACI year(s)" if year is None else f"a full BACI year ({year})"


__all__ = ["COLUMNS", "HORIZON", "LEVELS", "Level", "ease_table", "export_potential", "growth_factors",
           "potential", "product_flows", "sample_note"]

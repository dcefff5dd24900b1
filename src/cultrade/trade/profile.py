"""A country's cultural trade profile: the one call behind ``cultrade trade profile``.

Bilateral BACI flows give exports, imports, partners and dependence; where a
year has only exports by HS4 (Open Trade Statistics) the profile says so and
shows exports, world share and RCA. HS4 data are classified conservatively:
a heading counts for a domain only when every HS6 subheading under it is a
core cultural good of that domain; the others are listed as partial and left
out of the totals, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd

from cultrade.classification import check_domain, check_scheme, map_service_labels
from cultrade.countries import get_countries
from cultrade.errors import ConfigError, StoreError
from cultrade.store import Store
from cultrade.trade import charts
from cultrade.trade import metrics as m
from cultrade.trade.data import bilateral_flows, classified_flows, cultural_mapping
from cultrade.trade.groups import load_groups

OTHER = "_other_goods"  # pseudo-domain so that RCA denominators are all goods, not cultural goods only


@dataclass
class TradeProfile:
    """Tidy tables for one country; every table is a pandas DataFrame."""

    iso3: str
    year: int
    scheme: str
    domain: str | None
    source: str
    summary: pd.DataFrame
    history: pd.DataFrame
    partners: pd.DataFrame | None = None
    concentration: pd.DataFrame | None = None
    digital: pd.DataFrame | None = None
    partial_headings: pd.DataFrame | None = None
    regions: pd.DataFrame | None = None
    services: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    def frames(self) -> dict[str, pd.DataFrame]:
        out = {"summary": self.summary, "history": self.history}
        for name in ("partners", "concentration", "digital", "partial_headings", "regions", "services"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def chart_specs(self) -> dict[str, charts.Spec]:
        specs = {"time_series": charts.time_series(self.history, "exports", color="domain",
                                                   title=f"{self.iso3} cultural exports"),
                 "composition": charts.composition(self.history, "exports", "domain",
                                                   title=f"{self.iso3} exports by domain")}
        if self.partners is not None and not self.partners.empty:
            specs["partner_map"] = charts.partner_map(self.partners, "value", title=f"{self.iso3} export partners")
        return specs


def hs4_mapping(store: Store, scheme: str, edition: str = "HS17") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(full, partial): HS4 headings whose subheadings are all core goods of one domain, and the rest."""
    if not store.has_table("hs_codes"):
        raise StoreError("the HS nomenclature is not loaded (table hs_codes)",
                         hint="run `cultrade init`, which bundles it")
    codes = store.con.execute(
        "SELECT code FROM hs_codes WHERE hs_edition = ? AND level = 6", [edition]).df()["code"]
    children = codes.str.slice(0, 4).value_counts().rename("children")
    mapping = cultural_mapping(edition, scheme, role="core")
    mapping["hs4"] = mapping["hs6"].str.slice(0, 4)
    per = mapping.groupby(["hs4", "domain"]).agg(cultural=("hs6", "nunique"), digital=("digital", "all"))
    per = per.join(children, on="hs4").reset_index()
    per["coverage"] = per["cultural"] / per["children"]
    full = per[per["coverage"] >= 1.0][["hs4", "domain", "digital"]]
    partial = per[per["coverage"] < 1.0][["hs4", "domain", "cultural", "children", "coverage"]]
    return full.reset_index(drop=True), partial.reset_index(drop=True)


def _years(store: Store, table: str) -> list[int]:
    if not store.has_table(table):
        return []
    return [int(r[0]) for r in store.con.execute(f"SELECT DISTINCT year FROM {table} ORDER BY 1").fetchall()]


def services_profile(store: Store, iso3: str) -> pd.DataFrame | None:
    """Cultural services exports (EBOPS 2002) of ``iso3``: value, share of its services, world share, RCA."""
    if not store.has_table("services_exports"):
        return None
    t = store.frame("services_exports")
    labels = t["ebops"].astype(str) + " " + t["category"].astype(str)
    mapped = map_service_labels(labels.unique())
    t = t.assign(label=labels).merge(mapped[["label", "ebops_code", "cultural", "role", "coverage"]], on="label")
    totals = t.groupby(["year", "iso3"])["value_usd"].sum().rename("total").reset_index()
    cultural = t[t["cultural"]].rename(columns={"category": "domain", "value_usd": "exports"})
    cultural = cultural.merge(totals, on=["year", "iso3"])
    world = cultural.groupby(["year", "domain"])["exports"].transform("sum")
    world_total = totals.groupby("year")["total"].sum()
    cultural = cultural.assign(
        share_of_services=cultural["exports"] / cultural["total"],
        world_share=cultural["exports"] / world,
        rca=(cultural["exports"] / cultural["total"]) / (world / cultural["year"].map(world_total)),
    )
    out = cultural[cultural["iso3"] == iso3]
    cols = ["year", "ebops_code", "domain", "role", "coverage", "exports", "share_of_services", "world_share", "rca"]
    return out[cols].sort_values("exports", ascending=False).reset_index(drop=True)


def trade_profile(store: Store, iso3: str, *, year: int | None = None, domain: str | None = None,
                  scheme: str = "unctad", top_n: int = 5, groups: pd.DataFrame | None = None) -> TradeProfile:
    """Cultural trade profile of ``iso3`` for ``year`` (latest with data by default).

    Uses BACI bilateral flows when that year is loaded, otherwise OTS exports by HS4.
    """
    iso3 = get_countries().to_iso3(iso3, "iso3")
    scheme_ = check_scheme(scheme)
    dom = check_domain(domain, scheme_) if domain else None
    baci_years, ots_years = _years(store, "baci_flows"), _years(store, "ots_exports")
    if year is None:
        candidates = baci_years or ots_years
        if not candidates:
            raise StoreError("no trade data are loaded", hint="run `cultrade init` or ingest BACI/OTS files")
        year = max(candidates)
    if year in baci_years:
        profile = _bilateral_profile(store, iso3, year, dom, scheme_, top_n, groups)
    elif year in ots_years:
        profile = _exports_profile(store, iso3, year, dom, scheme_)
    else:
        raise ConfigError(f"no trade data for {year}",
                          hint=f"years loaded: BACI {baci_years or 'none'}, OTS {ots_years or 'none'}")
    profile.services = services_profile(store, iso3)
    if profile.services is not None and not profile.services.empty:
        years = sorted(set(profile.services["year"]))
        profile.notes.append(f"Services: EBOPS 2002 top level, {years}; the cultural categories are aggregates "
                             "that also hold non-cultural services (see coverage).")
    return profile


def _finish_rca(exports: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """RCA per country × domain, with all goods as the denominator (Balassa)."""
    cultural = exports.groupby(["year", "iso3"])["exports"].sum().rename("exports_cult").reset_index()
    other = totals.merge(cultural, on=["year", "iso3"], how="left")
    other = other.assign(domain=OTHER, exports=other["total"] - other["exports_cult"].fillna(0.0))
    full = pd.concat([exports, other[["year", "iso3", "domain", "exports"]]], ignore_index=True)
    out = m.rca(ibis.memtable(full)).execute()
    return out[out["domain"] != OTHER]


def _exports_profile(store: Store, iso3: str, year: int, dom: str | None, scheme: str) -> TradeProfile:
    full, partial = hs4_mapping(store, scheme)
    t = store.table("ots_exports")
    totals = t.group_by(["year", "iso3"]).aggregate(total=t.value_usd.sum()).execute()
    mapped = t.join(ibis.memtable(full), "hs4")
    exports = mapped.group_by(["year", "iso3", "domain"]).aggregate(exports=mapped.value_usd.sum()).execute()
    with_rca = _finish_rca(exports, totals)
    shares = m.world_share(ibis.memtable(exports.rename(columns={"iso3": "exporter", "exports": "value"}))).execute()
    summary = with_rca.merge(shares[["year", "iso3", "domain", "world_exports", "share"]],
                             on=["year", "iso3", "domain"])
    summary = summary[(summary["iso3"] == iso3) & (summary["year"] == year)]
    if dom:
        summary = summary[summary["domain"] == dom]
    summary = summary.rename(columns={"share": "world_share"}).sort_values("exports", ascending=False)
    history = exports[exports["iso3"] == iso3].sort_values(["year", "domain"])
    notes = [f"{year}: exports by HS4 only (Open Trade Statistics); no partners, imports or balance.",
             f"{len(full)} HS4 headings are wholly cultural; {len(partial)} partly cultural headings are left out."]
    return TradeProfile(iso3, year, scheme, dom, "ots", summary.reset_index(drop=True), history.reset_index(drop=True),
                        partial_headings=partial, notes=notes)


def _bilateral_profile(store: Store, iso3: str, year: int, dom: str | None, scheme: str, top_n: int,
                       groups: pd.DataFrame | None) -> TradeProfile:
    classified = classified_flows(store, scheme)
    agg = m.aggregate(classified)
    bal = m.balance(agg)
    grown = m.growth(bal, "exports", ["iso3", "domain"])
    share = m.world_share(agg)
    j = grown.join(share.select("year", "iso3", "domain", "world_exports", world_share=share.share),
                   ["year", "iso3", "domain"], how="left")
    flows = bilateral_flows(store)
    totals = (flows.group_by(["year", "exporter"]).aggregate(total=flows.value.sum())
              .rename(iso3="exporter").execute())
    summary = j.filter((j.iso3 == iso3) & (j.year == year)).execute()
    summary = summary.drop(columns=[c for c in summary.columns if c.endswith("_right")])
    ex = bal.select("year", "iso3", "domain", "exports").execute()
    rca = _finish_rca(ex, totals)[["year", "iso3", "domain", "rca"]]
    summary = summary.merge(rca, on=["year", "iso3", "domain"], how="left")
    history = bal.filter(bal.iso3 == iso3).execute().sort_values(["year", "domain"])
    partners = m.partner_shares(agg).filter(lambda t: (t.iso3 == iso3) & (t.year == year))
    conc = m.concentration(agg, top_n=3)
    conc_trend = m.trend(conc, "hhi", ["iso3", "domain"]).filter(lambda t: t.iso3 == iso3).execute()
    conc_now = conc.filter((conc.iso3 == iso3) & (conc.year == year)).execute()
    conc_now = conc_now.merge(conc_trend[["iso3", "domain", "slope"]].rename(columns={"slope": "hhi_trend"}),
                              on=["iso3", "domain"], how="left")
    digital = m.digital_split(classified).filter(lambda t: t.iso3 == iso3).execute()
    regions = m.partner_group_growth(agg, ibis.memtable(groups if groups is not None else load_groups()))
    regions = regions.filter((regions.iso3 == iso3) & (regions.year == year)).execute()
    if dom:
        summary, history = summary[summary["domain"] == dom], history[history["domain"] == dom]
        partners = partners.filter(partners.domain == dom)
        conc_now = conc_now[conc_now["domain"] == dom]
        regions = regions[regions["domain"] == dom]
    part = partners.execute()
    part = part[part["rank"] <= top_n].sort_values(["domain", "rank"])
    notes = [f"{year}: BACI bilateral flows, values in USD; domains per {scheme} (core goods)."]
    cat = store.catalog()
    if cat[(cat["source"] == "baci")]["path"].str.contains("sample", case=False).any():
        notes.append("The bundled BACI files are samples (about 55% of the rows of two exporters): not for totals.")
    return TradeProfile(iso3, year, scheme, dom, "baci", summary.sort_values("exports", ascending=False)
                        .reset_index(drop=True), history.reset_index(drop=True), part.reset_index(drop=True),
                        conc_now.reset_index(drop=True), digital.reset_index(drop=True), None,
                        regions.sort_values(["domain", "value"], ascending=[True, False]).reset_index(drop=True),
                        None, notes)


def profile_tables(profile: TradeProfile) -> dict[str, Any]:
    """JSON-ready dict of the profile's tables, for the API and reports."""
    return {name: frame.to_dict("records") for name, frame in profile.frames().items()}


__all__ = ["TradeProfile", "hs4_mapping", "profile_tables", "trade_profile"]

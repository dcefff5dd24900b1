"""A country's cultural trade profile: the one call behind ``cultrade trade profile``.

Bilateral BACI flows give exports, imports, partners and dependence; where a
year has only exports by HS4 (Open Trade Statistics) the profile says so and
shows exports, world share and RCA. At HS4 a heading counts whole for a domain
only when every HS6 subheading under it is a core cultural good of that domain;
a partly cultural heading counts at its estimated share, on a line of its own
(``exports_partial``, with the upper bound and where the share comes from: see
:mod:`cultrade.trade.headings`), never dropped and never counted whole.

Missing data stay missing: a country with no export rows in a year has exports
"no data" (NaN), not 0, and the default year is the latest one in which the
country itself has export data (:func:`latest_year`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd

from cultrade.classification import check_scheme, map_service_labels, trade_domains
from cultrade.countries import get_countries
from cultrade.errors import ConfigError, StoreError
from cultrade.store import Store
from cultrade.trade import charts
from cultrade.trade import metrics as m
from cultrade.trade.data import bilateral_flows, classified_flows
from cultrade.trade.digital import reported_digital
from cultrade.trade.groups import load_groups
from cultrade.trade.headings import HeadingMap, apply_shares, heading_map

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
    reported: pd.DataFrame | None = None

    def frames(self) -> dict[str, pd.DataFrame]:
        out = {"summary": self.summary, "history": self.history}
        for name in ("partners", "concentration", "digital", "partial_headings", "regions", "services", "reported"):
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


def _country_years(store: Store, table: str, column: str, iso3: str) -> list[int]:
    if not store.has_table(table):
        return []
    rows = store.con.execute(f"SELECT DISTINCT year FROM {table} WHERE {column} = ? ORDER BY 1", [iso3]).fetchall()
    return [int(r[0]) for r in rows]


def latest_year(store: Store, iso3: str) -> int:
    """The latest year in which ``iso3`` itself has export data (BACI as exporter, else OTS).

    A year loaded for other countries only (the BACI sample holds two exporters) is not a year of data
    for ``iso3``: its exports there would read 0 where they are unknown. Without any export year, the
    latest year with its imports (BACI) is used; with none at all, :class:`StoreError` says what to load.
    """
    iso3 = get_countries().to_iso3(iso3, "iso3")
    for years in (_country_years(store, "baci_flows", "exporter", iso3),
                  _country_years(store, "ots_exports", "iso3", iso3),
                  _country_years(store, "baci_flows", "importer", iso3)):
        if years:
            return max(years)
    loaded = sorted(set(_years(store, "baci_flows")) | set(_years(store, "ots_exports")))
    raise StoreError(f"no trade data for {iso3}" + (f" (years loaded for others: {loaded})" if loaded else ""),
                     hint="load a full BACI year with `cultrade ingest baci BACI_HS17_Y2022_V202401.csv`"
                          if loaded else "run `cultrade init` or ingest BACI/OTS files")


def trade_profile(store: Store, iso3: str, *, year: int | None = None, domain: str | None = None,
                  scheme: str = "unctad", top_n: int = 5, groups: pd.DataFrame | None = None) -> TradeProfile:
    """Cultural trade profile of ``iso3`` for ``year`` (default: :func:`latest_year` for that country).

    Uses BACI bilateral flows when that year is loaded, otherwise OTS exports by HS4. ``domain`` is a
    trade domain of ``scheme`` or a product type (``games``, ``film_tv``...; see
    :func:`cultrade.classification.trade_domains`).
    """
    iso3 = get_countries().to_iso3(iso3, "iso3")
    scheme_ = check_scheme(scheme)
    doms = trade_domains(domain, scheme_) if domain else None
    baci_years, ots_years = _years(store, "baci_flows"), _years(store, "ots_exports")
    if year is None:
        if not baci_years and not ots_years:
            raise StoreError("no trade data are loaded", hint="run `cultrade init` or ingest BACI/OTS files")
        year = latest_year(store, iso3)
    if year in baci_years:
        profile = _bilateral_profile(store, iso3, year, doms, scheme_, top_n, groups)
    elif year in ots_years:
        profile = _exports_profile(store, iso3, year, doms, scheme_)
    else:
        raise ConfigError(f"no trade data for {year}",
                          hint=f"years loaded: BACI {baci_years or 'none'}, OTS {ots_years or 'none'}; "
                               "load that year with `cultrade ingest baci FILE`")
    profile.domain = domain
    if doms is not None and not doms:
        profile.notes.append(f"{domain} has no goods in the {scheme_} classification: see the reported digital "
                             "exports and the services.")
    profile.services = services_profile(store, iso3)
    if profile.services is not None and not profile.services.empty:
        years = sorted(set(profile.services["year"]))
        profile.notes.append(f"Services: EBOPS 2002 top level, {years}; the cultural categories are aggregates "
                             "that also hold non-cultural services (see coverage).")
    digital = reported_digital(store, iso3)
    profile.reported = digital if not digital.empty else None
    return profile


def _finish_rca(exports: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """RCA per country × domain, with all goods as the denominator (Balassa)."""
    cultural = exports.groupby(["year", "iso3"])["exports"].sum().rename("exports_cult").reset_index()
    other = totals.merge(cultural, on=["year", "iso3"], how="left")
    other = other.assign(domain=OTHER, exports=other["total"] - other["exports_cult"].fillna(0.0))
    full = pd.concat([exports, other[["year", "iso3", "domain", "exports"]]], ignore_index=True)
    out = m.rca(ibis.memtable(full)).execute()
    return out[out["domain"] != OTHER]


def hs4_domain_exports(store: Store, scheme: str, *, year: int | None = None) -> tuple[pd.DataFrame, HeadingMap]:
    """OTS exports per year, iso3 and domain: wholly cultural headings (``exports_core``), partly cultural
    ones at their share (``exports_partial``, upper bound ``partial_upper``), and their sum (``exports``)."""
    hmap = heading_map(store, scheme, year=year)
    t = store.table("ots_exports")
    mapped = t.join(ibis.memtable(hmap.full), "hs4")
    core = mapped.group_by(["year", "iso3", "domain"]).aggregate(exports_core=mapped.value_usd.sum()).execute()
    partial_heads = sorted(set(hmap.partial["hs4"]))
    values = t.filter(t.hs4.isin(partial_heads)).select("year", "iso3", "hs4", value=t.value_usd).execute()
    parts = apply_shares(values, hmap.partial[["hs4", "domain", "share"]])
    partial = parts.groupby(["year", "iso3", "domain"], as_index=False)[["partial", "partial_upper"]].sum()
    out = core.merge(partial.rename(columns={"partial": "exports_partial"}), on=["year", "iso3", "domain"],
                     how="outer")
    out["exports"] = out["exports_core"].fillna(0.0) + out["exports_partial"].fillna(0.0)
    return out, hmap


def _exports_profile(store: Store, iso3: str, year: int, doms: tuple[str, ...] | None, scheme: str) -> TradeProfile:
    exports, hmap = hs4_domain_exports(store, scheme, year=year)
    t = store.table("ots_exports")
    totals = t.group_by(["year", "iso3"]).aggregate(total=t.value_usd.sum()).execute()
    with_rca = _finish_rca(exports[["year", "iso3", "domain", "exports"]], totals)
    shares = m.world_share(ibis.memtable(exports[["year", "iso3", "domain", "exports"]]
                                         .rename(columns={"iso3": "exporter", "exports": "value"}))).execute()
    summary = with_rca.merge(shares[["year", "iso3", "domain", "world_exports", "share"]], on=["year", "iso3", "domain"])
    summary = summary.merge(exports.drop(columns="exports"), on=["year", "iso3", "domain"], how="left")
    summary = summary[(summary["iso3"] == iso3) & (summary["year"] == year)]
    if doms is not None:
        summary = summary[summary["domain"].isin(doms)]
    summary = summary.rename(columns={"share": "world_share"}).sort_values("exports", ascending=False)
    history = exports[exports["iso3"] == iso3].sort_values(["year", "domain"])
    if summary.empty and iso3 not in set(totals.loc[totals["year"] == year, "iso3"]):
        raise StoreError(f"no export data for {iso3} in {year} (Open Trade Statistics)",
                         hint="load a BACI year that covers it with `cultrade ingest baci FILE`")
    partial = hmap.partial
    if doms is not None:
        partial = partial[partial["domain"].isin(doms)]
    notes = [f"{year}: exports by HS4 only (Open Trade Statistics); no partners, imports or balance.",
             f"{len(hmap.full)} HS4 headings are wholly cultural; {partial['hs4'].nunique()} partly cultural headings "
             f"count at their estimated share (shares: {hmap.share_basis}), shown as exports_partial with the "
             "whole heading as partial_upper."]
    return TradeProfile(iso3, year, scheme, None, "ots", summary.reset_index(drop=True),
                        history.reset_index(drop=True), partial_headings=partial.reset_index(drop=True), notes=notes)


def _bilateral_profile(store: Store, iso3: str, year: int, doms: tuple[str, ...] | None, scheme: str, top_n: int,
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
    summary = _no_data_as_missing(store, summary, iso3, year)
    if doms is not None:
        summary, history = summary[summary["domain"].isin(doms)], history[history["domain"].isin(doms)]
        partners = partners.filter(partners.domain.isin(list(doms)))
        conc_now = conc_now[conc_now["domain"].isin(doms)]
        regions = regions[regions["domain"].isin(doms)]
    part = partners.execute()
    part = part[part["rank"] <= top_n].sort_values(["domain", "rank"])
    notes = [f"{year}: BACI bilateral flows, values in USD; domains per {scheme} (core goods)."]
    cat = store.catalog()
    if cat[(cat["source"] == "baci")]["path"].str.contains("sample", case=False).any():
        notes.append("The bundled BACI files are samples (about 55% of the rows of two exporters): not for totals.")
    return TradeProfile(iso3, year, scheme, None, "baci", summary.sort_values("exports", ascending=False)
                        .reset_index(drop=True), history.reset_index(drop=True), part.reset_index(drop=True),
                        conc_now.reset_index(drop=True), digital.reset_index(drop=True), None,
                        regions.sort_values(["domain", "value"], ascending=[True, False]).reset_index(drop=True),
                        None, notes)


def _no_data_as_missing(store: Store, summary: pd.DataFrame, iso3: str, year: int) -> pd.DataFrame:
    """Exports of a country with no export row that year are unknown, not 0 (likewise imports)."""
    row = store.con.execute("SELECT count(*) FILTER (WHERE exporter = ?), count(*) FILTER (WHERE importer = ?) "
                            "FROM baci_flows WHERE year = ?", [iso3, iso3, year]).fetchall()[0]
    exported, imported = int(row[0]), int(row[1])
    out = summary.copy()
    if not exported:
        out.loc[:, [c for c in ("exports", "balance", "total", "yoy", "world_share", "rca") if c in out]] = float("nan")
    if not imported:
        out.loc[:, [c for c in ("imports", "balance", "total") if c in out]] = float("nan")
    return out


def profile_tables(profile: TradeProfile) -> dict[str, Any]:
    """JSON-ready dict of the profile's tables, for the API and reports."""
    return {name: frame.to_dict("records") for name, frame in profile.frames().items()}


__all__ = ["TradeProfile", "hs4_domain_exports", "latest_year", "profile_tables", "trade_profile"]

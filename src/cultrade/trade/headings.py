"""Cultural goods in data that only has HS4 headings (Open Trade Statistics), partly cultural headings included.

A heading is **wholly cultural** for a domain when every HS6 subheading under it is a core good of that
domain: its whole value counts. A heading is **partly cultural** when only some subheadings are (9403
furniture without its parts, 9504 whose video games and board games are cultural but billiards are not,
8523 whose recorded media are but blank supports are not, 4911 split between publishing and photography...).
Such a heading is never dropped and never counted whole: its value is multiplied by the **share** of the
cultural subheadings in the heading's trade, shown on a line of its own with the share, where the share
comes from, and the upper bound (the whole heading).

Where the share comes from, best first:

1. ``baci``: HS6 flows in the store, in the reference edition (HS17 or HS22), summed over every exporter
   loaded, the year nearest the one asked for. A full BACI year gives world shares; the bundled sample gives
   the shares of two exporters' trade (South Africa, Afghanistan) and says so.
2. ``count``: no HS6 flow in that heading: the share of cultural subheadings among all subheadings. A crude
   stand-in, flagged as such.

>>> shares = pd.DataFrame({"hs4": ["9403"], "domain": ["design"], "share": [0.9]})
>>> values = pd.DataFrame({"year": [2017], "iso3": ["CHN"], "hs4": ["9403"], "value": [100.0]})
>>> apply_shares(values, shares)[["domain", "partial", "partial_upper"]].to_dict("records")
[{'domain': 'design', 'partial': 90.0, 'partial_upper': 100.0}]
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cultrade.errors import StoreError
from cultrade.store import Store
from cultrade.trade.data import cultural_mapping

SHARE_SOURCES = {"baci": "HS6 flows in the store (BACI)", "count": "share of cultural subheadings (no HS6 flows)"}


@dataclass(frozen=True)
class HeadingMap:
    """Wholly cultural headings (hs4, domain, digital) and partly cultural ones with their shares."""

    full: pd.DataFrame
    partial: pd.DataFrame
    share_basis: str


def _children(store: Store, edition: str) -> pd.Series:
    if not store.has_table("hs_codes"):
        raise StoreError("the HS nomenclature is not loaded (table hs_codes)", hint="run `cultrade init`, which bundles it")
    codes = store.con.execute("SELECT code FROM hs_codes WHERE hs_edition = ? AND level = 6", [edition]).df()["code"]
    return codes.str.slice(0, 4).value_counts().rename("children")


def _baci_shares(store: Store, edition: str, year: int | None, headings: list[str],
                 mapping: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Value of each HS6 code of ``headings`` in the loaded flows of ``edition``, nearest year; and its label."""
    empty = pd.DataFrame(columns=["hs4", "domain", "share"])
    if not store.has_table("baci_flows") or not headings:
        return empty, ""
    years = [int(r[0]) for r in store.con.execute(
        "SELECT DISTINCT year FROM baci_flows WHERE hs_edition = ?", [edition]).fetchall()]
    if not years:
        return empty, ""
    near = min(years, key=lambda y: (abs(y - year) if year is not None else -y, y))
    flows = store.con.execute(
        "SELECT substr(hs6, 1, 4) AS hs4, hs6, sum(value_kusd) AS value, count(DISTINCT exporter) AS exporters "
        "FROM baci_flows WHERE hs_edition = ? AND year = ? AND list_contains(?, substr(hs6, 1, 4)) GROUP BY 1, 2",
        [edition, near, headings]).df()
    if flows.empty:
        return empty, ""
    total = flows.groupby("hs4")["value"].sum().rename("total")
    cultural = flows.merge(mapping[["hs6", "domain"]], on="hs6")
    by = cultural.groupby(["hs4", "domain"])["value"].sum().reset_index().join(total, on="hs4")
    by["share"] = by["value"] / by["total"]
    exporters = int(store.con.execute(
        "SELECT count(DISTINCT exporter) FROM baci_flows WHERE hs_edition = ? AND year = ?", [edition, near]).fetchall()[0][0])
    label = f"BACI {edition} {near}, {exporters} exporter{'s' if exporters != 1 else ''}"
    return by[["hs4", "domain", "share"]], label


def heading_map(store: Store, scheme: str, edition: str = "HS17", *, year: int | None = None) -> HeadingMap:
    """Which HS4 headings are wholly or partly cultural for ``scheme``, with each partial heading's share."""
    children = _children(store, edition)
    mapping = cultural_mapping(edition, scheme, role="core")
    mapping = mapping.assign(hs4=mapping["hs6"].str.slice(0, 4))
    per = mapping.groupby(["hs4", "domain"]).agg(cultural=("hs6", "nunique"), digital=("digital", "all"))
    per = per.join(children, on="hs4").reset_index()
    per["coverage"] = per["cultural"] / per["children"]
    full = per[per["coverage"] >= 1.0][["hs4", "domain", "digital"]].reset_index(drop=True)
    partial = per[per["coverage"] < 1.0].reset_index(drop=True)
    observed, label = _baci_shares(store, edition, year, sorted(set(partial["hs4"])), mapping)
    partial = partial.merge(observed, on=["hs4", "domain"], how="left")
    seen = set(observed["hs4"])
    from_baci = partial["hs4"].isin(seen)
    # A heading with flows but none in this domain's subheadings has a measured share of 0, not a guess.
    partial.loc[from_baci & partial["share"].isna(), "share"] = 0.0
    partial["share_source"] = ["baci" if b else "count" for b in from_baci]
    partial.loc[~from_baci, "share"] = partial.loc[~from_baci, "coverage"]
    partial["share_basis"] = [label if b else SHARE_SOURCES["count"] for b in from_baci]
    cols = ["hs4", "domain", "digital", "cultural", "children", "coverage", "share", "share_source", "share_basis"]
    return HeadingMap(full, partial[cols], label or SHARE_SOURCES["count"])


def apply_shares(values: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """Partly cultural exports: heading values (year, iso3, hs4, value) times each domain's share.

    Returns year, iso3, domain, hs4, value (the whole heading), share, partial (the estimate) and
    partial_upper (the whole heading, the most the domain could hold).
    """
    j = values.merge(shares, on="hs4")
    return j.assign(partial=j["value"] * j["share"], partial_upper=j["value"])


__all__ = ["SHARE_SOURCES", "HeadingMap", "apply_shares", "heading_map"]

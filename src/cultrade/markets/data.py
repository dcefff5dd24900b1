"""Bilateral flows with dyadic covariates, ready for gravity: AGTPA, or BACI aggregated by cultural domain.

:func:`gravity_frame` returns one row per exporter, importer and year with ``value`` (USD) and the
covariates, named as in :data:`COVARIATES`:

* AGTPA (Yotov et al. 2016): its own ``log_dist``, ``cntg``, ``lang``, ``clny`` and ``rta``, international
  flows only unless ``domestic=True``.
* BACI: the flows of one product type or trade domain, summed per pair and year, completed with zeros for
  the pairs of the countries present that did not trade (BACI lists positive flows only), and GeoDist's
  ``log_dist``, ``contig``, ``comlang_off`` (common official language), ``comlang_ethno`` (a language
  spoken by at least 9% in both) and ``colony``.

Both can carry ``cultural_distance``, the risk index's Kogut-Singh distance between exporter and importer
on Hofstede's dimensions (:func:`cultrade.risk.culture.pair_distances`: the official matrix, the Insights
estimates and Hofstede's regional samples, at least four shared dimensions), and ``relations``, the risk
index's bilateral tension against each dyad's own baseline (:func:`cultrade.risk.relations.dyad_table`:
GDELT dyad history, so far China and its partners from 2006).

**The covariate hook.** Any other dyadic measure comes in as one DataFrame, ``extra``, with columns
``iso_o``, ``iso_d``, optionally ``year``, and one column per measure (for instance the risk index's
bilateral-relations measure, ``relations``): each measure column joins the covariates. A pair the hook
has no value for is "no data": the gravity fit drops it and says so; it is never set to 0.

>>> sorted(COVARIATES)[:3]
['clny', 'cntg', 'colony']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cultrade.classification.markets import trade_domains
from cultrade.errors import ConfigError, StoreError
from cultrade.risk.culture import load_hofstede, pair_distances
from cultrade.risk.relations import dyad_table
from cultrade.store import Store

COVARIATES: dict[str, str] = {
    "log_dist": "log of distance (km)",
    "cntg": "contiguity (AGTPA)",
    "lang": "common official language (AGTPA)",
    "clny": "colonial tie (AGTPA)",
    "rta": "regional trade agreement in force (AGTPA)",
    "contig": "contiguity (GeoDist)",
    "comlang_off": "common official language (GeoDist)",
    "comlang_ethno": "common spoken language, 9% or more in both (GeoDist)",
    "colony": "colonial tie, ever (GeoDist)",
    "cultural_distance": "Kogut-Singh cultural distance on Hofstede's dimensions",
    "relations": "bilateral tension against the dyad's own baseline (risk index; GDELT)",
}
#: Chapter 1, application 1 of the AGTPA guide: the reference PPML specification.
AGTPA_REFERENCE = ("log_dist", "cntg", "lang", "clny")
AGTPA_REFERENCE_YEARS = (1986, 1990, 1994, 1998, 2002, 2006)
GEODIST = ("log_dist", "contig", "comlang_off", "comlang_ethno", "colony")
SOURCES = ("agtpa", "baci")


def geodist(store: Store) -> pd.DataFrame:
    """GeoDist pairs as iso_o, iso_d and the :data:`GEODIST` covariates."""
    if not store.has_table("geodist_pairs"):
        raise StoreError("GeoDist distances are not loaded (table geodist_pairs)", hint="run `cultrade init`")
    g = store.con.execute(
        "SELECT iso3_o AS iso_o, iso3_d AS iso_d, ln(dist_km) AS log_dist, contig, comlang_off, comlang_ethno, "
        "colony FROM geodist_pairs WHERE dist_km > 0").df()
    return g.drop_duplicates(["iso_o", "iso_d"])


def _join_dyadic(frame: pd.DataFrame, extra: pd.DataFrame, what: str) -> tuple[pd.DataFrame, list[str]]:
    """Left-join a dyadic table (iso_o, iso_d[, year], measures...) onto the flows; the measures' names."""
    missing = {"iso_o", "iso_d"} - set(extra.columns)
    if missing:
        raise ConfigError(f"the {what} table lacks {sorted(missing)}",
                          hint="give columns iso_o, iso_d, optionally year, and one column per measure")
    keys = ["iso_o", "iso_d"] + (["year"] if "year" in extra.columns else [])
    measures = [c for c in extra.columns if c not in keys]
    if not measures:
        raise ConfigError(f"the {what} table has no measure column", hint="add e.g. a 'relations' column")
    clash = [c for c in measures if c in frame.columns]
    if clash:
        raise ConfigError(f"the {what} table repeats columns {clash}", hint="rename them")
    if extra.duplicated(keys).any():
        raise ConfigError(f"the {what} table has duplicate pairs", hint=f"one row per {', '.join(keys)}")
    right = extra.rename(columns={"iso_o": "exporter", "iso_d": "importer"})
    on = ["exporter", "importer"] + (["year"] if "year" in keys else [])
    out = frame.merge(right.astype({"year": "int64"}) if "year" in keys else right, on=on, how="left")
    return out, measures


def agtpa_frame(store: Store, years: Sequence[int] | None = None, *, domestic: bool = False) -> pd.DataFrame:
    """The AGTPA dataset as flows (value in USD) with its covariates and ``pair_id``."""
    if not store.has_table("agtpa_gravity"):
        raise StoreError("the AGTPA dataset is not loaded (table agtpa_gravity)", hint="run `cultrade init`")
    if years is not None:
        have = {int(r[0]) for r in store.con.execute("SELECT DISTINCT year FROM agtpa_gravity").fetchall()}
        absent = sorted(set(years) - have)
        if absent:
            raise ConfigError(f"AGTPA has no flows for {absent}", hint=f"use years {min(have)}-{max(have)}")
    where = [] if domestic else ["exporter <> importer"]
    if years is not None:
        where.append("list_contains(?, CAST(year AS INTEGER))")
    df = store.con.execute(
        "SELECT exporter, importer, CAST(year AS INTEGER) AS year, trade_musd * 1e6 AS value, ln(dist_km) AS log_dist, "
        "CAST(cntg AS DOUBLE) AS cntg, CAST(lang AS DOUBLE) AS lang, CAST(clny AS DOUBLE) AS clny, "
        "CAST(rta AS DOUBLE) AS rta FROM agtpa_gravity" + (f" WHERE {' AND '.join(where)}" if where else ""),
        [list(years)] if years is not None else []).df()
    return df


def baci_domain_frame(store: Store, domain: str = "general", years: Sequence[int] | None = None, *,
                      scheme: str = "unctad") -> pd.DataFrame:
    """BACI flows of one product type or trade domain per pair and year (USD), zeros for non-trading pairs."""
    from cultrade.trade.data import classified_flows

    doms = list(trade_domains(domain, scheme))
    if not doms:
        raise ConfigError(f"{domain} has no goods in the {scheme} classification",
                          hint="gravity on goods needs a goods domain: publishing, visual_arts, crafts, design, general")
    t = classified_flows(store, scheme, years=years)
    t = t.filter(t.domain.isin(doms))
    agg = t.group_by(["year", "exporter", "importer"]).aggregate(value=t.value.sum()).execute()
    if agg.empty:
        raise StoreError(f"no BACI flows of {domain}" + (f" in {list(years)}" if years else ""),
                         hint="load a BACI year with `cultrade ingest baci BACI_HS17_Y2022_V202401.csv`")
    parts = []
    for year, g in agg.groupby("year"):
        ex, im = sorted(set(g["exporter"])), sorted(set(g["importer"]) | set(g["exporter"]))
        grid = pd.MultiIndex.from_product([ex, im], names=["exporter", "importer"]).to_frame(index=False)
        grid = grid[grid["exporter"] != grid["importer"]].assign(year=int(year))
        parts.append(grid.merge(g.astype({"year": int}), on=["year", "exporter", "importer"], how="left"))
    out = pd.concat(parts, ignore_index=True)
    out["value"] = out["value"].fillna(0.0)
    return out


def gravity_frame(store: Store, source: str = "agtpa", *, years: Sequence[int] | None = None,
                  domain: str = "general", scheme: str = "unctad", cultural: bool = False,
                  relations: bool = False, geodist_covariates: bool = False,
                  extra: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Flows and covariates from the store, and the covariate names to estimate.

    ``source`` is ``agtpa`` (covariates: :data:`AGTPA_REFERENCE` plus ``rta``) or ``baci`` (``domain`` a
    product type or trade domain; covariates: :data:`GEODIST`). ``geodist_covariates`` adds GeoDist's
    common spoken language to AGTPA (whose own dummies cover the rest). ``cultural`` adds ``cultural_distance``,
    ``relations`` the bilateral tension; ``extra`` is the covariate hook (see the module docstring).
    """
    if source not in SOURCES:
        raise ConfigError(f"unknown gravity source {source!r}", hint=f"use one of: {', '.join(SOURCES)}")
    if source == "agtpa":
        frame = agtpa_frame(store, years)
        covariates = [*AGTPA_REFERENCE, "rta"]
        if geodist_covariates:
            g = geodist(store)[["iso_o", "iso_d", "comlang_ethno"]]
            frame, more = _join_dyadic(frame, g, "GeoDist")
            covariates += more
    else:
        frame = baci_domain_frame(store, domain, years, scheme=scheme)
        frame, covariates = _join_dyadic(frame, geodist(store), "GeoDist")
    if cultural:
        frame, more = _join_dyadic(frame, pair_distances(load_hofstede(store)[0]), "cultural distance")
        covariates += more
    if relations:
        frame, more = _join_dyadic(frame, dyad_table(store), "bilateral relations")
        covariates += more
    if extra is not None:
        frame, more = _join_dyadic(frame, extra, "extra covariates")
        covariates += more
    frame[covariates] = frame[covariates].astype(float)
    frame = frame.replace([np.inf, -np.inf], np.nan)
    return frame, covariates


__all__ = ["AGTPA_REFERENCE", "AGTPA_REFERENCE_YEARS", "COVARIATES", "GEODIST", "SOURCES", "agtpa_frame",
           "baci_domain_frame", "geodist", "gravity_frame"]

"""Indicators seen from the home country: cultural distance, language, ties, distance, relations, sanctions.

:func:`load_home_inputs` reads once what these need (Hofstede, GeoDist, the GDELT dyad history and
the monitor's dyad counts); :func:`home_measures` computes them for one home country as (years,
countries) arrays with a status per cell, so that changing the home does not read the store again.

=====================  ==================================================================  ==========
code                   what                                                                status
=====================  ==================================================================  ==========
``kogut_singh``        Kogut-Singh distance on Hofstede's six dimensions                   static /
                       (:mod:`cultrade.risk.culture`)                                       estimated
``language_proximity`` shared official or spoken language, 0-1                             static
``common_language``    common official language (CEPII ``comlang_off``), 0/1               static
``colonial_tie``       colonial relationship or common coloniser (``colony``, ``comcol``)  static
``distance``           km between the main cities (``dist``)                               static
``bilateral_tension``  conflict with the home against the dyad's own baseline              observed /
                       (:mod:`cultrade.risk.relations`)                                     nowcast
``sanctions``          sanction events between home and partner in the live stream         nowcast
=====================  ==================================================================  ==========

A pair that a source does not cover is missing, never 0: the index leaves it out and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cultrade.risk import culture, relations
from cultrade.risk.derived import pair_values
from cultrade.risk.geo import load_pairs
from cultrade.risk.nowcast import stream_dyads
from cultrade.risk.status import ESTIMATED, MISSING, NOWCAST, OBSERVED, STATIC
from cultrade.store import Store

HOFSTEDE_YEAR = 2015
HOME_DEPENDENT = ("kogut_singh", "language_proximity", "common_language", "colonial_tie", "distance",
                  "bilateral_tension", "sanctions")
ESTIMATED_ORIGINS = ("insights estimate", "regional")


@dataclass
class HomeInputs:
    """Everything the home-dependent indicators need, read from the store once."""

    hofstede: pd.DataFrame | None = None          # iso3 x dimension scores
    hofstede_origin: pd.DataFrame | None = None   # iso3 x dimension: official / insights / ... / regional
    pairs: pd.DataFrame | None = None             # GeoDist dyads: iso_o, iso_d, comlang_off, ..., dist
    languages: culture.LanguageSets = field(default_factory=dict)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)   # event_dyad_months
    stream: pd.DataFrame = field(default_factory=pd.DataFrame)    # monitor daily dyad counts


@dataclass
class HomeMeasure:
    values: np.ndarray
    status: np.ndarray
    source_year: np.ndarray
    note: str = ""
    cell_notes: dict[str, str] = field(default_factory=dict)


def load_home_inputs(store: Store, geodist: str | Path | None = None,
                     codes: set[str] | None = None) -> HomeInputs:
    """Read the tables behind the home-dependent indicators (only those ``codes`` need, if given)."""
    need = set(HOME_DEPENDENT) if codes is None else codes & set(HOME_DEPENDENT)
    out = HomeInputs()
    if "kogut_singh" in need and store.has_table("hofstede"):
        out.hofstede, out.hofstede_origin = culture.load_hofstede(store)
    if need & {"language_proximity", "common_language", "colonial_tie", "distance"}:
        out.pairs = load_pairs(store, geodist)
        if store.has_table("geodist_countries"):
            out.languages = culture.language_sets(store.frame("geodist_countries"))
    if "bilateral_tension" in need and store.has_table("event_dyad_months"):
        out.history = store.frame("event_dyad_months")
    if need & {"bilateral_tension", "sanctions"}:
        out.stream = stream_dyads(store)
    return out


def nowcast_years(inputs: HomeInputs | None, last: int, *, reach: int = 2) -> list[int]:
    """Years after ``last`` (the last year of structural data) that the live stream covers, within ``reach``."""
    if inputs is None or inputs.stream.empty:
        return []
    years = pd.to_datetime(inputs.stream["ts"]).dt.year.unique()
    return sorted(int(y) for y in years if last < y <= last + reach)


def _static(series: pd.Series, years: np.ndarray, countries: np.ndarray, ref_year: int | None,
            status: pd.Series | None = None) -> HomeMeasure:
    vec = series.reindex(pd.Index(countries)).to_numpy(dtype=float)
    present = ~np.isnan(vec)
    codes = np.full(len(countries), MISSING, dtype=np.uint8)
    if status is not None:
        codes = np.where(present, status.reindex(pd.Index(countries)).fillna(STATIC).to_numpy(dtype=np.uint8), codes)
    else:
        codes = np.where(present, STATIC, MISSING).astype(np.uint8)
    syear = np.where(present[None, :], float(ref_year) if ref_year else years[:, None].astype(float), np.nan)
    return HomeMeasure(np.repeat(vec[None, :], len(years), axis=0), np.repeat(codes[None, :], len(years), axis=0),
                       np.broadcast_to(syear, (len(years), len(countries))).copy())


def _yearly(frame: pd.DataFrame, years: np.ndarray, countries: np.ndarray, code: int) -> HomeMeasure:
    values = np.full((len(years), len(countries)), np.nan)
    if not frame.empty:
        yi = pd.Index(years).get_indexer(frame["year"].to_numpy())
        ci = pd.Index(countries).get_indexer(frame["partner"].to_numpy())
        ok = (yi >= 0) & (ci >= 0)
        values[yi[ok], ci[ok]] = frame["value"].to_numpy(dtype=float)[ok]
    present = ~np.isnan(values)
    return HomeMeasure(values, np.where(present, code, MISSING).astype(np.uint8),
                       np.where(present, years[:, None].astype(float), np.nan))


def _kogut_singh(inputs: HomeInputs, home: str, years: np.ndarray, countries: np.ndarray) -> HomeMeasure:
    empty = pd.Series(dtype=float)
    if inputs.hofstede is None or inputs.hofstede.empty:
        m = _static(empty, years, countries, None)
        m.note = "Hofstede scores are not loaded (cultrade ingest hofstede)"
        return m
    if home not in inputs.hofstede.index:
        m = _static(empty, years, countries, None)
        m.note = f"the home country {home} has no Hofstede scores: cultural distance is not available"
        return m
    ks = culture.kogut_singh(inputs.hofstede, home)
    origin = inputs.hofstede_origin
    status = pd.Series(STATIC, index=ks.index, dtype=np.uint8)
    notes: dict[str, str] = {}
    if origin is not None:
        shared = inputs.hofstede.notna() & inputs.hofstede.loc[home].notna()
        for iso3 in ks.dropna().index:
            used = origin.loc[iso3][shared.loc[iso3]]
            counts = used.value_counts()
            notes[str(iso3)] = "Hofstede: " + ", ".join(f"{n} {o}" for o, n in counts.items())
            if used.isin(ESTIMATED_ORIGINS).any():
                status[iso3] = ESTIMATED
        few = ks.index[ks.isna() & inputs.hofstede.notna().any(axis=1)]
        for iso3 in few:
            notes[str(iso3)] = (f"Hofstede: fewer than {culture.MIN_DIMENSIONS} dimensions shared with {home}: "
                                "no cultural distance")
    m = _static(ks, years, countries, HOFSTEDE_YEAR, status)
    m.cell_notes = notes
    return m


def home_measures(inputs: HomeInputs | None, home: str, years: np.ndarray, countries: np.ndarray,
                  codes: set[str]) -> dict[str, HomeMeasure]:
    """The home-dependent indicators ``codes`` for ``home``, each a :class:`HomeMeasure`."""
    inputs = inputs or HomeInputs()
    out: dict[str, HomeMeasure] = {}
    pairs = inputs.pairs
    no_geo = "CEPII GeoDist is not available (load it, or set CULTRADE_SHARED_DATA)"
    for code in codes:
        if code == "kogut_singh":
            out[code] = _kogut_singh(inputs, home, years, countries)
        elif code == "language_proximity":
            if not inputs.languages:
                out[code] = _static(pd.Series(dtype=float), years, countries, None)
                out[code].note = "GeoDist's country file is not loaded (cultrade ingest geodist_countries)"
            else:
                out[code] = _static(culture.language_proximity(inputs.languages, home, pairs), years, countries, None)
        elif code in ("common_language", "colonial_tie", "distance"):
            if pairs is None or pairs.empty:
                out[code] = _static(pd.Series(dtype=float), years, countries, None)
                out[code].note = no_geo
                continue
            column = {"common_language": "comlang_off", "distance": "dist"}.get(code)
            if column is not None:
                series = pair_values(pairs, home, column)
            else:
                series = pair_values(pairs, home, "colony")
                if "comcol" in pairs.columns:
                    comcol = pair_values(pairs, home, "comcol").reindex(series.index)
                    series = pd.Series(np.fmax(series.to_numpy(), comcol.to_numpy()), index=series.index)
            out[code] = _static(series, years, countries, None)
        elif code == "bilateral_tension":
            out[code] = _tension(inputs, home, years, countries)
        elif code == "sanctions":
            stream = relations.stream_counts(inputs.stream, home)
            out[code] = _yearly(relations.sanctions_counts(stream), years, countries, NOWCAST)
            if stream.empty:
                out[code].note = "no sanction events: the live event stream holds no dyads (cultrade monitor replay)"
    return out


def _tension(inputs: HomeInputs, home: str, years: np.ndarray, countries: np.ndarray) -> HomeMeasure:
    history = relations.yearly_conflicts(inputs.history, home) if not inputs.history.empty else pd.DataFrame()
    hist = relations.tension(history) if not history.empty else pd.DataFrame(columns=["year", "partner", "value"])
    m = _yearly(hist, years, countries, OBSERVED)
    stream = relations.stream_counts(inputs.stream, home)
    if not stream.empty:
        last_hist = int(hist["year"].max()) if not hist.empty else -1
        live = relations.stream_tension(stream[stream["year"] > last_hist], history if not history.empty else None)
        extra = _yearly(live, years, countries, NOWCAST)
        fill = np.isnan(m.values) & ~np.isnan(extra.values)
        m.values = np.where(fill, extra.values, m.values)
        m.status = np.where(fill, extra.status, m.status).astype(np.uint8)
        m.source_year = np.where(fill, extra.source_year, m.source_year)
    if history.empty:
        m.note = (f"no dyad history for {home}: relations come from the live event stream only, against the "
                  "home's conflict rate in the stream (a weaker baseline than the dyad's own history)"
                  if not stream.empty else f"no relations data for {home} (no dyad history, no live stream)")
    return m


__all__ = ["HOFSTEDE_YEAR", "HOME_DEPENDENT", "HomeInputs", "HomeMeasure", "home_measures", "load_home_inputs",
           "nowcast_years"]

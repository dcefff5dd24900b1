"""The raw panel: a dense years x countries x indicators cube read from the store.

:func:`build_panel` reads every enabled indicator of the framework from the ``indicators`` view, or
computes it (``source: derived``, see :mod:`cultrade.risk.economy`), shifts years by
``year_offset``, applies ``missing_means`` (UCDP: no row = no conflict) and records for each cell a
status (:mod:`cultrade.risk.status`) and the year it was observed in. Nothing is carried or imputed
across years here; the index does that, and flags it.

Home-dependent indicators (cultural distance, language, colonial ties, distance, relations and
sanctions) are filled by :meth:`Panel.with_home` from the inputs kept in :class:`HomeInputs`
(:mod:`cultrade.risk.home`), so the home country can change without reading the store again.

>>> p = Panel.from_arrays(np.array([[[1.0], [np.nan]]]), years=[2020], countries=["A", "B"], indicators=["x"])
>>> p.values.shape, p.status[0, :, 0].tolist()
((1, 2, 1), [1, 0])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import ConfigError
from cultrade.risk import derived as dv
from cultrade.risk import economy
from cultrade.risk.framework import Framework, Indicator
from cultrade.risk.home import HOME_DEPENDENT, HomeInputs, home_measures, load_home_inputs, nowcast_years
from cultrade.risk.nowcast import conflict_shares, daily_signals
from cultrade.risk.status import (
    CARRIED,
    FORECAST,
    IMPUTED,
    MISSING,
    NOWCAST,
    OBSERVED,
    OVERRIDDEN,
    RULE,
    STATIC,
    STATUS_NAMES,
    SUBSTITUTE,
    UNINFORMATIVE,
)
from cultrade.store import INDICATOR_VIEW, Store

FIRST_YEAR = 1996
_LAG_YEARS = 4
_FORECAST_CODES = {("owid", "gdp_growth_fcst")}
Getter = Callable[[tuple[str, str]], np.ndarray]


@dataclass
class Panel:
    """Dense arrays, axis order (year, country, indicator)."""

    years: np.ndarray
    countries: np.ndarray
    indicators: tuple[str, ...]
    values: np.ndarray
    status: np.ndarray
    source_year: np.ndarray
    derived_codes: dict[str, str] = field(default_factory=dict)
    home_inputs: HomeInputs | None = None
    notes: dict[str, str] = field(default_factory=dict)
    home: str | None = None
    cell_notes: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_arrays(cls, values: np.ndarray, *, years: Sequence[int], countries: Sequence[str],
                    indicators: Sequence[str]) -> Panel:
        """A panel from a plain cube (for tests and examples): non-NaN cells are observed."""
        values = np.asarray(values, dtype=float)
        if values.shape != (len(years), len(countries), len(indicators)):
            raise ConfigError(f"values have shape {values.shape}, expected "
                              f"{(len(years), len(countries), len(indicators))}",
                              hint="pass a years x countries x indicators array")
        observed = ~np.isnan(values)
        yrs = np.asarray(years, dtype=int)
        return cls(yrs, np.asarray(countries, dtype=object), tuple(indicators), values,
                   observed.astype(np.uint8) * OBSERVED,
                   np.where(observed, yrs[:, None, None], np.nan))

    def column(self, ident: str) -> int:
        try:
            return self.indicators.index(ident)
        except ValueError:
            raise ConfigError(f"indicator {ident!r} is not in the panel",
                              hint=f"use one of {', '.join(self.indicators)}") from None

    def with_home(self, home: str) -> Panel:
        """A copy with the home-dependent indicators computed for ``home``."""
        values, status, syear = self.values.copy(), self.status.copy(), self.source_year.copy()
        notes, cell_notes = dict(self.notes), dict(self.cell_notes)
        wanted = {ident: code for ident, code in self.derived_codes.items() if code in HOME_DEPENDENT}
        measures = home_measures(self.home_inputs, home, self.years, self.countries, set(wanted.values()))
        for ident, code in wanted.items():
            k = self.indicators.index(ident)
            m = measures[code]
            values[:, :, k], status[:, :, k], syear[:, :, k] = m.values, m.status, m.source_year
            if m.note:
                notes[ident] = m.note
            else:
                notes.pop(ident, None)
            cell_notes[ident] = m.cell_notes
        return replace(self, values=values, status=status, source_year=syear, notes=notes, home=home,
                       cell_notes=cell_notes)

    def without(self, iso3: str) -> Panel:
        """The panel without one economy (the home country is never its own target)."""
        keep = self.countries != iso3
        if keep.all():
            return self
        return replace(self, countries=self.countries[keep], values=self.values[:, keep],
                       status=self.status[:, keep], source_year=self.source_year[:, keep])


def _universe(store: Store) -> list[str]:
    """Countries scored: every current ISO3 economy the World Bank series (WGI or WDI) cover."""
    if not _has_relation(store, INDICATOR_VIEW):
        return []
    rows = store.con.execute(
        f"SELECT DISTINCT iso3 FROM {INDICATOR_VIEW} WHERE source IN ('wgi', 'wdi')").fetchall()
    known = get_countries().table
    current = set(known.loc[~known["historical"], "iso3"])
    return sorted(r[0] for r in rows if r[0] in current)


def _has_relation(store: Store, name: str) -> bool:
    """A table or a view (``Store.has_table`` may list base tables only)."""
    row = store.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
                            "AND table_name = ?", [name]).fetchall()
    return bool(row and row[0][0])


def _series(store: Store, wanted: set[tuple[str, str]]) -> pd.DataFrame:
    if not wanted or not _has_relation(store, INDICATOR_VIEW):
        return pd.DataFrame(columns=["source", "indicator", "iso3", "year", "value"])
    keys = pd.DataFrame(sorted(wanted), columns=["source", "indicator"])
    store.con.register("_risk_keys", keys)
    try:
        return store.con.execute(
            f"SELECT v.source, v.indicator, v.iso3, v.year, v.value FROM {INDICATOR_VIEW} v "
            "JOIN _risk_keys k USING (source, indicator) WHERE v.value IS NOT NULL").df()
    finally:
        store.con.unregister("_risk_keys")


def cube(frame: pd.DataFrame, years: np.ndarray, countries: Sequence[str], offset: int = 0) -> np.ndarray:
    """A (years, countries) array from a long frame with iso3, year and value columns."""
    out = np.full((len(years), len(countries)), np.nan)
    if frame.empty:
        return out
    yi = pd.Index(years).get_indexer(pd.Index(frame["year"].to_numpy() + offset))
    ci = pd.Index(countries).get_indexer(pd.Index(frame["iso3"].to_numpy()))
    ok = (yi >= 0) & (ci >= 0)
    out[yi[ok], ci[ok]] = frame["value"].to_numpy(dtype=float)[ok]
    return out


CPI, DEFLATOR, FX_WDI = ("wdi", "FP.CPI.TOTL.ZG"), ("wdi", "NY.GDP.DEFL.KD.ZG"), ("wdi", "PA.NUS.FCRF")
GROWTH_OBS, GROWTH_FCST = ("owid", "gdp_growth_obs"), ("owid", "gdp_growth_fcst")
GDP, POP, FDI = ("wdi", "NY.GDP.MKTP.CD"), ("wdi", "SP.POP.TOTL"), ("wdi", "BX.KLT.DINV.WD.GD.ZS")
CONFLICTS = ("ucdp", "n_conflicts")
_DERIVED_INPUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "gdp_growth": (GROWTH_OBS, GROWTH_FCST),
    "gdp_growth_3y": (GROWTH_OBS, GROWTH_FCST),
    "gdp_per_head": (GDP, POP),
    "inflation": (CPI, DEFLATOR),
    "fx_depreciation": (FX_WDI, CPI, DEFLATOR),
    "fx_volatility": (FX_WDI, CPI, DEFLATOR),
    "reserves_gdp": (("wdi", "FI.RES.TOTL.CD"), GDP),
    "fdi_inflows": (FDI,),
    "neighbour_conflict": (CONFLICTS,),
}


def build_panel(store: Store, framework: Framework, *, years: Sequence[int] | None = None,
                home: str = "CHN", geodist: str | Path | None = None,
                exclude_sources: Sequence[str] = ()) -> Panel:
    """Read every enabled indicator of ``framework`` into a :class:`Panel` for ``home``."""
    inds = [i for _, _, i in framework.indicators() if i.source not in exclude_sources]
    wanted = {(i.source, i.code) for i in inds if i.source != "derived"}
    for i in inds:
        wanted |= set(_DERIVED_INPUTS.get(i.code, ())) if i.source == "derived" else set()
    data = _series(store, wanted)
    groups: dict[tuple[str, str], pd.DataFrame] = {
        (str(key[0]), str(key[1])): g for key, g in data.groupby(["source", "indicator"])}
    countries = _universe(store)
    if not countries:
        raise ConfigError("no country has World Bank data (WGI or WDI) in the store",
                          path=store.path, hint="load WGI and WDI first: `cultrade ingest wgi ...`")
    codes = {i.code for i in inds if i.source == "derived"}
    home_inputs = load_home_inputs(store, geodist, codes)
    if years is None:
        last = _last_year(inds, groups)
        live = nowcast_years(home_inputs, last)
        if "event_conflict_share" in codes:
            signal_years = conflict_shares(daily_signals(store))["year"]
            live += [int(y) for y in signal_years if last < int(y) <= last + 2]
        years = range(FIRST_YEAR, max([last, *live]) + 1)
    out_years = np.asarray(sorted(set(int(y) for y in years)), dtype=int)
    if out_years.size == 0:
        raise ConfigError("no years to score", hint="pass years=range(1996, 2025) or leave it out")
    ext = np.arange(out_years[0] - _LAG_YEARS, out_years[-1] + 1)
    keep = np.isin(ext, out_years)
    notes: dict[str, str] = {}
    cols: list[np.ndarray] = []
    stats: list[np.ndarray] = []
    ids: list[str] = []
    derived_codes: dict[str, str] = {}
    empty = pd.DataFrame(columns=["iso3", "year", "value"])

    def get(key: tuple[str, str], offset: int = 0) -> np.ndarray:
        return cube(groups.get(key, empty), ext, countries, offset)

    for ind in inds:
        status = None
        if ind.source == "derived":
            derived_codes[ind.id] = ind.code
            values, status, note = _derived(ind, get, store, ext, countries)
        elif (ind.source, ind.code) in groups:
            values, note = get((ind.source, ind.code), ind.year_offset), ""
        else:
            notes[ind.id] = _not_loaded(ind)
            continue
        if note:
            notes[ind.id] = note
        if status is None:
            status = np.where(np.isnan(values), MISSING, OBSERVED).astype(np.uint8)
        if ind.missing_means is not None and (ind.source, ind.code) in groups:
            span = groups[(ind.source, ind.code)]["year"]
            inside = ((ext >= span.min() + ind.year_offset) & (ext <= span.max() + ind.year_offset))[:, None]
            fill = np.isnan(values) & inside
            values = np.where(fill, ind.missing_means, values)
            status = np.where(fill, RULE, status).astype(np.uint8)
        ids.append(ind.id)
        cols.append(values[keep])
        stats.append(status[keep])
    if not ids:
        raise ConfigError("none of the framework's indicators has data in the store", path=store.path,
                          hint="load WGI, WDI, OWID and UCDP with `cultrade ingest`")
    values = np.stack(cols, axis=2)
    status = np.stack(stats, axis=2).astype(np.uint8)
    present = ~np.isin(status, (MISSING, UNINFORMATIVE))
    syear = np.where(present, out_years[:, None, None].astype(float), np.nan)
    panel = Panel(out_years, np.asarray(countries, dtype=object), tuple(ids), values, status, syear,
                  derived_codes, home_inputs, notes)
    return panel.with_home(home)


def _not_loaded(ind: Indicator) -> str:
    """Why an indicator has no data, and what to do."""
    from cultrade.sources import available

    if ind.source not in available():
        return (f"source {ind.source!r} is not loaded and no adapter has this name: check the framework's "
                f"`source:` (adapters: {', '.join(sorted(available()))})")
    what = "optional source not loaded" if ind.optional else "source not loaded"
    return f"{what}: {ind.source} {ind.code} (load it with `cultrade ingest {ind.source} FILE`)"


def _last_year(inds: Sequence[Indicator], groups: dict[tuple[str, str], pd.DataFrame]) -> int:
    """The latest data year (after ``year_offset``) of any observed, non-forecast series in use."""
    last = FIRST_YEAR
    for ind in inds:
        keys = _DERIVED_INPUTS.get(ind.code, ()) if ind.source == "derived" else ((ind.source, ind.code),)
        for key in keys:
            if key in groups and key not in _FORECAST_CODES:
                last = max(last, int(groups[key]["year"].max()) + (0 if ind.source == "derived" else ind.year_offset))
    return last


def _derived(ind: Indicator, get: Getter, store: Store, ext: np.ndarray,
             countries: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None, str]:
    code = ind.code
    shape = (len(ext), len(countries))
    if code in ("gdp_growth", "gdp_growth_3y"):
        fn = economy.growth if code == "gdp_growth" else economy.growth_3y
        values, status = fn(get(GROWTH_OBS), get(GROWTH_FCST))
        return values, status, ""
    if code == "gdp_per_head":
        return (*economy.per_head(get(GDP), get(POP)), "")
    if code == "inflation":
        return (*economy.inflation(get(CPI), get(DEFLATOR)), "")
    if code in ("fx_depreciation", "fx_volatility"):
        infl, _ = economy.inflation(get(CPI), get(DEFLATOR))
        pos = list(countries).index("USA") if "USA" in countries else -1
        us = infl[:, pos] if pos >= 0 else np.full(len(ext), np.nan)
        out = economy.exchange_rate(get(FX_WDI), _h10(store, ext, countries), infl, us,
                                    years=ext, countries=np.asarray(countries, dtype=object))
        return (*out[code], "" if pos >= 0 else "US inflation missing: pegged official rates are not detected")
    if code == "reserves_gdp":
        return dv.ratio_pct(get(("wdi", "FI.RES.TOTL.CD")), get(GDP)), None, ""
    if code == "fdi_inflows":
        return (*economy.fdi(get(FDI)), "")
    if code == "neighbour_conflict":
        return _neighbour_conflict(get(CONFLICTS), store, countries)
    if code == "event_conflict_share":
        shares = conflict_shares(daily_signals(store))
        values = cube(shares, ext, countries)
        note = "" if not shares.empty else "no event-stream signals in the store (cultrade monitor replay)"
        return values, np.where(np.isnan(values), MISSING, NOWCAST).astype(np.uint8), note
    if code == "fx_volatility_monthly":
        if not store.has_table("fx_rates"):
            return np.full(shape, np.nan), None, "fx_rates (FRED H.10) is not loaded"
        monthly = store.frame("fx_rates")
        monthly = monthly[(monthly["frequency"] == "monthly") & monthly["iso3"].notna()]
        return cube(dv.monthly_volatility(monthly[["iso3", "date", "rate"]]), ext, countries), None, ""
    # home-dependent: filled by Panel.with_home
    return np.full(shape, np.nan), np.full(shape, MISSING, dtype=np.uint8), ""


def _neighbour_conflict(conflicts: np.ndarray, store: Store, countries: Sequence[str]
                        ) -> tuple[np.ndarray, np.ndarray, str]:
    """Land neighbours (GeoDist contiguity) with an armed conflict on their territory (UCDP) that year."""
    from cultrade.risk.geo import load_pairs

    pairs = load_pairs(store)
    shape = conflicts.shape
    if pairs is None or "contig" not in pairs.columns:
        return np.full(shape, np.nan), np.full(shape, MISSING, dtype=np.uint8), "GeoDist contiguity is not loaded"
    pos = pd.Index(countries)
    near = pairs[pairs["contig"] == 1]
    o, d = pos.get_indexer(pd.Index(near["iso_o"])), pos.get_indexer(pd.Index(near["iso_d"]))
    ok = (o >= 0) & (d >= 0) & (o != d)
    adj = np.zeros((len(countries), len(countries)))
    adj[o[ok], d[ok]] = 1.0
    adj = np.maximum(adj, adj.T)
    covered = ~np.isnan(conflicts).all(axis=1)  # UCDP's years: a country without a row has no conflict
    at_war = (np.nan_to_num(conflicts) > 0).astype(float)
    values = np.where(covered[:, None], at_war @ adj, np.nan)
    return values, np.where(np.isnan(values), MISSING, RULE).astype(np.uint8), ""


def _h10(store: Store, ext: np.ndarray, countries: Sequence[str]) -> np.ndarray:
    """Yearly averages of the monthly H.10 quotes (in each country's latest currency unit)."""
    from cultrade.risk.fx import h10_annual

    if not store.has_table("fx_rates"):
        return np.full((len(ext), len(countries)), np.nan)
    monthly = store.frame("fx_rates")
    monthly = monthly[monthly["frequency"] == "monthly"][["iso3", "date", "currency", "rate"]]
    return cube(h10_annual(monthly), ext, countries)


__all__ = [
    "CARRIED",
    "FORECAST",
    "HOME_DEPENDENT",
    "IMPUTED",
    "MISSING",
    "NOWCAST",
    "OBSERVED",
    "OVERRIDDEN",
    "RULE",
    "STATIC",
    "STATUS_NAMES",
    "SUBSTITUTE",
    "UNINFORMATIVE",
    "Panel",
    "build_panel",
    "cube",
]

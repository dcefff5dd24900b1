"""The raw panel: a dense years x countries x indicators cube read from the store.

:func:`build_panel` reads every enabled indicator of the framework from the
``indicators`` view (or computes it, for ``source: derived``), shifts years by
``year_offset``, applies ``missing_means`` (UCDP: no row = no conflict) and
records for each cell a status and the year it was observed in. Nothing is
imputed here; the index does that, and flags it.

Home-dependent indicators (Kogut-Singh distance, common language, colonial
tie, distance) are filled by :meth:`Panel.with_home` from the Hofstede and
GeoDist tables kept in the panel, so the home country can change without
reading the store again.

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
from cultrade.risk.framework import Framework, Indicator
from cultrade.risk.geo import load_pairs
from cultrade.store import INDICATOR_VIEW, Store

# Cell status codes (uint8), shared by the index and the explanations.
MISSING, OBSERVED, RULE, FORECAST, STATIC, CARRIED, OVERRIDDEN = range(7)
STATUS_NAMES = ("missing", "observed", "missing means zero", "forecast", "static", "carried", "override")
HOME_DEPENDENT = ("kogut_singh", "common_language", "colonial_tie", "distance")
HOFSTEDE_YEAR = 2015
FIRST_YEAR = 1996
_LAG_YEARS = 4
_FORECAST_CODES = {("owid", "gdp_growth_fcst")}


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
    hofstede: pd.DataFrame | None = None
    pairs: pd.DataFrame | None = None
    notes: dict[str, str] = field(default_factory=dict)
    home: str | None = None

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
        """A copy with the home-dependent indicators computed for ``home`` (static across years)."""
        values, status, syear = self.values.copy(), self.status.copy(), self.source_year.copy()
        notes = dict(self.notes)
        for ident, code in self.derived_codes.items():
            if code not in HOME_DEPENDENT:
                continue
            k = self.indicators.index(ident)
            series, ref_year, note = self._home_series(code, home)
            vec = series.reindex(pd.Index(self.countries)).to_numpy(dtype=float)
            values[:, :, k] = vec[None, :]
            present = ~np.isnan(vec)
            status[:, :, k] = np.where(present, STATIC, MISSING)[None, :]
            syear[:, :, k] = np.where(present[None, :], ref_year if ref_year else self.years[:, None], np.nan)
            if note:
                notes[ident] = note
        return replace(self, values=values, status=status, source_year=syear, notes=notes, home=home)

    def _home_series(self, code: str, home: str) -> tuple[pd.Series, int | None, str]:
        empty = pd.Series(dtype=float)
        if code == "kogut_singh":
            if self.hofstede is None or self.hofstede.empty:
                return empty, None, "Hofstede scores are not loaded (cultrade ingest hofstede)"
            if home not in self.hofstede.index:
                return empty, None, f"home country {home} has no Hofstede scores"
            return dv.kogut_singh(self.hofstede, home), HOFSTEDE_YEAR, ""
        if self.pairs is None or self.pairs.empty:
            return empty, None, "CEPII GeoDist is not available (load it, or set CULTRADE_SHARED_DATA)"
        column = {"common_language": "comlang_off", "distance": "dist"}.get(code)
        if column is not None:
            return dv.pair_values(self.pairs, home, column), None, ""
        colony = dv.pair_values(self.pairs, home, "colony")
        if "comcol" in self.pairs.columns:
            comcol = dv.pair_values(self.pairs, home, "comcol").reindex(colony.index)
            colony = pd.Series(np.fmax(colony.to_numpy(), comcol.to_numpy()), index=colony.index)
        return colony, None, ""


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


def _cube(frame: pd.DataFrame, years: np.ndarray, countries: Sequence[str], offset: int = 0) -> np.ndarray:
    out = np.full((len(years), len(countries)), np.nan)
    if frame.empty:
        return out
    yi = pd.Index(years).get_indexer(pd.Index(frame["year"].to_numpy() + offset))
    ci = pd.Index(countries).get_indexer(pd.Index(frame["iso3"].to_numpy()))
    ok = (yi >= 0) & (ci >= 0)
    out[yi[ok], ci[ok]] = frame["value"].to_numpy(dtype=float)[ok]
    return out


_DERIVED_INPUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "gdp_growth": (("owid", "gdp_growth_obs"), ("owid", "gdp_growth_fcst")),
    "fx_depreciation": (("wdi", "PA.NUS.FCRF"),),
    "fx_volatility": (("wdi", "PA.NUS.FCRF"),),
    "reserves_gdp": (("wdi", "FI.RES.TOTL.CD"), ("wdi", "NY.GDP.MKTP.CD")),
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
    if years is None:
        years = range(FIRST_YEAR, _last_year(inds, groups) + 1)
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

    def get(key: tuple[str, str], offset: int = 0) -> np.ndarray:
        return _cube(groups.get(key, pd.DataFrame(columns=["iso3", "year", "value"])), ext, countries, offset)

    for ind in inds:
        status = None
        if ind.source == "derived":
            derived_codes[ind.id] = ind.code
            values, status, note = _derived(ind, get, store, ext, countries)
        elif (ind.source, ind.code) in groups:
            values, note = get((ind.source, ind.code), ind.year_offset), ""
        else:
            what = "optional source not loaded" if ind.optional else "source not loaded"
            notes[ind.id] = f"{what}: {ind.source} {ind.code} (load it with `cultrade ingest {ind.source}`)"
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
    present = status != MISSING
    syear = np.where(present, out_years[:, None, None].astype(float), np.nan)
    hof = _hofstede(store)
    panel = Panel(out_years, np.asarray(countries, dtype=object), tuple(ids), values, status, syear,
                  derived_codes, hof, load_pairs(store, geodist), notes)
    return panel.with_home(home)


def _last_year(inds: Sequence[Indicator], groups: dict[tuple[str, str], pd.DataFrame]) -> int:
    """The latest data year (after ``year_offset``) of any observed, non-forecast series in use."""
    last = FIRST_YEAR
    for ind in inds:
        keys = _DERIVED_INPUTS.get(ind.code, ()) if ind.source == "derived" else ((ind.source, ind.code),)
        for key in keys:
            if key in groups and key not in _FORECAST_CODES:
                last = max(last, int(groups[key]["year"].max()) + (0 if ind.source == "derived" else ind.year_offset))
    return last


def _derived(ind: Indicator, get: Callable[[tuple[str, str]], np.ndarray], store: Store, ext: np.ndarray,
             countries: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None, str]:
    code = ind.code
    shape = (len(ext), len(countries))
    if code == "gdp_growth":
        values, used = dv.prefer(get(("owid", "gdp_growth_obs")), get(("owid", "gdp_growth_fcst")))
        status = np.where(np.isnan(values), MISSING, np.where(used, FORECAST, OBSERVED)).astype(np.uint8)
        return values, status, ""
    if code == "fx_depreciation":
        return dv.depreciation(get(("wdi", "PA.NUS.FCRF"))), None, ""
    if code == "fx_volatility":
        return dv.log_change_volatility(get(("wdi", "PA.NUS.FCRF"))), None, ""
    if code == "reserves_gdp":
        return dv.ratio_pct(get(("wdi", "FI.RES.TOTL.CD")), get(("wdi", "NY.GDP.MKTP.CD"))), None, ""
    if code == "fx_volatility_monthly":
        if not store.has_table("fx_rates"):
            return np.full(shape, np.nan), None, "fx_rates (FRED H.10) is not loaded"
        monthly = store.con.execute(
            "SELECT iso3, date, rate FROM fx_rates WHERE frequency = 'monthly' AND iso3 <> ''").df()
        vol = dv.monthly_volatility(monthly).rename(columns={"value": "value"})
        return _cube(vol, ext, countries), None, ""
    # home-dependent: filled by Panel.with_home
    return np.full(shape, np.nan), np.full(shape, MISSING, dtype=np.uint8), ""


def _hofstede(store: Store) -> pd.DataFrame | None:
    if not store.has_table("hofstede"):
        return None
    df = store.frame("hofstede")
    dims = [d for d in dv.HOFSTEDE_DIMENSIONS if d in df.columns]
    if "dataset" in df.columns:  # the official matrix first, the scrape fills gaps
        df = df.assign(_o=(df["dataset"] != "official").astype(int)).sort_values("_o")
    table = df.groupby("iso3")[dims].first()
    return table.dropna(how="all")


__all__ = [
    "CARRIED",
    "FORECAST",
    "HOME_DEPENDENT",
    "MISSING",
    "OBSERVED",
    "OVERRIDDEN",
    "RULE",
    "STATIC",
    "STATUS_NAMES",
    "Panel",
    "build_panel",
]

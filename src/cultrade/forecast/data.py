"""Everything the forecasts read from the store, read once: :func:`load_data` -> :class:`ForecastData`.

The risk panel (for the index dimensions and bands), a few raw indicator
series as dense year x country arrays, the UCDP conflict history from 1946,
and land neighbours (CEPII GeoDist ``contig``). Countries are those of the risk
panel (every current economy with World Bank data).

:meth:`ForecastData.index_as_of` rebuilds the risk index from the panel cut at
a year, so that nothing after that year shapes it: later years are dropped
before carrying, winsorising and min-max fitting, and the IMF growth cells
filled from the (current-vintage) WEO forecast are treated as missing.

>>> sorted(RAW_SERIES)[:3]
['fh', 'fsi', 'gdp']
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from cultrade.errors import ConfigError
from cultrade.risk.framework import Framework, load_framework
from cultrade.risk.index import RiskIndex
from cultrade.risk.panel import FORECAST, MISSING, Panel, build_panel
from cultrade.store import INDICATOR_VIEW, Store

# name -> (source, indicator, year_offset); FSI and Freedom House editions describe the previous year.
RAW_SERIES: dict[str, tuple[str, str, int]] = {
    "wgi_pv": ("wgi", "pv", 0), "wgi_rl": ("wgi", "rl", 0), "wgi_cc": ("wgi", "cc", 0),
    "wgi_va": ("wgi", "va", 0), "wgi_ge": ("wgi", "ge", 0), "wgi_rq": ("wgi", "rq", 0),
    "growth": ("owid", "gdp_growth_obs", 0), "inflation": ("wdi", "FP.CPI.TOTL.ZG", 0),
    "pop": ("wdi", "SP.POP.TOTL", 0), "gdp": ("wdi", "NY.GDP.MKTP.CD", 0),
    "internet": ("wdi", "IT.NET.USER.ZS", 0), "milex": ("sipri", "milex_current_usd_m", 0),
    "fsi": ("fsi", "Total", -1), "fh": ("freedom_house", "Total", -1),
}
CONFLICT_SERIES = {"n_conflicts": ("ucdp", "n_conflicts"), "intensity": ("ucdp", "max_intensity"),
                   "wars": ("ucdp", "n_war_level")}
_GEO_ALIASES = {"ROM": "ROU", "ZAR": "COD", "TMP": "TLS", "YUG": "SRB", "PAL": "PSE"}


@dataclass
class ForecastData:
    """The inputs of the forecasts, as arrays aligned on ``years`` (rows) and ``countries`` (columns)."""

    panel: Panel
    framework: Framework
    home: str
    domain: str
    years: np.ndarray                       # years of the raw arrays (1946 .. last data year)
    countries: np.ndarray
    raw: dict[str, np.ndarray]              # name -> (len(years), len(countries)); NaN = no value
    conflict: np.ndarray                    # n_conflicts with 0 inside the UCDP years, NaN outside
    intensity: np.ndarray
    wars: np.ndarray
    neighbours: np.ndarray                  # (C, C) boolean land contiguity
    ucdp_last: int | None                   # last year UCDP covers (absence of a row = no conflict up to it)
    band_last: int                          # last year whose bands rest on observed WGI (not carried)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def first_year(self) -> int:
        return int(self.panel.years[0])

    @property
    def last_year(self) -> int:
        return int(self.panel.years[-1])

    def row(self, year: int) -> int:
        return int(year) - int(self.years[0])

    def index_as_of(self, as_of: int | None = None) -> RiskIndex:
        """The risk index built from panel years <= ``as_of`` (all years when None), forecasts masked."""
        last = self.last_year if as_of is None else min(int(as_of), self.last_year)
        if last < self.first_year:
            raise ConfigError(f"no index year before {self.first_year}", hint="pick a later origin year")
        key = ("index", last)
        if key not in self._cache:
            p = self.panel
            k = int(np.searchsorted(p.years, last, side="right"))
            status = p.status[:k].copy()
            fcst = status == FORECAST
            values = np.where(fcst, np.nan, p.values[:k])
            status[fcst] = MISSING
            sliced = replace(p, years=p.years[:k], values=values, status=status,
                             source_year=np.where(fcst, np.nan, p.source_year[:k]))
            self._cache[key] = RiskIndex(sliced, self.framework, home=self.home, domain=self.domain,
                                         use_overrides=False)
        idx: RiskIndex = self._cache[key]
        return idx


def _query(store: Store, keys: list[tuple[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(keys, columns=["source", "indicator"])
    store.con.register("_fc_keys", frame)
    try:
        return store.con.execute(
            f"SELECT v.source, v.indicator, v.iso3, v.year, v.value FROM {INDICATOR_VIEW} v "
            "JOIN _fc_keys k USING (source, indicator) WHERE v.value IS NOT NULL").df()
    finally:
        store.con.unregister("_fc_keys")


def _dense(df: pd.DataFrame, years: np.ndarray, countries: np.ndarray, offset: int = 0) -> np.ndarray:
    out = np.full((len(years), len(countries)), np.nan)
    if df.empty:
        return out
    yi = pd.Index(years).get_indexer(pd.Index(df["year"].to_numpy() + offset))
    ci = pd.Index(countries).get_indexer(pd.Index(df["iso3"].to_numpy()))
    ok = (yi >= 0) & (ci >= 0)
    out[yi[ok], ci[ok]] = df["value"].to_numpy(dtype=float)[ok]
    return out


def _neighbours(store: Store, countries: np.ndarray) -> np.ndarray:
    adj = np.zeros((len(countries), len(countries)), dtype=bool)
    if not store.has_table("geodist_pairs"):
        return adj
    cols = {r[0] for r in store.con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'geodist_pairs'").fetchall()}
    if not {"iso3_o", "iso3_d", "contig"} <= cols:
        return adj
    pairs = store.con.execute("SELECT iso3_o, iso3_d FROM geodist_pairs WHERE contig = 1").df()
    pos = pd.Index(countries)
    o = pos.get_indexer(pairs["iso3_o"].str.upper().replace(_GEO_ALIASES))
    d = pos.get_indexer(pairs["iso3_d"].str.upper().replace(_GEO_ALIASES))
    ok = (o >= 0) & (d >= 0) & (o != d)
    adj[o[ok], d[ok]] = True
    return adj | adj.T


def load_data(store: Store, home: str = "CHN", domain: str = "general",
              framework: Framework | None = None) -> ForecastData:
    """Read the store once: the risk panel, the raw series, UCDP and land neighbours."""
    fw = framework or load_framework()
    panel = build_panel(store, fw, home=home.upper())
    countries = panel.countries
    keys = sorted({(s, c) for s, c, _ in RAW_SERIES.values()} | set(CONFLICT_SERIES.values()))
    data = _query(store, keys)
    groups = {(str(k[0]), str(k[1])): g for k, g in data.groupby(["source", "indicator"])}
    ucdp = data[data["source"] == "ucdp"]
    ucdp_first = int(ucdp["year"].min()) if not ucdp.empty else None
    ucdp_last = int(ucdp["year"].max()) if not ucdp.empty else None
    first = min(ucdp_first or panel.years[0], int(panel.years[0])) - 1
    last = max(ucdp_last or 0, int(panel.years[-1]))
    years = np.arange(first, last + 1)
    empty = pd.DataFrame(columns=["iso3", "year", "value"])
    raw = {name: _dense(groups.get((s, c), empty), years, countries, off) for name, (s, c, off) in RAW_SERIES.items()}
    conf = {}
    inside = np.zeros(len(years), dtype=bool)
    if ucdp_first is not None and ucdp_last is not None:
        inside = (years >= ucdp_first) & (years <= ucdp_last)
    for name, key in CONFLICT_SERIES.items():
        dense = _dense(groups.get(key, empty), years, countries)
        conf[name] = np.where(inside[:, None], np.nan_to_num(dense, nan=0.0), np.nan)
    wgi = data[data["source"] == "wgi"]
    band_last = int(wgi["year"].max()) if not wgi.empty else int(panel.years[-1])
    return ForecastData(panel, fw, home.upper(), domain, years, countries, raw, conf["n_conflicts"],
                        conf["intensity"], conf["wars"], _neighbours(store, countries), ucdp_last,
                        min(band_last, int(panel.years[-1])))


__all__ = ["CONFLICT_SERIES", "RAW_SERIES", "ForecastData", "load_data"]

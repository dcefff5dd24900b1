"""Everything the forecasts read from the store, read once: :func:`load_data` -> :class:`ForecastData`.

The risk panel (for the index dimensions and bands), a few raw indicator
series as dense year x country arrays, the series behind the adverse events
(:func:`cultrade.risk.events.load_event_data`: UCDP conflicts from 1946, the
index's corrected depreciation, inflation, observed growth), the WGI-average
baseline (:func:`cultrade.risk.validate.baselines`) and land neighbours (CEPII
GeoDist ``contig``). Countries are those of the risk panel (every current
economy with World Bank data, the home economy excluded).

:attr:`ForecastData.complete_year` is the latest *complete* data year: the last
year with observed WGI for at least :data:`COMPLETE_SHARE` of the countries
WGI covers in its best year, and covered by UCDP. Later panel years only carry
WGI forward, so forecasts default to it and labels stop there.

:meth:`ForecastData.index_as_of` rebuilds the risk index from the panel cut at
a year, so that nothing after that year shapes it: later years are dropped
before carrying, winsorising and min-max fitting, and the IMF growth cells
filled from the (current-vintage) WEO forecast are treated as missing.

>>> sorted(RAW_SERIES)[:3]
['fh', 'fsi', 'gdp']
>>> complete_year(np.array([2021, 2022, 2023, 2024]), np.array([200, 210, 205, 12]), ucdp_last=2024)
2023
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from cultrade.errors import ConfigError
from cultrade.risk.events import EventData, load_event_data
from cultrade.risk.framework import Framework, load_framework
from cultrade.risk.index import RiskIndex
from cultrade.risk.panel import FORECAST, MISSING, Panel, _series, build_panel, cube
from cultrade.risk.validate import WGI_CODES, baselines
from cultrade.store import Store

# name -> (source, indicator, year_offset); FSI and Freedom House editions describe the previous year.
RAW_SERIES: dict[str, tuple[str, str, int]] = {
    "wgi_pv": ("wgi", "pv", 0), "wgi_rl": ("wgi", "rl", 0), "wgi_cc": ("wgi", "cc", 0),
    "wgi_va": ("wgi", "va", 0), "wgi_ge": ("wgi", "ge", 0), "wgi_rq": ("wgi", "rq", 0),
    "pop": ("wdi", "SP.POP.TOTL", 0), "gdp": ("wdi", "NY.GDP.MKTP.CD", 0),
    "reserves": ("wdi", "FI.RES.TOTL.CD", 0), "trade": ("owid", "NE.TRD.GNFS.ZS", 0),
    "internet": ("wdi", "IT.NET.USER.ZS", 0), "milex": ("sipri", "milex_current_usd_m", 0),
    "fsi": ("fsi", "Total", -1), "fh": ("freedom_house", "Total", -1),
}
CONFLICT_SERIES = {"intensity": ("ucdp", "max_intensity"), "wars": ("ucdp", "n_war_level")}
COMPLETE_SHARE = 0.9
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
    events: EventData                       # the adverse-event series, on ``years`` x ``countries``
    intensity: np.ndarray                   # UCDP, 0 inside its years, NaN outside
    wars: np.ndarray
    wgi_average: np.ndarray                 # minus the mean of the six WGI estimates (NaN unless all six)
    neighbours: np.ndarray                  # (C, C) boolean land contiguity
    ucdp_last: int | None                   # last year UCDP covers (absence of a row = no conflict up to it)
    complete_year: int                      # the latest complete data year (see the module docstring)
    sources: tuple[str, ...] = ()           # the loaded sources with observations, as "name (vintage)"
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def conflict(self) -> np.ndarray:
        """UCDP conflicts on the territory: 0 inside UCDP's years, NaN outside (the events' series)."""
        return self.events.conflict

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


def complete_year(years: np.ndarray, wgi_counts: np.ndarray, ucdp_last: int | None,
                  share: float = COMPLETE_SHARE) -> int:
    """The last of ``years`` whose WGI count reaches ``share`` of the best year's, and that UCDP covers."""
    counts = np.asarray(wgi_counts, dtype=float)
    ok = counts >= share * counts.max() if counts.size and counts.max() > 0 else np.ones(len(years), dtype=bool)
    if ucdp_last is not None:
        ok &= np.asarray(years) <= ucdp_last
    return int(np.asarray(years)[ok][-1]) if ok.any() else int(years[-1])


def load_data(store: Store, home: str = "CHN", domain: str = "general",
              framework: Framework | None = None) -> ForecastData:
    """Read the store once: the risk panel, the raw and event series, the WGI baseline and land neighbours."""
    fw = framework or load_framework()
    panel = build_panel(store, fw, home=home.upper())
    keep = panel.countries != home.upper()  # the home economy is never a target
    countries = panel.countries[keep]
    keys = sorted({(s, c) for s, c, _ in RAW_SERIES.values()} | set(CONFLICT_SERIES.values()))
    data = _series(store, set(keys))
    groups = {(str(k[0]), str(k[1])): g for k, g in data.groupby(["source", "indicator"])}
    ucdp = data[data["source"] == "ucdp"]
    ucdp_first = int(ucdp["year"].min()) if not ucdp.empty else None
    ucdp_last = int(ucdp["year"].max()) if not ucdp.empty else None
    first = min(ucdp_first or panel.years[0], int(panel.years[0])) - 1
    last = max(ucdp_last or 0, int(panel.years[-1]))
    years = np.arange(first, last + 1)
    empty = pd.DataFrame(columns=["iso3", "year", "value"])
    raw = {name: cube(groups.get((s, c), empty), years, countries, off) for name, (s, c, off) in RAW_SERIES.items()}
    conf = {}
    inside = np.zeros(len(years), dtype=bool)
    if ucdp_first is not None and ucdp_last is not None:
        inside = (years >= ucdp_first) & (years <= ucdp_last)
    for name, key in CONFLICT_SERIES.items():
        dense = cube(groups.get(key, empty), years, countries)
        conf[name] = np.where(inside[:, None], np.nan_to_num(dense, nan=0.0), np.nan)
    every = load_event_data(store, years.tolist(), panel.countries.astype(str).tolist())  # USA for the PPP pegs
    events = replace(every, countries=countries, conflict=every.conflict[:, keep],
                     depreciation=every.depreciation[:, keep], inflation=every.inflation[:, keep],
                     growth=every.growth[:, keep])
    base = baselines(store)[["iso3", "year", "baseline_wgi"]].rename(columns={"baseline_wgi": "value"})
    wgi_average = cube(base.dropna(), years, countries)
    wgi_all = np.stack([raw[f"wgi_{c}"] for c in WGI_CODES])
    panel_years = (years >= panel.years[0]) & (years <= panel.years[-1])
    counts = (~np.isnan(wgi_all)).all(axis=0).sum(axis=1)[panel_years]
    return ForecastData(panel, fw, home.upper(), domain, years, countries, raw, events, conf["intensity"],
                        conf["wars"], wgi_average, _neighbours(store, countries), ucdp_last,
                        complete_year(years[panel_years], counts, ucdp_last), _sources(store))


def _sources(store: Store) -> tuple[str, ...]:
    cat = store.catalog()
    if cat.empty:
        return ()
    obs = cat[cat["tables"].map(lambda ts: any(str(t).startswith("obs_") for t in ts))]
    vintages = obs.groupby("source")["vintage"].agg(lambda v: ", ".join(sorted({str(x) for x in v if x})))
    return tuple(f"{s} ({v})" if v else str(s) for s, v in vintages.items())


__all__ = ["COMPLETE_SHARE", "CONFLICT_SERIES", "RAW_SERIES", "ForecastData", "complete_year", "load_data"]

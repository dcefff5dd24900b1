"""Adverse events an investor acts on, one year ahead: the targets of validation and forecasts.

Each event is an *onset*: a country-year t is in the event's risk set when the event is not already
under way at t and both years are observed; the label is 1 when it starts at t + h.

==================  =====================================================================  =============
event               starts at t + h when                                                   source
==================  =====================================================================  =============
``conflict_onset``  an armed conflict on the territory (25+ battle deaths), none at t      UCDP/PRIO ACD
``currency_crisis`` the currency loses at least 30% against the dollar in a year,          WDI, Fed H.10
                    less than 30% at t (Frankel and Rose's crash, with the issue's 30%)
``inflation_crisis`` inflation reaches 40% a year, below 40% at t (Bruno and Easterly's     WDI CPI
                    high-inflation crisis threshold)                                        (deflator)
``output_collapse`` real GDP falls by 5% or more, less at t                                IMF WEO
                                                                                            (observed)
==================  =====================================================================  =============

``any_adverse`` is 1 when any of them starts at t + h, among the country-years in at least one risk
set. Depreciation is the index's own series (:mod:`cultrade.risk.fx`: currency changes converted,
H.10 where WDI stops, PPP-implied for pegged official rates under high inflation); growth uses IMF
observations only, never the WEO forecast.

>>> onsets(np.array([[0.0], [35.0], [50.0], [10.0], [31.0]]), 30.0, horizon=1).ravel().tolist()
[1.0, nan, nan, 1.0, nan]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cultrade.risk import economy
from cultrade.risk.panel import CPI, DEFLATOR, FX_WDI, GROWTH_OBS, _h10, _series, cube
from cultrade.store import Store

EVENTS: tuple[str, ...] = ("conflict_onset", "currency_crisis", "inflation_crisis", "output_collapse")
ALL_EVENTS: tuple[str, ...] = (*EVENTS, "any_adverse")
CURRENCY_CRISIS = 30.0
INFLATION_CRISIS = 40.0
OUTPUT_COLLAPSE = -5.0
CONFLICTS = ("ucdp", "n_conflicts")


def onsets(values: np.ndarray, threshold: float, *, horizon: int = 1, above: bool = True) -> np.ndarray:
    """Labels (Y, C) for ``values`` crossing ``threshold``: 1 = onset at t + h, 0 = none, NaN = not at risk.

    With ``above`` the event is ``value >= threshold``, else ``value <= threshold``.
    """
    n = values.shape[0]
    out = np.full(values.shape, np.nan)
    if n <= horizon:
        return out
    with np.errstate(invalid="ignore"):
        hit = values >= threshold if above else values <= threshold
    now, later = values[: n - horizon], values[horizon:]
    at_risk = ~np.isnan(now) & ~np.isnan(later) & ~hit[: n - horizon]
    out[: n - horizon] = np.where(at_risk, hit[horizon:].astype(float), np.nan)
    return out


@dataclass
class EventData:
    """The series behind the events, as (years, countries) arrays."""

    years: np.ndarray
    countries: np.ndarray
    conflict: np.ndarray       # UCDP conflicts on the territory, 0 inside UCDP's years, NaN outside
    depreciation: np.ndarray   # % against the USD
    inflation: np.ndarray      # % a year
    growth: np.ndarray         # real GDP growth, IMF observations only

    def labels(self, event: str, horizon: int = 1) -> np.ndarray:
        """(Y, C) labels of ``event`` (one of :data:`ALL_EVENTS`) at lead ``horizon``."""
        if event == "conflict_onset":
            return onsets(self.conflict, 1.0, horizon=horizon)
        if event == "currency_crisis":
            return onsets(self.depreciation, CURRENCY_CRISIS, horizon=horizon)
        if event == "inflation_crisis":
            return onsets(self.inflation, INFLATION_CRISIS, horizon=horizon)
        if event == "output_collapse":
            return onsets(self.growth, OUTPUT_COLLAPSE, horizon=horizon, above=False)
        if event == "any_adverse":
            stack = np.stack([self.labels(e, horizon) for e in EVENTS])
            with np.errstate(invalid="ignore"):
                return np.where(np.isnan(stack).all(axis=0), np.nan, np.nanmax(np.nan_to_num(stack, nan=-1), axis=0))
        raise ValueError(f"unknown event {event!r}; use one of {', '.join(ALL_EVENTS)}")

    def frame(self, events: Sequence[str] = ALL_EVENTS, horizon: int = 1) -> pd.DataFrame:
        """Long table: iso3, year (t), event, y (1/0) for every country-year in each risk set."""
        parts = []
        for e in events:
            lab = self.labels(e, horizon)
            yi, ci = np.nonzero(~np.isnan(lab))
            parts.append(pd.DataFrame({"iso3": self.countries[ci].astype(str), "year": self.years[yi].astype(int),
                                       "event": e, "y": lab[yi, ci].astype(int)}))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["iso3", "year", "event", "y"])


def load_event_data(store: Store, years: Sequence[int], countries: Sequence[str]) -> EventData:
    """Read the series behind the events for ``years`` (one earlier year is read for the changes)."""
    yrs = np.asarray(sorted(set(int(y) for y in years)), dtype=int)
    ext = np.arange(yrs[0] - 3, yrs[-1] + 1)
    cs = list(countries)
    data = _series(store, {CONFLICTS, CPI, DEFLATOR, FX_WDI, GROWTH_OBS})
    groups = {(str(k[0]), str(k[1])): g for k, g in data.groupby(["source", "indicator"])}
    empty = pd.DataFrame(columns=["iso3", "year", "value"])

    def get(key: tuple[str, str]) -> np.ndarray:
        return cube(groups.get(key, empty), ext, cs)

    conflict = get(CONFLICTS)
    ucdp = groups.get(CONFLICTS)
    if ucdp is not None and not ucdp.empty:
        inside = ((ext >= ucdp["year"].min()) & (ext <= ucdp["year"].max()))[:, None]
        conflict = np.where(inside, np.nan_to_num(conflict, nan=0.0), np.nan)
    infl, _ = economy.inflation(get(CPI), get(DEFLATOR))
    us = infl[:, cs.index("USA")] if "USA" in cs else np.full(len(ext), np.nan)
    fx = economy.exchange_rate(get(FX_WDI), _h10(store, ext, cs), infl, us, years=ext,
                               countries=np.asarray(cs, dtype=object))
    keep = np.isin(ext, yrs)
    return EventData(yrs, np.asarray(cs, dtype=object), conflict[keep], fx["fx_depreciation"][0][keep], infl[keep],
                     get(GROWTH_OBS)[keep])


__all__ = ["ALL_EVENTS", "CURRENCY_CRISIS", "EVENTS", "INFLATION_CRISIS", "OUTPUT_COLLAPSE", "EventData",
           "load_event_data", "onsets"]

"""The economic indicators the risk index derives from several series, each with a status per cell.

Every function takes dense (years x countries) arrays and returns ``(values, status)`` with the
status codes of :mod:`cultrade.risk.panel`, so that the index can show where a value came from:

* :func:`inflation`: CPI inflation (WDI ``FP.CPI.TOTL.ZG``); where a country-year has no CPI figure,
  the GDP-deflator inflation (``NY.GDP.DEFL.KD.ZG``) of the same year, flagged ``other source``
  (Argentina has no CPI series in WDI at all).
* :func:`growth`: real GDP growth observed by the IMF; the WEO forecast only where no observation
  exists, flagged ``forecast`` (the index never scores a dimension on forecasts alone).
* :func:`growth_3y`: average real growth of the last three years, from the same cells: a collapse
  does not vanish because one rebound year follows it (Venezuela: -30% in 2020, +1% in 2021).
* :func:`exchange_rate`: depreciation against the dollar and its volatility, from WDI with H.10 where
  WDI stops, with pegged official rates under high inflation replaced by the depreciation relative
  PPP implies (see :mod:`cultrade.risk.fx`).
* :func:`fdi`: FDI net inflows (% of GDP); a negative net inflow (net disinvestment, which in
  financial centres such as Switzerland or Luxembourg reflects conduit flows of holding companies)
  is not read as risk: the cell is flagged ``uninformative`` and left out.

>>> from cultrade.risk.status import STATUS_NAMES
>>> v, s = inflation(np.array([[np.nan, 3.0]]), np.array([[70.0, 2.5]]))
>>> v.tolist(), [STATUS_NAMES[x] for x in s[0]]
([[70.0, 3.0]], ['other source', 'observed'])
"""

from __future__ import annotations

import numpy as np

from cultrade.risk import fx
from cultrade.risk.status import (
    FORECAST,
    IMPUTED,
    MISSING,
    OBSERVED,
    SUBSTITUTE,
    UNINFORMATIVE,
)

Cube = np.ndarray


def _status(values: Cube, code: int = OBSERVED) -> Cube:
    return np.where(np.isnan(values), MISSING, code).astype(np.uint8)


def inflation(cpi: Cube, deflator: Cube) -> tuple[Cube, Cube]:
    """CPI inflation, else GDP-deflator inflation (``other source``)."""
    use = np.isnan(cpi) & ~np.isnan(deflator)
    values = np.where(use, deflator, cpi)
    return values, np.where(use, SUBSTITUTE, _status(values)).astype(np.uint8)


def growth(observed: Cube, forecast: Cube) -> tuple[Cube, Cube]:
    """IMF real growth: observed, else the WEO forecast (``forecast``).

    >>> v, s = growth(np.array([[1.0, np.nan]]), np.array([[9.0, 2.0]]))
    >>> v.tolist(), s.tolist()
    ([[1.0, 2.0]], [[1, 3]])
    """
    use = np.isnan(observed) & ~np.isnan(forecast)
    values = np.where(use, forecast, observed)
    return values, np.where(use, FORECAST, _status(values)).astype(np.uint8)


def growth_3y(observed: Cube, forecast: Cube, window: int = 3) -> tuple[Cube, Cube]:
    """Mean yearly growth over the last ``window`` years (all present); ``forecast`` if any year is one.

    >>> from cultrade.risk.status import STATUS_NAMES
    >>> obs = np.array([[-30.0], [1.0], [np.nan]])
    >>> v, s = growth_3y(obs, np.array([[np.nan], [np.nan], [8.0]]))
    >>> round(float(v[2, 0]), 2), STATUS_NAMES[int(s[2, 0])]
    (-7.0, 'forecast')
    """
    values, status = growth(observed, forecast)
    out = np.full(values.shape, np.nan)
    fc = np.zeros(values.shape, dtype=bool)
    for t in range(window - 1, values.shape[0]):
        block = values[t - window + 1: t + 1]
        out[t] = block.mean(axis=0)  # NaN unless every year is present
        fc[t] = (status[t - window + 1: t + 1] == FORECAST).any(axis=0)
    return out, np.where(np.isnan(out), MISSING, np.where(fc, FORECAST, OBSERVED)).astype(np.uint8)


def exchange_rate(wdi_rates: Cube, h10_rates: Cube, inflation_values: Cube, us_inflation: Cube, *,
                  years: np.ndarray, countries: np.ndarray, peg_threshold: float = fx.PEG_IMPLIED_DEPRECIATION
                  ) -> dict[str, tuple[Cube, Cube]]:
    """``{"fx_depreciation": (values, status), "fx_volatility": (values, status)}``.

    ``us_inflation`` is a (years,) or (years, 1) array. Status: WDI change ``observed``, H.10 change
    ``other source``, PPP-implied change of an uninformative peg ``imputed``; the volatility is
    ``imputed`` when its window holds an imputed change, ``other source`` when it holds an H.10 one.
    A currency at par with the dollar (official rate exactly 1, e.g. dollarised Ecuador) is never
    read as a peg.
    """
    rates, breaks = fx.wdi_rates(wdi_rates, years, countries)
    dep, source = fx.depreciation(rates, breaks, h10_rates)
    us = np.asarray(us_inflation, dtype=float).reshape(len(years), 1)
    at_par = np.isclose(wdi_rates, 1.0) & np.isclose(np.roll(wdi_rates, 1, axis=0), 1.0)
    peg = fx.uninformative_peg(dep, inflation_values, us, peg_threshold) & ~at_par
    implied = fx.implied_depreciation(inflation_values, us)
    dep = np.where(peg, implied, dep)
    dep_status = np.where(peg, IMPUTED, np.where(source == 2, SUBSTITUTE, _status(dep))).astype(np.uint8)
    vol = fx.volatility(dep)
    vol_status = np.full(vol.shape, MISSING, dtype=np.uint8)
    for t in range(len(years)):
        block = dep_status[max(0, t - 2): t + 1]
        worst = np.where((block == IMPUTED).any(axis=0), IMPUTED,
                         np.where((block == SUBSTITUTE).any(axis=0), SUBSTITUTE, OBSERVED))
        vol_status[t] = np.where(np.isnan(vol[t]), MISSING, worst)
    return {"fx_depreciation": (dep, dep_status), "fx_volatility": (vol, vol_status)}


def fdi(inflows: Cube) -> tuple[Cube, Cube]:
    """FDI net inflows (% of GDP), negative values left out as ``uninformative``.

    >>> from cultrade.risk.status import STATUS_NAMES
    >>> v, s = fdi(np.array([[2.5, -9.9, np.nan]]))
    >>> v.tolist(), [STATUS_NAMES[x] for x in s[0]]
    ([[2.5, nan, nan]], ['observed', 'uninformative', 'missing'])
    """
    negative = inflows < 0
    values = np.where(negative, np.nan, inflows)
    return values, np.where(negative, UNINFORMATIVE, _status(values)).astype(np.uint8)


def per_head(gdp_usd: Cube, population: Cube) -> tuple[Cube, Cube]:
    """GDP per head in current US dollars."""
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(population > 0, gdp_usd / population, np.nan)
    return values, _status(values)


__all__ = ["exchange_rate", "fdi", "growth", "growth_3y", "inflation", "per_head"]

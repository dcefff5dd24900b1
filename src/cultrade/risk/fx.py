"""Exchange rates against the US dollar as yearly panels: one unit per country, depreciation, volatility, pegs.

Two sources, read as published:

* World Bank WDI ``PA.NUS.FCRF`` (official rate, local currency per USD, period average). The
  series switches units at a currency change (the euro changeovers of 1999-2023, the dollarisation
  of Ecuador and El Salvador): the lira year 1998 is 1,736 and the euro year 1999 is 0.94, which a
  naive year-on-year change reads as a 99.9% appreciation. :func:`wdi_rates` converts the years
  before a change into the new unit with the legal conversion rate (``risk/data/currency_changes.csv``,
  each row citing its regulation or law). Any other fall of more than 80% in one year (a rate
  ratio below :data:`UNIT_BREAK_RATIO`) is read as an unlisted change of unit, not as a market
  move: the series is broken there and no change is computed across it (no market rate has
  appreciated five-fold in a year).
* US Federal Reserve H.10 via FRED (``fx_rates``, monthly), which covers about 25 currencies but
  keeps quoting some that WDI stopped, such as the Venezuelan bolivar after 2017. Monthly quotes are
  put into the latest unit along the chain of redenominations of the same table (VEF → VES → VED),
  then averaged by calendar year (at least :data:`MIN_MONTHS` months).

:func:`depreciation` takes the WDI change where WDI has both years, else the H.10 change, and says
which one it used. Depreciation is ``100 * (rate_t / rate_t-1 - 1)``: positive means the currency
lost value against the dollar.

A pegged official rate under high inflation says nothing about the currency (Lebanon kept 1,507.5
pounds per dollar until 2023 while prices rose 85%, 155% and 171% a year). :func:`uninformative_peg`
flags a year in which relative purchasing-power parity implies a depreciation of at least
``threshold`` percent, ``(1 + inflation) / (1 + US inflation) - 1``, while the official rate moved by
less than a quarter of that. Such a year implies a real appreciation against the dollar of 18% or
more, which floating currencies seldom show (pooled over 1996-2024 the 97.5th percentile of yearly
real appreciation is 19% and the 99th 28%, and the large floating cases, such as Indonesia in 1999,
are nominal appreciations, which the quarter rule leaves alone). The official rate is then replaced
by the PPP-implied depreciation and the cell is flagged as imputed.

>>> r = np.array([[1736.2], [0.9383]])                 # Italy 1998 (lire) and 1999 (euro) per USD
>>> changes = pd.DataFrame({"iso3": ["ITA"], "first_year": [1999], "old_per_new": [1936.27]})
>>> fixed, breaks = wdi_rates(r, np.array([1998, 1999]), np.array(["ITA"]), changes)
>>> round(float(depreciation_from(fixed, breaks)[1, 0]), 1)   # +4.6%, not -99.9%
4.6
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

UNIT_BREAK_RATIO = 0.2
MIN_MONTHS = 9
PEG_IMPLIED_DEPRECIATION = 25.0  # percent; see the module docstring and docs/risk_methodology.md


@cache
def currency_changes() -> pd.DataFrame:
    """The bundled currency changes: iso3, first_year, old_unit, new_unit, old_per_new, series, basis.

    ``series`` says which source quotes the old unit: ``wdi`` (its yearly series switches unit in
    ``first_year``) or ``h10`` (its monthly quotes change currency code).
    """
    with resources.files("cultrade.risk").joinpath("data/currency_changes.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


def wdi_rates(rates: np.ndarray, years: np.ndarray, countries: np.ndarray,
              changes: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """WDI rates (Y, C) in each country's latest unit, and a (Y, C) mask of unlisted unit breaks.

    ``breaks[t, c]`` is True when the rate fell below :data:`UNIT_BREAK_RATIO` times the year before
    without a listed currency change: the change from t-1 to t is not a market move.
    """
    changes = currency_changes() if changes is None else changes
    out = rates.astype(float).copy()
    pos = pd.Index(countries.astype(str))
    if "series" in changes.columns:
        changes = changes[changes["series"] == "wdi"]
    for iso3, first_year, old_per_new in zip(changes["iso3"], changes["first_year"], changes["old_per_new"],
                                             strict=True):
        c = pos.get_indexer([iso3])[0]
        if c < 0:
            continue
        before = years < int(first_year)
        out[before, c] = out[before, c] / float(old_per_new)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = out[1:] / out[:-1]
    breaks = np.zeros(out.shape, dtype=bool)
    breaks[1:] = ratio < UNIT_BREAK_RATIO
    return out, breaks


def h10_annual(monthly: pd.DataFrame, changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Yearly averages (iso3, year, value, months) of monthly H.10 quotes, in each country's latest unit.

    ``monthly`` has columns iso3, date, currency, rate. A change of currency code that the table
    lists is converted with its factor; an unlisted one keeps only the quotes after it.

    >>> m = pd.DataFrame({"iso3": "VEN", "date": pd.date_range("2021-01-01", periods=12, freq="MS"),
    ...                   "currency": ["VES"] * 10 + ["VED"] * 2, "rate": [3.0e6] * 10 + [4.5] * 2})
    >>> h10_annual(m)[["year", "value", "months"]].to_dict("records")
    [{'year': 2021, 'value': 3.25, 'months': 12}]
    """
    columns = ["iso3", "year", "value", "months"]
    if monthly.empty:
        return pd.DataFrame(columns=columns)
    changes = currency_changes() if changes is None else changes
    if "series" in changes.columns:
        changes = changes[changes["series"] == "h10"]
    factor = {(str(a), str(b)): float(f) for a, b, f in
              zip(changes["old_unit"], changes["new_unit"], changes["old_per_new"], strict=True)}
    parts = []
    for iso3, g in monthly.dropna(subset=["iso3", "rate"]).sort_values("date").groupby("iso3"):
        g = g[g["rate"] > 0]
        codes = g["currency"].astype(str).to_numpy()
        scale = np.ones(len(g))
        keep = np.ones(len(g), dtype=bool)
        # walk backwards: every quote before a change is divided by the factors of the changes after it
        running = 1.0
        for i in range(len(g) - 1, 0, -1):
            if codes[i] != codes[i - 1]:
                f = factor.get((codes[i - 1], codes[i]))
                if f is None:
                    keep[:i] = False
                    break
                running *= f
            scale[i - 1] = running
        g = g.assign(value=g["rate"].to_numpy() / scale, year=pd.to_datetime(g["date"]).dt.year)[keep]
        agg = g.groupby("year")["value"].agg(["mean", "count"]).reset_index()
        parts.append(pd.DataFrame({"iso3": str(iso3), "year": agg["year"], "value": agg["mean"],
                                   "months": agg["count"]}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return out[out["months"] >= MIN_MONTHS].reset_index(drop=True)


def depreciation_from(rates: np.ndarray, breaks: np.ndarray | None = None) -> np.ndarray:
    """Year-on-year % change of local currency per USD along axis 0; NaN at breaks and gaps."""
    out = np.full(rates.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[1:] = 100.0 * (rates[1:] / rates[:-1] - 1.0)
    out[~np.isfinite(out)] = np.nan
    if breaks is not None:
        out[breaks] = np.nan
    return out


def depreciation(wdi: np.ndarray, wdi_breaks: np.ndarray, h10: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(depreciation, source) with source 1 = WDI, 2 = H.10, 0 = none, for (Y, C) rate cubes."""
    d_wdi = depreciation_from(wdi, wdi_breaks)
    d_h10 = depreciation_from(h10)
    use_h10 = np.isnan(d_wdi) & ~np.isnan(d_h10)
    out = np.where(use_h10, d_h10, d_wdi)
    source = np.where(~np.isnan(d_wdi), 1, np.where(use_h10, 2, 0)).astype(np.uint8)
    return out, source


def implied_depreciation(inflation: np.ndarray, us_inflation: np.ndarray) -> np.ndarray:
    """Depreciation (%) implied by relative PPP: (1 + inflation) / (1 + US inflation) - 1.

    >>> round(float(implied_depreciation(np.array([155.0]), np.array([4.7]))[0]), 1)
    143.6
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * ((1.0 + inflation / 100.0) / (1.0 + us_inflation / 100.0) - 1.0)


def real_appreciation(dep: np.ndarray, inflation: np.ndarray, us_inflation: np.ndarray) -> np.ndarray:
    """Real appreciation (%) against the USD implied by the official rate: PPP-implied over actual change."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * ((1.0 + inflation / 100.0) / (1.0 + us_inflation / 100.0) / (1.0 + dep / 100.0) - 1.0)


def uninformative_peg(dep: np.ndarray, inflation: np.ndarray, us_inflation: np.ndarray,
                      threshold: float = PEG_IMPLIED_DEPRECIATION) -> np.ndarray:
    """Mask of the years whose official rate ignores inflation: PPP implies >= ``threshold`` %, it moved < 1/4.

    >>> uninformative_peg(np.array([0.0, 0.0, -21.6]), np.array([155.0, 2.0, 20.5]), np.array([4.7] * 3)).tolist()
    [True, False, False]
    """
    implied = implied_depreciation(inflation, us_inflation)
    with np.errstate(invalid="ignore"):
        flag = (implied >= threshold) & (np.abs(dep) < implied / 4.0)
    return np.asarray(np.nan_to_num(flag, nan=0.0), dtype=bool)


def log_changes(dep: np.ndarray) -> np.ndarray:
    """log(1 + depreciation / 100): the change of the log rate, additive over years."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dep > -100.0, np.log1p(np.where(dep > -100.0, dep, 0.0) / 100.0), np.nan)


def volatility(dep: np.ndarray, window: int = 3, min_changes: int = 2) -> np.ndarray:
    """Standard deviation (ddof=1) of the last ``window`` yearly log changes (at least ``min_changes``).

    >>> d = 100 * (np.exp(np.array([[np.nan], [0.1], [0.2], [0.3]])) - 1)
    >>> round(float(volatility(d)[3, 0]), 6)
    0.1
    """
    changes = log_changes(dep)
    out = np.full(dep.shape, np.nan)
    for t in range(dep.shape[0]):
        block = changes[max(0, t - window + 1): t + 1]
        n = np.sum(~np.isnan(block), axis=0)
        ok = n >= min_changes
        if not ok.any():
            continue
        mean = np.nansum(block, axis=0) / np.maximum(n, 1)
        ss = np.nansum((block - mean) ** 2, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[t] = np.where(ok, np.sqrt(ss / np.maximum(n - 1, 1)), np.nan)
    return out


__all__ = [
    "MIN_MONTHS",
    "PEG_IMPLIED_DEPRECIATION",
    "UNIT_BREAK_RATIO",
    "currency_changes",
    "depreciation",
    "depreciation_from",
    "h10_annual",
    "implied_depreciation",
    "log_changes",
    "real_appreciation",
    "uninformative_peg",
    "volatility",
    "wdi_rates",
]

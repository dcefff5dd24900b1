"""Derived indicators, as pure functions on dense (years x countries) arrays or small tables.

Time runs along axis 0. Every function leaves NaN where an input is missing:
no value is invented here (carrying values forward is the index's imputation
step, where it is flagged).

>>> import numpy as np
>>> rate = np.array([[1.0], [1.1], [1.21], [1.21]])   # LCU per USD, one country
>>> np.round(depreciation(rate)[:, 0], 6).tolist()
[nan, 10.0, 10.0, 0.0]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


def depreciation(rate: np.ndarray) -> np.ndarray:
    """Year-on-year % change of local currency per USD (positive = the currency lost value)."""
    out = np.full(rate.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[1:] = 100.0 * (rate[1:] / rate[:-1] - 1.0)
    out[~np.isfinite(out)] = np.nan
    return out


def log_change_volatility(rate: np.ndarray, window: int = 3, min_changes: int = 2) -> np.ndarray:
    """Standard deviation (ddof=1) of yearly log changes over the last ``window`` changes.

    >>> r = np.exp(np.array([[0.0], [0.1], [0.3], [0.6]]))   # log changes 0.1, 0.2, 0.3
    >>> round(float(log_change_volatility(r)[3, 0]), 6)       # s.d. of (0.1, 0.2, 0.3)
    0.1
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(rate > 0, np.log(np.where(rate > 0, rate, 1.0)), np.nan)
    changes = np.full(rate.shape, np.nan)
    changes[1:] = logs[1:] - logs[:-1]
    out = np.full(rate.shape, np.nan)
    for t in range(rate.shape[0]):
        block = changes[max(0, t - window + 1): t + 1]
        n = np.sum(~np.isnan(block), axis=0)
        if block.shape[0] >= min_changes:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                sd = np.nanstd(block, axis=0, ddof=1)
            out[t] = np.where(n >= min_changes, sd, np.nan)
    return out


def ratio_pct(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """100 * numerator / denominator, NaN where the denominator is missing or not positive.

    >>> ratio_pct(np.array([5.0, 1.0]), np.array([50.0, 0.0])).tolist()
    [10.0, nan]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * numerator / np.where(denominator > 0, denominator, np.nan)
    return out


def prefer(observed: np.ndarray, fallback: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``observed`` where present, else ``fallback``; and a mask of the cells that used the fallback.

    >>> v, used = prefer(np.array([1.0, np.nan, np.nan]), np.array([9.0, 2.0, np.nan]))
    >>> v.tolist(), used.tolist()
    ([1.0, 2.0, nan], [False, True, False])
    """
    used = np.isnan(observed) & ~np.isnan(fallback)
    return np.where(np.isnan(observed), fallback, observed), used


def monthly_volatility(monthly: pd.DataFrame) -> pd.DataFrame:
    """Annualised s.d. of monthly log changes within each calendar year (needs 6+ changes).

    ``monthly`` has columns iso3, date, rate; the result iso3, year, value.

    >>> m = pd.DataFrame({"iso3": "JPN", "date": pd.date_range("2020-01-01", periods=13, freq="MS"),
    ...                   "rate": [100.0 * 1.01 ** (i % 2) for i in range(13)]})
    >>> monthly_volatility(m)["year"].tolist()   # 2021 has one change only: no value
    [2020]
    """
    if monthly.empty:
        return pd.DataFrame(columns=["iso3", "year", "value"])
    df = monthly.dropna(subset=["rate"]).sort_values(["iso3", "date"]).copy()
    df = df[df["rate"] > 0]
    df["change"] = np.log(df["rate"]).groupby(df["iso3"]).diff()
    df["year"] = pd.to_datetime(df["date"]).dt.year
    g = df.dropna(subset=["change"]).groupby(["iso3", "year"])["change"]
    out = pd.DataFrame({"sd": g.std(ddof=1), "n": g.count()}).reset_index()
    out = out[out["n"] >= 1]
    out["value"] = out["sd"] * np.sqrt(12.0)
    out.loc[out["n"] < 6, "value"] = np.nan
    return out[["iso3", "year", "value"]].dropna().reset_index(drop=True)


def pair_values(pairs: pd.DataFrame, home: str, column: str) -> pd.Series:
    """One column of a dyadic table (iso_o, iso_d, ...) for origin ``home``, indexed by destination.

    >>> p = pd.DataFrame({"iso_o": ["CHN", "CHN", "FRA"], "iso_d": ["SGP", "FRA", "SGP"], "comlang_off": [1, 0, 0]})
    >>> pair_values(p, "CHN", "comlang_off").to_dict()
    {'SGP': 1.0, 'FRA': 0.0}
    """
    rows = pairs[pairs["iso_o"] == home]
    return pd.Series(pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float),
                     index=rows["iso_d"].to_numpy()).groupby(level=0, sort=False).first()


__all__ = [
    "depreciation",
    "log_change_volatility",
    "monthly_volatility",
    "pair_values",
    "prefer",
    "ratio_pct",
]

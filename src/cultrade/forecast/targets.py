"""The forecast targets: the risk module's adverse events, a sustained score rise, and band deterioration.

Every label is a row (country, data year t) with ``y`` 1 or 0, and ``label_year``: the last data
year the label needs. A training row is usable at origin o only when ``label_year <= o``.

* **Adverse events** (:mod:`cultrade.risk.events`, the definitions the risk validation uses too):
  ``conflict_onset``, ``currency_crisis`` (>= 30% depreciation against the dollar in a year),
  ``inflation_crisis`` (>= 40% a year) and ``output_collapse`` (real growth <= -5%). Each is an
  onset: a country-year is in the risk set when the event is not under way at t, and the label is
  1 when it is under way at t + h. ``label_year`` = t + h.
* **``score_rise``** (forecast-only): the risk score rises by at least :data:`SCORE_RISE` points and
  stays up: ``S(t+h) - S(t) >= 1`` **and** ``S(t+h+1) - S(t) >= 1``, so a one-year blip is not a
  rise. The three scores are read from the index *as first released* for year t + h + 1
  (:meth:`ForecastData.index_as_of`), so the label rests on nothing published later than its own
  last year. ``label_year`` = t + h + 1.
* **``band_deterioration``**: the band at t + h is worse than at t, both read from the index as of
  t + h, with the cut points that index actually used (``RiskIndex.cuts``, calibrated at pooled
  score quantiles). Rows already in the top band cannot deteriorate and are outside the risk set.

Labels that need an index year stop at :attr:`ForecastData.complete_year` (later years only carry
WGI forward); event labels stop where their series stop.

>>> rise_labels(np.array([[3.0], [4.1], [4.2], [3.5]]), horizon=1).ravel().tolist()
[1.0, 0.0, nan, nan]
>>> band_labels(np.array([[1], [2], [4], [-1]]), 1, top=4).ravel().tolist()
[1.0, 1.0, nan, nan]
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from cultrade.forecast.data import ForecastData
from cultrade.forecast.options import EVENT_TARGETS, SCORE_RISE, Target, check, check_horizon

# The persistence baseline of each target: the column of the feature table it ranks by.
PERSISTENCE_FEATURE: dict[str, str] = {
    "conflict_onset": "recent_conflict", "currency_crisis": "recent_currency_crisis",
    "inflation_crisis": "recent_inflation_crisis", "output_collapse": "recent_output_collapse",
    "score_rise": "d_score", "band_deterioration": "band_worsened",
}
PERSISTENCE_TEXT: dict[str, str] = {
    "conflict_onset": "a conflict in t-5 .. t-1",
    "currency_crisis": "a currency crisis (>= 30%) in t-5 .. t-1",
    "inflation_crisis": "inflation >= 40% in t-5 .. t-1",
    "output_collapse": "growth <= -5% in t-5 .. t-1",
    "score_rise": "last year's change of the score, S(t) - S(t-1)",
    "band_deterioration": "the band worsened from t-1 to t",
}
TARGET_TEXT: dict[str, str] = {
    "conflict_onset": "an armed conflict on the territory (UCDP/PRIO, 25+ battle deaths), none at t",
    "currency_crisis": "the currency loses >= 30% against the dollar in a year, less at t",
    "inflation_crisis": "inflation reaches 40% a year, below 40% at t",
    "output_collapse": "real GDP falls by 5% or more, less at t",
    "score_rise": f"the risk score is >= {SCORE_RISE:g} point above S(t) at t+h and still at t+h+1",
    "band_deterioration": "the risk band at t+h is worse than at t (top band not at risk)",
}
_COLUMNS = ["iso3", "year", "label_year", "y"]


def rise_labels(score: np.ndarray, horizon: int = 1, rise: float = SCORE_RISE) -> np.ndarray:
    """(Y, C): 1 = S(t+h) and S(t+h+1) both >= S(t) + ``rise``; 0 = not; NaN = a score missing or beyond the data."""
    h = check_horizon(horizon)
    n = score.shape[0]
    out = np.full(score.shape, np.nan)
    if n <= h + 1:
        return out
    now, at_h, after = score[: n - h - 1], score[h: n - 1], score[h + 1:]
    known = ~np.isnan(now) & ~np.isnan(at_h) & ~np.isnan(after)
    with np.errstate(invalid="ignore"):
        hit = (at_h - now >= rise) & (after - now >= rise)
    out[: n - h - 1] = np.where(known, hit.astype(float), np.nan)
    return out


def band_labels(band_pos: np.ndarray, horizon: int = 1, *, top: int = 4) -> np.ndarray:
    """(Y, C): 1 = band position at t+h above the one at t; NaN when unscored (-1), in the ``top`` band at t
    or beyond the data."""
    h = check_horizon(horizon)
    n = band_pos.shape[0]
    out = np.full(band_pos.shape, np.nan)
    if n > h:
        now, later = band_pos[: n - h], band_pos[h:]
        at_risk = (now >= 0) & (now < top) & (later >= 0)
        out[: n - h] = np.where(at_risk, (later > now).astype(float), np.nan)
    return out


def _frame(y: np.ndarray, years: np.ndarray, countries: np.ndarray, lag: int) -> pd.DataFrame:
    yi, ci = np.nonzero(~np.isnan(y))
    return pd.DataFrame({"iso3": countries[ci].astype(str), "year": years[yi].astype(int),
                         "label_year": years[yi].astype(int) + lag, "y": y[yi, ci].astype(int)})


def _index_labels(data: ForecastData, target: str, h: int) -> pd.DataFrame:
    """First-release labels: for each last label year L, read the index as of L."""
    lag = h + 1 if target == "score_rise" else h
    frames = []
    for last in range(data.first_year + lag, data.complete_year + 1):
        idx = data.index_as_of(last)
        if target == "score_rise":
            y = rise_labels(idx.score[-1 - lag:], h)[:1]
        else:
            y = band_labels(idx.band_pos[-1 - h:], h, top=len(idx.cuts))[:1]
        frames.append(_frame(y, np.array([last - lag]), idx.countries, lag))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_COLUMNS)


def labels(data: ForecastData, target: Target, horizon: int = 1, *, as_of: int | None = None) -> pd.DataFrame:
    """iso3, year (the data year t), label_year, y: every label known by ``as_of`` (None = all)."""
    check("target", target)
    h = check_horizon(horizon)
    key = ("labels", target, h)
    if key not in data._cache:
        if target in EVENT_TARGETS:
            ev = data.events
            frame = _frame(ev.labels(target, h), ev.years, ev.countries, h)
            frame = frame[frame["year"].between(data.first_year, data.last_year)]
        else:
            frame = _index_labels(data, target, h)
        data._cache[key] = frame[_COLUMNS].astype({"year": int, "label_year": int, "y": int}).reset_index(drop=True)
    out: pd.DataFrame = data._cache[key]
    if as_of is not None:
        out = out[out["label_year"] <= int(as_of)]
    return out.reset_index(drop=True)


def label_lag(target: str, horizon: int) -> int:
    """Years between the data year t and the last data year its label needs (``label_year - year``)."""
    return horizon + 1 if target == "score_rise" else horizon




def risk_set(data: ForecastData, target: str, year: int) -> np.ndarray:
    """Boolean mask over ``data.countries``: who is in ``target``'s risk set at ``year`` (labels unknown yet).

    For the adverse events the mask comes from :meth:`EventData.labels` itself, on a two-year copy
    whose second year repeats ``year``: a label is defined exactly when the country is at risk, so
    the definitions stay in :mod:`cultrade.risk.events` alone.
    """
    check("target", target)
    if target in EVENT_TARGETS:
        ev = data.events
        row = int(np.flatnonzero(ev.years == int(year))[0])
        two = [row, row]
        copy = replace(ev, years=ev.years[two], conflict=ev.conflict[two], depreciation=ev.depreciation[two],
                       inflation=ev.inflation[two], growth=ev.growth[two])
        return ~np.isnan(copy.labels(target, 1)[0])
    idx = data.index_as_of(year)
    pos = pd.Series(idx.band_pos[-1], index=idx.countries.astype(str)).reindex(data.countries.astype(str))
    top = len(idx.cuts) if target == "band_deterioration" else len(idx.cuts) + 1
    return ((pos >= 0) & (pos < top)).to_numpy()


__all__ = ["PERSISTENCE_FEATURE", "PERSISTENCE_TEXT", "TARGET_TEXT", "band_labels", "label_lag", "labels",
           "rise_labels", "risk_set"]

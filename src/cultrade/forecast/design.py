"""Features at year t from data of years <= t only (one row per country and data year t).

* the risk index as first released for year t (:meth:`ForecastData.index_as_of` t, so neither
  later data nor later re-fitting shapes row t): score, the five dimension scores, their 1-year
  changes, the band position (0 = very low .. 4 = very high), the distance to the next band cut
  (with the cut points that index used, ``RiskIndex.cuts``), ``band_worsened`` (band at t worse
  than at t-1), the 3-year trend and the index's coverage;
* raw indicators, carried forward at most two years (never backward): WGI estimates and their
  1-year changes, the WGI average, IMF real growth (observations only), signed-log inflation and
  depreciation (the risk module's corrected series), exchange-rate volatility, reserves (log, % of
  GDP and their change), trade % GDP, log population, log GDP per head, internet use, military
  spending % GDP, and FSI / Freedom House totals when loaded (edition year - 1);
* event history: conflicts, intensity and wars at t, years since the last conflict year (capped at
  50; never = 50), conflict years in the last ten, land neighbours in conflict at t, and for each
  adverse event whether it was under way in t-5 .. t-1 (``recent_conflict``,
  ``recent_currency_crisis``, ...).

The targets are in :mod:`cultrade.forecast.targets`.

>>> recent(np.array([[0.0], [1.0], [0.0], [0.0], [np.nan]]), years=2).ravel().tolist()
[0.0, 0.0, 1.0, 1.0, nan]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cultrade.forecast.data import ForecastData
from cultrade.risk import fx
from cultrade.risk.events import CURRENCY_CRISIS, INFLATION_CRISIS, OUTPUT_COLLAPSE
from cultrade.risk.index import RiskIndex

YEARS_SINCE_CAP = 50.0
RECENT_YEARS = 5
_ID = ["iso3", "year"]


def _lag(a: np.ndarray, k: int) -> np.ndarray:
    out = np.full_like(a, np.nan, dtype=float)
    if k < a.shape[0]:
        out[k:] = a[: a.shape[0] - k]
    return out


def carry_forward(a: np.ndarray, limit: int) -> np.ndarray:
    """Fill NaN from the nearest of the ``limit`` previous rows (never from later rows).

    >>> carry_forward(np.array([[1.0], [np.nan], [np.nan], [np.nan]]), 2).ravel().tolist()
    [1.0, 1.0, 1.0, nan]
    """
    out = a.astype(float).copy()
    for k in range(1, limit + 1):
        out = np.where(np.isnan(out), _lag(a, k), out)
    return out


def _signed_log(a: np.ndarray) -> np.ndarray:
    return np.sign(a) * np.log1p(np.abs(a))


def _log(a: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, np.log(np.where(a > 0, a, 1.0)), np.nan)


def recent(hit: np.ndarray, years: int = RECENT_YEARS) -> np.ndarray:
    """1 where ``hit`` (1/0, NaN = not observed) was 1 in any of the ``years`` years before t; NaN where t is NaN."""
    filled = np.nan_to_num(hit)
    count = np.nansum([_lag(filled, k) for k in range(1, years + 1)], axis=0)
    return np.where(np.isnan(hit), np.nan, (np.nan_to_num(count) > 0).astype(float))


def _hits(values: np.ndarray, threshold: float, above: bool = True) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        hit = values >= threshold if above else values <= threshold
    return np.where(np.isnan(values), np.nan, hit.astype(float))


def conflict_history(conflict: np.ndarray, neighbours: np.ndarray) -> dict[str, np.ndarray]:
    """Backward-looking conflict features from a (years, countries) count array (NaN = not covered)."""
    any_c = np.where(np.isnan(conflict), np.nan, (conflict > 0).astype(float))
    last = np.full(conflict.shape[1], np.nan)
    since = np.full(conflict.shape, np.nan)
    for t in range(conflict.shape[0]):
        covered = ~np.isnan(any_c[t])
        last = np.where(covered & (any_c[t] == 1), t, last)
        since[t] = np.where(covered, np.where(np.isnan(last), YEARS_SINCE_CAP,
                                              np.minimum(t - np.nan_to_num(last), YEARS_SINCE_CAP)), np.nan)
    filled = np.nan_to_num(any_c)
    years10 = np.nansum([_lag(filled, k) for k in range(10)], axis=0)
    nb = filled @ neighbours.T.astype(float)
    nan = np.isnan(any_c)
    return {
        "conflict": any_c,
        "years_since_conflict": since,
        "conflict_years_10": np.where(nan, np.nan, np.nan_to_num(years10)),
        "recent_conflict": recent(any_c),
        "neighbours_in_conflict": np.where(nan, np.nan, nb),
    }


def _frame(arrays: dict[str, np.ndarray], years: np.ndarray, countries: np.ndarray) -> pd.DataFrame:
    cols = {"iso3": np.tile(countries.astype(str), len(years)), "year": np.repeat(years.astype(int), len(countries))}
    cols.update({k: v.ravel() for k, v in arrays.items()})
    return pd.DataFrame(cols)


def raw_features(data: ForecastData) -> pd.DataFrame:
    """Indicator and conflict features for every panel year; each row uses only its own and earlier years."""
    if "raw" in data._cache:
        cached: pd.DataFrame = data._cache["raw"]
        return cached.copy()
    r, ev = data.raw, data.events
    out: dict[str, np.ndarray] = {}
    for name in ("wgi_pv", "wgi_rl", "wgi_cc", "wgi_va", "wgi_ge", "wgi_rq", "fsi", "fh"):
        lvl = carry_forward(r[name], 2 if name.startswith("wgi") else 1)
        if np.isnan(lvl).all():
            continue  # optional source not loaded
        out[name], out[f"d_{name}"] = lvl, lvl - _lag(lvl, 1)
    out["wgi_average"] = carry_forward(data.wgi_average, 2)
    growth = carry_forward(ev.growth, 1)
    out["growth"], out["d_growth"] = growth, growth - _lag(growth, 1)
    out["inflation"] = _signed_log(carry_forward(ev.inflation, 1))
    out["d_inflation"] = out["inflation"] - _lag(out["inflation"], 1)
    out["depreciation"] = _signed_log(carry_forward(ev.depreciation, 1))
    out["fx_volatility"] = carry_forward(fx.volatility(ev.depreciation), 1)
    pop, gdp = carry_forward(r["pop"], 2), carry_forward(r["gdp"], 2)
    reserves = carry_forward(r["reserves"], 1)
    out["log_pop"] = _log(pop)
    out["log_gdp_pc"] = _log(gdp / pop)
    out["log_reserves"] = _log(reserves)
    out["d_log_reserves"] = out["log_reserves"] - _lag(out["log_reserves"], 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["reserves_gdp"] = np.where(gdp > 0, 100.0 * reserves / gdp, np.nan)
        out["milex_gdp"] = np.where(gdp > 0, 100.0 * carry_forward(r["milex"], 2) * 1e6 / gdp, np.nan)
    out["trade_gdp"] = carry_forward(r["trade"], 2)
    out["internet"] = carry_forward(r["internet"], 2)
    out["n_conflicts"] = data.conflict
    out["intensity"] = data.intensity
    out["war"] = np.where(np.isnan(data.wars), np.nan, (data.wars > 0).astype(float))
    out.update(conflict_history(data.conflict, data.neighbours))
    out["recent_currency_crisis"] = recent(_hits(ev.depreciation, CURRENCY_CRISIS))
    out["recent_inflation_crisis"] = recent(_hits(ev.inflation, INFLATION_CRISIS))
    out["recent_output_collapse"] = recent(_hits(ev.growth, OUTPUT_COLLAPSE, above=False))
    frame = _frame(out, data.years, data.countries)
    frame = frame[frame["year"].between(data.first_year, data.last_year)].reset_index(drop=True)
    data._cache["raw"] = frame
    return frame.copy()


def index_features(data: ForecastData, year: int) -> pd.DataFrame:
    """Score, dimensions, 1-year changes, band position, band_worsened and trend for ``year``,
    read from the index as of ``year`` (its first release: nothing later shapes it)."""
    idx = data.index_as_of(year)
    t = len(idx.years) - 1
    band = np.where(idx.band_pos >= 0, idx.band_pos, np.nan).astype(float)
    arrays = {"score": idx.score[t], "d_score": _change(idx.score, t), "dist_to_next_band": _gap(idx, t)}
    for d, dim in enumerate(idx.structure.dim_ids):
        arrays[f"dim_{dim}"] = idx.dim_scores[t, :, d]
        arrays[f"d_dim_{dim}"] = _change(idx.dim_scores[..., d], t)
    prev = band[t - 1] if t > 0 else np.full(band.shape[1], np.nan)
    arrays["band_pos"] = band[t]
    arrays["band_worsened"] = np.where(np.isnan(band[t]) | np.isnan(prev), np.nan, (band[t] > prev).astype(float))
    arrays["trend"] = idx.slope[t]
    arrays["coverage"] = idx.agg.coverage[t]
    return _frame({k: v[None, :] for k, v in arrays.items()}, np.array([int(idx.years[t])]), idx.countries)


def _change(a: np.ndarray, t: int) -> np.ndarray:
    return a[t] - a[t - 1] if t > 0 else np.full(a.shape[1:], np.nan)


def _gap(idx: RiskIndex, t: int) -> np.ndarray:
    """Score points to the next (worse) band cut, with the cut points the index used; NaN in the top band or
    unscored."""
    cuts = np.asarray(idx.cuts, dtype=float)
    pos = idx.band_pos[t]
    upper = np.where((pos >= 0) & (pos < len(cuts)), cuts[np.clip(pos, 0, len(cuts) - 1)], np.nan)
    return upper - idx.score[t]


def features(data: ForecastData, as_of: int) -> pd.DataFrame:
    """All features of the scored country-years <= ``as_of``; row t uses data of years <= t only."""
    parts = []
    for year in range(data.first_year, min(int(as_of), data.last_year) + 1):
        key = ("features", year)
        if key not in data._cache:
            raw = raw_features(data)
            rows = index_features(data, year).merge(raw[raw["year"] == year], on=_ID, how="left")
            data._cache[key] = rows[rows["score"].notna()]
        parts.append(data._cache[key])
    if not parts:
        return index_features(data, data.first_year).iloc[:0]
    return pd.concat(parts, ignore_index=True)


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The model inputs: every feature column except the ids and labels (and columns with no value at all)."""
    skip = {"iso3", "year", "label_year", "y"}
    return [c for c in frame.columns if c not in skip and not frame[c].isna().all()]


__all__ = ["carry_forward", "conflict_history", "feature_columns", "features", "index_features", "raw_features",
           "recent"]

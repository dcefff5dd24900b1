"""Features at year t from data of years <= t only, and the two targets.

Features (one row per country and data year t):

* the risk index as first released for year t (:meth:`ForecastData.index_as_of` t, so neither
  later data nor later re-fitting of the min-max scale shapes row t): score, the five dimension
  scores, their 1-year changes, the band position (0 = very low .. 4 = very high), the distance
  to the next band cut, ``band_worsened`` (band at t worse than at t-1) and the 3-year trend;
* raw indicators, carried forward at most two years (never backward): WGI estimates and their
  1-year changes, IMF real growth (observations only, never the WEO forecast), signed-log CPI
  inflation, log population, log GDP per head, internet use, military spending % GDP, and FSI /
  Freedom House totals when loaded (edition year - 1, as in the risk framework);
* conflict history from UCDP since 1946: conflicts, intensity and wars at t, years since the last
  conflict year (capped at 50; never = 50), conflict years in the last ten, a conflict in t-5..t-1
  (``recent_conflict``), and land neighbours in conflict at t.

Targets for a lead of h years (h = 1 is "within one year"):

* ``band_deterioration``: the band at t+h is worse than the band at t (both scored);
* ``conflict_onset``: no UCDP conflict on the territory in year t and at least one in t+1..t+h.
  Countries in conflict at t are **not in the risk set** (their label is missing, they are never
  scored nor trained on for onset).

>>> conflict = np.array([[0.0], [0.0], [2.0], [1.0], [0.0]])   # one country, years 0..4
>>> onset_labels(conflict, horizon=1).ravel().tolist()
[0.0, 1.0, nan, nan, nan]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cultrade.forecast.data import ForecastData
from cultrade.forecast.options import Target, check, check_horizon
from cultrade.risk.index import RiskIndex

YEARS_SINCE_CAP = 50.0
RECENT_YEARS = 5
PERSISTENCE_FLAG: dict[str, str] = {"band_deterioration": "band_worsened", "conflict_onset": "recent_conflict"}
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
    recent = np.nansum([_lag(filled, k) for k in range(1, RECENT_YEARS + 1)], axis=0)
    years10 = np.nansum([_lag(filled, k) for k in range(10)], axis=0)
    nb = filled @ neighbours.T.astype(float)
    nan = np.isnan(any_c)
    return {
        "conflict": any_c,
        "years_since_conflict": since,
        "conflict_years_10": np.where(nan, np.nan, np.nan_to_num(years10)),
        "recent_conflict": np.where(nan, np.nan, (np.nan_to_num(recent) > 0).astype(float)),
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
    r = data.raw
    out: dict[str, np.ndarray] = {}
    for name in ("wgi_pv", "wgi_rl", "wgi_cc", "wgi_va", "wgi_ge", "wgi_rq", "fsi", "fh"):
        lvl = carry_forward(r[name], 2 if name.startswith("wgi") else 1)
        if np.isnan(lvl).all():
            continue  # optional source not loaded
        out[name], out[f"d_{name}"] = lvl, lvl - _lag(lvl, 1)
    growth = carry_forward(r["growth"], 1)
    out["growth"], out["d_growth"] = growth, growth - _lag(growth, 1)
    out["inflation"] = _signed_log(carry_forward(r["inflation"], 1))
    pop, gdp = carry_forward(r["pop"], 2), carry_forward(r["gdp"], 2)
    out["log_pop"] = _log(pop)
    out["log_gdp_pc"] = _log(gdp / pop)
    out["internet"] = carry_forward(r["internet"], 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["milex_gdp"] = np.where(gdp > 0, 100.0 * carry_forward(r["milex"], 2) * 1e6 / gdp, np.nan)
    out["n_conflicts"] = data.conflict
    out["intensity"] = data.intensity
    out["war"] = np.where(np.isnan(data.wars), np.nan, (data.wars > 0).astype(float))
    out.update(conflict_history(data.conflict, data.neighbours))
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
    return _frame({k: v[None, :] for k, v in arrays.items()}, np.array([int(idx.years[t])]), idx.countries)


def _change(a: np.ndarray, t: int) -> np.ndarray:
    return a[t] - a[t - 1] if t > 0 else np.full(a.shape[1:], np.nan)


def _gap(idx: RiskIndex, t: int) -> np.ndarray:
    """Score points to the next (worse) band cut; NaN in the top band or unscored."""
    cuts = np.asarray(idx.params["bands"], dtype=float)
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


def onset_labels(conflict: np.ndarray, horizon: int = 1) -> np.ndarray:
    """1 = no conflict at t and one in t+1..t+h; 0 = none; NaN = in conflict at t, or not yet observed."""
    h = check_horizon(horizon)
    n = conflict.shape[0]
    out = np.full(conflict.shape, np.nan)
    if n <= h:
        return out
    ahead = np.stack([conflict[k: n - h + k] for k in range(1, h + 1)])      # (h, n-h, C)
    observed = ~np.isnan(ahead).any(axis=0) & ~np.isnan(conflict[: n - h])
    event = (np.nan_to_num(ahead) > 0).any(axis=0).astype(float)
    out[: n - h] = np.where(observed & (conflict[: n - h] == 0), event, np.nan)
    return out


def band_labels(band_pos: np.ndarray, horizon: int = 1) -> np.ndarray:
    """1 = band position at t+h above the one at t; NaN when either is unscored (-1) or beyond the data.

    >>> band_labels(np.array([[1], [2], [2], [-1]]), 1).ravel().tolist()
    [1.0, 0.0, nan, nan]
    """
    h = check_horizon(horizon)
    n = band_pos.shape[0]
    out = np.full(band_pos.shape, np.nan)
    if n > h:
        now, later = band_pos[: n - h], band_pos[h:]
        out[: n - h] = np.where((now >= 0) & (later >= 0), (later > now).astype(float), np.nan)
    return out


def labels(data: ForecastData, target: Target, horizon: int = 1, *, as_of: int | None = None) -> pd.DataFrame:
    """iso3, year (the data year t), label_year (t + h), y: the labels known by ``as_of`` (None = all data).

    Band labels are **first-release** labels: the pair (t, t + h) is read from the index as of
    t + h (the first index holding year t + h), so a label never depends on data published after
    its own target year, and training and test labels share one definition. They stop at the last
    year with observed WGI. Onset labels stop at the last UCDP year.
    """
    check("target", target)
    h = check_horizon(horizon)
    key = ("labels", target, h)
    if key not in data._cache:
        if target == "band_deterioration":
            frames = []
            for year in range(data.first_year + h, data.band_last + 1):
                idx = data.index_as_of(year)
                y = band_labels(idx.band_pos[-1 - h:], h)[:1]
                frames.append(_frame({"y": y}, np.array([year - h]), idx.countries))
            frame = (pd.concat(frames, ignore_index=True) if frames
                     else pd.DataFrame({"iso3": pd.Series(dtype=str), "year": pd.Series(dtype=int), "y": []}))
        else:
            frame = _frame({"y": onset_labels(data.conflict, h)}, data.years, data.countries)
        frame = frame[frame["y"].notna()].assign(label_year=lambda f: f["year"] + h)
        data._cache[key] = frame[["iso3", "year", "label_year", "y"]].reset_index(drop=True)
    out: pd.DataFrame = data._cache[key]
    if as_of is not None:
        out = out[out["label_year"] <= int(as_of)]
    return out.reset_index(drop=True)


def feature_columns(frame: pd.DataFrame, target: Target) -> list[str]:
    """The model inputs: every feature column except the ids (and ``conflict``, constant in the onset risk set)."""
    skip = {"iso3", "year", "label_year", "y"} | ({"conflict"} if target == "conflict_onset" else set())
    return [c for c in frame.columns if c not in skip and not frame[c].isna().all()]


__all__ = ["PERSISTENCE_FLAG", "band_labels", "carry_forward", "conflict_history", "feature_columns", "features",
           "index_features", "labels", "onset_labels", "raw_features"]

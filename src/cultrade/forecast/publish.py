"""Forecasts for the latest data year, stored in ``forecast_probabilities`` for the rules engine.

Table ``forecast_probabilities`` (one row per country, origin year, target, horizon and model):

========================  =====================================================================
``iso3``                  the country
``origin_year``           the data year t the forecast starts from (features use years <= t)
``target``                ``band_deterioration`` (band at t + h worse than at t) or
                          ``conflict_onset`` (no conflict at t, one in t+1..t+h)
``horizon_years``         h: the forecast is about the year(s) up to ``origin_year + h``
``probability``           the event probability, 0-1
``model``                 ``logit``, ``hgb`` (or a baseline, if asked for)
``created_at``            UTC time of the run
========================  =====================================================================

Countries in conflict at the origin year have **no** ``conflict_onset`` row (they are outside the
onset risk set), and unscored countries have no row at all. Each (origin year, target) is one
partition of the store: a new run replaces it in one transaction, leaving other years alone.

>>> FORECAST_COLUMNS
('iso3', 'origin_year', 'target', 'horizon_years', 'probability', 'model', 'created_at')
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd

from cultrade.errors import ConfigError
from cultrade.forecast.data import ForecastData, load_data
from cultrade.forecast.design import PERSISTENCE_FLAG, feature_columns, features, labels
from cultrade.forecast.models import fit_predict
from cultrade.forecast.options import FORECAST_TABLE, LEARNED, TARGETS, check_horizon, check_many
from cultrade.store import Provenance, Store

FORECAST_COLUMNS = ("iso3", "origin_year", "target", "horizon_years", "probability", "model", "created_at")
SOURCE = "forecast"


def predict(data: ForecastData, year: int | None = None, *, targets: Sequence[str] = TARGETS,
            horizons: Sequence[int] = (1,), models: Sequence[str] = LEARNED, seed: int = 0) -> pd.DataFrame:
    """Train on every label known by ``year`` (default: the last data year) and forecast from ``year``."""
    origin = data.last_year if year is None else int(year)
    if not data.first_year + 2 <= origin <= data.last_year:
        raise ConfigError(f"no data to forecast from {origin}",
                          hint=f"pick a year between {data.first_year + 2} and {data.last_year}")
    ts, ms = check_many("target", targets), check_many("model", models)
    hs = tuple(dict.fromkeys(check_horizon(h) for h in horizons))
    feats = features(data, origin)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    frames = []
    for target in ts:
        test = feats[feats["year"] == origin]
        if target == "conflict_onset":
            test = test[test["conflict"] == 0]
        for h in hs:
            train = feats.merge(labels(data, target, h, as_of=origin), on=["iso3", "year"])  # type: ignore[arg-type]
            if test.empty or train["y"].nunique() < 2:
                continue
            cols = feature_columns(train, target)  # type: ignore[arg-type]
            for m in ms:
                p = fit_predict(m, train[cols], train["y"].to_numpy(), test[cols],  # type: ignore[arg-type]
                                flag=PERSISTENCE_FLAG[target], seed=seed)
                frames.append(pd.DataFrame({"iso3": test["iso3"].to_numpy(), "origin_year": origin,
                                            "target": target, "horizon_years": h, "probability": p,
                                            "model": m, "created_at": now}))
    if not frames:
        raise ConfigError(f"nothing to forecast from {origin}", hint="check that WGI and UCDP are loaded")
    out = pd.concat(frames, ignore_index=True)
    out["origin_year"] = out["origin_year"].astype("int32")
    out["horizon_years"] = out["horizon_years"].astype("int32")
    return out[list(FORECAST_COLUMNS)]


def predict_and_store(store: Store, year: int | None = None, *, targets: Sequence[str] = TARGETS,
                      horizons: Sequence[int] = (1,), models: Sequence[str] = LEARNED, seed: int = 0,
                      home: str = "CHN", domain: str = "general", data: ForecastData | None = None) -> pd.DataFrame:
    """Forecast from ``year`` and write the rows to ``forecast_probabilities``; returns them.

    ``data`` (from :func:`~cultrade.forecast.data.load_data`) saves re-reading the store.
    """
    data = data or load_data(store, home, domain)
    out = predict(data, year, targets=targets, horizons=horizons, models=models, seed=seed)
    for (origin, target), part in out.groupby(["origin_year", "target"], sort=True):
        store.write_frames(SOURCE, {FORECAST_TABLE: part.reset_index(drop=True)}, provenance=Provenance(
            source=SOURCE, partition=f"{origin}:{target}", vintage=str(origin), licence="derived",
            publisher="cultrade", origin="computed"))
    return out


def stored_forecasts(store: Store) -> pd.DataFrame:
    """The whole ``forecast_probabilities`` table (empty, with its columns, before any run)."""
    if not store.has_table(FORECAST_TABLE):
        return pd.DataFrame(columns=list(FORECAST_COLUMNS))
    return store.frame(FORECAST_TABLE)


__all__ = ["FORECAST_COLUMNS", "SOURCE", "predict", "predict_and_store", "stored_forecasts"]

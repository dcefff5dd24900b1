"""Forecasts of risk-band deterioration and conflict onset, with published backtests.

The library API (the CLI calls these):

* :func:`load_data` (store, home, domain) -> :class:`ForecastData`: everything read once;
* :func:`features` (data, as_of) and :func:`labels` (data, target, horizon, as_of): the design;
* :func:`backtest` (store or data, target, origins, horizons, models, seed) -> :class:`BacktestReport`
  (``.pooled()``, ``.per_origin()``, ``.reliability()``, ``.to_markdown()``):
  ``cultrade forecast backtest``;
* :func:`predict_and_store` (store, year, targets, horizons, models) writes
  ``forecast_probabilities``: ``cultrade forecast predict --year 2024``;
* :mod:`cultrade.forecast.metrics`: AUC, average precision, Brier, calibration, reliability.

Methods, leakage precautions and the measured backtest: ``docs/forecast_backtest.md``.

>>> from cultrade.forecast import TARGETS, MODELS
>>> TARGETS, MODELS
(('band_deterioration', 'conflict_onset'), ('logit', 'hgb', 'persistence', 'climatology'))
"""

from __future__ import annotations

from cultrade.forecast.data import ForecastData, load_data
from cultrade.forecast.design import features, labels
from cultrade.forecast.options import FORECAST_TABLE, MODELS, TARGETS, ModelName, Target
from cultrade.forecast.publish import FORECAST_COLUMNS, predict, predict_and_store, stored_forecasts
from cultrade.forecast.rolling import BacktestReport, backtest

__all__ = [
    "FORECAST_COLUMNS",
    "FORECAST_TABLE",
    "MODELS",
    "TARGETS",
    "BacktestReport",
    "ForecastData",
    "ModelName",
    "Target",
    "backtest",
    "features",
    "labels",
    "load_data",
    "predict",
    "predict_and_store",
    "stored_forecasts",
]

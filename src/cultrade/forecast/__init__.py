"""Forecasts of the adverse events an investor acts on, with published backtests against simple baselines.

Targets (:mod:`cultrade.forecast.targets`): conflict onset, currency crisis, very high inflation,
output collapse (the risk module's adverse events), a sustained rise of the risk score, and risk-band
deterioration. The library API (the CLI calls these):

* :func:`load_data` (store, home, domain) -> :class:`ForecastData`: everything read once;
* :func:`features` (data, as_of) and :func:`labels` (data, target, horizon, as_of): the design;
* :func:`backtest` (store or data, targets, origins, horizons, models, seed) -> :class:`BacktestReport`
  (``.pooled()``, ``.decision()``, ``.per_origin()``, ``.reliability()``, ``.to_markdown()``):
  ``cultrade forecast backtest``;
* :func:`record_decision` / :func:`stored_decision`: which models ship, in ``forecast_skill``;
* :func:`predict_and_store` (store, year, targets, horizons) writes the shipped forecasts to
  ``forecast_probabilities`` and returns a :class:`Published` (``.top()`` for top lists):
  ``cultrade forecast predict``;
* :mod:`cultrade.forecast.metrics`: AUC, average precision, Brier, calibration, reliability.

Methods, leakage precautions and the measured backtest: ``docs/forecast_backtest.md`` (written by
``cultrade forecast backtest --out docs/forecast_backtest.md``).

>>> from cultrade.forecast import TARGETS, LEARNED
>>> TARGETS[:2], LEARNED
(('conflict_onset', 'currency_crisis'), ('logit', 'hgb'))
"""

from __future__ import annotations

from cultrade.forecast.data import ForecastData, load_data
from cultrade.forecast.design import features
from cultrade.forecast.options import (
    BASELINES,
    FORECAST_TABLE,
    LEARNED,
    MODELS,
    SKILL_TABLE,
    TARGETS,
    ModelName,
    Target,
)
from cultrade.forecast.publish import FORECAST_COLUMNS, Published, predict, predict_and_store, stored_forecasts
from cultrade.forecast.rolling import BacktestReport, backtest
from cultrade.forecast.skill import decide, record_decision, stored_decision
from cultrade.forecast.targets import labels

__all__ = [
    "BASELINES",
    "FORECAST_COLUMNS",
    "FORECAST_TABLE",
    "LEARNED",
    "MODELS",
    "SKILL_TABLE",
    "TARGETS",
    "BacktestReport",
    "ForecastData",
    "ModelName",
    "Published",
    "Target",
    "backtest",
    "decide",
    "features",
    "labels",
    "load_data",
    "predict",
    "predict_and_store",
    "record_decision",
    "stored_decision",
    "stored_forecasts",
]

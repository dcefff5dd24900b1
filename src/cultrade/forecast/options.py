"""Every option of the forecasts as a ``Literal`` type, validated in one place.

:func:`check` is the single gate used by the feature builder, the backtest,
:func:`~cultrade.forecast.publish.predict_and_store` and the CLI, so a bad
option always gives the same :class:`~cultrade.errors.ConfigError`.

>>> check("target", "currency_crisis")
'currency_crisis'
>>> check("model", "svm")
Traceback (most recent call last):
...
cultrade.errors.ConfigError: unknown model 'svm'. Fix: use one of logit, hgb, persistence, climatology, distance_to_cut, score_rank, wgi_average
>>> check_horizon(4)
Traceback (most recent call last):
...
cultrade.errors.ConfigError: horizon 4 is not supported. Fix: use 1, 2 or 3 (years between the data year and the target year)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from cultrade.errors import ConfigError, check_choice

Target = Literal["conflict_onset", "currency_crisis", "inflation_crisis", "output_collapse", "score_rise",
                 "band_deterioration"]
ModelName = Literal["logit", "hgb", "persistence", "climatology", "distance_to_cut", "score_rank", "wgi_average"]
Binning = Literal["quantile", "uniform"]

TARGETS: tuple[str, ...] = get_args(Target)
EVENT_TARGETS: tuple[str, ...] = ("conflict_onset", "currency_crisis", "inflation_crisis", "output_collapse")
MODELS: tuple[str, ...] = get_args(ModelName)
LEARNED: tuple[str, ...] = ("logit", "hgb")
BASELINES: tuple[str, ...] = ("persistence", "climatology", "distance_to_cut", "score_rank", "wgi_average")
HORIZONS: tuple[int, ...] = (1, 2, 3)
FORECAST_TABLE = "forecast_probabilities"
SKILL_TABLE = "forecast_skill"
# The bar a learned model must clear at lead 1 to be shipped (issue 10, item 7).
MIN_AUC_GAIN = 0.05      # AUC above the best baseline's
MIN_BSS = 0.0            # Brier skill against climatology must be above this
DECISION_HORIZON = 1
SCORE_RISE = 1.0         # points on the 0-10 scale, for ``score_rise``
BOOTSTRAP = 200          # resampled origin sets behind each 90% interval
LOW_COVERAGE = 0.85      # share of the index's weight with data below which a country leaves the top lists

_OPTIONS: dict[str, tuple[str, ...]] = {
    "target": TARGETS,
    "model": MODELS,
    "binning": get_args(Binning),
}


def check(name: str, value: object) -> str:
    """``value`` if it is a valid choice for option ``name``, else a :class:`ConfigError`."""
    return check_choice(_OPTIONS, name, value)


def check_many(name: str, values: str | Iterable[str]) -> tuple[str, ...]:
    """Several choices at once (a single string counts as one), duplicates dropped, order kept.

    >>> check_many("model", ["hgb", "logit", "hgb"])
    ('hgb', 'logit')
    """
    items = [values] if isinstance(values, str) else list(values)
    if not items:
        raise ConfigError(f"no {name} given", hint=f"use any of {', '.join(_OPTIONS.get(name, ()))}")
    return tuple(dict.fromkeys(check(name, v) for v in items))


def check_horizon(value: object) -> int:
    """A lead time in years: 1, 2 or 3."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in HORIZONS:
        raise ConfigError(f"horizon {value!r} is not supported",
                          hint="use 1, 2 or 3 (years between the data year and the target year)")
    return value


__all__ = [
    "BASELINES",
    "BOOTSTRAP",
    "DECISION_HORIZON",
    "EVENT_TARGETS",
    "FORECAST_TABLE",
    "HORIZONS",
    "LEARNED",
    "LOW_COVERAGE",
    "MIN_AUC_GAIN",
    "MIN_BSS",
    "MODELS",
    "SCORE_RISE",
    "SKILL_TABLE",
    "TARGETS",
    "Binning",
    "ModelName",
    "Target",
    "check",
    "check_horizon",
    "check_many",
]

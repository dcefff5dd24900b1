"""Every option of the forecasts as a ``Literal`` type, validated in one place.

:func:`check` is the single gate used by the feature builder, the backtest,
:func:`~cultrade.forecast.publish.predict_and_store` and the CLI, so a bad
option always gives the same :class:`~cultrade.errors.ConfigError`.

>>> check("target", "conflict_onset")
'conflict_onset'
>>> check("model", "svm")
Traceback (most recent call last):
...
cultrade.errors.ConfigError: unknown model 'svm'. Fix: use one of logit, hgb, persistence, climatology
>>> check_horizon(4)
Traceback (most recent call last):
...
cultrade.errors.ConfigError: horizon 4 is not supported. Fix: use 1, 2 or 3 (years between the data year and the target year)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from cultrade.errors import ConfigError, check_choice

Target = Literal["band_deterioration", "conflict_onset"]
ModelName = Literal["logit", "hgb", "persistence", "climatology"]
Binning = Literal["quantile", "uniform"]

TARGETS: tuple[str, ...] = get_args(Target)
MODELS: tuple[str, ...] = get_args(ModelName)
LEARNED: tuple[str, ...] = ("logit", "hgb")
BASELINES: tuple[str, ...] = ("persistence", "climatology")
HORIZONS: tuple[int, ...] = (1, 2, 3)
FORECAST_TABLE = "forecast_probabilities"

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
    "FORECAST_TABLE",
    "HORIZONS",
    "LEARNED",
    "MODELS",
    "TARGETS",
    "Binning",
    "ModelName",
    "Target",
    "check",
    "check_horizon",
    "check_many",
]

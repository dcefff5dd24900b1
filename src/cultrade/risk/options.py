"""Every option of the risk index as a ``Literal`` type, validated in one place.

:func:`check` is the single gate: the YAML framework, :func:`~cultrade.risk.build_index`
and :meth:`~cultrade.risk.index.RiskIndex.regenerate` all go through it, so a bad
option always gives the same :class:`~cultrade.errors.ConfigError`.

>>> check("normalisation", "zscore")
'zscore'
>>> check("normalisation", "z")
Traceback (most recent call last):
...
cultrade.errors.ConfigError: unknown normalisation 'z'. Fix: use one of minmax, zscore, rank, goalposts
"""

from __future__ import annotations

from typing import Literal, get_args

from cultrade.errors import check_choice

Normalisation = Literal["minmax", "zscore", "rank", "goalposts"]
NormalisationScope = Literal["panel", "year"]
Weighting = Literal["equal", "expert", "pca"]
Aggregation = Literal["arithmetic", "geometric"]
Outliers = Literal["config", "none", "winsorise"]
Direction = Literal["more_risk", "less_risk"]
LogTransform = Literal["none", "log", "log1p", "signed_log"]
Band = Literal["very low", "low", "medium", "high", "very high"]
BandMethod = Literal["quantile", "fixed"]
Outlook = Literal["improving", "stable", "deteriorating", "n/a"]
MergeMode = Literal["merge", "replace"]
OverrideKind = Literal["indicator", "dimension"]
# Indicators computed from other series or tables (source: derived).
Derived = Literal[
    "gdp_growth",
    "gdp_growth_3y",
    "gdp_per_head",
    "inflation",
    "fx_depreciation",
    "fx_volatility",
    "fx_volatility_monthly",
    "reserves_gdp",
    "fdi_inflows",
    "neighbour_conflict",
    "event_conflict_share",
    "kogut_singh",
    "language_proximity",
    "common_language",
    "colonial_tie",
    "distance",
    "bilateral_tension",
    "sanctions",
]

BANDS: tuple[str, ...] = get_args(Band)

_OPTIONS: dict[str, tuple[str, ...]] = {
    "normalisation": get_args(Normalisation),
    "normalisation_scope": get_args(NormalisationScope),
    "weighting": get_args(Weighting),
    "aggregation": get_args(Aggregation),
    "aggregation_within": get_args(Aggregation),
    "outliers": get_args(Outliers),
    "direction": get_args(Direction),
    "log": get_args(LogTransform),
    "mode": get_args(MergeMode),
    "derived": get_args(Derived),
    "override kind": get_args(OverrideKind),
    "band_method": get_args(BandMethod),
}


def check(name: str, value: object) -> str:
    """``value`` if it is a valid choice for option ``name``, else a :class:`ConfigError`."""
    return check_choice(_OPTIONS, name, value)


def choices(name: str) -> tuple[str, ...]:
    """The valid values of option ``name``.

    >>> choices("aggregation")
    ('arithmetic', 'geometric')
    """
    return _OPTIONS[name]


__all__ = [
    "BANDS",
    "Aggregation",
    "Band",
    "BandMethod",
    "Derived",
    "Direction",
    "LogTransform",
    "MergeMode",
    "Normalisation",
    "NormalisationScope",
    "Outliers",
    "Outlook",
    "OverrideKind",
    "Weighting",
    "check",
    "choices",
]

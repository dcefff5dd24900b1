"""Where each cell of the risk panel comes from: one status code (uint8) per year, country and indicator.

The index and its explanations show these names, so a user can see which values were observed,
carried from an earlier year, taken from a second source, imputed by a documented rule, forecast,
or left out.

================  ====================================================================================
``missing``       no value (the indicator is left out for this cell and the weights renormalised)
``observed``      observed in this year by the indicator's own source
``missing means   the source's documented rule fills an absent row (UCDP: no row = no conflict)
zero``
``forecast``      a forecast (the IMF WEO growth forecast): never enough on its own
``static``        a fixed country attribute (distance, language, Hofstede scores)
``carried``       the latest observation of an earlier year, within the carry limit
``override``      an expert override
``other source``  observed, but from the fallback source (GDP deflator for CPI, Fed H.10 for WDI)
``imputed``       imputed by a documented rule (e.g. PPP-implied depreciation for a pegged rate)
``uninformative`` a value exists but says nothing (e.g. negative FDI inflows): left out, flagged
``nowcast``       from the live event stream, for the latest year
``published       a publisher's own estimate or a regional value (Hofstede Insights' starred scores)
estimate``
================  ====================================================================================

>>> STATUS_NAMES[SUBSTITUTE], is_observed(np.array([OBSERVED, FORECAST, CARRIED])).tolist()
('other source', [True, False, True])
"""

from __future__ import annotations

import numpy as np

(MISSING, OBSERVED, RULE, FORECAST, STATIC, CARRIED, OVERRIDDEN, SUBSTITUTE, IMPUTED, UNINFORMATIVE, NOWCAST,
 ESTIMATED) = range(12)
STATUS_NAMES = ("missing", "observed", "missing means zero", "forecast", "static", "carried", "override",
                "other source", "imputed", "uninformative", "nowcast", "published estimate")
#: Statuses that rest on an observation (of this year, an earlier one, or a fixed attribute).
OBSERVED_LIKE = (OBSERVED, RULE, STATIC, CARRIED, SUBSTITUTE, NOWCAST, OVERRIDDEN, ESTIMATED)
#: Statuses that hold no value.
EMPTY = (MISSING, UNINFORMATIVE)


def is_observed(status: np.ndarray) -> np.ndarray:
    """True where a cell rests on an observation (not a forecast, an imputation or nothing)."""
    return np.isin(status, OBSERVED_LIKE)


__all__ = [
    "CARRIED",
    "EMPTY",
    "ESTIMATED",
    "FORECAST",
    "IMPUTED",
    "MISSING",
    "NOWCAST",
    "OBSERVED",
    "OBSERVED_LIKE",
    "OVERRIDDEN",
    "RULE",
    "STATIC",
    "STATUS_NAMES",
    "SUBSTITUTE",
    "UNINFORMATIVE",
    "is_observed",
]

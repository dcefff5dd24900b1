"""Country risk for cultural enterprises going abroad: a transparent, replayable composite index.

The library API (the CLI calls these; each command is one call):

* :func:`build_index` (store, home, domain, years, framework, ...) -> :class:`RiskIndex`
* :meth:`RiskIndex.scores` (year) -> DataFrame; :meth:`RiskIndex.explain` (iso3, year) -> Explanation
* :meth:`RiskIndex.regenerate` (**changes) replays every step with new parameters
* :func:`risk_scores` = ``cultrade risk score --home CHN --domain games --year 2023``
* :func:`risk_explain` = ``cultrade risk explain IRN --home CHN``
* :func:`add_override` records an expert override (audit trail, one transaction)

Hooks for uncertainty and sensitivity analysis (``risk/uncertainty.py``, ``risk/sobol.py``):
:meth:`RiskIndex.normalised` (another normalisation of the same treated cube),
:meth:`RiskIndex.score_batch` (scores for a batch of weight vectors in one go) and
:func:`cultrade.risk.steps.aggregate` (any leading batch shape on the weights).

>>> from cultrade.risk import load_framework
>>> load_framework().defaults.normalisation
'goalposts'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cultrade.errors import ConfigError
from cultrade.risk.explain import Explanation, coverage_table
from cultrade.risk.framework import Framework, load_framework
from cultrade.risk.index import RiskIndex
from cultrade.risk.options import check
from cultrade.risk.overrides import Override, deactivate_override, load_overrides, save_overrides
from cultrade.risk.panel import Panel, build_panel
from cultrade.store import Store


def _framework(framework: Framework | str | Path | None, mode: str = "merge") -> Framework:
    if framework is None or isinstance(framework, Framework):
        return framework or load_framework()
    return load_framework(framework, mode=check("mode", mode))  # type: ignore[arg-type]


def build_index(store: Store, home: str = "CHN", domain: str = "general", *, years: Sequence[int] | None = None,
                framework: Framework | str | Path | None = None, framework_mode: str = "merge",
                geodist: str | Path | None = None, **params: Any) -> RiskIndex:
    """Read the store and build the index for an enterprise from ``home`` working in ``domain``.

    ``framework`` is a :class:`Framework` or a YAML file merged onto the shipped one
    (``framework_mode="replace"`` to use it alone). ``params`` are step parameters
    (``normalisation``, ``weighting``, ``weights``, ``aggregation``, ``min_coverage``,
    ``exclude``, ``use_overrides``...; see ``framework.yaml`` ``defaults``). Stored
    expert overrides are applied unless ``use_overrides=False``.
    """
    fw = _framework(framework, framework_mode)
    fw.domain(domain)
    panel = build_panel(store, fw, years=years, home=str(home).upper(), geodist=geodist)
    return RiskIndex(panel, fw, overrides=load_overrides(store), home=home, domain=domain, **params)


def risk_scores(store: Store, home: str = "CHN", domain: str = "general", year: int | None = None,
                **kw: Any) -> pd.DataFrame:
    """The score table for one year (latest scored year by default): ``cultrade risk score``."""
    return build_index(store, home, domain, **kw).scores(year)


def risk_explain(store: Store, iso3: str, home: str = "CHN", domain: str = "general", year: int | None = None,
                 **kw: Any) -> Explanation:
    """The explanation of one country: ``cultrade risk explain IRN --home CHN``."""
    return build_index(store, home, domain, **kw).explain(iso3, year)


def add_override(store: Store, index: RiskIndex, iso3: str, year: int, target: str, value: float, *,
                 author: str, reason: str) -> RiskIndex:
    """Record an override of ``target`` (an indicator or dimension id) and return the adjusted index.

    The old value (the current 0-10 score of that indicator or dimension) is taken
    from ``index``; the override is saved to ``risk_overrides`` in one transaction.
    """
    st = index.structure
    if target in st.ind_ids:
        kind, arr, k = "indicator", index.norm * 10.0, st.ind_ids.index(target)
    elif target in st.dim_ids:
        kind, arr, k = "dimension", index.dim_scores, st.dim_ids.index(target)
    else:
        raise ConfigError(f"unknown override target {target!r}",
                          hint=f"use an indicator or dimension id: {', '.join((*st.dim_ids, *st.ind_ids))}")
    t = index._year_index(year)
    hit = (index.countries == iso3.upper()).nonzero()[0]
    if hit.size == 0:
        raise ConfigError(f"{iso3} is not in the index", hint="use an ISO3 code of a scored economy")
    old = float(arr[t, hit[0], k])
    ov = Override(iso3.upper(), int(year), kind, target, value, author=author, reason=reason,
                  old_value=None if old != old else old, home=index.params["home"], domain=index.params["domain"])
    save_overrides(store, [ov])
    return index.with_overrides([ov])


__all__ = [
    "Explanation",
    "Framework",
    "Override",
    "Panel",
    "RiskIndex",
    "add_override",
    "build_index",
    "build_panel",
    "coverage_table",
    "deactivate_override",
    "load_framework",
    "load_overrides",
    "risk_explain",
    "risk_scores",
    "save_overrides",
]

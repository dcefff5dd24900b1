"""Where should we go next: gravity, export potential, risk-adjusted market rankings and product matching.

The library API (the CLI, the REST API and the dashboard call these):

* :func:`gravity` (store, source, years, ...) -> :class:`GravityResult`: structural gravity by PPML
  (``cultrade markets gravity``)
* :func:`potential` (store, year, level, exporter) -> DataFrame: ITC-style export potential
  (``cultrade markets potential``)
* :func:`rank_markets` (store, home, domain) -> :class:`Ranking` (``cultrade markets rank``)
* :func:`match_markets` (store, home, domain) -> (DataFrame, note) (``cultrade markets match``)
* :func:`backtest_agtpa`, :func:`backtest_comtrade`, :func:`backtest_baci` -> :class:`BacktestResult`
  (``cultrade markets backtest``); :func:`decide` chooses each situation's default ranking from the
  figures and :func:`default_ranking` reads the recorded decision back

Extra dyadic covariates (the risk index's bilateral relations, for one) come in through one hook, the
``extra`` DataFrame (iso_o, iso_d[, year], measures...), documented in :mod:`cultrade.markets.data`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cultrade.markets.backtest import backtest_agtpa, backtest_baci, backtest_comtrade
from cultrade.markets.choice import Choice, default_ranking
from cultrade.markets.data import AGTPA_REFERENCE, AGTPA_REFERENCE_YEARS, COVARIATES, GEODIST, gravity_frame
from cultrade.markets.evaluation import RANKINGS, BacktestResult, decide
from cultrade.markets.gravity import GravityResult, describe_dropped, estimate_gravity
from cultrade.markets.matching import match_markets
from cultrade.markets.potential import potential, sample_note
from cultrade.markets.rank import Ranking, frontier, rank_markets
from cultrade.store import Store


def gravity(store: Store, source: str = "agtpa", *, years: Sequence[int] | None = None, domain: str = "general",
            covariates: Sequence[str] | None = None, cultural: bool = False, relations: bool = False,
            spoken_language: bool = False, extra: pd.DataFrame | None = None) -> GravityResult:
    """Estimate structural gravity on the store's flows.

    ``source="agtpa"``: AGTPA, by default the guide's reference specification (years 1986-2006 every four
    years; ln distance, contiguity, language, colony; add ``rta`` through ``covariates``).
    ``source="baci"``: BACI flows of ``domain`` (a product type or trade domain) with GeoDist's distance,
    contiguity, official and spoken language and colony. ``cultural`` adds Kogut-Singh cultural distance,
    ``relations`` the bilateral tension of the risk index (pairs without it are dropped, and said so),
    ``spoken_language`` GeoDist's common spoken language (AGTPA), ``extra`` any dyadic covariate.
    """
    if source == "agtpa" and years is None:
        years = AGTPA_REFERENCE_YEARS
    frame, available = gravity_frame(store, source, years=years, domain=domain, cultural=cultural,
                                     relations=relations, geodist_covariates=spoken_language, extra=extra)
    if covariates is None:
        base = list(AGTPA_REFERENCE) if source == "agtpa" else list(GEODIST)
        chosen = base + [c for c in available if c not in base and c != "rta"]
    else:
        chosen = list(covariates)
    label = f"{source} {min(frame['year'])}-{max(frame['year'])}" + (f", {domain}" if source == "baci" else "")
    return estimate_gravity(frame, chosen, source=label)


__all__ = [
    "AGTPA_REFERENCE",
    "AGTPA_REFERENCE_YEARS",
    "COVARIATES",
    "RANKINGS",
    "BacktestResult",
    "Choice",
    "GravityResult",
    "Ranking",
    "backtest_agtpa",
    "backtest_baci",
    "backtest_comtrade",
    "decide",
    "default_ranking",
    "describe_dropped",
    "estimate_gravity",
    "frontier",
    "gravity",
    "match_markets",
    "potential",
    "rank_markets",
    "sample_note",
]

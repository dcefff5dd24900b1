"""Forecasts from the latest complete data year, stored in ``forecast_probabilities`` for the rules engine.

Table ``forecast_probabilities`` (one row per country, origin year, target, horizon and model):

========================  =====================================================================
``iso3``                  the country
``origin_year``           the data year t the forecast starts from (features use years <= t)
``target``                one of :data:`~cultrade.forecast.options.TARGETS` (see
                          :mod:`cultrade.forecast.targets`)
``horizon_years``         h: the event is about year ``origin_year + h``
``probability``           the event probability, 0-1
``model``                 the target's shipped model (``logit`` or ``hgb``)
``created_at``            UTC time of the run
========================  =====================================================================

Only **shipped** targets, leads and models are published (:mod:`cultrade.forecast.skill`: those
that beat the best baseline by 0.05 AUC with positive Brier skill in the backtest of the same data,
at that lead), so the alert rules only ever read forecasts that earned it (earlier stored partitions
of a target that no longer ships are emptied). Countries outside a target's risk set at the
origin (already in conflict, already in a currency crisis ...) have no row for it. Each (origin
year, target) is one partition of the store: a new run replaces it in one transaction.

:meth:`Published.top` gives the top list of a target, leaving out countries whose index coverage
at the origin is below :data:`~cultrade.forecast.options.LOW_COVERAGE` (85% of the index's weight
with data: their forecasts rest on too little data), and names them. The index's ``left_out`` flag
is not used for this: the dimension it most often leaves out is the home perspective's cultural
distance (no Hofstede or language data for many African and island states), which says nothing
about the data behind an event forecast.

>>> FORECAST_COLUMNS
('iso3', 'origin_year', 'target', 'horizon_years', 'probability', 'model', 'created_at')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from cultrade.errors import ConfigError
from cultrade.forecast.data import ForecastData, load_data
from cultrade.forecast.design import feature_columns, features
from cultrade.forecast.models import baseline_feature, fit_predict
from cultrade.forecast.options import (
    DECISION_HORIZON,
    FORECAST_TABLE,
    LOW_COVERAGE,
    TARGETS,
    check_horizon,
    check_many,
)
from cultrade.forecast.rolling import DEFAULT_ORIGINS, backtest
from cultrade.forecast.skill import current_decision, shipped_models
from cultrade.forecast.targets import labels, risk_set
from cultrade.store import Provenance, Store

FORECAST_COLUMNS = ("iso3", "origin_year", "target", "horizon_years", "probability", "model", "created_at")
SOURCE = "forecast"


@dataclass
class Published:
    """What :func:`predict_and_store` wrote, the decision behind it, and the data to make top lists."""

    rows: pd.DataFrame                       # FORECAST_COLUMNS
    decision: pd.DataFrame                   # cultrade.forecast.skill.DECISION_COLUMNS
    coverage: pd.Series                      # iso3 -> the index's coverage at the origin year
    notes: list[str] = field(default_factory=list)

    def top(self, target: str, horizon: int = 1, n: int = 15) -> tuple[pd.DataFrame, list[str]]:
        """(the ``n`` highest probabilities with coverage >= :data:`LOW_COVERAGE`, the iso3 codes left out).

        The codes left out are those with low coverage that would have ranked within the list.
        """
        g = self.rows[(self.rows["target"] == target) & (self.rows["horizon_years"] == horizon)]
        g = g.assign(coverage=self.coverage.reindex(g["iso3"]).to_numpy()).sort_values(
            ["probability", "iso3"], ascending=[False, True])
        low = g["coverage"].isna() | (g["coverage"] < LOW_COVERAGE)
        kept = g[~low].head(n)
        cutoff = kept["probability"].min() if len(kept) == n else -np.inf
        dropped = g[low & (g["probability"] >= cutoff)]["iso3"].astype(str).tolist()
        return kept.reset_index(drop=True), dropped


Job = tuple[str, int, str]   # target, horizon, model


def predict(data: ForecastData, year: int | None = None, *, targets: Sequence[str] = TARGETS,
            horizons: Sequence[int] = (1,), models: Sequence[str] = ("logit", "hgb"), seed: int = 0) -> pd.DataFrame:
    """Train on every label known by ``year`` (default: the latest complete data year) and forecast from it,
    for every target x horizon x model asked for.

    Nothing here checks the backtest (for research); :func:`predict_and_store` publishes shipped models only.
    """
    jobs = [(t, h, m) for t in check_many("target", targets) for h in dict.fromkeys(check_horizon(x) for x in horizons)
            for m in check_many("model", models)]
    return _forecast(data, _origin(data, year), jobs, seed)


def _origin(data: ForecastData, year: int | None) -> int:
    origin = data.complete_year if year is None else int(year)
    if not data.first_year + 2 <= origin <= data.last_year:
        raise ConfigError(f"no data to forecast from {origin}",
                          hint=f"pick a year between {data.first_year + 2} and {data.last_year}")
    return origin


def _forecast(data: ForecastData, origin: int, jobs: Sequence[Job], seed: int) -> pd.DataFrame:
    feats = features(data, origin)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    frames = []
    for target, h, m in jobs:
        at_risk = set(data.countries[risk_set(data, target, origin)].astype(str))
        test = feats[(feats["year"] == origin) & feats["iso3"].isin(at_risk)]
        train = feats.merge(labels(data, target, h, as_of=origin), on=["iso3", "year"])  # type: ignore[arg-type]
        if test.empty or train["y"].nunique() < 2:
            continue
        cols = feature_columns(train)
        p = fit_predict(m, train[cols], train["y"].to_numpy(), test[cols],  # type: ignore[arg-type]
                        feature=baseline_feature(m, target), seed=seed)
        frames.append(pd.DataFrame({"iso3": test["iso3"].to_numpy(), "origin_year": origin, "target": target,
                                    "horizon_years": h, "probability": p, "model": m, "created_at": now}))
    if not frames:
        raise ConfigError(f"nothing to forecast from {origin}", hint="check that WGI and UCDP are loaded")
    out = pd.concat(frames, ignore_index=True)
    out["origin_year"] = out["origin_year"].astype("int32")
    out["horizon_years"] = out["horizon_years"].astype("int32")
    return out[list(FORECAST_COLUMNS)]


def _plan(decision: pd.DataFrame, targets: Sequence[str], horizons: Sequence[int], explicit: bool
          ) -> tuple[list[Job], list[str]]:
    """The shipped (target, horizon, model) jobs among those asked for, and notes on the others."""
    jobs, refused = [], []
    for t in targets:
        for h in horizons:
            model = shipped_models(decision, h).get(t)
            if model is None:
                refused.append(f"{t} at lead {h}")
            else:
                jobs.append((t, h, model))
    if explicit and refused:
        raise ConfigError(f"{', '.join(refused)}: no model passed the backtest, so it is not published",
                          hint="see `cultrade forecast backtest` (a published model must beat the best baseline "
                               "by 0.05 AUC with positive Brier skill); the library's predict() still computes it "
                               "for research")
    return jobs, [f"{r}: not published, no model beats its baselines" for r in refused]


def predict_and_store(store: Store, year: int | None = None, *, targets: Sequence[str] | None = None,
                      horizons: Sequence[int] = (DECISION_HORIZON,), seed: int = 0, home: str = "CHN",
                      domain: str = "general", data: ForecastData | None = None) -> Published:
    """Forecast the shipped targets from ``year`` and write them to ``forecast_probabilities``.

    The shipping decision is the one recorded by the last backtest of the same inputs; when there
    is none for a target and lead (or the inputs changed), that backtest runs first
    (:func:`~.skill.current_decision`). A target named in ``targets`` that does not ship is refused;
    by default every shipped target is published. ``data`` (from :func:`~.data.load_data`) saves
    re-reading the store.
    """
    data = data or load_data(store, home, domain)
    origin = _origin(data, year)
    wanted = TARGETS if targets is None else check_many("target", targets)
    hs = tuple(dict.fromkeys(check_horizon(h) for h in horizons))
    decision, note = current_decision(store, data.home, data.domain, wanted, hs, lambda ts, leads: backtest(
        data, ts, origins=DEFAULT_ORIGINS, horizons=leads, seed=seed))
    jobs, notes = _plan(decision, wanted, hs, explicit=targets is not None)
    notes.insert(0, note)
    withdrawn = _withdraw(store, [t for t in wanted if t not in {j[0] for j in jobs}])
    if withdrawn:
        notes.append(f"withdrew {withdrawn} earlier stored forecast partition(s) of targets that no longer ship")
    if origin > data.complete_year:
        notes.append(f"{origin} is after the latest complete data year {data.complete_year} (WGI not out for most "
                     "countries): its features carry earlier values forward")
    if not jobs:
        return Published(pd.DataFrame(columns=list(FORECAST_COLUMNS)), decision, pd.Series(dtype=float),
                         [*notes, "no target passed the backtest: nothing was published"])
    out = _forecast(data, origin, jobs, seed)
    for (o, target), part in out.groupby(["origin_year", "target"], sort=True):
        store.write_frames(SOURCE, {FORECAST_TABLE: part.reset_index(drop=True)}, provenance=Provenance(
            source=SOURCE, partition=f"{o}:{target}", vintage=str(o), licence="derived",
            publisher="cultrade", origin="computed"))
    idx = data.index_as_of(origin)
    coverage = pd.Series(np.where(np.isnan(idx.score[-1]), np.nan, idx.agg.coverage[-1]),
                         index=idx.countries.astype(str))
    return Published(out, decision, coverage, notes)


def _withdraw(store: Store, targets: Sequence[str]) -> int:
    """Empty every stored partition of ``targets`` (so the rules stop reading them); returns how many."""
    cat = store.catalog()
    parts = cat[(cat["source"] == SOURCE) & (cat["rows"] > 0)]["partition"].astype(str)
    stale = [p for p in parts if p.split(":", 1)[-1] in set(targets)]
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
        FORECAST_COLUMNS, ("str", "int32", "str", "int32", "float64", "str", "datetime64[ns]"), strict=True)})
    for part in stale:
        store.write_frames(SOURCE, {FORECAST_TABLE: empty}, provenance=Provenance(
            source=SOURCE, partition=part, vintage=part.split(":", 1)[0], licence="derived", publisher="cultrade",
            origin="computed"))
    return len(stale)


def stored_forecasts(store: Store) -> pd.DataFrame:
    """The whole ``forecast_probabilities`` table (empty, with its columns, before any run)."""
    if not store.has_table(FORECAST_TABLE):
        return pd.DataFrame(columns=list(FORECAST_COLUMNS))
    return store.frame(FORECAST_TABLE)


__all__ = ["FORECAST_COLUMNS", "LOW_COVERAGE", "SOURCE", "Published", "predict", "predict_and_store",
           "stored_forecasts"]

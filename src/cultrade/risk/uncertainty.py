"""Monte Carlo uncertainty analysis: how far do scores and ranks move when the assumptions move?

Each draw makes three choices at once and scores every country with them:

* **weights**: every indicator, sub-dimension and dimension weight is perturbed
  around the index's own weights (expert weights with the domain multipliers).
  ``weights="uniform"``: w × U(1 − spread, 1 + spread), independently.
  ``weights="dirichlet"``: w × G / k with G ~ Gamma(k), k = w / (w̄ · cv²),
  cv = spread / √3 and w̄ the mean weight of the level. These are independent
  Gamma draws, so the shares within any group (the indicators of a
  sub-dimension, the dimensions of the index) follow a Dirichlet distribution
  centred on the expert shares, with concentration proportional to the weights.
  An average-sized weight gets the same coefficient of variation as under
  ``uniform``. ``weights="fixed"`` (or ``spread=0``) keeps them as they are.
* **normalisation**: one of ``normalisation`` (default all four: min-max,
  z-score, rank, goalposts). The choice is uniform and the normalisation is
  fitted like the index's own (same scope, observed cells, overrides kept).
* **aggregation** between dimensions: one of ``aggregation`` (default
  arithmetic and geometric), chosen uniformly. Within dimensions the index's
  own rule is kept.

Draws are made up front from one ``numpy.random.Generator`` seeded with
``seed``, then scored in batches of ``batch`` draws per (normalisation,
aggregation) pair with :func:`cultrade.risk.steps.score_batch` (one GEMM per
batch, no Python loop over countries or draws). The results are reproducible
for a given seed whatever the batch size.

**Ranks.** Rank 1 is the highest risk, with ties sharing the best rank, as in
:meth:`RiskIndex.scores`. Countries with insufficient data in the baseline
index are excluded and never ranked. A baseline-scored country can fall below
``min_coverage`` in a draw, because the coverage rule uses the drawn weights.
It is then unranked in that draw, and ``scored_share`` reports how often it
was ranked.

>>> import numpy as np
>>> rank_desc(np.array([[0.2, np.nan, 0.9, 0.2]])).tolist()
[[2.0, nan, 1.0, 2.0]]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cultrade.errors import ConfigError
from cultrade.risk import steps
from cultrade.risk.options import check, choices

if TYPE_CHECKING:
    from cultrade.risk.index import RiskIndex

WEIGHT_SCHEMES = ("uniform", "dirichlet", "fixed")
LEVELS = ("ind", "sub", "dim")
ALL_NORMALISATIONS: tuple[str, ...] = choices("normalisation")
ALL_AGGREGATIONS: tuple[str, ...] = choices("aggregation")


def _options(name: str, value: str | Sequence[str] | None, own: str) -> tuple[str, ...]:
    """A tuple of valid choices; ``None`` means the index's own setting only."""
    if value is None:
        return (own,)
    vals = (value,) if isinstance(value, str) else tuple(value)
    if not vals:
        raise ConfigError(f"no {name} to draw from", hint=f"pass one or more of {', '.join(choices(name))}")
    return tuple(dict.fromkeys(check(name, v) for v in vals))


@dataclass(frozen=True)
class Assumptions:
    """What varies across draws, and how much (see the module docstring)."""

    weights: str = "uniform"
    spread: float = 0.25
    levels: tuple[str, ...] = LEVELS
    normalisation: tuple[str, ...] = ALL_NORMALISATIONS
    aggregation: tuple[str, ...] = ALL_AGGREGATIONS

    def __post_init__(self) -> None:
        if self.weights not in WEIGHT_SCHEMES:
            raise ConfigError(f"unknown weight perturbation {self.weights!r}",
                              hint=f"use one of {', '.join(WEIGHT_SCHEMES)}")
        if not 0.0 <= self.spread < 1.0:
            raise ConfigError(f"spread {self.spread} is outside [0, 1)",
                              hint="a spread of 0.25 perturbs each weight by up to ±25%")
        bad = sorted(set(self.levels) - set(LEVELS))
        if bad:
            raise ConfigError(f"unknown weight level(s) {', '.join(bad)}", hint="use ind, sub and/or dim")


def draw_weights(base: dict[str, np.ndarray], n: int, rng: np.random.Generator, scheme: str = "uniform",
                 spread: float = 0.25, levels: Sequence[str] = LEVELS) -> dict[str, np.ndarray]:
    """``n`` weight vectors per level, shape (n, size), perturbed around ``base``.

    Zero weights stay zero; levels not in ``levels`` are repeated unchanged.

    >>> w = draw_weights({"dim": np.array([1.0, 2.0])}, 4000, np.random.default_rng(1), "dirichlet", 0.3)
    >>> np.round(w["dim"].mean(axis=0), 1).tolist()
    [1.0, 2.0]
    """
    out = {}
    for lvl, w0 in base.items():
        w0 = np.asarray(w0, dtype=float)
        if scheme == "fixed" or spread == 0 or lvl not in levels or w0.size == 0:
            out[lvl] = np.tile(w0, (n, 1))
        elif scheme == "uniform":
            out[lvl] = w0 * rng.uniform(1.0 - spread, 1.0 + spread, (n, w0.size))
        else:
            pos = w0 > 0
            cv2 = (spread / np.sqrt(3.0)) ** 2
            k = np.where(pos, w0 / (w0[pos].mean() * cv2) if pos.any() else 1.0, 1.0)
            out[lvl] = np.where(pos, w0 * rng.gamma(k, 1.0, (n, w0.size)) / k, 0.0)
    return out


def rank_desc(x: np.ndarray) -> np.ndarray:
    """Ranks along the last axis, 1 = highest value, ties share the best rank, NaN stays unranked."""
    key = -x  # NaN sorts last
    order = np.argsort(key, axis=-1, kind="stable")
    srt = np.take_along_axis(key, order, axis=-1)
    n = x.shape[-1]
    itype = np.int16 if n < 2**15 else np.int64
    new = np.empty(x.shape, dtype=bool)
    new[..., :1] = True
    np.not_equal(srt[..., 1:], srt[..., :-1], out=new[..., 1:])
    first = np.where(new, np.arange(1, n + 1, dtype=itype), itype(0))  # position where each run of ties starts
    np.maximum.accumulate(first, axis=-1, out=first)
    ranks = np.empty(x.shape, dtype=np.float32 if x.dtype == np.float32 else float)
    np.put_along_axis(ranks, order, first.astype(ranks.dtype), axis=-1)
    ranks[np.isnan(x)] = np.nan
    return ranks


def quantiles(a: np.ndarray, qs: Sequence[float], method: Sequence[str] | str = "linear") -> list[np.ndarray]:
    """NaN-aware quantiles over axis 0 of ``a`` (n, ...), without a Python loop over columns.

    ``method`` per quantile: ``linear`` (numpy's default), ``lower`` or ``higher``
    (the order statistics just below or above, so integer ranks stay integers).

    >>> a = np.array([[1.0, np.nan], [2.0, 5.0], [4.0, np.nan]])
    >>> [q.tolist() for q in quantiles(a, [0.5, 0.5], ["linear", "higher"])]
    [[2.0, 5.0], [2.0, 5.0]]
    """
    methods = [method] * len(qs) if isinstance(method, str) else list(method)
    flat = a.reshape(a.shape[0], -1).T  # (cells, n): sort along the contiguous axis
    srt = np.sort(flat, axis=-1)  # NaN last
    n = (~np.isnan(flat)).sum(axis=-1)
    rows = np.arange(flat.shape[0])
    out = []
    for q, m in zip(qs, methods, strict=True):
        pos = q * np.maximum(n - 1, 0)
        lo = np.floor(pos).astype(int)
        hi = np.ceil(pos).astype(int)
        vlo, vhi = srt[rows, lo], srt[rows, hi]
        if m == "lower":
            v = vlo
        elif m == "higher":
            v = vhi
        else:
            v = vlo + (pos - lo) * (vhi - vlo)
        out.append(np.where(n > 0, v, np.nan).reshape(a.shape[1:]))
    return out


def _year_slice(idx: RiskIndex, year: int | None, all_years: bool) -> slice:
    if all_years:
        return slice(0, len(idx.years))
    t = idx._year_index(year)
    return slice(t, t + 1)


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Single-threaded BLAS: the per-batch GEMMs are skinny (K ~ 25), and two BLAS threads ran
    1.5-1.7x slower than one on the 2-core benchmark machine."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with threadpool_limits(1, user_api="blas"):
        yield


def score_draws(idx: RiskIndex, w: dict[str, np.ndarray], norm_pick: np.ndarray, agg_pick: np.ndarray,
                normalisations: Sequence[str], aggregations: Sequence[str], years: slice,
                batch: int = 100) -> np.ndarray:
    """0-10 scores (B, T, C) for B draws of weights and choices, over the years in ``years``.

    ``norm_pick``/``agg_pick`` (B,) index into ``normalisations``/``aggregations``.
    Draws sharing a (normalisation, aggregation) pair are scored together in
    batches of ``batch``; NaN marks insufficient data in that draw.
    """
    p = idx.params
    n = norm_pick.shape[0]
    dim_ov = idx.dim_override[years] / 10.0
    out = np.full((n, *idx.score[years].shape), np.nan, dtype=np.float32)
    with _one_blas_thread():
        for i, method in enumerate(normalisations):
            sel_n = norm_pick == i
            if not sel_n.any():
                continue
            cube = idx.normalised(method)[years]
            for j, between in enumerate(aggregations):
                rows = np.flatnonzero(sel_n & (agg_pick == j))
                for start in range(0, rows.size, batch):
                    r = rows[start:start + batch]
                    out[r] = steps.score_batch(
                        cube, idx.structure.tree, w["ind"][r], w["sub"][r], w["dim"][r],
                        within=p["aggregation_within"], between=between, min_coverage=p["min_coverage"],
                        require_all_dimensions=p["require_all_dimensions"], dim_override=dim_ov,
                        dim_mask=idx.dim_mask[years], required=idx.required)
    out *= 10.0
    return out


@dataclass
class Simulation:
    """Every draw of a Monte Carlo run: choices, weights, scores and ranks (B draws, T years, C countries)."""

    years: np.ndarray                 # (T,)
    countries: np.ndarray             # (C,)
    assumptions: Assumptions
    seed: int | None
    normalisation: np.ndarray         # (B,) method of each draw
    aggregation: np.ndarray           # (B,) between-dimension aggregation of each draw
    weights: dict[str, np.ndarray]    # level -> (B, size)
    scores: np.ndarray                # (B, T, C) float32, NaN = not scored (or excluded)
    ranks: np.ndarray                 # (B, T, C) float32, NaN = not ranked
    baseline_score: np.ndarray        # (T, C)
    baseline_rank: np.ndarray         # (T, C)
    interval: float = 0.90
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def draws(self) -> int:
        return int(self.scores.shape[0])

    def summary(self, interval: float | None = None) -> pd.DataFrame:
        """One row per baseline-scored country and year: baseline, median, mean and interval of score and rank.

        Columns: ``iso3, name, year, score, rank`` (baseline), ``score_mean, score_median,
        score_lo, score_hi, rank_median, rank_lo, rank_hi, rank_width, scored_share, draws``.
        ``lo``/``hi`` are the (1 − interval)/2 and (1 + interval)/2 percentiles (5th and
        95th for the 90% interval). Rank bounds are order statistics (integers), taken
        outward so the interval holds at least ``interval`` of the draws.
        """
        from cultrade.risk.index import country_name

        level = self.interval if interval is None else float(interval)
        if not 0 < level < 1:
            raise ConfigError(f"interval {level} is outside (0, 1)", hint="use e.g. 0.9 for a 90% interval")
        a = (1.0 - level) / 2.0
        s_lo, s_med, s_hi = quantiles(self.scores, [a, 0.5, 1 - a])
        r_lo, r_med, r_hi = quantiles(self.ranks, [a, 0.5, 1 - a], ["lower", "linear", "higher"])
        scored = ~np.isnan(self.scores)
        n_scored = scored.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            s_mean = np.where(n_scored > 0, np.nansum(self.scores, axis=0, dtype=float) / n_scored, np.nan)
        T, C = self.baseline_score.shape
        df = pd.DataFrame({
            "iso3": np.tile(self.countries.astype(str), T),
            "year": np.repeat(self.years.astype(int), C),
            "score": self.baseline_score.ravel(), "rank": self.baseline_rank.ravel(),
            "score_mean": s_mean.ravel(), "score_median": s_med.ravel(),
            "score_lo": s_lo.ravel(), "score_hi": s_hi.ravel(),
            "rank_median": r_med.ravel(), "rank_lo": r_lo.ravel(), "rank_hi": r_hi.ravel(),
            "scored_share": (n_scored / self.draws).ravel(),
        })
        df = df[df["score"].notna()].copy()
        df["rank_width"] = df["rank_hi"] - df["rank_lo"]
        df["draws"] = self.draws
        for col in ("rank", "rank_lo", "rank_hi"):
            df[col] = df[col].round().astype("Int64")
        for col in ("score", "score_mean", "score_median", "score_lo", "score_hi"):
            df[col] = df[col].astype(float).round(4)
        df.insert(1, "name", [country_name(c) for c in df["iso3"]])
        df.attrs.update({"interval": level, "seed": self.seed, "assumptions": self.assumptions, **self.meta})
        return df.sort_values(["year", "rank", "iso3"]).reset_index(drop=True)


def simulate(idx: RiskIndex, draws: int = 1000, *, seed: int | None = None, year: int | None = None,
             all_years: bool = False, weights: str = "uniform", spread: float = 0.25,
             levels: Sequence[str] = LEVELS, normalisation: str | Sequence[str] | None = ALL_NORMALISATIONS,
             aggregation: str | Sequence[str] | None = ALL_AGGREGATIONS, interval: float = 0.90,
             batch: int = 100) -> Simulation:
    """Run the Monte Carlo and keep every draw (see :func:`monte_carlo` for the summary table).

    ``normalisation``/``aggregation``: the methods to draw from (a name, a list, or
    ``None`` for the index's own). ``year=None`` is the latest scored year;
    ``all_years=True`` scores every year.
    """
    if draws < 1:
        raise ConfigError(f"draws must be at least 1, got {draws}", hint="use e.g. draws=1000")
    p = idx.params
    ass = Assumptions(weights, float(spread), tuple(levels), _options("normalisation", normalisation,
                                                                       p["normalisation"]),
                      _options("aggregation", aggregation, p["aggregation"]))
    rng = np.random.default_rng(seed)
    norm_pick = rng.integers(0, len(ass.normalisation), draws)
    agg_pick = rng.integers(0, len(ass.aggregation), draws)
    w = draw_weights(idx.weights, draws, rng, ass.weights, ass.spread, ass.levels)
    years = _year_slice(idx, year, all_years)
    base = idx.score[years]
    scores = score_draws(idx, w, norm_pick, agg_pick, ass.normalisation, ass.aggregation, years, batch)
    scores[:, np.isnan(base)] = np.nan  # insufficient in the baseline: excluded, never ranked
    return Simulation(
        years=idx.years[years], countries=idx.countries, assumptions=ass, seed=seed,
        normalisation=np.asarray(ass.normalisation)[norm_pick], aggregation=np.asarray(ass.aggregation)[agg_pick],
        weights=w, scores=scores, ranks=rank_desc(scores), baseline_score=base, baseline_rank=rank_desc(base),
        interval=interval, meta={"home": p["home"], "domain": p["domain"]})


def monte_carlo(idx: RiskIndex, draws: int = 1000, *, seed: int | None = None, year: int | None = None,
                all_years: bool = False, weights: str = "uniform", spread: float = 0.25,
                levels: Sequence[str] = LEVELS, normalisation: str | Sequence[str] | None = ALL_NORMALISATIONS,
                aggregation: str | Sequence[str] | None = ALL_AGGREGATIONS, interval: float = 0.90,
                batch: int = 100) -> pd.DataFrame:
    """Median rank and rank interval (default 90%: 5th-95th percentile) per country, plus score statistics.

    Defaults: 1,000 draws; every weight ±25% (uniform); normalisation drawn
    from min-max, z-score, rank and goalposts; arithmetic or geometric
    aggregation between dimensions. ``idx.uncertainty(...)`` is the same call.
    """
    return simulate(idx, draws, seed=seed, year=year, all_years=all_years, weights=weights, spread=spread,
                    levels=levels, normalisation=normalisation, aggregation=aggregation, interval=interval,
                    batch=batch).summary()


__all__ = ["ALL_AGGREGATIONS", "ALL_NORMALISATIONS", "Assumptions", "Simulation", "draw_weights", "monte_carlo",
           "quantiles", "rank_desc", "score_draws", "simulate"]

"""Sobol sensitivity analysis: which assumption moves the ranking most?

There is one factor per uncertain assumption:

* each **dimension weight** (any node id can be named: a sub-dimension or an
  indicator too). The factor is uniform on w × [1 − spread, 1 + spread], and
  the other weights keep the index's values;
* ``normalisation``: a uniform [0, 1] factor mapped to one of the methods
  (u < 1/4 min-max, < 1/2 z-score, < 3/4 rank, else goalposts, by default);
* ``aggregation``: a uniform [0, 1] factor, u < 1/2 arithmetic, else geometric
  (between dimensions).

The sample comes from SALib's Sobol' sequence for the Saltelli scheme
(``SALib.sample.sobol``, N × (F + 2) evaluations, first- and total-order
only). The indices come from ``SALib.analyze.sobol.analyze``, with bootstrap
confidence intervals. The scalar output is, for one year:

* ``"rank_shift"`` (default): the mean absolute rank change against the
  index's own ranking, over the countries the index scores;
* ``"rank"`` / ``"score"``: the rank or score of one ``country``.

S1 is the share of the output variance due to the factor alone. ST adds its
interactions. S1 ≈ ST means the factor acts additively; ST ≈ 0 means the
factor can be fixed at any value without changing the result.
:func:`sobol_indices` runs the same machinery on any vectorised function.

>>> import numpy as np
>>> df = sobol_indices(lambda x: x[:, 0] + 2 * x[:, 1], ["a", "b"], [(0, 1), (0, 1)], n=1024, seed=1)
>>> df["S1"].round(1).tolist()     # Var = 1/12 + 4/12: shares 0.2 and 0.8
[0.2, 0.8]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cultrade.errors import ConfigError
from cultrade.risk.uncertainty import (
    ALL_AGGREGATIONS,
    ALL_NORMALISATIONS,
    _options,
    _year_slice,
    rank_desc,
    score_draws,
)

if TYPE_CHECKING:
    from cultrade.risk.index import RiskIndex

CHOICE_FACTORS = ("normalisation", "aggregation")
OUTPUTS = ("rank_shift", "rank", "score")


def sobol_indices(func: Callable[[np.ndarray], np.ndarray], names: Sequence[str],
                  bounds: Sequence[tuple[float, float]], n: int = 1024, *, seed: int | None = 0,
                  num_resamples: int = 100, conf_level: float = 0.95) -> pd.DataFrame:
    """First- and total-order Sobol indices of ``func`` (a (M, F) sample -> (M,) outputs) with SALib.

    ``n`` is the base sample size and must be a power of 2. ``func`` is called once,
    on all N × (F + 2) points. Columns: ``factor, S1, S1_conf, ST, ST_conf``, where
    ``*_conf`` is the half-width of the ``conf_level`` bootstrap interval.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    if n < 2 or n & (n - 1):
        raise ConfigError(f"n must be a power of 2 for the Sobol' sequence, got {n}", hint="use e.g. n=512 or 1024")
    if len(names) != len(bounds) or not names:
        raise ConfigError("Sobol analysis needs one (lo, hi) bound per factor", hint="pass names and bounds in pairs")
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[float(lo), float(hi)] for lo, hi in bounds]}
    x = sobol_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    y = np.asarray(func(x), dtype=float).reshape(-1)
    if y.shape[0] != x.shape[0] or not np.isfinite(y).all():
        raise ConfigError("the Sobol output must be one finite number per sample row",
                          hint="check the output function for NaN (e.g. a country that is not scored)")
    if np.var(y) == 0:
        raise ConfigError("the output does not vary over the sample, so it has no variance to apportion",
                          hint="widen the ranges (spread) or choose another output")
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=num_resamples,
                                conf_level=conf_level, seed=seed)
    df = pd.DataFrame({"factor": list(names), "S1": res["S1"], "S1_conf": res["S1_conf"],
                       "ST": res["ST"], "ST_conf": res["ST_conf"]})
    df.attrs.update({"n": n, "evaluations": int(x.shape[0]), "output_mean": float(y.mean()),
                     "output_sd": float(y.std()), "conf_level": conf_level})
    return df


def sensitivity(idx: RiskIndex, n: int = 512, *, seed: int | None = 0, year: int | None = None,
                output: str = "rank_shift", country: str | None = None, spread: float = 0.25,
                factors: Sequence[str] | None = None,
                normalisation: str | Sequence[str] | None = ALL_NORMALISATIONS,
                aggregation: str | Sequence[str] | None = ALL_AGGREGATIONS, batch: int = 100,
                num_resamples: int = 100, conf_level: float = 0.95) -> pd.DataFrame:
    """Sobol indices of the index's assumptions for one year (latest scored by default).

    ``factors`` defaults to every dimension (its weight), plus ``normalisation``
    and ``aggregation`` when there is more than one method to choose from. Node
    ids of sub-dimensions or indicators may be added. Factors that are left out
    keep the index's own setting. ``idx.sensitivity(...)`` is the same call.
    """
    p, st = idx.params, idx.structure
    if output not in OUTPUTS:
        raise ConfigError(f"unknown Sobol output {output!r}", hint=f"use one of {', '.join(OUTPUTS)}")
    if not 0 < spread < 1:
        raise ConfigError(f"spread {spread} is outside (0, 1)", hint="e.g. 0.25 varies each weight by ±25%")
    norms = _options("normalisation", normalisation, p["normalisation"])
    aggs = _options("aggregation", aggregation, p["aggregation"])
    if factors is None:
        factors = [d for d, w in zip(st.dim_ids, idx.weights["dim"], strict=True) if w > 0]
        factors += [f for f, opts in zip(CHOICE_FACTORS, (norms, aggs), strict=True) if len(opts) > 1]
    names = list(dict.fromkeys(factors))
    levels = {"ind": st.ind_ids, "sub": st.sub_ids, "dim": st.dim_ids}
    bounds: list[tuple[float, float]] = []
    for f in names:
        if f in CHOICE_FACTORS:
            bounds.append((0.0, 1.0))
            continue
        lvl = st.level_of(f)
        if f not in levels[lvl]:
            raise ConfigError(f"unknown Sobol factor {f!r}",
                              hint=f"use node ids in use ({', '.join(st.dim_ids)}, ...) or normalisation/aggregation")
        w0 = float(idx.weights[lvl][levels[lvl].index(f)])
        if w0 <= 0:
            raise ConfigError(f"the weight of {f!r} is 0, so it cannot vary by a share", hint="leave it out")
        bounds.append((w0 * (1 - spread), w0 * (1 + spread)))
    norms_used = norms if "normalisation" in names else (p["normalisation"],)
    aggs_used = aggs if "aggregation" in names else (p["aggregation"],)

    years = _year_slice(idx, year, all_years=False)
    base = idx.score[years][0]
    ranked = ~np.isnan(base)
    base_rank = rank_desc(base)
    c = -1
    if output != "rank_shift":
        if country is None:
            raise ConfigError(f"output={output!r} needs a country", hint="pass country='IRN' for example")
        hit = np.flatnonzero(idx.countries == country.upper())
        if hit.size == 0 or not ranked[hit[0]]:
            raise ConfigError(f"{country} is not scored in {int(idx.years[years][0])}", hint="pick a scored country")
        c = int(hit[0])
    info: dict[str, Any] = {}

    def evaluate(x: np.ndarray) -> np.ndarray:
        m = x.shape[0]
        w = {lvl: np.tile(np.asarray(idx.weights[lvl], dtype=float), (m, 1)) for lvl in levels}
        pick = {"normalisation": np.zeros(m, dtype=int), "aggregation": np.zeros(m, dtype=int)}
        for j, f in enumerate(names):
            if f in CHOICE_FACTORS:
                k = len(norms_used if f == "normalisation" else aggs_used)
                pick[f] = np.minimum((x[:, j] * k).astype(int), k - 1)
            else:
                lvl = st.level_of(f)
                w[lvl][:, levels[lvl].index(f)] = x[:, j]
        scores = score_draws(idx, w, pick["normalisation"], pick["aggregation"], norms_used, aggs_used,
                             years, batch)[:, 0, :]
        scores[:, ~ranked] = np.nan
        ranks = rank_desc(scores)
        if output == "rank_shift":
            return np.nanmean(np.abs(ranks - base_rank), axis=1)
        info["unscored_draws"] = int(np.isnan(scores[:, c]).sum())
        if output == "score":
            return scores[:, c].astype(float)
        last = (~np.isnan(ranks)).sum(axis=1) + 1.0  # dropped below min_coverage: counted as ranked last
        return np.where(np.isnan(ranks[:, c]), last, ranks[:, c]).astype(float)

    df = sobol_indices(evaluate, names, bounds, n, seed=seed, num_resamples=num_resamples, conf_level=conf_level)
    df.attrs.update({"output": output, "country": country, "year": int(idx.years[years][0]), "spread": spread,
                     "normalisations": norms_used, "aggregations": aggs_used, **info})
    return df


__all__ = ["CHOICE_FACTORS", "OUTPUTS", "sensitivity", "sobol_indices"]

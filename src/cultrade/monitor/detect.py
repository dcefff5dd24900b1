"""The event detectors' statistics: how surprising is a count of articles, given the key's usual share?

The model
---------
For one key (a country, or a pair of countries) and one metric (e.g. articles reporting fights in it), let
``x`` be the count in the last ``W`` hours and ``n`` the number of articles the whole stream carried in those
hours (its *exposure*). The expected count is the key's share of the world's articles over the baseline
window before (7 days by default) times the exposure:

    μ = (X + ½) / E · n

with ``X`` the key's count and ``E`` the world's articles over the baseline. Conditioning on the world's volume
gives the baseline its time of day and day of week (GDELT carries about half the articles on a weekend day
that it carries on a weekday, and 40 % more in the European afternoon than at night), and makes it blind to
the slices a replay lacks (an hour with one slice of four has a quarter of the exposure).

Counts are articles, not events, because articles are close to independent: in the 2025 replay the variance
of country-hour article counts is 1.0-1.3 times the mean where the mean is below 3 articles, while event
counts (several per article) have 2-10 times. What over-dispersion remains comes from the news cycle and from
not knowing the key's true share. Both enter a negative binomial with

    Var(x) = μ + μ² · (1/k₀ + 1/(X + ½))

* ``1/(X + ½)``: the gamma-Poisson posterior of a rate estimated from ``X`` counts (a key with no history
  has a wide predictive distribution, so one or two articles about a quiet country are not yet a surprise);
* ``1/k₀``: the pooled excess variance of the metric across all keys in the baseline window, estimated from
  the data by the method of moments (:func:`dispersion`), so the threshold follows the counts' own
  statistics rather than a level tuned to an event.

The *surprise* is ``S = −log10 P(X ≥ x)``, the upper tail of that negative binomial, less ``log10(m)`` for the
``m`` tests a rule makes at once (its windows × its metrics: Bonferroni), so ``S ≥ 4`` means a chance of less
than 1 in 10,000 per rule, key and evaluation. The *usual range* shown to users is the 5-95 % interval of the
same distribution.

>>> round(float(surprise(np.array([8]), np.array([1.0]), np.array([0.2]))[0]), 2)
3.81
>>> usual_range(np.array([1.0]), np.array([0.2]))
(array([0.]), array([3.]))
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

#: The gamma prior's shape: half an article (a rate seen 0 times is not 0).
PRIOR = 0.5
#: 1/k₀ when the baseline holds too little volume to estimate it (the 2025 replay measures 0.1-0.4).
DEFAULT_INV_K = 0.2
#: Keys whose expected count per bucket is at least this inform the pooled dispersion estimate.
DISPERSION_MIN_MEAN = 0.5
INV_K_BOUNDS = (0.02, 2.0)


def expected(baseline_count: np.ndarray, baseline_exposure: float, exposure: float) -> np.ndarray:
    """μ: the key's share of the world's articles over the baseline, times the window's exposure."""
    if baseline_exposure <= 0:
        return np.full(np.shape(baseline_count), np.nan)
    return (np.asarray(baseline_count, dtype=float) + PRIOR) / baseline_exposure * exposure


def inverse_size(baseline_count: np.ndarray, inv_k0: float) -> np.ndarray:
    """1/k of the predictive negative binomial (see the module doc)."""
    return inv_k0 + 1.0 / (np.asarray(baseline_count, dtype=float) + PRIOR)


def _nbinom(mu: np.ndarray, inv_k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    size = 1.0 / np.asarray(inv_k, dtype=float)
    mu = np.asarray(mu, dtype=float)
    return size, size / (size + mu)


def surprise(x: np.ndarray, mu: np.ndarray, inv_k: np.ndarray, tests: int = 1) -> np.ndarray:
    """−log10 P(X ≥ x) under NB(mean μ, 1/k), minus log10(tests); 0 when x ≤ 0, NaN where μ is unknown."""
    x = np.asarray(x, dtype=float)
    size, p = _nbinom(mu, inv_k)
    with np.errstate(divide="ignore", invalid="ignore"):
        # P(X >= x) = I_{1-p}(x, size), the regularised incomplete beta (scipy's nbinom.sf, without its overhead)
        tail = special.betainc(np.maximum(x, 1.0), size, 1.0 - p)
        s = -np.log10(np.clip(tail, 1e-300, 1.0)) - np.log10(max(tests, 1))
    s = np.where(x <= 0, 0.0, s)
    return np.where(np.isnan(np.asarray(mu, dtype=float)), np.nan, s)


def p_value(s: np.ndarray, tests: int = 1) -> np.ndarray:
    """The tail probability behind an adjusted surprise (for display)."""
    return np.minimum(1.0, 10.0 ** (-(np.asarray(s, dtype=float) + np.log10(max(tests, 1)))))


def usual_range(mu: np.ndarray, inv_k: np.ndarray, low: float = 0.05, high: float = 0.95
                ) -> tuple[np.ndarray, np.ndarray]:
    """The 5-95 % interval of the predictive distribution: what "usual" means in an alert's text."""
    size, p = _nbinom(mu, inv_k)
    return stats.nbinom.ppf(low, size, p), stats.nbinom.ppf(high, size, p)


def dispersion(counts: np.ndarray, exposure: np.ndarray, share: np.ndarray | None = None) -> float:
    """The pooled 1/k₀ of a metric from a baseline window: ``counts`` is (buckets × keys), ``exposure`` the
    world's articles per bucket (``share``: the keys' shares of it, when ``counts`` holds only some keys).
    Method of moments over the keys whose mean is at least :data:`DISPERSION_MIN_MEAN` per bucket:
    Σ((x − μ)² − μ) / Σ μ², bounded by :data:`INV_K_BOUNDS`; :data:`DEFAULT_INV_K` when no key has that
    volume.

    >>> rng = np.random.default_rng(0)
    >>> n = np.full(500, 1000.0)
    >>> x = rng.negative_binomial(5, 5 / (5 + np.outer(n, [0.002, 0.004])))  # 1/k = 0.2
    >>> round(dispersion(x, n), 1)
    0.2
    """
    counts = np.asarray(counts, dtype=float)
    exposure = np.asarray(exposure, dtype=float)
    total = exposure.sum()
    if counts.size == 0 or total <= 0:
        return DEFAULT_INV_K
    share = counts.sum(axis=0) / total if share is None else np.asarray(share, dtype=float)
    mu = np.outer(exposure, share)
    busy = mu.mean(axis=0) >= DISPERSION_MIN_MEAN
    if not busy.any():
        return DEFAULT_INV_K
    x, m = counts[:, busy], mu[:, busy]
    denom = float((m ** 2).sum())
    if denom <= 0:
        return DEFAULT_INV_K
    est = float((((x - m) ** 2) - m).sum() / denom)
    return float(np.clip(est, *INV_K_BOUNDS))


__all__ = ["DEFAULT_INV_K", "PRIOR", "dispersion", "expected", "inverse_size", "p_value", "surprise",
           "usual_range"]

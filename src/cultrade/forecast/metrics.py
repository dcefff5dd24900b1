"""Scores for probability forecasts of binary events, in plain numpy (checked against scikit-learn in the tests).

* :func:`auc` - area under the ROC curve (Mann-Whitney, ties count one half);
* :func:`average_precision` - the step-wise area under the precision-recall curve (as scikit-learn);
* :func:`brier` - mean squared error of the probabilities, and :func:`brier_skill` against a reference;
* :func:`log_loss`;
* :func:`reliability_table` - bins of predictions with mean predicted vs observed frequency;
* :func:`calibration` - calibration slope (logistic recalibration ``y ~ a + b logit p``) and
  calibration-in-the-large (the intercept with ``b`` fixed at 1; 0 is perfect, > 0 means under-forecasting).

>>> y = np.array([0, 0, 1, 1]); p = np.array([0.1, 0.4, 0.35, 0.8])
>>> auc(y, p), round(average_precision(y, p), 4), round(brier(y, p), 4)
(0.75, 0.8333, 0.1581)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cultrade.forecast.options import Binning, check

_EPS = 1e-6


def _arrays(y: Any, p: Any) -> tuple[np.ndarray, np.ndarray]:
    ya, pa = np.asarray(y, dtype=float).ravel(), np.asarray(p, dtype=float).ravel()
    if ya.shape != pa.shape:
        raise ValueError(f"y has {ya.size} values, p has {pa.size}")
    return ya, pa


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (1-based), ties sharing the mean rank."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    first = np.r_[True, xs[1:] != xs[:-1]]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], xs.size]
    mean_rank = (starts + ends + 1) / 2.0
    out = np.empty(x.size)
    out[order] = mean_rank[group]
    return out


def auc(y: Any, p: Any) -> float:
    """ROC AUC; NaN when only one class is present.

    >>> auc([0, 1, 0, 1], [0.2, 0.2, 0.1, 0.9])
    0.875
    """
    ya, pa = _arrays(y, p)
    n1 = float(ya.sum())
    n0 = ya.size - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = _ranks(pa)
    return float((r[ya == 1].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def average_precision(y: Any, p: Any) -> float:
    """Sum over distinct thresholds of (recall gain) x precision; NaN without events.

    >>> average_precision([1, 0, 1], [0.9, 0.8, 0.1])
    0.8333333333333333
    """
    ya, pa = _arrays(y, p)
    pos = ya.sum()
    if pos == 0:
        return float("nan")
    order = np.argsort(-pa, kind="mergesort")
    ys, ps = ya[order], pa[order]
    last = np.r_[ps[1:] != ps[:-1], True]          # last row of each group of tied scores
    tp = np.cumsum(ys)[last]
    fp = np.cumsum(1 - ys)[last]
    precision = tp / (tp + fp)
    recall = tp / pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def brier(y: Any, p: Any) -> float:
    """Mean of (p - y)^2.

    >>> brier([0, 1], [0.0, 0.5])
    0.125
    """
    ya, pa = _arrays(y, p)
    return float(np.mean((pa - ya) ** 2)) if ya.size else float("nan")


def brier_skill(y: Any, p: Any, reference: Any) -> float:
    """1 - Brier(p) / Brier(reference): > 0 beats the reference, 1 is perfect.

    >>> brier_skill([0, 1], [0.0, 1.0], [0.5, 0.5])
    1.0
    """
    ref = brier(y, reference)
    return float("nan") if not ref else 1.0 - brier(y, p) / ref


def log_loss(y: Any, p: Any) -> float:
    """Mean negative log-likelihood, with probabilities clipped to [1e-6, 1 - 1e-6].

    >>> round(log_loss([1, 0], [0.5, 0.5]), 4)
    0.6931
    """
    ya, pa = _arrays(y, p)
    pc = np.clip(pa, _EPS, 1 - _EPS)
    return float(-np.mean(ya * np.log(pc) + (1 - ya) * np.log(1 - pc))) if ya.size else float("nan")


def _logit(p: np.ndarray) -> np.ndarray:
    pc = np.clip(p, _EPS, 1 - _EPS)
    return np.log(pc / (1 - pc))


def _newton(X: np.ndarray, y: np.ndarray, offset: np.ndarray, iters: int = 50) -> np.ndarray:
    """Maximum-likelihood logistic coefficients (tiny ridge for separated data)."""
    beta = np.zeros(X.shape[1])
    for _ in range(iters):
        mu = 1.0 / (1.0 + np.exp(-(X @ beta + offset)))
        w = mu * (1 - mu)
        hess = X.T @ (X * w[:, None]) + 1e-8 * np.eye(X.shape[1])
        step = np.linalg.solve(hess, X.T @ (y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def calibration(y: Any, p: Any) -> tuple[float, float]:
    """(slope, intercept-in-the-large). Slope 1 and intercept 0 are perfect; slope < 1 means too extreme.

    The slope is NaN for a constant forecast (climatology) or one class only.

    >>> rng = np.random.default_rng(0); p = rng.uniform(0.05, 0.95, 20000); y = rng.uniform(size=p.size) < p
    >>> [round(v, 1) for v in calibration(y, p)]
    [1.0, 0.0]
    """
    ya, pa = _arrays(y, p)
    if ya.size == 0 or ya.min() == ya.max():
        return float("nan"), float("nan")
    lp = _logit(pa)
    intercept = float(_newton(np.ones((ya.size, 1)), ya, lp)[0])
    if np.ptp(lp) < 1e-9:
        return float("nan"), intercept
    slope = float(_newton(np.column_stack([np.ones(ya.size), lp]), ya, np.zeros(ya.size))[1])
    return slope, intercept


def reliability_table(y: Any, p: Any, bins: int = 10, binning: Binning = "quantile") -> pd.DataFrame:
    """One row per non-empty bin: p_low, p_high, n, events, p_mean, observed (frequency).

    ``quantile`` bins hold about equal numbers of forecasts (tied forecasts stay
    together); ``uniform`` bins split [0, 1] into equal widths.

    >>> reliability_table([0, 1, 0, 1], [0.1, 0.2, 0.7, 0.9], bins=2)[["n", "p_mean", "observed"]].to_dict("records")
    [{'n': 2, 'p_mean': 0.15, 'observed': 0.5}, {'n': 2, 'p_mean': 0.8, 'observed': 0.5}]
    """
    ya, pa = _arrays(y, p)
    check("binning", binning)
    if binning == "uniform":
        edges = np.linspace(0.0, 1.0, bins + 1)
    else:
        edges = np.unique(np.quantile(pa, np.linspace(0, 1, bins + 1))) if pa.size else np.array([0.0, 1.0])
    which = np.clip(np.searchsorted(edges, pa, side="right") - 1, 0, max(len(edges) - 2, 0))
    rows = []
    for b in np.unique(which):
        sel = which == b
        rows.append({"bin": int(b), "p_low": float(pa[sel].min()), "p_high": float(pa[sel].max()),
                     "n": int(sel.sum()), "events": int(ya[sel].sum()),
                     "p_mean": round(float(pa[sel].mean()), 6), "observed": round(float(ya[sel].mean()), 6)})
    return pd.DataFrame(rows, columns=["bin", "p_low", "p_high", "n", "events", "p_mean", "observed"])


def summary(y: Any, p: Any, reference: Any | None = None) -> dict[str, float]:
    """Every score at once: n, events, base_rate, auc, ap, brier, bss (vs ``reference``), log_loss, slope, intercept.

    >>> sorted(summary([0, 1, 1], [0.2, 0.6, 0.7]))
    ['ap', 'auc', 'base_rate', 'brier', 'bss', 'events', 'intercept', 'log_loss', 'n', 'slope']
    """
    ya, pa = _arrays(y, p)
    slope, intercept = calibration(ya, pa)
    return {
        "n": float(ya.size), "events": float(ya.sum()), "base_rate": float(ya.mean()) if ya.size else float("nan"),
        "auc": auc(ya, pa), "ap": average_precision(ya, pa), "brier": brier(ya, pa),
        "bss": brier_skill(ya, pa, reference) if reference is not None else float("nan"),
        "log_loss": log_loss(ya, pa), "slope": slope, "intercept": intercept,
    }


__all__ = ["auc", "average_precision", "brier", "brier_skill", "calibration", "log_loss", "reliability_table",
           "summary"]

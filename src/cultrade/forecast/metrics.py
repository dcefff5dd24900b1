"""Scores for probability forecasts of binary events: thin wrappers over scikit-learn, NaN-safe.

* :func:`auc` - area under the ROC curve (``roc_auc_score``; NaN with one class only);
* :func:`average_precision` - the step-wise area under the precision-recall curve (``average_precision_score``);
* :func:`brier` - mean squared error of the probabilities, and :func:`brier_skill` against a reference;
* :func:`log_loss` - with probabilities clipped to [1e-6, 1 - 1e-6];
* :func:`reliability_table` - bins of predictions with mean predicted vs observed frequency and counts;
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
from scipy.optimize import brentq
from scipy.special import expit, logit
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression

from cultrade.forecast.options import Binning, check

_EPS = 1e-6


def _arrays(y: Any, p: Any) -> tuple[np.ndarray, np.ndarray]:
    ya, pa = np.asarray(y, dtype=float).ravel(), np.asarray(p, dtype=float).ravel()
    if ya.shape != pa.shape:
        raise ValueError(f"y has {ya.size} values, p has {pa.size}")
    return ya, pa


def _two_classes(ya: np.ndarray) -> bool:
    return bool(ya.size) and 0 < ya.sum() < ya.size


def auc(y: Any, p: Any) -> float:
    """ROC AUC (ties count one half); NaN when only one class is present.

    >>> auc([0, 1, 0, 1], [0.2, 0.2, 0.1, 0.9])
    0.875
    """
    ya, pa = _arrays(y, p)
    return float(skm.roc_auc_score(ya, pa)) if _two_classes(ya) else float("nan")


def average_precision(y: Any, p: Any) -> float:
    """Average precision (area under the step-wise precision-recall curve); NaN without events.

    >>> average_precision([1, 0, 1], [0.9, 0.8, 0.1])
    0.8333333333333333
    """
    ya, pa = _arrays(y, p)
    return float(skm.average_precision_score(ya, pa)) if ya.sum() > 0 else float("nan")


def brier(y: Any, p: Any) -> float:
    """Mean of (p - y)^2.

    >>> brier([0, 1], [0.0, 0.5])
    0.125
    """
    ya, pa = _arrays(y, p)
    return float(skm.brier_score_loss(ya, pa, pos_label=1)) if ya.size else float("nan")


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
    if not ya.size:
        return float("nan")
    return float(skm.log_loss(ya, np.clip(pa, _EPS, 1 - _EPS), labels=[0, 1]))


def calibration(y: Any, p: Any) -> tuple[float, float]:
    """(slope, intercept-in-the-large). Slope 1 and intercept 0 are perfect; slope < 1 means too extreme.

    The slope is NaN for a constant forecast (climatology) or one class only.

    >>> rng = np.random.default_rng(0); p = rng.uniform(0.05, 0.95, 20000); y = rng.uniform(size=p.size) < p
    >>> [round(v, 1) for v in calibration(y, p)]
    [1.0, 0.0]
    """
    ya, pa = _arrays(y, p)
    if not _two_classes(ya):
        return float("nan"), float("nan")
    lp = logit(np.clip(pa, _EPS, 1 - _EPS))
    # the intercept with the slope fixed at 1: the shift a with sum(expit(a + lp)) = sum(y) (monotone in a)
    intercept = float(brentq(lambda a: float(expit(a + lp).sum() - ya.sum()), -40.0, 40.0, xtol=1e-10))
    if np.ptp(lp) < 1e-9:
        return float("nan"), intercept
    fit = LogisticRegression(C=1e8, solver="newton-cholesky", max_iter=100).fit(lp[:, None], ya.astype(int))
    return float(fit.coef_[0, 0]), intercept


def pair_counts(y: Any, p: Any, group: Any, groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pairs, positives, negatives) by group, for AUCs of resampled groups without refitting anything.

    ``pairs[a, b]`` counts the (event in group a, non-event in group b) pairs ranked correctly (ties
    one half); ``positives`` and ``negatives`` count each group's rows. The AUC of a resample that
    weights group k by ``w[k]`` (how often it was drawn) is ``w @ pairs @ w / ((w @ positives) *
    (w @ negatives))``, the same as scikit-learn's ``roc_auc_score`` with those sample weights.

    >>> pairs, pos, neg = pair_counts([1, 0, 1, 0], [0.9, 0.2, 0.1, 0.5], [0, 0, 1, 1], 2)
    >>> pairs.tolist(), float(pairs.sum() / (pos.sum() * neg.sum()))
    ([[1.0, 1.0], [0.0, 0.0]], 0.5)
    """
    ya, pa = _arrays(y, p)
    ga = np.asarray(group, dtype=int).ravel()
    is_pos = ya == 1
    pairs = np.zeros((groups, groups))
    for b in range(groups):
        neg = np.sort(pa[(ga == b) & ~is_pos])
        below = np.searchsorted(neg, pa[is_pos], side="left")
        ties = np.searchsorted(neg, pa[is_pos], side="right") - below
        pairs[:, b] = np.bincount(ga[is_pos], weights=below + 0.5 * ties, minlength=groups)
    pos = np.bincount(ga[is_pos], minlength=groups).astype(float)
    neg_counts = np.bincount(ga[~is_pos], minlength=groups).astype(float)
    return pairs, pos, neg_counts


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


__all__ = ["auc", "average_precision", "brier", "brier_skill", "calibration", "log_loss", "pair_counts",
           "reliability_table", "summary"]

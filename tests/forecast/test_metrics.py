"""Metrics against hand-computed cases and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from cultrade.errors import ConfigError
from cultrade.forecast import metrics


def test_auc_by_hand() -> None:
    # positives 0.35, 0.8; negatives 0.1, 0.4: pairs (0.35>0.1 yes, 0.35>0.4 no, 0.8>both) -> 3/4
    assert metrics.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    # a tie between a positive and a negative counts one half: (1 + 0.5 + 1 + 1) / 4
    assert metrics.auc([0, 1, 0, 1], [0.2, 0.2, 0.1, 0.9]) == 0.875
    assert metrics.auc([1, 1, 0], [0.9, 0.8, 0.1]) == 1.0
    assert np.isnan(metrics.auc([1, 1], [0.3, 0.4]))


def test_brier_and_skill_by_hand() -> None:
    # (0.1^2 + 0.4^2 + 0.65^2 + 0.2^2) / 4 = (0.01 + 0.16 + 0.4225 + 0.04) / 4
    assert metrics.brier([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.158125)
    assert metrics.brier([1], [1.0]) == 0.0
    # reference 0.5 everywhere: Brier 0.25; forecast Brier 0.0625 -> skill 0.75
    assert metrics.brier_skill([0, 1], [0.25, 0.75], [0.5, 0.5]) == pytest.approx(0.75)


def test_average_precision_by_hand() -> None:
    # ranked 0.9 (pos), 0.8 (neg), 0.1 (pos): precision 1 at recall 0.5, 2/3 at recall 1 -> 0.5 + 1/3
    assert metrics.average_precision([1, 0, 1], [0.9, 0.8, 0.1]) == pytest.approx(0.5 + 1 / 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_against_sklearn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.round(rng.uniform(size=400), 1)          # many ties
    y = (rng.uniform(size=400) < p).astype(int)
    assert metrics.auc(y, p) == pytest.approx(roc_auc_score(y, p))
    assert metrics.average_precision(y, p) == pytest.approx(average_precision_score(y, p))
    assert metrics.brier(y, p) == pytest.approx(brier_score_loss(y, p))
    pc = np.clip(p, 1e-6, 1 - 1e-6)
    assert metrics.log_loss(y, p) == pytest.approx(log_loss(y, pc))


@pytest.mark.parametrize("seed", [0, 1])
def test_resampled_auc_from_pair_counts_equals_weighted_sklearn(seed: int) -> None:
    """The bootstrap's AUC of a resample (groups drawn with repetition) is sklearn's weighted AUC."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 6, size=500)
    p = np.round(rng.uniform(size=500), 2) + 0.05 * group      # ties, and levels that differ by group
    y = (rng.uniform(size=500) < 0.15 + 0.1 * (p > 0.5)).astype(int)
    pairs, pos, neg = metrics.pair_counts(y, p, group, 6)
    assert pos.sum() == y.sum() and neg.sum() == (1 - y).sum()
    assert pairs.sum() / (pos.sum() * neg.sum()) == pytest.approx(roc_auc_score(y, p))
    w = np.array([2.0, 0.0, 1.0, 1.0, 0.0, 2.0])                # groups 0 and 5 drawn twice, 1 and 4 not
    resampled = w @ pairs @ w / ((w @ pos) * (w @ neg))
    assert resampled == pytest.approx(roc_auc_score(y, p, sample_weight=w[group]))


def test_calibration_detects_overconfidence() -> None:
    rng = np.random.default_rng(3)
    true = rng.uniform(0.05, 0.95, 20000)
    y = rng.uniform(size=true.size) < true
    logit = np.log(true / (1 - true))
    overconfident = 1 / (1 + np.exp(-2 * logit))       # twice the true log-odds
    slope, intercept = metrics.calibration(y, overconfident)
    assert slope == pytest.approx(0.5, abs=0.05)
    assert abs(intercept) < 0.05
    too_low = 1 / (1 + np.exp(-(logit - 1)))           # log-odds 1 too low: intercept about +1
    assert metrics.calibration(y, too_low)[1] == pytest.approx(1.0, abs=0.08)
    slope_const, _ = metrics.calibration(y, np.full(y.size, 0.5))
    assert np.isnan(slope_const)


def test_reliability_table() -> None:
    y = [0, 0, 1, 1, 0, 1]
    p = [0.1, 0.1, 0.2, 0.8, 0.9, 0.9]
    uniform = metrics.reliability_table(y, p, bins=2, binning="uniform")
    assert uniform[["n", "events"]].to_numpy().tolist() == [[3, 1], [3, 2]]
    assert uniform["p_mean"].tolist() == pytest.approx([0.4 / 3, 2.6 / 3], abs=1e-6)
    assert uniform["observed"].tolist() == pytest.approx([1 / 3, 2 / 3], abs=1e-6)
    assert metrics.reliability_table(y, p, bins=3)["n"].sum() == 6
    with pytest.raises(ConfigError, match="unknown binning"):
        metrics.reliability_table(y, p, binning="kmeans")  # type: ignore[arg-type]


def test_summary_has_every_score() -> None:
    s = metrics.summary([0, 1, 1, 0], [0.2, 0.7, 0.6, 0.4], reference=[0.5] * 4)
    assert set(s) == {"n", "events", "base_rate", "auc", "ap", "brier", "bss", "log_loss", "slope", "intercept"}
    assert s["auc"] == 1.0 and s["n"] == 4 and s["events"] == 2

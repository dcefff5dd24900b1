"""Each step on its own, against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from cultrade.errors import ConfigError
from cultrade.risk import steps
from cultrade.risk.derived import depreciation, log_change_volatility, prefer, ratio_pct
from cultrade.risk.steps import Tree

NAN = np.nan


def cube(*cols: list[float]) -> np.ndarray:
    """One year, countries along the list, one column per indicator."""
    return np.array(cols, dtype=float).T[None, :, :]


def test_log_transforms() -> None:
    x = np.array([-2.0, 0.0, np.e - 1])
    assert np.allclose(steps.apply_log(x, "log1p"), [NAN, 0.0, 1.0], equal_nan=True)
    assert np.allclose(steps.apply_log(np.array([0.0, np.e]), "log"), [NAN, 1.0], equal_nan=True)
    assert np.allclose(steps.apply_log(x, "none"), x)
    with pytest.raises(ConfigError):
        steps.apply_log(x, "sqrt")


def test_carry_forward_up_to_n_years_then_nothing_and_backward_only_when_asked() -> None:
    # one country, years 0..5: observed at 0 and 5
    v = np.array([10.0, NAN, NAN, NAN, NAN, 50.0])[:, None, None]
    out, carried, lag = steps.carry(v, ~np.isnan(v), forward=np.array([2]), backward=np.array([1]))
    # years 1-2 from year 0 (lags 1, 2), year 3 out of reach, year 4 from year 5 backward (lag -1)
    assert np.allclose(out[:, 0, 0], [10, 10, 10, NAN, 50, 50], equal_nan=True)
    assert carried[:, 0, 0].tolist() == [False, True, True, False, True, False]
    assert lag[:, 0, 0].tolist() == [0, 1, 2, 0, -1, 0]


def test_winsorise_clips_at_quantiles_fitted_on_observed_cells_only() -> None:
    x = cube([0.0, 1.0, 2.0, 3.0, 100.0])
    fit = np.ones_like(x, dtype=bool)
    out, bounds = steps.winsorise(x, fit, np.array([[0.0, 0.75]]))
    assert bounds[0].tolist() == [0.0, 3.0]          # 75th percentile of 0,1,2,3,100 is 3
    assert out[0, :, 0].tolist() == [0.0, 1.0, 2.0, 3.0, 3.0]
    untouched, b = steps.winsorise(x, fit, np.array([[NAN, NAN]]))
    assert np.array_equal(untouched, x) and np.isnan(b).all()


@pytest.mark.parametrize(("method", "expected"), [
    ("minmax", [0.0, 0.25, 1.0]),                       # (x - 0) / (8 - 0)
    ("rank", [0.0, 0.5, 1.0]),                          # ranks 0, 1, 2 out of 2
    # mean 10/3, population sd sqrt(34.667 / 3) = 3.3993, so z = -0.9806, -0.3922, 1.3728
    ("zscore", [(-0.9806 + 3) / 6, (-0.3922 + 3) / 6, (1.3728 + 3) / 6]),
    ("goalposts", [0.0, 0.5, 1.0]),                     # goalposts [0, 4], clipped
])
def test_normalisation_methods(method: str, expected: list[float]) -> None:
    x = cube([0.0, 2.0, 8.0])
    out, params = steps.normalise(x, method, np.array([True]), goalposts=np.array([[0.0, 4.0]]))
    assert np.allclose(out[0, :, 0], expected, atol=1e-4)
    assert params


def test_less_risk_indicators_are_flipped_and_missing_stays_missing() -> None:
    x = cube([0.0, NAN, 8.0])
    out, _ = steps.normalise(x, "minmax", np.array([False]))
    assert np.allclose(out[0, :, 0], [1.0, NAN, 0.0], equal_nan=True)


def test_normalisation_by_year_fits_each_year_separately() -> None:
    x = np.array([[[0.0], [10.0]], [[0.0], [20.0]]])  # 2 years, 2 countries
    pooled, _ = steps.normalise(x, "minmax", np.array([True]))
    by_year, _ = steps.normalise(x, "minmax", np.array([True]), scope="year")
    assert pooled[0, 1, 0] == 0.5 and by_year[0, 1, 0] == 1.0


def test_effective_weights_and_arithmetic_aggregation_with_a_missing_indicator() -> None:
    tree = Tree(ind_sub=np.array([0, 0, 1]), sub_dim=np.array([0, 1]))
    # weights 1, 3 within the first dimension: shares 1/4, 3/4 of half the index
    w = steps.effective_weights(tree, np.array([1.0, 3.0, 1.0]), np.ones(2), np.ones(2))
    assert np.allclose(w, [0.125, 0.375, 0.5])
    norm = np.array([[[0.2, 0.6, 1.0], [0.2, NAN, 1.0]]])
    agg = steps.aggregate(norm, tree, np.array([1.0, 3.0, 1.0]), np.ones(2), np.ones(2), min_coverage=0.0)
    # country 1: dim1 = (0.2 + 3 * 0.6) / 4 = 0.5; index = (0.5 + 1.0) / 2 = 0.75
    # country 2: dim1 = 0.2 (renormalised over what is there); index = (0.2 + 1.0) / 2 = 0.6
    assert np.allclose(agg.index[0], [0.75, 0.6])
    assert np.allclose(agg.coverage[0], [1.0, 0.625])


def test_geometric_aggregation_on_the_1_to_10_scale() -> None:
    tree = Tree(ind_sub=np.array([0, 1]), sub_dim=np.array([0, 1]))
    norm = np.array([[[0.0, 1.0]]])
    agg = steps.aggregate(norm, tree, np.ones(2), np.ones(2), np.ones(2), between="geometric")
    # sqrt(1 * 10) = 3.1623 on the 1-10 scale, i.e. (3.1623 - 1) / 9 = 0.2403
    assert agg.index[0, 0] == pytest.approx((np.sqrt(10) - 1) / 9)


def test_insufficient_coverage_and_missing_dimension_give_no_score() -> None:
    tree = Tree(ind_sub=np.array([0, 0, 1]), sub_dim=np.array([0, 1]))
    norm = np.array([[[0.5, 0.5, NAN], [0.5, NAN, 0.5]]])
    agg = steps.aggregate(norm, tree, np.ones(3), np.ones(2), np.ones(2), min_coverage=0.6)
    # country 1 has half the weight and no second dimension; country 2 has 75%
    assert np.isnan(agg.index[0, 0]) and agg.insufficient[0, 0]
    assert agg.index[0, 1] == pytest.approx(0.5) and not agg.insufficient[0, 1]
    loose = steps.aggregate(norm, tree, np.ones(3), np.ones(2), np.ones(2), min_coverage=0.5,
                            require_all_dimensions=False)
    assert loose.index[0, 0] == pytest.approx(0.5)


def test_pca_weights_sum_to_one_per_subdimension() -> None:
    rng = np.random.default_rng(1)
    base = rng.random(50)
    norm = np.stack([base, base + 0.1 * rng.random(50), rng.random(50)], axis=1)[None]
    w = steps.pca_weights(norm, Tree(np.array([0, 0, 0]), np.array([0])))
    assert w.sum() == pytest.approx(1.0)
    assert w[0] > w[2] and w[1] > w[2]  # the two correlated indicators carry the component


def test_bands_and_trend() -> None:
    assert steps.bands(np.array([0.0, 2.5, 3.49, 4.5, 5.5, NAN]), (2.5, 3.5, 4.5, 5.5)).tolist() == [
        0, 1, 1, 3, 4, -1]
    s = np.array([[5.0], [NAN], [6.0]])
    assert steps.trend(s, 3)[2, 0] == pytest.approx(0.5)  # (6 - 5) over 2 years
    assert np.isnan(steps.trend(s, 3)[1, 0])               # one point in the window only


def test_score_batch_matches_aggregate() -> None:
    rng = np.random.default_rng(3)
    norm = rng.random((4, 6, 5))
    norm[rng.random(norm.shape) < 0.2] = NAN
    tree = Tree(np.array([0, 0, 1, 2, 2]), np.array([0, 0, 1]))
    wi, ws, wd = rng.random((7, 5)) + 0.1, rng.random((7, 3)) + 0.1, rng.random((7, 2)) + 0.1
    for method in ("arithmetic", "geometric"):
        fast = steps.score_batch(norm, tree, wi, ws, wd, within=method, between=method, min_coverage=0.5)
        for b in range(7):
            slow = steps.aggregate(norm, tree, wi[b], ws[b], wd[b], within=method, between=method,
                                   min_coverage=0.5).index
            assert np.array_equal(np.isnan(fast[b]), np.isnan(slow))
            assert np.allclose(fast[b], slow, atol=1e-5, equal_nan=True)


def test_derived_series() -> None:
    rate = np.array([[2.0], [3.0], [3.0], [1.5]])
    assert np.allclose(depreciation(rate)[:, 0], [NAN, 50.0, 0.0, -50.0], equal_nan=True)
    # log changes ln 1.5, 0, ln 0.5; s.d. of the last three
    vol = log_change_volatility(rate)[3, 0]
    assert vol == pytest.approx(np.std([np.log(1.5), 0.0, np.log(0.5)], ddof=1))
    assert ratio_pct(np.array([1.0]), np.array([4.0]))[0] == 25.0
    v, used = prefer(np.array([NAN, 1.0]), np.array([2.0, 3.0]))
    assert v.tolist() == [2.0, 1.0] and used.tolist() == [True, False]

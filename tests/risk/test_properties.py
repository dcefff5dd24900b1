"""Properties that must hold for any data: monotonicity and invariances (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cultrade.risk.index import RiskIndex

from .conftest import panel, tiny_framework

SPEC = [("x1", "more_risk", "d1"), ("x2", "more_risk", "d1"), ("x3", "less_risk", "d2")]
FW = tiny_framework(SPEC)
values = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


def build(cube: np.ndarray, countries: list[str] | None = None, **params: object) -> RiskIndex:
    n = cube.shape[1]
    names = countries or [f"C{i:02d}" for i in range(n)]
    return RiskIndex(panel(cube, countries=names), FW, outliers="none", **params)  # type: ignore[arg-type]


def distinct(cube: np.ndarray) -> bool:
    return all(np.ptp(cube[0, :, k]) > 1e-6 for k in range(cube.shape[2]))


cubes = arrays(np.float64, st.tuples(st.just(1), st.integers(3, 7), st.just(3)), elements=values)


@settings(max_examples=60, deadline=None)
@given(cube=cubes, who=st.integers(0, 6), delta=st.floats(0.0, 1e3), k=st.sampled_from([0, 1]))
def test_raising_a_riskier_indicator_never_lowers_the_score(cube: np.ndarray, who: int, delta: float,
                                                            k: int) -> None:
    """Min-max + arithmetic: more of a higher-is-riskier indicator cannot make a country safer."""
    who %= cube.shape[1]
    if not distinct(cube):
        return
    before = build(cube, normalisation="minmax").score[0, who]
    raised = cube.copy()
    raised[0, who, k] += delta
    after = build(raised, normalisation="minmax").score[0, who]
    assert after >= before - 1e-9


@settings(max_examples=60, deadline=None)
@given(cube=cubes, scale=st.floats(0.01, 100.0), shift=st.floats(-100.0, 100.0), k=st.integers(0, 2),
       method=st.sampled_from(["minmax", "zscore"]))
def test_scores_are_invariant_to_a_positive_affine_rescaling(cube: np.ndarray, scale: float, shift: float,
                                                              k: int, method: str) -> None:
    if not distinct(cube):
        return
    rescaled = cube.copy()
    rescaled[..., k] = scale * rescaled[..., k] + shift
    a = build(cube, normalisation=method).score
    b = build(rescaled, normalisation=method).score
    assert np.allclose(a, b, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(cube=cubes, seed=st.integers(0, 10_000),
       method=st.sampled_from(["minmax", "zscore", "rank", "goalposts"]))
def test_scores_do_not_depend_on_the_order_of_countries(cube: np.ndarray, seed: int, method: str) -> None:
    if not distinct(cube):
        return
    n = cube.shape[1]
    names = [f"C{i:02d}" for i in range(n)]
    perm = np.random.default_rng(seed).permutation(n)
    a = build(cube, names, normalisation=method)
    b = build(cube[:, perm, :], [names[i] for i in perm], normalisation=method)
    sa = dict(zip(names, a.score[0], strict=True))
    sb = dict(zip([names[i] for i in perm], b.score[0], strict=True))
    assert all(np.isclose(sa[c], sb[c], equal_nan=True) for c in names)


@settings(max_examples=30, deadline=None)
@given(cube=cubes, w=st.lists(st.floats(0.1, 5.0), min_size=3, max_size=3))
def test_contributions_always_add_up_to_the_score(cube: np.ndarray, w: list[float]) -> None:
    if not distinct(cube):
        return
    idx = build(cube, weights={"x1": w[0], "x2": w[1], "x3": w[2]})
    for c in idx.countries:
        e = idx.explain(str(c))
        assert np.isclose(e.indicators["contribution"].sum(), e.score)

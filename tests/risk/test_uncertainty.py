"""Uncertainty and sensitivity: Monte Carlo rank intervals and Sobol indices of the index's assumptions.

Read top to bottom, these tests show how the analysis is used and what it promises:

* ``idx.uncertainty(draws, seed)`` gives, for every scored country, the median
  rank and the 90% rank interval over draws that perturb the weights, the
  normalisation and the aggregation. The run is reproducible with a seed.
* When nothing is perturbed, every interval collapses to the baseline rank.
* Countries with insufficient data are excluded, never ranked.
* ``idx.sensitivity(n)`` apportions the variance of a ranking summary among
  the assumptions (Sobol S1 and ST). It is checked on cases with known answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cultrade.errors import ConfigError
from cultrade.risk import RiskIndex, build_index
from cultrade.risk.sobol import sensitivity, sobol_indices
from cultrade.risk.uncertainty import draw_weights, monte_carlo, quantiles, rank_desc, simulate
from cultrade.settings import Settings
from cultrade.store import Store

from .conftest import panel, tiny_framework

NAN = np.nan
SPEC = [("x1", "more_risk", "d1"), ("x2", "less_risk", "d1"), ("x3", "more_risk", "d2")]
# 3 years x 5 countries x 3 indicators; DDD has x1 only in 2021 and nothing after: insufficient
CUBE = np.array([
    [[1.0, 9.0, 2.0], [4.0, 5.0, 3.0], [7.0, 2.0, 5.0], [5.0, NAN, NAN], [3.0, 3.0, 9.0]],
    [[2.0, 8.0, 2.0], [4.0, 6.0, 4.0], [8.0, 1.0, 6.0], [NAN, NAN, NAN], [3.0, 4.0, 8.0]],
    [[2.0, 8.0, 1.0], [5.0, 4.0, 5.0], [9.0, 1.0, 7.0], [NAN, NAN, NAN], [4.0, 2.0, 9.0]],
])
COUNTRIES = ("AAA", "BBB", "CCC", "DDD", "EEE")


@pytest.fixture(scope="module")
def idx() -> RiskIndex:
    return RiskIndex(panel(CUBE, countries=COUNTRIES, years=(2021, 2022, 2023)), tiny_framework(SPEC),
                     max_carry_years=0)


# -- Monte Carlo ------------------------------------------------------------------------------
def test_one_row_per_scored_country_with_median_rank_and_90pct_interval(idx: RiskIndex) -> None:
    table = idx.uncertainty(draws=200, seed=7)
    assert list(table.columns) == ["iso3", "name", "year", "score", "rank", "score_mean", "score_median", "score_lo",
                                   "score_hi", "rank_median", "rank_lo", "rank_hi", "scored_share", "rank_width",
                                   "draws"]
    assert (table["year"] == 2023).all() and (table["draws"] == 200).all()
    # the baseline columns are the index's own scores and ranks
    own = idx.scores(2023).set_index("iso3")
    t = table.set_index("iso3")
    assert (t["rank"] == own.loc[t.index, "rank"]).all()
    assert np.allclose(t["score"], own.loc[t.index, "score"])


def test_same_seed_same_result_and_batch_size_does_not_matter(idx: RiskIndex) -> None:
    a = monte_carlo(idx, 150, seed=42, all_years=True)
    b = monte_carlo(idx, 150, seed=42, all_years=True, batch=7)
    pd.testing.assert_frame_equal(a, b)
    c = monte_carlo(idx, 150, seed=43, all_years=True)
    assert not a[["score_mean"]].equals(c[["score_mean"]])


def test_without_perturbation_the_interval_collapses_to_the_baseline_rank(idx: RiskIndex) -> None:
    table = idx.uncertainty(draws=50, seed=1, all_years=True, spread=0.0, normalisation=None, aggregation=None)
    assert (table["rank_lo"] == table["rank"]).all() and (table["rank_hi"] == table["rank"]).all()
    assert (table["rank_median"] == table["rank"]).all() and (table["rank_width"] == 0).all()
    assert np.allclose(table["score_lo"], table["score"], atol=1e-4)
    assert np.allclose(table["score_hi"], table["score"], atol=1e-4)
    # the same holds with "fixed" weights but a spread given
    fixed = idx.uncertainty(draws=20, seed=1, weights="fixed", spread=0.5, normalisation=None, aggregation=None)
    assert (fixed["rank_width"] == 0).all()


def test_intervals_contain_the_median(idx: RiskIndex) -> None:
    table = idx.uncertainty(draws=300, seed=3, all_years=True, spread=0.5)
    assert (table["rank_lo"] <= table["rank_median"]).all() and (table["rank_median"] <= table["rank_hi"]).all()
    assert (table["score_lo"] <= table["score_median"]).all() and (table["score_median"] <= table["score_hi"]).all()
    assert table["score"].between(0, 10).all() and table["score_hi"].between(0, 10).all()


def test_insufficient_countries_are_excluded_not_ranked(idx: RiskIndex) -> None:
    assert idx.scores(2021).set_index("iso3").loc["DDD", "insufficient"]
    table = idx.uncertainty(draws=100, seed=5, all_years=True)
    assert "DDD" not in set(table["iso3"])
    sim = simulate(idx, 100, seed=5, all_years=True)
    d = list(COUNTRIES).index("DDD")
    assert np.isnan(sim.ranks[:, :, d]).all() and np.isnan(sim.scores[:, :, d]).all()
    # the four others share ranks 1..4 in every draw and year
    ranked = np.sort(sim.ranks[:, :, [0, 1, 2, 4]], axis=-1)
    assert (ranked == np.arange(1, 5)).all()


def test_more_uncertainty_widens_the_rank_intervals(idx: RiskIndex) -> None:
    narrow = idx.uncertainty(draws=400, seed=2, all_years=True, spread=0.05, normalisation=None, aggregation=None)
    wide = idx.uncertainty(draws=400, seed=2, all_years=True, spread=0.9)
    assert wide["rank_width"].sum() > narrow["rank_width"].sum()


def test_each_draw_records_its_assumptions(idx: RiskIndex) -> None:
    sim = simulate(idx, 400, seed=11, normalisation=("minmax", "rank"), aggregation="geometric")
    assert set(sim.normalisation) == {"minmax", "rank"} and set(sim.aggregation) == {"geometric"}
    assert sim.scores.shape == (400, 1, len(COUNTRIES)) and sim.scores.dtype == np.float32
    # draw 0 re-scored on its own with the index's hooks gives the same scores
    w = {k: v[:1] for k, v in sim.weights.items()}
    alone = idx.score_batch(w["ind"], w["sub"], w["dim"], norm=idx.normalised(str(sim.normalisation[0])),
                            between="geometric")[0, -1]
    ok = ~np.isnan(sim.scores[0, 0])
    assert np.allclose(alone[ok], sim.scores[0, 0, ok], atol=1e-5)


def test_weight_perturbations_stay_around_the_expert_weights() -> None:
    base = {"ind": np.array([1.0, 0.5, 0.0, 2.0]), "dim": np.array([1.0, 3.0])}
    rng = np.random.default_rng(0)
    uni = draw_weights(base, 5000, rng, "uniform", 0.25)
    assert (uni["ind"] >= 0.75 * base["ind"]).all() and (uni["ind"] <= 1.25 * base["ind"]).all()
    dirich = draw_weights(base, 20000, rng, "dirichlet", 0.25)
    assert np.allclose(dirich["dim"].mean(axis=0), base["dim"], rtol=0.02)
    assert (dirich["ind"][:, 2] == 0).all()  # a zero weight stays zero
    # shares of a group follow a Dirichlet centred on the expert shares
    share = dirich["dim"][:, 0] / dirich["dim"].sum(axis=1)
    assert share.mean() == pytest.approx(0.25, abs=0.01)
    only_dims = draw_weights(base, 10, rng, "uniform", 0.25, levels=("dim",))
    assert (only_dims["ind"] == base["ind"]).all()


def test_bad_options_are_config_errors(idx: RiskIndex) -> None:
    with pytest.raises(ConfigError, match="unknown normalisation"):
        idx.uncertainty(draws=10, normalisation=["minmax", "z"])
    with pytest.raises(ConfigError, match="spread"):
        idx.uncertainty(draws=10, spread=1.5)
    with pytest.raises(ConfigError, match="weight perturbation"):
        idx.uncertainty(draws=10, weights="gaussian")


def test_ranking_helpers_match_pandas() -> None:
    x = np.array([[3.0, NAN, 1.0, 3.0, 2.0], [0.0, 0.0, 0.0, NAN, 5.0]])
    expected = [pd.Series(row).rank(ascending=False, method="min").to_numpy() for row in x]
    assert np.array_equal(rank_desc(x), np.array(expected), equal_nan=True)
    a = np.random.default_rng(0).random((101, 4))
    a[::3, 1] = NAN
    for q, got in zip((0.05, 0.5, 0.95), quantiles(a, [0.05, 0.5, 0.95]), strict=True):
        assert np.allclose(got, np.nanquantile(a, q, axis=0))


# -- Sobol --------------------------------------------------------------------------------------
def test_sobol_on_an_additive_function_with_known_indices() -> None:
    """y = a + 2b with a, b ~ U(0, 1): Var = 1/12 + 4/12, so S1 = ST = 0.2 and 0.8; c does nothing."""
    df = sobol_indices(lambda x: x[:, 0] + 2 * x[:, 1], ["a", "b", "c"], [(0, 1)] * 3, n=1024, seed=3)
    assert list(df.columns) == ["factor", "S1", "S1_conf", "ST", "ST_conf"]
    s = df.set_index("factor").to_dict("index")
    assert s["a"]["S1"] == pytest.approx(0.2, abs=0.05) and s["a"]["ST"] == pytest.approx(0.2, abs=0.05)
    assert s["b"]["S1"] == pytest.approx(0.8, abs=0.08) and s["b"]["ST"] == pytest.approx(0.8, abs=0.08)
    assert abs(s["c"]["S1"]) < 0.02 and s["c"]["ST"] < 0.02


def test_sobol_on_the_index_when_one_assumption_decides_everything() -> None:
    """Two countries, one indicator per dimension, each country worst on one of them.

    A ranks first exactly when d1 weighs more than d2, whatever the normalisation
    (all are monotone and symmetric for two countries) and the aggregation. With
    d2's weight fixed, the rank of A depends on d1's weight alone: S1 = ST = 1 for
    d1 and 0 for the normalisation and aggregation choices.
    """
    spec = [("x1", "more_risk", "d1"), ("x2", "more_risk", "d2")]
    two = RiskIndex(panel([[[1.0, 0.0], [0.0, 1.0]]], countries=("AAA", "BBB"), indicators=("x1", "x2")),
                    tiny_framework(spec))
    df = sensitivity(two, 256, seed=0, output="rank", country="AAA", factors=["d1", "normalisation", "aggregation"])
    s = df.set_index("factor").to_dict("index")
    assert s["d1"]["S1"] == pytest.approx(1.0, abs=0.1) and s["d1"]["ST"] == pytest.approx(1.0, abs=0.1)
    for f in ("normalisation", "aggregation"):
        assert abs(s[f]["S1"]) < 0.02 and s[f]["ST"] < 0.02
    assert df.attrs["output_mean"] == pytest.approx(1.5, abs=0.05)  # first in half the draws


def test_sobol_rejects_a_sample_size_that_is_not_a_power_of_two(idx: RiskIndex) -> None:
    with pytest.raises(ConfigError, match="power of 2"):
        sensitivity(idx, 100)
    with pytest.raises(ConfigError, match="needs a country"):
        sensitivity(idx, 64, output="rank")


# -- real data: the bundled open-licence snapshot (no ../shared needed) ---------------------------
@pytest.fixture(scope="module")
def snapshot_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RiskIndex]:
    from cultrade.sources.snapshot import load_snapshot

    home: Path = tmp_path_factory.mktemp("risk_unc")
    with Store(home / "snap.duckdb", settings=Settings(home=home)) as store:
        load_snapshot(store)
        yield build_index(store, home="CHN", domain="general")


def test_snapshot_smoke_rank_intervals(snapshot_index: RiskIndex) -> None:
    table = snapshot_index.uncertainty(draws=60, seed=0, year=2023)
    assert len(table) == snapshot_index.scores(2023)["score"].notna().sum() > 150
    assert (table["rank_lo"] <= table["rank_median"]).all() and (table["rank_median"] <= table["rank_hi"]).all()
    # a country just above min_coverage (Bermuda: 63% of the weight) can drop below it when weights move
    assert (table["scored_share"] == 1).mean() > 0.95 and table["scored_share"].min() > 0.5
    t = table.set_index("iso3").to_dict("index")
    assert t["SYR"]["rank_hi"] < t["CHE"]["rank_lo"]  # the extremes stay apart under every assumption


def test_snapshot_sobol_indices_are_plausible(snapshot_index: RiskIndex) -> None:
    df = snapshot_index.sensitivity(64, seed=0, year=2023)
    assert list(df["factor"]) == [*snapshot_index.structure.dim_ids, "normalisation", "aggregation"]
    assert (df["ST"] > -0.05).all() and (df["ST"] < 1.3).all()
    assert (df["S1"] <= df["ST"] + df["S1_conf"] + df["ST_conf"] + 0.05).all()  # interactions only add
    assert df["S1"].sum() < 1.2
    assert df.set_index("factor")["ST"].idxmax() == "normalisation"

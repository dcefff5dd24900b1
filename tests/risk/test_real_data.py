"""The index on the publishers' real files (skips cleanly without ../shared)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cultrade.risk import RiskIndex, build_index, risk_explain, risk_scores
from cultrade.store import Store

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def index(real_store: Store) -> RiskIndex:
    return build_index(real_store, home="CHN", domain="general")


def test_every_year_with_data_is_scored(index: RiskIndex) -> None:
    assert index.years[0] == 1996 and index.years[-1] == 2024
    per_year = (~np.isnan(index.score)).sum(axis=1)
    assert (per_year >= 150).all(), dict(zip(index.years.tolist(), per_year.tolist(), strict=True))
    assert not index.panel.notes.get("distance")  # GeoDist found (store table or shared folder)


def test_spot_check_bands_2023(index: RiskIndex) -> None:
    s = index.scores(2023).set_index("iso3")
    for safe in ("NOR", "CHE", "DNK", "FIN"):
        assert s.loc[safe, "band"] in ("very low", "low"), (safe, s.loc[safe, "score"])
    for risky in ("SOM", "SYR", "AFG", "YEM"):
        assert s.loc[risky, "band"] in ("high", "very high"), (risky, s.loc[risky, "score"])


def _external(store: Store, source: str, name: str) -> pd.DataFrame:
    return store.con.execute(
        "SELECT iso3, year - 1 AS year, value AS " + name + " FROM indicators "
        "WHERE source = ? AND indicator = 'Total'", [source]).df()


def _rho(frame: pd.DataFrame, other: str) -> float:
    return float(frame[["dim_political", other]].dropna().corr("spearman").to_numpy()[0, 1])


def test_political_dimension_ranks_like_fsi_and_freedom_house(real_store: Store) -> None:
    """Validation: the political dimension, built WITHOUT FSI and Freedom House, against both."""
    idx = build_index(real_store, home="CHN", exclude=["fh_total", "fsi_total"])
    s = idx.scores(all_years=True)
    m = s.merge(_external(real_store, "fsi", "fsi"), on=["iso3", "year"], how="left").merge(
        _external(real_store, "freedom_house", "fh"), on=["iso3", "year"], how="left")
    latest = m[m["year"] == 2022]
    rho_fsi, pooled_fsi = _rho(latest, "fsi"), _rho(m, "fsi")
    rho_fh, pooled_fh = _rho(latest, "fh"), _rho(m, "fh")
    print(f"rho(political, FSI) 2022 {rho_fsi:.3f} pooled {pooled_fsi:.3f}; "
          f"rho(political, FH) 2022 {rho_fh:.3f} pooled {pooled_fh:.3f}")
    assert rho_fsi > 0.8 and pooled_fsi > 0.8      # higher risk <-> more fragile
    assert rho_fh < -0.8 and pooled_fh < -0.8      # higher risk <-> less free


def test_domain_profiles_shift_weight(real_store: Store, index: RiskIndex) -> None:
    games = build_index(real_store, home="CHN", domain="games")
    crafts = build_index(real_store, home="CHN", domain="crafts")
    share = {}
    for name, idx in (("general", index), ("games", games), ("crafts", crafts)):
        e = idx.explain("IRN", 2023).indicators.groupby("subdimension")["weight"].sum()
        share[name] = e
    assert share["games"]["digital"] > share["general"]["digital"]
    assert share["crafts"]["trade_logistics"] > share["general"]["trade_logistics"]


def test_home_country_changes_cultural_distance_only(real_store: Store, index: RiskIndex) -> None:
    usa = index.regenerate(home="USA")
    s_chn = index.scores(2023).set_index("iso3")
    s_usa = usa.scores(2023).set_index("iso3")
    assert s_usa["dim_home"]["GBR"] < s_chn["dim_home"]["GBR"]  # shared language, ties
    assert s_usa.loc["GBR", "dim_political"] == pytest.approx(s_chn.loc["GBR", "dim_political"])


def test_one_call_each_for_the_cli(real_store: Store) -> None:
    table = risk_scores(real_store, home="CHN", domain="games", year=2023)
    assert (table["year"] == 2023).all() and table["score"].notna().sum() > 150
    e = risk_explain(real_store, "IRN", home="CHN")
    assert e.year == 2024 and not e.insufficient
    assert e.indicators["contribution"].sum() == pytest.approx(e.score)
    vdem = e.indicators.set_index("indicator").loc["internet_censorship"]
    assert vdem["status"] == "carried" and vdem["source_year"] == 2021  # staleness recorded


def test_monte_carlo_kernel_scores_every_draw_like_the_index(index: RiskIndex) -> None:
    """1,000 weight draws in ten batches; the draw with the index's own weights reproduces its scores.
    (Its speed is measured in benchmarks/bench_risk.py, never here.)"""
    rng = np.random.default_rng(0)
    w = index.weights
    for _ in range(10):
        draws = [w[k] * rng.uniform(0.5, 1.5, (100, w[k].size)) for k in ("ind", "sub", "dim")]
        out = index.score_batch(*draws)
        assert out.shape[1:] == index.score.shape
    same = index.score_batch(w["ind"][None, :], w["sub"][None, :], w["dim"][None, :])[0]
    assert np.allclose(same, index.score, equal_nan=True, atol=1e-4)

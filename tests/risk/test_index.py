"""RiskIndex as a replayable pipeline: the log, regenerate, missing data, explanations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cultrade.errors import ConfigError
from cultrade.risk.index import RiskIndex
from cultrade.risk.panel import Panel

from .conftest import panel, tiny_framework

NAN = np.nan
SPEC = [("x1", "more_risk", "d1"), ("x2", "less_risk", "d1"), ("x3", "more_risk", "d2")]
# 3 years x 4 countries x 3 indicators; DDD has x1 only in 2021 and nothing else
CUBE = np.array([
    [[1.0, 9.0, 2.0], [4.0, 5.0, 3.0], [7.0, 2.0, 5.0], [5.0, NAN, NAN]],
    [[2.0, 8.0, 2.0], [4.0, NAN, 4.0], [8.0, 1.0, 6.0], [NAN, NAN, NAN]],
    [[2.0, 8.0, 1.0], [5.0, 4.0, NAN], [9.0, 1.0, 7.0], [NAN, NAN, NAN]],
])
COUNTRIES = ("AAA", "BBB", "CCC", "DDD")


def make(**params: object) -> RiskIndex:
    p = panel(CUBE, countries=COUNTRIES, years=(2021, 2022, 2023))
    return RiskIndex(p, tiny_framework(SPEC), **params)  # type: ignore[arg-type]


def test_the_log_records_every_step_with_its_parameters() -> None:
    idx = make(normalisation="zscore", max_carry_years=1)
    names = [s["step"] for s in idx.log]
    assert names == ["panel", "select", "transform", "impute", "outliers", "normalise", "overrides", "weights",
                     "aggregate", "bands", "outlook"]
    log = {s["step"]: s for s in idx.log}
    assert log["normalise"]["params"] == {"method": "zscore", "scope": "panel"}
    assert log["impute"]["params"]["max_carry_years"] == 1
    assert log["aggregate"]["params"]["min_coverage"] == 0.6
    assert "fitted" in log["normalise"]["info"]
    assert list(idx.steps()["step"]) == names


@pytest.mark.parametrize("changes", [
    {"weights": {"x1": 4.0, "d2": 0.5}},
    {"normalisation": "rank", "aggregation": "geometric"},
    {"weighting": "equal", "min_coverage": 0.3, "max_carry_years": 0},
    {"weighting": "pca"},
])
def test_regenerate_equals_building_directly(changes: dict[str, Any]) -> None:
    replayed = make().regenerate(**changes)
    direct = make(**changes)
    assert np.allclose(replayed.score, direct.score, equal_nan=True)
    assert replayed.params == direct.params
    also = make().regenerate(changes)  # a dict works too
    assert np.allclose(also.score, direct.score, equal_nan=True)


def test_imputed_values_are_flagged_and_limited() -> None:
    idx = make(max_carry_years=1)
    k = idx.structure.ind_ids.index("x2")
    b = list(COUNTRIES).index("BBB")
    assert idx.status[1, b, k] == 5  # carried from 2021
    assert idx.raw[1, b, k] == 5.0
    x3 = idx.structure.ind_ids.index("x3")
    assert idx.status[2, b, x3] == 5  # 2023 carried from 2022
    none = make(max_carry_years=0)
    assert np.isnan(none.norm[1, b, k])


def test_insufficient_data_is_marked_not_averaged() -> None:
    idx = make()
    s = idx.scores(2021).set_index("iso3")
    # DDD has only x1 in 2021: a quarter of the weight and no d2 at all
    assert bool(s.loc["DDD", "insufficient"]) and np.isnan(s["score"]["DDD"])
    assert s.loc["DDD", "band"] == "insufficient data" and s["rank"].isna()["DDD"]
    assert s.loc["DDD", "coverage"] == pytest.approx(0.25)
    # with the rule relaxed it would get a score: proof that the gap is deliberate
    relaxed = idx.regenerate(min_coverage=0.2, require_all_dimensions=False).scores(2021).set_index("iso3")
    assert not np.isnan(relaxed["score"]["DDD"])
    assert "insufficient data" in " ".join(idx.explain("DDD", 2021).notes)


def test_explain_decomposes_the_change_since_last_year() -> None:
    idx = make()
    e = idx.explain("CCC", 2023)
    assert e.previous_year == 2022
    change = e.indicators["change"].sum()
    assert change == pytest.approx(e.score - e.previous_score)
    assert e.dimensions["contribution"].sum() == pytest.approx(e.score)
    assert {"observed", "carried", "missing"} <= set(e.coverage)
    assert "CCC" in str(e)


def test_geometric_explanations_say_they_approximate() -> None:
    e = make(aggregation="geometric").explain("AAA", 2023)
    assert e.indicators["contribution"].sum() == pytest.approx(e.score)
    assert any("geometric" in n for n in e.notes)


def test_outlook_uses_the_slope_with_a_dead_band() -> None:
    idx = make(outlook_dead_band=0.0)
    slope = idx.slope[2]
    outlook = idx.outlook()[2]
    for s, o in zip(slope, outlook, strict=True):
        if np.isnan(s):
            assert o == "n/a"
        else:
            assert o == ("deteriorating" if s > 0 else "improving" if s < 0 else "stable")
    wide = make(outlook_dead_band=100.0).outlook()[2]
    assert set(wide) <= {"stable", "n/a"}


def test_bad_parameters_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown index parameter"):
        make(normalization="minmax")
    with pytest.raises(ConfigError, match="normalisation"):
        make(normalisation="robust")
    with pytest.raises(ConfigError, match="domain"):
        make(domain="opera")
    with pytest.raises(ConfigError, match="unknown node"):
        make(weights={"nowhere": 1.0})
    with pytest.raises(ConfigError, match="year 1990"):
        make().scores(1990)


def test_exports(tmp_path: Path) -> None:
    idx = make()
    csv = pd.read_csv(idx.to_csv(tmp_path / "risk.csv"))
    assert len(csv) == 3 * len(COUNTRIES)
    pq = pd.read_parquet(idx.to_parquet(tmp_path / "risk.parquet"))
    assert list(pq.columns) == list(csv.columns)
    assert {"iso3", "year", "score", "band", "outlook", "rank", "coverage", "insufficient", "overrides",
            "dim_d1", "dim_d2"} <= set(csv.columns)


def test_monte_carlo_hooks_match_the_index() -> None:
    idx = make()
    w = idx.weights
    batch = idx.score_batch(np.stack([w["ind"]] * 2), np.stack([w["sub"]] * 2), np.stack([w["dim"]] * 2))
    assert batch.shape == (2, 3, 4)
    assert np.allclose(batch[1], idx.score, equal_nan=True, atol=1e-4)
    z = idx.normalised("zscore")
    assert np.allclose(z, make(normalisation="zscore").norm, equal_nan=True)


def test_panel_shape_is_checked() -> None:
    with pytest.raises(ConfigError, match="shape"):
        Panel.from_arrays(np.zeros((1, 2, 3)), years=[2023], countries=["A"], indicators=["x"])

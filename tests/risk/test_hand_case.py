"""Equal weights and arithmetic aggregation reproduce a small case computed by hand.

Three countries, three indicators, two dimensions, one year:

    indicator  direction   dimension   AAA   BBB   CCC
    x1         more risk   d1            0     5    10
    x2         less risk   d1           40    10    20
    x3         more risk   d2            3     1     2

Min-max over the three countries, flipped for x2 (1 = most risk):

    x1: (x - 0) / 10           -> AAA 0,   BBB 0.5, CCC 1
    x2: 1 - (x - 10) / 30      -> AAA 0,   BBB 1,   CCC 1 - 10/30 = 2/3
    x3: (x - 1) / 2            -> AAA 1,   BBB 0,   CCC 0.5

Equal weights (the framework's expert weights of 2 and 3 are ignored):

    d1 = (x1 + x2) / 2         -> AAA 0,   BBB 0.75, CCC (1 + 2/3) / 2 = 5/6
    d2 = x3                    -> AAA 1,   BBB 0,    CCC 0.5
    index = (d1 + d2) / 2      -> AAA 0.5, BBB 0.375, CCC (5/6 + 1/2) / 2 = 2/3
    score = 10 * index         -> AAA 5.0, BBB 3.75,  CCC 6.6667
"""

from __future__ import annotations

import numpy as np
import pytest

from cultrade.risk.index import RiskIndex

from .conftest import panel, tiny_framework

SPEC = [("x1", "more_risk", "d1"), ("x2", "less_risk", "d1"), ("x3", "more_risk", "d2")]
CUBE = [[[0.0, 40.0, 3.0], [5.0, 10.0, 1.0], [10.0, 20.0, 2.0]]]


@pytest.fixture
def index() -> RiskIndex:
    return RiskIndex(panel(CUBE), tiny_framework(SPEC), weighting="equal", normalisation="minmax",
                     aggregation="arithmetic", outliers="none", band_method="fixed")


def test_scores_match_the_hand_computation(index: RiskIndex) -> None:
    s = index.scores().set_index("iso3")
    assert s.loc["AAA", "score"] == pytest.approx(5.0)
    assert s.loc["BBB", "score"] == pytest.approx(3.75)
    assert s.loc["CCC", "score"] == pytest.approx(20 / 3, abs=1e-4)
    assert s.loc["CCC", "dim_d1"] == pytest.approx(50 / 6, abs=1e-4)
    assert s.loc["AAA", "dim_d2"] == pytest.approx(10.0)
    # rank 1 is the highest risk
    assert s["rank"].to_dict() == {"CCC": 1, "AAA": 2, "BBB": 3}


def test_bands_follow_the_cut_points(index: RiskIndex) -> None:
    # default cuts 2.5 / 3.5 / 4.5 / 5.5
    assert index.scores().set_index("iso3")["band"].to_dict() == {"CCC": "very high", "AAA": "high", "BBB": "medium"}


def test_contributions_add_up_exactly(index: RiskIndex) -> None:
    e = index.explain("CCC")
    contrib = e.indicators.set_index("indicator")["contribution"]
    # effective weight 1/4, 1/4, 1/2 times the 0-10 risk scores 10, 6.667, 5
    assert contrib.to_dict() == pytest.approx({"x1": 2.5, "x2": 10 / 6, "x3": 2.5})
    assert contrib.sum() == pytest.approx(e.score)


def test_expert_weights_change_the_result(index: RiskIndex) -> None:
    # expert weights are all 2 (indicators) and 3 (dimensions): within-level ratios equal, same scores
    same = index.regenerate(weighting="expert")
    assert np.allclose(same.score, index.score)
    tilted = index.regenerate(weights={"x1": 3.0})
    # CCC: d1 = (3 * 1 + 2/3) / 4 = 11/12; index = (11/12 + 1/2) / 2 = 17/24
    assert tilted.scores().set_index("iso3").loc["CCC", "score"] == pytest.approx(170 / 24, abs=1e-4)

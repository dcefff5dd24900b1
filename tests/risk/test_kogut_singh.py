"""Kogut-Singh cultural distance against a hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cultrade.risk.culture import kogut_singh
from cultrade.risk.derived import pair_values


def test_two_countries_and_a_third_for_the_variances() -> None:
    scores = pd.DataFrame({"pdi": [80.0, 40.0, 60.0], "idv": [20.0, 90.0, 40.0], "mas": [66.0, 62.0, np.nan]},
                          index=["CHN", "USA", "XXX"])
    # variances across countries (ddof=1):
    #   pdi: mean 60, ((20)^2 + (20)^2 + 0) / 2 = 400
    #   idv: mean 50, (30^2 + 40^2 + 10^2) / 2 = 1300
    #   mas: 66, 62 -> mean 64, (4 + 4) / 1 = 8
    # USA from CHN, three dimensions: ((40-80)^2/400 + (90-20)^2/1300 + (62-66)^2/8) / 3
    #   = (4 + 3.76923 + 2) / 3 = 3.25641
    # XXX from CHN, mas missing so two dimensions: ((60-80)^2/400 + (40-20)^2/1300) / 2
    #   = (1 + 0.307692) / 2 = 0.653846
    ks = kogut_singh(scores, "CHN", min_dimensions=2)
    assert ks["CHN"] == 0.0
    assert ks["USA"] == pytest.approx(3.256410, abs=1e-6)
    assert ks["XXX"] == pytest.approx(0.653846, abs=1e-6)
    # with the index's default minimum of shared dimensions, two are not enough
    assert np.isnan(kogut_singh(scores, "CHN", min_dimensions=3)["XXX"])


def test_home_without_scores_gives_no_distance() -> None:
    scores = pd.DataFrame({"pdi": [1.0, 2.0]}, index=["A", "B"])
    assert kogut_singh(scores, "ZZZ").isna().all()


def test_pair_values_read_the_home_row_only() -> None:
    pairs = pd.DataFrame({"iso_o": ["CHN", "CHN", "SGP"], "iso_d": ["SGP", "USA", "CHN"], "dist": [4484.7, 11000, 1]})
    assert pair_values(pairs, "CHN", "dist").to_dict() == {"SGP": 4484.7, "USA": 11000.0}

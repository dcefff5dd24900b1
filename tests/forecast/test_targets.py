"""Targets, risk sets and event history on small invented panels (not real countries), and on the snapshot."""

from __future__ import annotations

import numpy as np
import pytest

from cultrade.errors import ConfigError
from cultrade.forecast.data import ForecastData, complete_year
from cultrade.forecast.design import carry_forward, conflict_history, recent
from cultrade.forecast.options import EVENT_TARGETS, TARGETS
from cultrade.forecast.targets import band_labels, label_lag, labels, rise_labels, risk_set

# Invented: 3 countries over 8 years (rows). AAA fights in years 2-3 and again in 6; BBB never;
# CCC is in conflict from the start and stops in year 5. NaN in the last year = not yet covered.
NAN = np.nan
CONFLICT = np.array([
    # AAA BBB CCC
    [0.0, 0.0, 1.0],   # 0
    [0.0, 0.0, 2.0],   # 1
    [1.0, 0.0, 1.0],   # 2
    [1.0, 0.0, 1.0],   # 3
    [0.0, 0.0, 1.0],   # 4
    [0.0, 0.0, 0.0],   # 5
    [2.0, 0.0, 0.0],   # 6
    [NAN, NAN, NAN],   # 7: after the last UCDP year
])
NEIGHBOURS = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=bool)   # BBB borders both


def test_sustained_rise_needs_two_years_up() -> None:
    # A: +1.2 then still +1.1 -> rise; B: +1.5 then back to +0.3 -> a blip, not a rise;
    # C: +0.9 -> no; D: unscored in year 2 -> no label for year 0
    score = np.array([[3.0, 4.0, 5.0, 2.0],
                      [4.2, 5.5, 5.9, 2.5],
                      [4.1, 4.3, 6.0, NAN],
                      [4.0, 4.0, 6.0, 3.0]])
    y = rise_labels(score, 1)
    assert y[0].tolist() == pytest.approx([1, 0, 0, NAN], nan_ok=True)
    assert y[1].tolist() == pytest.approx([0, 0, 0, NAN], nan_ok=True)   # D: year 2 unscored
    assert np.isnan(y[2:]).all()                                          # year 3 / 4 beyond the data
    two = rise_labels(score, 2)                     # years 0 -> 2 and 3: C's +1.0 in year 2 holds in year 3
    assert two[0].tolist() == pytest.approx([1, 0, 1, NAN], nan_ok=True) and np.isnan(two[1:]).all()
    assert label_lag("score_rise", 1) == 2 and label_lag("currency_crisis", 2) == 2


def test_band_deterioration_leaves_the_top_band_out() -> None:
    band = np.array([[1, 3, 4], [2, 3, 4], [2, 4, 3], [-1, 4, 4]])   # -1 = insufficient data, 4 = very high
    assert band_labels(band, 1)[:, 0].tolist() == pytest.approx([1, 0, NAN, NAN], nan_ok=True)
    assert band_labels(band, 1)[:, 1].tolist() == pytest.approx([0, 1, NAN, NAN], nan_ok=True)
    assert band_labels(band, 1)[:, 2].tolist() == pytest.approx([NAN, NAN, 1, NAN], nan_ok=True)
    assert band_labels(band, 2)[:, 1].tolist() == pytest.approx([1, 1, NAN, NAN], nan_ok=True)
    with pytest.raises(ConfigError):
        band_labels(band, 5)


def test_conflict_history_hand_checked() -> None:
    h = conflict_history(CONFLICT, NEIGHBOURS)
    assert h["years_since_conflict"][:, 0].tolist() == pytest.approx([50, 50, 0, 0, 1, 2, 0, NAN], nan_ok=True)
    assert h["recent_conflict"][:, 0].tolist() == pytest.approx([0, 0, 0, 1, 1, 1, 1, NAN], nan_ok=True)
    assert h["conflict_years_10"][:, 2].tolist() == pytest.approx([1, 2, 3, 4, 5, 5, 5, NAN], nan_ok=True)
    # BBB's neighbours AAA and CCC: both at war in years 2-3
    assert h["neighbours_in_conflict"][:, 1].tolist() == pytest.approx([1, 1, 2, 2, 1, 0, 1, NAN], nan_ok=True)


def test_recent_looks_back_only() -> None:
    hit = np.array([[1.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0.0]])
    assert recent(hit, 5).ravel().tolist() == [0, 1, 1, 1, 1, 1, 0]      # year 0 itself never counts


def test_carry_forward_never_backward() -> None:
    a = np.array([[NAN], [1.0], [NAN], [NAN], [NAN], [2.0]])
    assert carry_forward(a, 2).ravel().tolist() == pytest.approx([NAN, 1, 1, 1, NAN, 2], nan_ok=True)


def test_complete_year_needs_most_countries() -> None:
    years = np.array([2020, 2021, 2022, 2023, 2024])
    assert complete_year(years, np.array([200, 205, 210, 209, 0]), ucdp_last=2024) == 2023
    assert complete_year(years, np.array([200, 205, 210, 209, 150]), ucdp_last=2024) == 2023   # partial release
    assert complete_year(years, np.array([200, 205, 210, 209, 208]), ucdp_last=2024) == 2024
    assert complete_year(years, np.array([200, 205, 210, 209, 208]), ucdp_last=2022) == 2022   # UCDP stops


def test_snapshot_labels_and_risk_sets_agree(snap_data: ForecastData) -> None:
    assert snap_data.complete_year == 2023          # WGI 2023 is out, 2024 is not
    assert "CHN" not in set(snap_data.countries)    # the home economy is never a row
    for target in TARGETS:
        lab = labels(snap_data, target, 1)  # type: ignore[arg-type]
        assert set(lab["y"]) == {0, 1}, target
        assert (lab["label_year"] == lab["year"] + label_lag(target, 1)).all()
        assert lab["label_year"].max() <= (2024 if target in EVENT_TARGETS else snap_data.complete_year)
        # the risk set at a past year holds exactly the countries that got a label
        year = 2015
        mask = risk_set(snap_data, target, year)
        labelled = set(lab.loc[lab["year"] == year, "iso3"])
        assert labelled <= set(snap_data.countries[mask]), target
        assert len(set(snap_data.countries[mask]) - labelled) <= 12, target   # unlabelled: next year unknown
    onset = labels(snap_data, "conflict_onset", 1)
    assert onset.query("iso3 == 'UKR' and year == 2013")["y"].item() == 1     # Donbas, 2014
    assert onset.query("iso3 == 'UKR' and year == 2014").empty                # in conflict: not at risk
    crisis = labels(snap_data, "currency_crisis", 1)
    assert crisis.query("iso3 == 'RUS' and year == 2014")["y"].item() == 1    # yearly average rate: +59% in 2015
    early = labels(snap_data, "currency_crisis", 1, as_of=2010)
    assert early["label_year"].max() == 2010

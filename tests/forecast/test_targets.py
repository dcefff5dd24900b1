"""Targets and conflict history on a small synthetic panel (invented numbers, not real countries)."""

from __future__ import annotations

import numpy as np
import pytest

from cultrade.errors import ConfigError
from cultrade.forecast.design import band_labels, carry_forward, conflict_history, onset_labels

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


def test_onset_within_one_year_hand_checked() -> None:
    y = onset_labels(CONFLICT, horizon=1)
    # AAA: 0->1 no; 1->2 onset; in conflict at 2, 3 (excluded); 4->5 no; 5->6 onset; 6 in conflict; 7 unknown
    assert y[:, 0].tolist() == pytest.approx([0, 1, NAN, NAN, 0, 1, NAN, NAN], nan_ok=True)
    # BBB: never in conflict -> 0, except the last two rows whose next year is not covered
    assert y[:, 1].tolist() == pytest.approx([0, 0, 0, 0, 0, 0, NAN, NAN], nan_ok=True)
    # CCC: in conflict years 0-4 -> outside the risk set; 5->6 no conflict
    assert y[:, 2].tolist() == pytest.approx([NAN, NAN, NAN, NAN, NAN, 0, NAN, NAN], nan_ok=True)


def test_onset_within_two_years() -> None:
    y = onset_labels(CONFLICT, horizon=2)
    assert y[:, 0].tolist() == pytest.approx([1, 1, NAN, NAN, 1, NAN, NAN, NAN], nan_ok=True)
    assert int(np.nansum(y[:, 1])) == 0
    with pytest.raises(ConfigError):
        onset_labels(CONFLICT, horizon=5)


def test_band_deterioration() -> None:
    band = np.array([[1, 3], [2, 3], [2, 2], [-1, 4], [3, 4]])   # -1 = insufficient data
    assert band_labels(band, 1)[:, 0].tolist() == pytest.approx([1, 0, NAN, NAN, NAN], nan_ok=True)
    assert band_labels(band, 1)[:, 1].tolist() == pytest.approx([0, 0, 1, 0, NAN], nan_ok=True)
    assert band_labels(band, 2)[:, 1].tolist() == pytest.approx([0, 1, 1, NAN, NAN], nan_ok=True)


def test_conflict_history_hand_checked() -> None:
    h = conflict_history(CONFLICT, NEIGHBOURS)
    assert h["years_since_conflict"][:, 0].tolist() == pytest.approx([50, 50, 0, 0, 1, 2, 0, NAN], nan_ok=True)
    assert h["recent_conflict"][:, 0].tolist() == pytest.approx([0, 0, 0, 1, 1, 1, 1, NAN], nan_ok=True)
    assert h["conflict_years_10"][:, 2].tolist() == pytest.approx([1, 2, 3, 4, 5, 5, 5, NAN], nan_ok=True)
    # BBB's neighbours AAA and CCC: both at war in years 2-3
    assert h["neighbours_in_conflict"][:, 1].tolist() == pytest.approx([1, 1, 2, 2, 1, 0, 1, NAN], nan_ok=True)


def test_carry_forward_never_backward() -> None:
    a = np.array([[NAN], [1.0], [NAN], [NAN], [NAN], [2.0]])
    assert carry_forward(a, 2).ravel().tolist() == pytest.approx([NAN, 1, 1, 1, NAN, 2], nan_ok=True)

"""The backtest of the rankings, the rule that picks the shipped default, and the record the product reads."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cultrade.markets import backtest_agtpa, backtest_baci, decide
from cultrade.markets.backtest import AGTPA_COVARIATES, origin_cases
from cultrade.markets.backtest_record import RECORD
from cultrade.markets.data import agtpa_frame
from cultrade.markets.evaluation import (
    RISK,
    SITUATIONS,
    SPECS,
    BacktestResult,
    bootstrap_difference,
    choose,
    model_figures,
    score_case,
)
from cultrade.store import Store

ROOT = Path(__file__).resolve().parents[2]
SCORES = ["untapped", "size_access", "size_access_digital", "persistence", "gravity_gap", "largest", "nearest",
          "partners"]


def _result(ndcg: dict[str, list[float]], risk: dict[str, list[float]] | None = None) -> BacktestResult:
    """A result with the given NDCG per ranking over homes H0, H1, ... at one origin."""
    rows = [{"home": f"H{i}", "origin": 2000, "ranking": r, "ndcg": v, "hit_rate": v, "contraction": 0.1,
             "loss": 0.2} for r, values in ndcg.items() for i, v in enumerate(values)]
    risk_rows = [{"home": f"H{i}", "origin": 2000, "ranking": r, "ndcg": v, "hit_rate": v,
                  "contraction": 0.1, "loss": 0.2} for r, values in (risk or {}).items() for i, v in enumerate(values)]
    return BacktestResult("test", "test", (2000,), 4, len(next(iter(ndcg.values()))), pd.DataFrame(rows), [],
                          pd.DataFrame(risk_rows), (2000,) if risk else (), primary=True)


def test_a_model_ships_only_when_its_interval_over_homes_is_above_the_best_baseline() -> None:
    rng = np.random.default_rng(0)
    base = rng.uniform(0.4, 0.6, 30)
    result = _result({"largest": list(base), "nearest": list(base - 0.2), "untapped": list(base - 0.1),
                      "size_access": list(base + 0.05), "size_access_digital": list(base + rng.normal(0, 0.1, 30))})
    chosen = decide(result)
    assert chosen["goods"]["ranking"] == "size_access" and chosen["goods"]["beats_baseline"]
    figures = model_figures(result)
    assert figures["size_access"]["ci"][0] > 0 and figures["size_access"]["baseline"] == "largest"
    assert chosen["bilateral"]["ranking"] == "size_access"  # untapped is a candidate there, and worse
    assert figures["untapped"]["diff"] == pytest.approx(-0.1)
    # no risk cases: the adjustment is untested and not applied
    assert not chosen["goods"]["risk_adjusted"] and chosen["goods"]["risk_worse"] == ["untested"]


def test_when_nothing_beats_the_baseline_the_best_candidate_is_recorded_as_not_validated() -> None:
    base = list(np.linspace(0.4, 0.7, 20))
    result = _result({"largest": base, "nearest": [b - 0.3 for b in base], "untapped": [b - 0.2 for b in base],
                      "size_access": [b - 0.01 for b in base], "size_access_digital": [b - 0.05 for b in base]})
    for situation in SITUATIONS:
        d = decide(result)[situation]
        assert d["ranking"] == "size_access" and not d["beats_baseline"]
        assert model_figures(result)["size_access"]["diff"] < 0


def test_the_risk_adjustment_is_kept_only_when_it_is_not_worse() -> None:
    base = list(np.linspace(0.4, 0.7, 20))
    ndcg = {"largest": base, "nearest": base, "untapped": base, "size_access": [b + 0.1 for b in base],
            "size_access_digital": base}
    worse = _result(ndcg, {"size_access": base, "size_access" + RISK: [b - 0.01 for b in base]})
    assert decide(worse)["goods"]["risk_adjusted"] is False
    assert decide(worse)["goods"]["risk_worse"] == ["NDCG@10"]
    same = _result(ndcg, {"size_access": base, "size_access" + RISK: base})
    assert decide(same)["goods"]["risk_adjusted"] is True


def test_bootstrap_resamples_homes_with_all_their_cases() -> None:
    idx = pd.MultiIndex.from_tuples([(h, o) for h in "ABCDEFGH" for o in (1990, 1994)])
    wide = pd.DataFrame({"a": np.arange(16) / 16.0, "b": 0.25}, index=idx)
    mean, lo, hi = bootstrap_difference(wide, "a", "b", draws=500)
    assert mean == pytest.approx((np.arange(16) / 16.0).mean() - 0.25)
    assert lo < mean < hi
    assert bootstrap_difference(wide, "b", "b", draws=50) == (0.0, 0.0, 0.0)


def test_adverse_outcomes_count_the_first_n_markets() -> None:
    case = pd.DataFrame({"m": [4.0, 3.0, 2.0, 1.0], "growth": [5.0, -1.0, 0.0, 2.0],
                         "contraction": [0.0, 1.0, 1.0, 0.0], "loss": [np.nan, 1.0, 0.0, 0.0]})
    (row,) = score_case(case, ["m"], n=2)
    assert row["contraction"] == 0.5  # one of the first two markets contracted
    assert row["loss"] == 1.0  # the home exported to one of them at t, and that one fell
    assert row["hit_rate"] == 0.5


@pytest.fixture(scope="module")
def small(bundled: Store) -> BacktestResult:
    """Three homes at one origin the risk index covers: every ranking, with and without risk."""
    return backtest_agtpa(bundled, origins=(2002,), homes=["CHN", "DEU", "USA"])


def test_the_backtest_scores_every_ranking_the_product_ships(small: BacktestResult) -> None:
    summary = small.summary()
    assert set(summary.index) == set(SCORES) and summary["cases"].eq(3).all()
    assert summary[["ndcg", "hit_rate"]].stack().between(0, 1).all()
    risk = small.risk_summary()
    assert set(risk.index) == {"untapped", "size_access", "size_access_digital"}
    assert small.risk_origins == (2002,) and risk["cases"].eq(3).all()
    assert any("built from each home with data up to t only" in n for n in small.notes)
    wins = small.home_wins("size_access")
    assert set(wins) == {"CHN", "DEU", "USA"} and all(0 <= w <= n == 1 for w, n in wins.values())


def test_no_score_uses_data_after_the_origin(bundled: Store) -> None:
    data = agtpa_frame(bundled)
    changed = data.copy()
    later = changed["year"] > 2002
    changed.loc[later, "value"] = changed.loc[later, "value"] * np.random.default_rng(1).uniform(0, 3, later.sum())
    a, _ = origin_cases(bundled, data, AGTPA_COVARIATES, 2002)
    b, _ = origin_cases(bundled, changed, AGTPA_COVARIATES, 2002)
    keys = ["exporter", "importer"]
    a, b = a.sort_values(keys).reset_index(drop=True), b.sort_values(keys).reset_index(drop=True)
    scores = [c for c in SCORES if c in a.columns]
    pd.testing.assert_frame_equal(a[scores], b[scores])
    assert not np.allclose(a["growth"], b["growth"])


def test_baci_section_is_a_smoke_test_on_the_sample(bundled: Store) -> None:
    result = backtest_baci(bundled, risk=False)
    assert result is not None and result.homes == 2 and "sample" in result.notes[0]
    assert {"untapped", "size_access", "largest"} <= set(result.summary().index)


def test_the_record_follows_the_rule_from_its_own_figures() -> None:
    """The committed record is what the rule gives on the figures it holds (nobody edited the decision)."""
    assert RECORD["source"] == "agtpa" and set(RECORD["situations"]) == set(SITUATIONS)
    assert RECORD["situations"] == choose(RECORD["figures"])
    for situation, d in RECORD["situations"].items():
        assert set(d["candidates"]) == {r.id for r in SPECS.values() if situation in r.situations}
        assert RECORD["figures"][d["ranking"]]["risk"]["cases"] > 0  # the adjustment was tested, not assumed


def test_the_published_page_shows_the_recorded_figures() -> None:
    page = (ROOT / "docs/markets_backtest.md").read_text(encoding="utf-8")
    assert f"Generated by `{RECORD['command']}`" in page
    for ranking, f in RECORD["figures"].items():
        line = re.search(rf"\| {re.escape(SPECS[ranking].label)} \| [^|]* \| ([0-9.]+) \|", page)
        assert line is not None, ranking
        assert float(line.group(1)) == pytest.approx(f["ndcg"], abs=5e-4), ranking
    for d in RECORD["situations"].values():
        verdict = "**yes**" if d["beats_baseline"] else "**NO**"
        ndcg = RECORD["figures"][d["ranking"]]["ndcg"]
        assert re.search(rf"\| {re.escape(SPECS[d['ranking']].label)} \| {ndcg:.3f} \|.*\| {re.escape(verdict)} \|",
                         page)

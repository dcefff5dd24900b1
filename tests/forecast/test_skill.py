"""The shipping rule by hand, and where the decision is kept and when it is taken again."""

from __future__ import annotations

import pandas as pd
import pytest

from cultrade.errors import ConfigError
from cultrade.forecast import record_decision, stored_decision
from cultrade.forecast.rolling import BacktestReport
from cultrade.forecast.skill import current_decision, decide, input_signature, shipped_models, why_undecided
from cultrade.store import Provenance
from tests.forecast.conftest import snapshot_store


def _pooled(rows: list[tuple[str, str, float, float]], best: str = "persistence", best_auc: float = 0.70
            ) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["target", "model", "auc", "bss"])
    return frame.assign(horizon=1, n=100, events=10, auc_lo=0.0, auc_hi=1.0, best_baseline=best,
                        best_baseline_auc=best_auc, gain=frame["auc"] - best_auc, gain_lo=0.0, gain_hi=0.1)


def test_the_bar_by_hand() -> None:
    pooled = _pooled([
        ("a", "logit", 0.76, 0.02), ("a", "hgb", 0.79, 0.01),     # both pass: the higher AUC ships
        ("b", "logit", 0.749, 0.10), ("b", "hgb", 0.90, -0.01),   # gain 0.049 too small; no Brier skill
        ("c", "logit", 0.75, 0.0), ("c", "hgb", float("nan"), 0.3),   # BSS must be above 0; no AUC: fails
    ])
    d = decide(pooled).set_index(["target", "model"])
    assert d["passes"].to_dict() == {("a", "logit"): True, ("a", "hgb"): True, ("b", "logit"): False,
                                     ("b", "hgb"): False, ("c", "logit"): False, ("c", "hgb"): False}
    assert shipped_models(decide(pooled)) == {"a": "hgb"}
    assert "AUC gain below 0.05" in d.loc[("b", "logit"), "reason"]
    assert "no Brier skill" in d.loc[("b", "hgb"), "reason"]
    assert d.loc[("a", "hgb"), "reason"].endswith("passes")
    both = decide(pd.concat([pooled, pooled.assign(horizon=2, auc=pooled["auc"] - 0.05,
                                                   gain=pooled["gain"] - 0.05)]))
    assert shipped_models(both, 1) == {"a": "hgb"} and shipped_models(both, 2) == {}   # each lead on its own


def test_decision_is_stored_and_retaken_when_inputs_change(small_report: BacktestReport) -> None:
    with snapshot_store() as store:
        assert stored_decision(store).empty
        first = record_decision(store, small_report)
        assert set(first["target"]) == set(small_report.targets) and first["signature"].nunique() == 1
        assert store.catalog_entry("forecast_skill", "CHN:general") is not None
        runs: list[tuple[str, ...]] = []

        def run(targets: tuple[str, ...], horizons: tuple[int, ...]) -> BacktestReport:
            runs.append(targets)
            return small_report

        decision, note = current_decision(store, "CHN", "general", small_report.targets, (1,), run)
        assert runs == [] and "decision from the backtest" in note and len(decision) == len(first)
        before = input_signature(store)
        store.write_frames("wdi", {"obs_wdi": pd.DataFrame({"iso3": ["NOR"], "year": [2030], "indicator": ["x"],
                                                            "value": [1.0]})},
                           provenance=Provenance(source="wdi", partition="x-test"))
        assert input_signature(store) != before                   # new observations: a new signature
        decision, note = current_decision(store, "CHN", "general", small_report.targets, (1,), run)
        assert runs == [small_report.targets] and "input data changed" in note
        assert (decision["signature"] == input_signature(store)).all()
        assert stored_decision(store, "USA").empty                # one decision per home and domain


def test_a_partial_backtest_cannot_decide(small_report: BacktestReport) -> None:
    partial = BacktestReport(small_report.targets, (1,), ("logit", "climatology"), small_report.predictions,
                             small_report.folds)
    assert "persistence" in (why_undecided(partial) or "")
    with snapshot_store() as store, pytest.raises(ConfigError, match="cannot record"):
        record_decision(store, partial)
    assert why_undecided(small_report) is None


def test_a_missing_lead_is_backtested_before_it_is_published(small_report: BacktestReport) -> None:
    with snapshot_store() as store:
        record_decision(store, small_report)                      # lead 1 only
        asked: list[tuple[tuple[str, ...], tuple[int, ...]]] = []

        def run(targets: tuple[str, ...], horizons: tuple[int, ...]) -> BacktestReport:
            asked.append((targets, horizons))
            lead2 = small_report.predictions.assign(horizon=2)
            return BacktestReport(targets, horizons, small_report.models,
                                  lead2[lead2["target"].isin(targets)], small_report.folds)

        decision, note = current_decision(store, "CHN", "general", ("conflict_onset",), (1, 2), run)
        assert asked == [(("conflict_onset",), (2,))] and "conflict_onset at lead 2" in note
        assert set(zip(decision["target"], decision["horizon"], strict=True)) >= {("conflict_onset", 1),
                                                                                  ("conflict_onset", 2)}

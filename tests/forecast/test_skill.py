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
    assert decide(pooled.assign(horizon=2)).empty                   # the decision is taken at lead 1


def test_decision_is_stored_and_retaken_when_inputs_change(small_report: BacktestReport) -> None:
    with snapshot_store() as store:
        assert stored_decision(store).empty
        first = record_decision(store, small_report)
        assert set(first["target"]) == set(small_report.targets) and first["signature"].nunique() == 1
        assert store.catalog_entry("forecast_skill", "CHN:general") is not None
        runs: list[tuple[str, ...]] = []

        def run(targets: tuple[str, ...]) -> BacktestReport:
            runs.append(targets)
            return small_report

        decision, note = current_decision(store, "CHN", "general", small_report.targets, run)
        assert runs == [] and "decision from the backtest" in note and len(decision) == len(first)
        before = input_signature(store)
        store.write_frames("wdi", {"obs_wdi": pd.DataFrame({"iso3": ["NOR"], "year": [2030], "indicator": ["x"],
                                                            "value": [1.0]})},
                           provenance=Provenance(source="wdi", partition="x-test"))
        assert input_signature(store) != before                   # new observations: a new signature
        decision, note = current_decision(store, "CHN", "general", small_report.targets, run)
        assert runs == [small_report.targets] and "input data changed" in note
        assert (decision["signature"] == input_signature(store)).all()
        assert stored_decision(store, "USA").empty                # one decision per home and domain


def test_a_partial_backtest_cannot_decide(small_report: BacktestReport) -> None:
    partial = BacktestReport(small_report.targets, (1,), ("logit", "climatology"), small_report.predictions,
                             small_report.folds)
    assert "persistence" in (why_undecided(partial) or "")
    with snapshot_store() as store, pytest.raises(ConfigError, match="cannot record"):
        record_decision(store, partial)
    assert "lead 1" in (why_undecided(BacktestReport(("conflict_onset",), (2,), small_report.models,
                                                     small_report.predictions, small_report.folds)) or "")

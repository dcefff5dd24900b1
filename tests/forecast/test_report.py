"""The generated document holds every target x model x baseline, the decision and the precautions."""

from __future__ import annotations

from cultrade.forecast.options import MODELS, TARGETS
from cultrade.forecast.rolling import BacktestReport


def test_document_lists_every_figure(small_report: BacktestReport) -> None:
    text = small_report.to_markdown()
    for section in ("## 1. Decision (lead 1)", "## 2. Targets and baselines", "## 3. Every target, model and",
                    "## 5. Calibration", "## 6. Per origin", "## 7. Design", "## Leakage precautions",
                    "## Limits"):
        assert section in text, section
    results = text.split("## 3.")[1].split("## 5.")[0]
    for target in TARGETS:
        assert f"**{target}**" in results, target
        block = results.split(f"**{target}**")[1].split("**")[0]
        for model in MODELS:
            assert f"| {model} |" in block, (target, model)
    decision = small_report.decision()
    for reason in decision["reason"]:
        assert reason in text
    assert "**Shipped:** `conflict_onset` (hgb)" in text
    assert f"origins {min(small_report.origins)}–{max(small_report.origins)}" in text
    assert "wgi_average" in text and "dist_to_next_band" in text       # baselines and the feature list

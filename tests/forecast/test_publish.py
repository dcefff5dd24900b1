"""predict_and_store publishes shipped targets only, from the latest complete year; top lists; the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from cultrade.commands.forecast import forecast_app, register
from cultrade.errors import ConfigError
from cultrade.forecast import (
    FORECAST_COLUMNS,
    FORECAST_TABLE,
    SKILL_TABLE,
    ForecastData,
    predict,
    predict_and_store,
    record_decision,
    stored_forecasts,
)
from cultrade.forecast import publish as pub
from cultrade.forecast.design import features
from cultrade.forecast.options import LOW_COVERAGE
from cultrade.forecast.rolling import BacktestReport
from cultrade.forecast.skill import shipped_models
from cultrade.settings import get_settings
from cultrade.sources.snapshot import load_snapshot
from cultrade.store import Provenance, Store
from tests.forecast.conftest import snapshot_store


@pytest.fixture
def decided(small_report: BacktestReport) -> Iterator[Store]:
    """A snapshot store holding the shipping decision of the small backtest."""
    with snapshot_store() as store:
        record_decision(store, small_report)
        yield store


def test_only_shipped_targets_are_published(decided: Store, snap_data: ForecastData, small_report: BacktestReport,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pub, "backtest", None)            # the recorded decision is used: no backtest runs
    shipped = shipped_models(small_report.decision())
    # forecasts an earlier version stored for a target that does not ship now are withdrawn
    old = predict(snap_data, 2022, targets=["band_deterioration"], models=["logit"])
    decided.write_frames("forecast", {FORECAST_TABLE: old}, provenance=Provenance(
        source="forecast", partition="2022:band_deterioration", origin="computed"))
    assert shipped.get("conflict_onset") == "hgb"        # the small backtest ships conflict onset only
    result = predict_and_store(decided, data=snap_data)
    table = stored_forecasts(decided)
    assert list(table.columns) == list(FORECAST_COLUMNS)
    assert len(table) == len(result.rows) > 0 and table["probability"].between(0, 1).all()
    assert set(zip(table["target"], table["model"], strict=True)) == set(shipped.items())
    assert set(table["origin_year"]) == {snap_data.complete_year} == {2023}   # the latest complete year
    assert set(table["horizon_years"]) == {1}
    assert any("not published" in n and "band_deterioration" in n for n in result.notes)
    assert "shipping decision from the backtest" in result.notes[0]
    assert any("withdrew 1 earlier" in n for n in result.notes)
    # countries in conflict at the origin are outside the onset risk set: no onset row
    f = features(snap_data, 2023)
    fighting = set(f.loc[(f["year"] == 2023) & (f["conflict"] == 1), "iso3"])
    onset = set(table.loc[table["target"] == "conflict_onset", "iso3"])
    assert "UKR" in fighting and not fighting & onset
    entry = decided.catalog_entry("forecast", "2023:conflict_onset")
    assert entry is not None and FORECAST_TABLE in entry["tables"]
    # a failing target asked for by name is refused with the reason
    failing = next(t for t in small_report.targets if t not in shipped)
    with pytest.raises(ConfigError, match="no model passed the backtest"):
        predict_and_store(decided, targets=[failing], data=snap_data)


def test_top_list_leaves_low_coverage_out(decided: Store, snap_data: ForecastData) -> None:
    result = predict_and_store(decided, 2023, data=snap_data)
    assert result.coverage.notna().sum() > 150
    top, left_out = result.top("conflict_onset", 1, n=40)
    assert len(top) == 40 and (top["coverage"] >= LOW_COVERAGE).all()
    assert top["probability"].is_monotonic_decreasing
    onset = result.rows[result.rows["target"] == "conflict_onset"].set_index("iso3")["probability"]
    for iso3 in left_out:                                     # each would have ranked within the list
        assert result.coverage.get(iso3, 0.0) < LOW_COVERAGE or pd.isna(result.coverage.get(iso3))
        assert onset[iso3] >= top["probability"].min()
    low = result.coverage[result.coverage < LOW_COVERAGE].index
    assert not set(top["iso3"]) & set(low)


def test_predict_for_research_and_bad_input(snap_data: ForecastData, decided: Store) -> None:
    rows = predict(snap_data, 2020, targets=["band_deterioration"], models=["logit", "distance_to_cut"])
    assert set(rows["model"]) == {"logit", "distance_to_cut"} and set(rows["origin_year"]) == {2020}
    with pytest.raises(ConfigError, match="unknown target"):
        predict_and_store(decided, targets=["coup"], data=snap_data)
    with pytest.raises(ConfigError, match="no data to forecast"):
        predict_and_store(decided, 1990, data=snap_data)
    later = predict_and_store(decided, 2024, data=snap_data)
    assert any("after the latest complete data year 2023" in n for n in later.notes)


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CULTRADE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    with Store(settings=get_settings()) as store:
        load_snapshot(store)
    yield tmp_path
    get_settings.cache_clear()


def test_cli_backtest_and_predict(cli_home: Path) -> None:
    app = typer.Typer()
    register(app)
    app.callback()(lambda: None)
    runner = CliRunner()
    out = cli_home / "report.md"
    res = runner.invoke(app, ["forecast", "backtest", "--target", "conflict_onset", "--from", "2016", "--to", "2018",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "wgi_average" in res.output and "Shipping decision" in res.output and "recorded" in res.output
    text = out.read_text(encoding="utf-8")
    assert "## 1. Decision (lead 1)" in text and "Leakage precautions" in text
    res = runner.invoke(app, ["forecast", "backtest", "--target", "conflict_onset", "--from", "2016", "--to", "2017",
                              "--model", "logit", "--out", str(cli_home / "pooled.csv")])
    assert res.exit_code == 0 and "decision not recorded" in res.output, res.output
    assert "auc_within" in (cli_home / "pooled.csv").read_text(encoding="utf-8")
    res = runner.invoke(app, ["forecast", "predict", "--target", "conflict_onset", "--top", "5"])
    assert res.exit_code == 0, res.output
    assert "stored" in res.output and "from 2023 data" in res.output and "shipping decision from" in res.output
    with Store(settings=get_settings()) as store:
        assert set(stored_forecasts(store)["origin_year"]) == {2023}
        assert store.has_table(SKILL_TABLE)
    bad = runner.invoke(app, ["forecast", "backtest", "--target", "coup"])
    assert bad.exit_code == 2 and "unknown target" in bad.output
    assert runner.invoke(forecast_app, ["--help"]).exit_code == 0

"""predict_and_store writes forecast_probabilities; the CLI commands run on the bundled snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cultrade.commands.forecast import forecast_app, register
from cultrade.errors import ConfigError
from cultrade.forecast import FORECAST_COLUMNS, FORECAST_TABLE, ForecastData, predict_and_store, stored_forecasts
from cultrade.forecast.design import features
from cultrade.settings import get_settings
from cultrade.sources.snapshot import load_snapshot
from cultrade.store import Store
from tests.forecast.conftest import snapshot_store


@pytest.fixture
def writable(snap_data: ForecastData) -> Iterator[Store]:
    with snapshot_store() as store:
        yield store


def test_predict_and_store_writes_the_table(writable: Store, snap_data: ForecastData) -> None:
    assert stored_forecasts(writable).empty
    rows = predict_and_store(writable, 2022, horizons=(1, 2), data=snap_data)
    table = stored_forecasts(writable)
    assert list(table.columns) == list(FORECAST_COLUMNS)
    assert len(table) == len(rows) > 0
    assert table["probability"].between(0, 1).all()
    assert set(table["target"]) == {"band_deterioration", "conflict_onset"}
    assert set(table["horizon_years"]) == {1, 2} and set(table["model"]) == {"logit", "hgb"}
    assert set(table["origin_year"]) == {2022}
    # countries in conflict in 2022 are outside the onset risk set: no onset row
    f = features(snap_data, 2022)
    fighting = set(f.loc[(f["year"] == 2022) & (f["conflict"] == 1), "iso3"])
    onset = set(table.loc[table["target"] == "conflict_onset", "iso3"])
    assert fighting and not fighting & onset
    assert "UKR" in fighting
    # a rerun of one target replaces that partition only
    predict_and_store(writable, 2022, targets=["conflict_onset"], models=["logit"], data=snap_data)
    again = stored_forecasts(writable)
    assert set(again.loc[again["target"] == "conflict_onset", "model"]) == {"logit"}
    assert (again["target"] == "band_deterioration").sum() == (table["target"] == "band_deterioration").sum()
    entry = writable.catalog_entry("forecast", "2022:conflict_onset")
    assert entry is not None and FORECAST_TABLE in entry["tables"]


def test_predict_rejects_bad_input(writable: Store, snap_data: ForecastData) -> None:
    with pytest.raises(ConfigError, match="unknown target"):
        predict_and_store(writable, 2022, targets=["coup"], data=snap_data)
    with pytest.raises(ConfigError, match="no data to forecast"):
        predict_and_store(writable, 1990, data=snap_data)


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
    assert "hgb" in res.output and "climatology" in res.output and "auc" in res.output
    assert "| horizon | model |" in out.read_text(encoding="utf-8")
    res = runner.invoke(app, ["forecast", "predict", "--year", "2023", "--target", "conflict_onset", "--top", "5"])
    assert res.exit_code == 0, res.output
    assert "stored" in res.output and "conflict_onset" in res.output
    with Store(settings=get_settings()) as store:
        assert set(stored_forecasts(store)["origin_year"]) == {2023}
    bad = runner.invoke(app, ["forecast", "backtest", "--target", "coup"])
    assert bad.exit_code == 2 and "unknown target" in bad.output
    assert runner.invoke(forecast_app, ["--help"]).exit_code == 0

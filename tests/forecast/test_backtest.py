"""No look-ahead, the rolling origin, and a real-data smoke test on the bundled snapshot."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from cultrade.errors import ConfigError
from cultrade.forecast import rolling as bt
from cultrade.forecast.data import ForecastData, load_data
from cultrade.forecast.design import features, labels
from cultrade.forecast.options import MODELS
from cultrade.store import Store
from tests.forecast.conftest import snapshot_store


def _alter_after(store: Store, year: int) -> None:
    """Scramble every source the features read, for years after ``year`` only."""
    con = store.con
    con.execute("UPDATE obs_wgi SET value = value + 3 WHERE year > ?", [year])
    con.execute("UPDATE obs_wdi SET value = value * 10 + 1 WHERE year > ?", [year])
    con.execute("UPDATE obs_owid SET value = -value - 7 WHERE year > ?", [year])
    con.execute("UPDATE obs_sipri SET value = value * 5 WHERE year > ?", [year])
    con.execute("DELETE FROM obs_ucdp WHERE year > ? AND iso3 = 'AFG'", [year])
    for iso3 in ("NOR", "CHE", "URY"):
        for ind in ("n_conflicts", "max_intensity", "n_war_level", "war"):
            con.execute("INSERT INTO obs_ucdp BY NAME SELECT ? AS iso3, ? AS year, ? AS indicator, 2.0 AS value, "
                        "'' AS _partition", [iso3, year + 1, ind])


def test_features_at_t_ignore_later_data(snap_data: ForecastData) -> None:
    t = 2015
    before = features(snap_data, t)
    with snapshot_store() as store:
        _alter_after(store, t)
        altered = load_data(store)
        after = features(altered, t)
        later_before = features(snap_data, t + 1)
        later_after = features(altered, t + 1)
    pd.testing.assert_frame_equal(before, after)
    # the alteration does bite one year later (so the test is not vacuous)
    a = later_before[later_before["year"] == t + 1].set_index("iso3")
    b = later_after[later_after["year"] == t + 1].set_index("iso3")
    assert not np.allclose(a["wgi_pv"], b.loc[a.index, "wgi_pv"], equal_nan=True)
    assert b.loc["NOR", "conflict"] == 1 and a.loc["NOR", "conflict"] == 0
    # labels known at t do not move either (NOR's 2016 onset is only visible from 2016)
    pd.testing.assert_frame_equal(labels(snap_data, "conflict_onset", 1, as_of=t),
                                  labels(altered, "conflict_onset", 1, as_of=t))
    assert labels(altered, "conflict_onset", 1).query("iso3 == 'NOR' and year == @t")["y"].item() == 1


@pytest.mark.parametrize("target", ["conflict_onset", "band_deterioration"])
@pytest.mark.parametrize("horizon", [1, 2])
def test_rolling_origin_never_trains_on_the_test_years(snap_data: ForecastData, target: str, horizon: int) -> None:
    origin = 2014
    train, test = bt.split(snap_data, target, horizon, origin)  # type: ignore[arg-type]
    assert len(test) > 100 and set(test["year"]) == {origin}
    assert set(test["label_year"]) == {origin + horizon}
    assert train["label_year"].max() <= origin < origin + horizon
    assert train["year"].max() == origin - horizon
    assert not set(zip(train["iso3"], train["year"], strict=True)) & set(zip(test["iso3"], test["year"], strict=True))


def test_backtest_fits_on_the_split_only(snap_data: ForecastData, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int]] = []
    real = bt.fit_predict

    def spy(name: str, X_train: pd.DataFrame, y_train: Any, X_test: pd.DataFrame, **kw: Any) -> np.ndarray:
        seen.append((len(X_train), len(X_test)))
        return real(name, X_train, y_train, X_test, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(bt, "fit_predict", spy)
    rep = bt.backtest(snap_data, "conflict_onset", origins=[2010, 2018], models=["logit", "climatology"])
    for _, fold in rep.folds.iterrows():
        train, test = bt.split(snap_data, "conflict_onset", 1, int(fold["origin"]))
        assert (len(train), len(test)) in seen
        assert fold["train_last_label_year"] <= fold["origin"] < fold["test_target_year"]


@pytest.mark.parametrize("target", ["conflict_onset", "band_deterioration"])
def test_real_data_smoke(snap_data: ForecastData, target: str) -> None:
    rep = bt.backtest(snap_data, target, origins=[2012, 2016, 2020], seed=0)  # type: ignore[arg-type]
    p = rep.predictions
    assert set(p["model"]) == set(MODELS)
    assert p["p"].between(0, 1).all() and p["p"].notna().all()
    assert sorted(rep.folds["origin"]) == [2012, 2016, 2020]
    pooled = rep.pooled()
    assert set(bt.METRIC_COLUMNS) <= set(pooled.columns)
    assert pooled[["auc", "ap", "brier", "intercept"]].notna().all().all()
    assert pooled.set_index("model").loc["climatology", "bss"] == 0.0
    per_origin = rep.per_origin()
    assert len(per_origin) == 3 * len(MODELS)
    rel = rep.reliability(bins=5)
    assert {"p_mean", "observed", "n"} <= set(rel.columns)
    assert rel.groupby("model")["n"].sum().eq(len(p) // len(MODELS)).all()
    text = rep.to_markdown()
    assert f"### Backtest: {target}" in text and "| horizon | model |" in text and "Reliability" in text
    again = bt.backtest(snap_data, target, origins=[2012, 2016, 2020], seed=0)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(rep.predictions, again.predictions)   # reproducible


def test_bad_options_are_config_errors(snap_data: ForecastData) -> None:
    with pytest.raises(ConfigError, match="unknown target"):
        bt.backtest(snap_data, "coup")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="horizon"):
        bt.backtest(snap_data, "conflict_onset", horizons=[7])
    with pytest.raises(ConfigError, match="could be backtested"):
        bt.backtest(snap_data, "conflict_onset", origins=[1950])

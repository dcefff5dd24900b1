"""No look-ahead, the rolling origin, the same rows for every model and baseline, on the bundled snapshot."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from cultrade.errors import ConfigError
from cultrade.forecast import rolling as bt
from cultrade.forecast.data import ForecastData, load_data
from cultrade.forecast.design import features
from cultrade.forecast.options import MODELS, TARGETS
from cultrade.forecast.rolling import BacktestReport
from cultrade.forecast.targets import label_lag, labels
from cultrade.store import Store
from tests.forecast.conftest import SMALL_ORIGINS, snapshot_store


def _alter_after(store: Store, year: int) -> None:
    """Scramble every source the features and labels read, for years after ``year`` only."""
    con = store.con
    con.execute("UPDATE obs_wgi SET value = value + 3 WHERE year > ?", [year])
    con.execute("UPDATE obs_wdi SET value = value * 10 + 1 WHERE year > ?", [year])
    con.execute("UPDATE obs_owid SET value = -value - 7 WHERE year > ?", [year])
    con.execute("UPDATE obs_sipri SET value = value * 5 WHERE year > ?", [year])
    con.execute("UPDATE fx_rates SET rate = rate * 4 WHERE year(date) > ?", [year])
    con.execute("DELETE FROM obs_ucdp WHERE year > ? AND iso3 = 'AFG'", [year])
    for iso3 in ("NOR", "CHE", "URY"):
        for ind in ("n_conflicts", "max_intensity", "n_war_level", "war"):
            con.execute("INSERT INTO obs_ucdp BY NAME SELECT ? AS iso3, ? AS year, ? AS indicator, 2.0 AS value, "
                        "'' AS _partition", [iso3, year + 1, ind])


def test_features_and_known_labels_at_t_ignore_later_data(snap_data: ForecastData) -> None:
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
        assert not np.allclose(a["depreciation"], b.loc[a.index, "depreciation"], equal_nan=True)
        assert b.loc["NOR", "conflict"] == 1 and a.loc["NOR", "conflict"] == 0
        # labels known at t do not move either, for every target (NOR's 2016 onset is only visible from 2016)
        for target in TARGETS:
            pd.testing.assert_frame_equal(labels(snap_data, target, 1, as_of=t),  # type: ignore[arg-type]
                                          labels(altered, target, 1, as_of=t))  # type: ignore[arg-type]
        assert labels(altered, "conflict_onset", 1).query("iso3 == 'NOR' and year == @t")["y"].item() == 1


@pytest.mark.parametrize("target", TARGETS)
def test_rolling_origin_never_trains_on_the_test_years(snap_data: ForecastData, target: str) -> None:
    origin, horizon = 2014, 1
    lag = label_lag(target, horizon)
    train, test = bt.split(snap_data, target, horizon, origin)
    assert len(test) > 100 and set(test["year"]) == {origin}
    assert set(test["label_year"]) == {origin + lag}
    assert train["label_year"].max() == origin < origin + lag
    assert train["year"].max() == origin - lag
    assert not set(zip(train["iso3"], train["year"], strict=True)) & set(zip(test["iso3"], test["year"], strict=True))


def test_backtest_fits_on_the_split_only(snap_data: ForecastData, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, int, int]] = []
    real = bt.fit_predict

    def spy(name: str, X_train: pd.DataFrame, y_train: Any, X_test: pd.DataFrame, **kw: Any) -> np.ndarray:
        seen.append((name, len(X_train), len(X_test)))
        return real(name, X_train, y_train, X_test, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(bt, "fit_predict", spy)
    rep = bt.backtest(snap_data, "currency_crisis", origins=[2010, 2018], models=["logit", "score_rank"])
    assert rep.models == ("logit", "score_rank", "climatology")     # climatology: the Brier skill reference
    for _, fold in rep.folds.iterrows():
        train, test = bt.split(snap_data, "currency_crisis", 1, int(fold["origin"]))
        # every model and baseline of a fold is fitted on the same rows and scores the same rows
        assert {(m, len(train), len(test)) for m in rep.models} <= set(seen)
        assert fold["train_last_label_year"] <= fold["origin"] < fold["test_label_year"]


def test_every_model_forecasts_the_same_rows(small_report: BacktestReport) -> None:
    p = small_report.predictions
    assert set(p["model"]) == set(MODELS) and set(p["target"]) == set(TARGETS)
    assert p["p"].between(0, 1).all() and p["p"].notna().all()
    rows = p.groupby(["target", "model"])[["origin", "iso3"]].apply(lambda g: frozenset(map(tuple, g.to_numpy())))
    assert rows.groupby(level="target").nunique().eq(1).all()
    assert sorted(small_report.origins) == list(SMALL_ORIGINS)


def test_pooled_scores_and_gain(small_report: BacktestReport) -> None:
    pooled = small_report.pooled()
    assert set(bt.METRIC_COLUMNS) <= set(pooled.columns)
    assert len(pooled) == len(TARGETS) * len(MODELS)
    clim = pooled[pooled["model"] == "climatology"]
    assert (clim["bss"] == 0.0).all() and clim["slope"].isna().all()
    for target, g in pooled.groupby("target"):
        if g["events"].iloc[0] == 0:        # no event in the two test years: no AUC, nothing ships
            assert g["auc"].isna().all() and not small_report.decision().query("target == @target")["passes"].any()
            continue
        base = g[~g["model"].isin(["logit", "hgb"])]
        best = base.loc[base["auc"].idxmax()]
        assert (g["best_baseline"] == best["model"]).all(), target
        assert np.allclose(g["gain"], g["auc"] - best["auc"])
    conflict = pooled.set_index(["target", "model"]).loc[("conflict_onset", "hgb")]
    assert conflict["auc"] > 0.8 and conflict["events"] > 5


def test_reproducible_and_reported(small_report: BacktestReport, snap_data: ForecastData) -> None:
    again = bt.backtest(snap_data, "conflict_onset", origins=SMALL_ORIGINS, seed=0)
    mine = small_report.predictions[small_report.predictions["target"] == "conflict_onset"].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, again.predictions)
    rel = small_report.reliability(bins=5)
    assert rel.groupby(["target", "model"])["n"].sum().groupby(level="target").nunique().eq(1).all()
    folds = small_report.predictions.groupby(["target", "origin"]).ngroups
    assert len(small_report.per_origin()) == folds * len(MODELS)


def test_bad_options_are_config_errors(snap_data: ForecastData) -> None:
    with pytest.raises(ConfigError, match="unknown target"):
        bt.backtest(snap_data, "coup")
    with pytest.raises(ConfigError, match="horizon"):
        bt.backtest(snap_data, "conflict_onset", horizons=[7])
    with pytest.raises(ConfigError, match="could be backtested"):
        bt.backtest(snap_data, "conflict_onset", origins=[1950])
    with pytest.raises(ConfigError, match="unknown model"):
        bt.backtest(snap_data, "conflict_onset", models=["svm"])

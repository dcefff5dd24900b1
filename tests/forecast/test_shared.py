"""The forecasts with the user-supplied sources loaded from ../shared (skips cleanly without it).

FSI and Freedom House are non-commercial: never bundled, loaded from the publishers' files. Loaded,
they become inputs of the risk index and features of the models; the adverse events do not move.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cultrade.forecast import backtest, load_data
from cultrade.forecast.data import ForecastData
from cultrade.forecast.design import features
from cultrade.forecast.options import EVENT_TARGETS
from cultrade.forecast.targets import labels
from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.forecast.conftest import snapshot_store

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def with_fsi(shared: Path) -> Iterator[ForecastData]:
    with snapshot_store() as store:
        store.ingest(get_adapter("fsi"), shared / "indicators/fsi/fsi_2006-2023_long.csv")
        store.ingest(get_adapter("freedom_house"), shared / "indicators/freedom_house/fiw_2013-2025_long.csv")
        yield load_data(store)


def test_optional_sources_become_features_not_events(with_fsi: ForecastData, snap_data: ForecastData,
                                                     snap_store: Store) -> None:
    assert with_fsi.complete_year == snap_data.complete_year == 2023
    f = features(with_fsi, 2020)
    row = f[f["year"] == 2020].set_index("iso3")
    assert {"fsi", "d_fsi", "fh", "d_fh"} <= set(row.columns)
    assert row.loc["SOM", "fsi"] > row.loc["NOR", "fsi"] and row.loc["NOR", "fh"] > row.loc["SOM", "fh"]
    assert "fsi" not in features(snap_data, 2020).columns
    for target in EVENT_TARGETS:   # the events are the risk module's: loading references does not change them
        pd.testing.assert_frame_equal(labels(with_fsi, target, 1), labels(snap_data, target, 1))  # type: ignore[arg-type]
    rep = backtest(with_fsi, "conflict_onset", origins=[2016, 2019], models=["hgb", "persistence", "climatology"])
    assert "fsi" in rep.feature_names and np.isfinite(rep.pooled()["auc"]).all()

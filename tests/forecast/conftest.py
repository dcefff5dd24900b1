"""Fixtures for the forecasts: the bundled open-data snapshot (no ../shared needed), loaded once.

``small_report`` is a real backtest of every target on two origins only (the full run, 16 origins and
three leads, is the docs command: ``scripts/forecast_backtest_doc.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cultrade.forecast.data import ForecastData, load_data
from cultrade.forecast.options import TARGETS
from cultrade.forecast.rolling import BacktestReport, backtest
from cultrade.sources.snapshot import load_snapshot
from cultrade.store import Store

SMALL_ORIGINS = (2012, 2018)


def snapshot_store() -> Store:
    store = Store(":memory:")
    load_snapshot(store)
    return store


@pytest.fixture(scope="session")
def snap_store() -> Iterator[Store]:
    """A read-mostly store with the snapshot; tests that write use their own."""
    store = snapshot_store()
    yield store
    store.close()


@pytest.fixture(scope="session")
def snap_data(snap_store: Store) -> ForecastData:
    return load_data(snap_store)


@pytest.fixture(scope="session")
def small_report(snap_data: ForecastData) -> BacktestReport:
    return backtest(snap_data, TARGETS, origins=SMALL_ORIGINS, horizons=(1,), seed=0)

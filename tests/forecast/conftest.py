"""Fixtures for the forecasts: the bundled open-data snapshot (no ../shared needed), loaded once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cultrade.forecast.data import ForecastData, load_data
from cultrade.sources.snapshot import load_snapshot
from cultrade.store import Store


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

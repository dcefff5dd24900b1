"""A store holding the bundled snapshot (real AGTPA, GeoDist, WDI, risk indicators and the BACI sample)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cultrade.sources.snapshot import load_snapshot
from cultrade.store import Store


@pytest.fixture(scope="package")
def bundled() -> Iterator[Store]:
    with Store(":memory:") as store:
        load_snapshot(store)
        yield store

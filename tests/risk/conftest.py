"""Fixtures for the risk index: tiny hand-checkable frameworks and panels, and a real-data store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cultrade.risk.framework import Framework, parse_framework
from cultrade.risk.panel import Panel
from cultrade.settings import Settings
from cultrade.store import Store


def tiny_framework(spec: Sequence[tuple[str, str, str]], **defaults: Any) -> Framework:
    """A framework from (indicator id, higher_means, dimension id); one sub-dimension per dimension.

    ``min_indicator_coverage`` is 0 so nothing is dropped from a three-country panel.
    """
    dims: dict[str, list[dict[str, Any]]] = {}
    for ident, direction, dim in spec:
        dims.setdefault(dim, []).append({"id": ident, "label": {"en": ident}, "source": "test", "code": ident,
                                         "higher_means": direction, "weight": 2.0})
    return parse_framework({
        "defaults": {"min_indicator_coverage": 0.0, **defaults},
        "dimensions": [{"id": d, "label": {"en": d}, "weight": 3.0, "subdimensions": [
            {"id": f"{d}_sub", "label": {"en": d}, "indicators": inds}]} for d, inds in dims.items()],
        "domains": {"general": {"label": {"en": "general"}}},
    })


def panel(cube: Any, countries: Sequence[str] = ("AAA", "BBB", "CCC"), years: Sequence[int] = (2023,),
          indicators: Sequence[str] = ("x1", "x2", "x3")) -> Panel:
    return Panel.from_arrays(np.asarray(cube, dtype=float), years=years, countries=countries, indicators=indicators)


REAL_FILES = [
    ("wgi", "indicators/wgi/wgidataset_2024update_1996-2023.xlsx"),
    ("wdi", "indicators/wdi/API_*.csv"), ("wdi", "indicators/wdi/datahub_*.csv"),
    ("owid", "indicators/wdi/owid_*.csv"), ("ucdp", "indicators/conflict/ucdp_prio_acd_v25_1.csv"),
    ("vdem", "indicators/vdem/*.csv"), ("hofstede", "indicators/hofstede/hofstede_6d_2015-08-16_official.xls"),
    ("hofstede", "indicators/hofstede/hofstede_insights_country_comparison_scrape.csv"),
    ("fred", "indicators/fx/fred_h10_fx_*.csv"),
    ("fsi", "indicators/fsi/fsi_2006-2023_long.csv"),
    ("freedom_house", "indicators/freedom_house/fiw_2013-2025_long.csv"),
    ("geodist", "trade/geodist/dist_cepii.csv"), ("geodist_countries", "trade/geodist/geo_cepii.csv"),
    ("gdelt_dyads", "events/gdelt_aggregates/gdelt1_*_dyad_month_*.csv.gz"),
]


@pytest.fixture(scope="session")
def real_store(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store with the public sources the risk index uses (FSI and Freedom House included, as inputs)."""
    from cultrade.sources import available, get_adapter

    home = tmp_path_factory.mktemp("risk_real")
    settings = Settings(home=home, shared_data=shared)
    with Store(home / "risk.duckdb", settings=settings) as store:
        for source, pattern in REAL_FILES:
            if source not in available():
                continue
            for path in sorted(shared.glob(pattern)):
                store.ingest(get_adapter(source), path)
        yield store

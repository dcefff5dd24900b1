"""TI CPI: the historical file and the CPI 2024 edition with its thirteen source scores."""

from __future__ import annotations

from pathlib import Path

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

FOLDER = "indicators/cpi_ti"


def test_historical_cpi(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("ti_cpi"), shared / FOLDER / "ti_cpi_historical.csv")
    assert result.partition == "historical" and result.rows == {"obs_ti_cpi": 2312}
    # CPI 2024: Denmark 90 (1st); Sweden 80 (8th) as in the historical file.
    rows = store.con.execute(
        "SELECT iso3, value, rank FROM obs_ti_cpi WHERE year = 2024 AND iso3 IN ('DNK', 'SWE') ORDER BY 1").fetchall()
    assert rows == [("DNK", 90.0, 1), ("SWE", 80.0, 8)]
    span = store.con.execute("SELECT min(year), max(year), count(DISTINCT iso3) FROM obs_ti_cpi").fetchone()
    assert span == (2012, 2024, 182)
    assert store.ingest(get_adapter("ti_cpi"), shared / FOLDER / "ti_cpi_historical.csv").status == "unchanged"


def test_cpi_2024_edition_with_sources(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("ti_cpi"), shared / FOLDER / "ti_cpi_2024.csv")
    assert result.partition == "2024" and result.rows["obs_ti_cpi"] == 180
    # CPI 2024: South Sudan last (180th, score 8); Kosovo (KSV in TI's file) scores 44.
    assert store.con.execute(
        "SELECT value, rank FROM obs_ti_cpi WHERE iso3 = 'SSD'").fetchone() == (8.0, 180)
    assert store.con.execute("SELECT value FROM obs_ti_cpi WHERE iso3 = 'XKX'").fetchone() == (44.0,)
    # Norway's PRS International Country Risk Guide score in CPI 2024 is 87.
    prs = store.con.execute(
        "SELECT score FROM ti_cpi_sources WHERE iso3 = 'NOR' AND source = 'PRS International Country Risk Guide'"
    ).fetchone()
    assert prs == (87.0,)


SAMPLE = [
    "Country / Territory,ISO3,Year,Region,CPI score,Rank,Standard error,Number of sources,Lower CI,Upper CI",
    "Sweden,SWE,2022,WE/EU,83,5,2.20,8,79,87",
    "Sweden,SWE,2023,WE/EU,82,6,2.28,8,78,86",
    "Sweden,SWE,2024,WE/EU,80,8,2.48,8,76,84",
]


def test_cpi_bad_inputs(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("ti_cpi", "ti_cpi_historical.csv", SAMPLE, numeric_column="CPI score",
                        country_column="ISO3")
    check_bad_inputs(case, store, tmp_path)

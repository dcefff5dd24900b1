"""SIPRI military expenditure: region headers, '...' and 'xxx' are handled; known totals survive."""

from __future__ import annotations

from pathlib import Path

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

FILE = "indicators/conflict/sipri_milex_1949-2024_extract.csv"


def test_sipri_usa_2024_and_coverage(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("sipri"), shared / FILE)
    assert result.rows == {"obs_sipri": 8825}
    # SIPRI 2025 release, current US$ m: United States of America 2024 = 997,309.
    usa = store.con.execute(
        "SELECT value, unit FROM obs_sipri WHERE iso3 = 'USA' AND year = 2024").fetchone()
    assert usa == (997309.0, "US$ m, current")
    # "Türkiye" is spelled in Windows-1252 in the export; dissolved states keep ISO 3166-3 codes.
    assert store.con.execute("SELECT count(*) FROM obs_sipri WHERE iso3 = 'TUR'").fetchone() != (0,)
    assert store.con.execute("SELECT max(year) FROM obs_sipri WHERE iso3 = 'SUN'").fetchone() == (1990,)
    span = store.con.execute("SELECT min(year), max(year), count(DISTINCT iso3) FROM obs_sipri").fetchone()
    assert span == (1949, 2024, 172)
    assert store.ingest(get_adapter("sipri"), shared / FILE).status == "unchanged"


SAMPLE = [
    "Country,Notes,2022,2023,2024",
    "Africa,,,,",
    "Algeria,4,9145.7,18264.1,21799.5",
    "Libya,16,...,...,...",
    "Yemen,99,xxx,...,...",
]


def test_sipri_bad_inputs(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("sipri", "sipri_milex_1949-2024_extract.csv", SAMPLE, numeric_column="2024",
                        country_column="Country", unknown_country="Zzqland")
    check_bad_inputs(case, store, tmp_path)

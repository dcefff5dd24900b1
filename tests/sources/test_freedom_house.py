"""Freedom in the World: workbook and long CSV agree; territories without ISO3 are kept apart by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

FOLDER = "indicators/freedom_house"


@pytest.mark.parametrize("name", ["All_data_FIW_2013-2025.xlsx", "fiw_2013-2025_long.csv"])
def test_fiw_2025_norway_and_territories(shared: Path, store: Store, name: str) -> None:
    result = store.ingest(get_adapter("freedom_house"), shared / FOLDER / name)
    # 2723 rows (SOURCES.md); the 158 rows of the 14 territories without ISO3 go to their own table.
    assert result.rows["freedom_house_territories"] == 158
    # FIW 2025 data: Norway, status Free, PR rating 1, PR 39, CL 60, Total 99 (describes 2024).
    norway = dict(store.con.execute(
        "SELECT indicator, value FROM obs_freedom_house WHERE iso3 = 'NOR' AND year = 2025 "
        "AND indicator IN ('PR rating', 'PR', 'CL', 'Total')").fetchall())
    assert norway == {"PR rating": 1.0, "PR": 39.0, "CL": 60.0, "Total": 99.0}
    status = store.con.execute(
        "SELECT DISTINCT status, data_year FROM obs_freedom_house WHERE iso3 = 'NOR' AND year = 2025").fetchall()
    assert status == [("F", 2024)]
    # Hong Kong is a territory with its own ISO3 code, so it stays with the countries.
    assert store.con.execute("SELECT count(*) FROM obs_freedom_house WHERE iso3 = 'HKG'").fetchone() != (0,)
    crimea = store.con.execute(
        "SELECT count(*) FROM freedom_house_territories WHERE name = 'Crimea'").fetchone()
    assert crimea is not None and crimea[0] >= 10
    span = store.con.execute("SELECT min(year), max(year), count(DISTINCT iso3) FROM obs_freedom_house").fetchone()
    assert span == (2013, 2025, 198)
    assert store.ingest(get_adapter("freedom_house"), shared / FOLDER / name).status == "unchanged"


SAMPLE = [
    "Country/Territory,Region,C/T,Edition,Status,PR rating,CL rating,A1,A2,A3,A,B1,B2,B3,B4,B,C1,C2,C3,C,Add Q,"
    "Add A,PR,D1,D2,D3,D4,D,E1,E2,E3,E,F1,F2,F3,F4,F,G1,G2,G3,G4,G,CL,Total",
    "Denmark,Europe,c,2025,F,1,1,4,4,4,12,4,4,4,4,16,4,4,4,12,0,N/A,40,4,4,4,4,16,4,4,4,12,4,3,4,3,14,4,4,3,4,15,"
    "57,97",
    "Norway,Europe,c,2025,F,1,1,4,4,4,12,4,4,4,4,16,4,3,4,11,0,N/A,39,4,4,4,4,16,4,4,4,12,4,4,4,4,16,4,4,4,4,16,"
    "60,99",
    "Crimea,Eurasia,t,2025,NF,7,6,0,0,0,0,0,0,0,0,0,0,0,0,0,0,N/A,0,0,1,0,1,2,1,0,0,1,0,0,1,1,2,0,0,1,1,2,7,7",
]


def test_fiw_bad_inputs(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("freedom_house", "fiw_2013-2025_long.csv", SAMPLE, numeric_column="Total",
                        country_column="Country/Territory", unknown_country="Zzqland")
    check_bad_inputs(case, store, tmp_path)

"""Global Peace Index: the four-sheet workbook and the long CSV give the same scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs


@pytest.mark.parametrize("name", ["GPI_2008-2019_overall_and_domains.xlsx", "gpi_2008-2019_long.csv"])
def test_gpi_iceland_and_coverage(shared: Path, store: Store, name: str) -> None:
    result = store.ingest(get_adapter("gpi"), shared / "indicators/gpi" / name)
    # 163 countries x 12 years x 4 measures = 7824 cells, 48 of them empty (not yet scored).
    assert result.rows == {"obs_gpi": 7776}
    # GPI workbook, Overall Scores sheet: Iceland 1.099 in 2008, Afghanistan 3.177 in 2008.
    scores = dict(store.con.execute(
        "SELECT iso3, value FROM obs_gpi WHERE year = 2008 AND indicator = 'overall' AND iso3 IN ('ISL', 'AFG')"
    ).fetchall())
    assert scores == {"ISL": 1.099, "AFG": 3.177}
    # Kosovo is written KSV by the publisher and stored as ISO3 XKX.
    assert store.con.execute("SELECT count(*) FROM obs_gpi WHERE iso3 = 'XKX'").fetchone() != (0,)
    span = store.con.execute("SELECT min(year), max(year), count(DISTINCT iso3) FROM obs_gpi").fetchone()
    assert span == (2008, 2019, 163)
    assert store.ingest(get_adapter("gpi"), shared / "indicators/gpi" / name).status == "unchanged"


SAMPLE = [
    "Country,iso3c,year,score,measure",
    "Iceland,ISL,2008,1.099,Overall Scores",
    "Norway,NOR,2008,1.338,Overall Scores",
    "Kosovo,KSV,2019,2.049,Overall Scores",
]


def test_gpi_bad_inputs(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("gpi", "gpi_2008-2019_long.csv", SAMPLE, numeric_column="score", country_column="iso3c")
    check_bad_inputs(case, store, tmp_path)

"""FSI: eighteen yearly workbooks in shifting layouts and the long CSV load to the same numbers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

LONG = "indicators/fsi/fsi_2006-2023_long.csv"


@pytest.fixture(scope="module")
def workbooks(shared: Path) -> Iterator[Store]:
    """All eighteen yearly workbooks, loaded once for the module (about 3 s)."""
    adapter = get_adapter("fsi")
    with Store(":memory:") as store:
        for path in sorted((shared / "indicators/fsi").glob("fsi-*.xlsx")):
            assert store.ingest(adapter, path).status == "loaded"
        yield store


def test_every_report_year_is_its_own_partition(workbooks: Store) -> None:
    partitions = workbooks.catalog()["partition"].tolist()
    assert partitions == [str(y) for y in range(2006, 2024)]
    per_year = dict(workbooks.con.execute(
        "SELECT year, count(DISTINCT iso3) FROM obs_fsi WHERE indicator = 'Total' GROUP BY 1").fetchall())
    # 146 countries in the first report, 177-179 afterwards (SOURCES.md: 3170 rows in all).
    assert per_year[2006] == 146 and per_year[2023] == 179 and sum(per_year.values()) == 3170


def test_fsi_2023_ranks_somalia_first(workbooks: Store) -> None:
    # FSI 2023 report: Somalia 1st with 111.9, Yemen 2nd, South Sudan 3rd; Norway last (179th, 14.5).
    top = workbooks.con.execute(
        "SELECT iso3, round(value, 1), rank, data_year FROM obs_fsi WHERE year = 2023 AND indicator = 'Total' "
        "ORDER BY rank LIMIT 3").fetchall()
    assert top == [("SOM", 111.9, 1, 2022), ("YEM", 108.9, 2, 2022), ("SSD", 108.5, 3, 2022)]
    last = workbooks.con.execute(
        "SELECT iso3, value FROM obs_fsi WHERE year = 2023 AND indicator = 'Total' AND rank = 179").fetchone()
    assert last == ("NOR", 14.5)


def test_the_2023_column_order_does_not_shift_indicators(workbooks: Store) -> None:
    # fsi-2023.xlsx lists S1 first; Somalia's C1 Security Apparatus is 9.5 and S1 Demographic Pressures 10.
    values = dict(workbooks.con.execute(
        "SELECT indicator, value FROM obs_fsi WHERE year = 2023 AND iso3 = 'SOM' AND indicator IN ('C1', 'S1')"
    ).fetchall())
    assert values == {"C1": 9.5, "S1": 10.0}


def test_long_csv_holds_the_same_numbers(shared: Path, workbooks: Store) -> None:
    with Store(":memory:") as other:
        result = other.ingest(get_adapter("fsi"), shared / LONG)
        assert result.partition == "all" and result.rows["obs_fsi"] == 41210  # 3170 reports x 13 values
        diff = other.con.execute("SELECT iso3, year, indicator, value FROM obs_fsi").df()
    mine = workbooks.con.execute("SELECT iso3, year, indicator, value FROM obs_fsi").df()
    both = mine.merge(diff, on=["iso3", "year", "indicator"], how="outer", indicator=True)
    assert (both["_merge"] == "both").all()
    assert ((both["value_x"] - both["value_y"]).abs() < 1e-9).all()


def test_reingest_is_a_no_op(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("fsi"), shared / LONG)
    assert store.ingest(get_adapter("fsi"), shared / LONG).status == "unchanged"


HEADER = ("Country,Year,Rank,Total,C1: Security Apparatus,C2: Factionalized Elites,C3: Group Grievance,"
          "E1: Economy,E2: Economic Inequality,E3: Human Flight and Brain Drain,P1: State Legitimacy,"
          "P2: Public Services,P3: Human Rights,S1: Demographic Pressures,S2: Refugees and IDPs,"
          "X1: External Intervention")
SAMPLE = [
    HEADER,
    "Sweden,2023,178th,15.4,1.9,1.5,2.6,1.4,1.4,0.7,0.5,1.0,0.8,1.6,2.4,0.5",
    "Iceland,2023,177th,15.7,0.4,1.8,0.5,2.6,1.5,1.6,0.4,0.9,0.4,1.5,1.5,2.6",
    "Norway,2023,179th,14.5,1.4,1.1,3.1,1.4,1.4,0.7,0.4,1.0,0.4,1.4,1.7,0.5",
]


def _as_workbook(path: Path, text: str) -> None:
    book = Workbook()
    sheet = book.active
    for line in text.splitlines():
        sheet.append(line.split(","))
    book.save(path)


def test_fsi_csv_bad_inputs(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("fsi", "fsi_2023-2023_long.csv", SAMPLE, numeric_column="Total",
                        country_column="Country", unknown_country="Zzqland")
    check_bad_inputs(case, store, tmp_path)


def test_fsi_workbook_bad_inputs(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("fsi", "fsi-2023.xlsx", SAMPLE, numeric_column="Total", country_column="Country",
                        unknown_country="Zzqland", writer=_as_workbook)
    check_bad_inputs(case, store, tmp_path)

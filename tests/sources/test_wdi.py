"""WDI: both World Bank layouts load into obs_wdi, one partition per series, aggregates dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.errors import SourceFormatError
from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

WDI = "indicators/wdi"
CPI = "datahub_inflation_cpi_FP.CPI.TOTL.ZG__from_file_inflation-gdp.csv"
FX = "API_PA.NUS.FCRF_DS2_en_csv_v2_22859.csv"  # with the 4-line preamble
INTERNET = "API_IT.NET.USER.ZS_DS2_en_csv_v2_2160.csv"  # preamble stripped upstream
WDI_FILES = sorted([
    FX, INTERNET, "API_BX.KLT.DINV.WD.GD.ZS_DS2_en_csv_v2_38342.csv", "API_FI.RES.TOTL.CD_DS2_en_csv_v2_38110.csv",
    CPI, "datahub_gdp_current_usd_NY.GDP.MKTP.CD.csv", "datahub_population_SP.POP.TOTL.csv",
    "datahub_inflation_gdp_deflator_NY.GDP.DEFL.KD.ZG__from_file_inflation-consumer.csv",
])


def value(store: Store, iso3: str, year: int, indicator: str) -> float:
    row = store.con.execute(
        "SELECT value FROM indicators WHERE source='wdi' AND iso3=? AND year=? AND indicator=?",
        [iso3, year, indicator]).fetchone()
    assert row is not None, f"no {indicator} for {iso3} {year}"
    return float(row[0])


def test_cpi_inflation_2023_matches_the_published_values(shared: Path, store: Store) -> None:
    # SOURCES.md: the file mislabelled upstream as inflation-gdp.csv holds CPI
    # inflation, verified as CHN 0.23, NOR 5.52, USA 4.12 per cent in 2023.
    store.ingest(get_adapter("wdi"), shared / WDI / CPI)
    assert round(value(store, "CHN", 2023, "FP.CPI.TOTL.ZG"), 2) == 0.23
    assert round(value(store, "NOR", 2023, "FP.CPI.TOTL.ZG"), 2) == 5.52
    assert round(value(store, "USA", 2023, "FP.CPI.TOTL.ZG"), 2) == 4.12


def test_every_series_loads_side_by_side_without_aggregates(shared: Path, store: Store) -> None:
    adapter = get_adapter("wdi")
    for name in WDI_FILES:
        store.ingest(adapter, shared / WDI / name)
    catalog = store.catalog()
    assert sorted(catalog["partition"]) == sorted(adapter.partition(Path(n)) for n in WDI_FILES)
    per_series = store.con.execute(
        "SELECT indicator, count(*), count(DISTINCT iso3), min(year), max(year) FROM obs_wdi GROUP BY 1"
    ).fetchall()
    assert len(per_series) == 8
    for indicator, rows, n_countries, first, last in per_series:
        # 217 World Bank economies at most; every series covers most of them.
        assert 180 <= n_countries <= 217, indicator
        assert rows > 6000 and first >= 1960 and last in (2023, 2024), indicator
    codes = {r[0] for r in store.con.execute("SELECT DISTINCT iso3 FROM obs_wdi").fetchall()}
    assert not {"WLD", "EUU", "HIC", "ARB", "OED", "INX"} & codes
    assert {"CHN", "USA", "XKX", "PSE"} <= codes
    # Published levels: US GDP 2023 was $27.36 trillion; China's population 2023 1,410.71 million.
    assert round(value(store, "USA", 2023, "NY.GDP.MKTP.CD") / 1e12, 2) == 27.36
    assert value(store, "CHN", 2023, "SP.POP.TOTL") == 1_410_710_000


def test_api_download_with_preamble_keeps_its_update_date(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("wdi"), shared / WDI / FX)
    assert result.partition == "PA.NUS.FCRF" and result.rows == {"obs_wdi": 12282}
    assert store.catalog_entry("wdi", "PA.NUS.FCRF")["vintage"] == "2025-07-01"
    # WDI official exchange rate, period average: 7.084 yuan per dollar in 2023, the dollar itself 1.
    assert round(value(store, "CHN", 2023, "PA.NUS.FCRF"), 3) == 7.084
    assert value(store, "USA", 2023, "PA.NUS.FCRF") == 1.0


def test_preamble_or_not_the_rows_are_the_same(shared: Path, tmp_path: Path) -> None:
    original = shared / WDI / FX
    stripped = tmp_path / FX
    stripped.write_text("\n".join(original.read_text(encoding="utf-8-sig").splitlines()[4:]) + "\n")
    adapter = get_adapter("wdi")
    assert adapter.parse(original)["obs_wdi"].equals(adapter.parse(stripped)["obs_wdi"])


def test_internet_users_stripped_layout(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("wdi"), shared / WDI / INTERNET)
    # WDI/ITU: 99 % of Norwegians and 77.48 % of Chinese used the internet in 2023.
    assert value(store, "NOR", 2023, "IT.NET.USER.ZS") == 99.0
    assert round(value(store, "CHN", 2023, "IT.NET.USER.ZS"), 2) == 77.48


def test_reingesting_the_same_file_is_a_no_op(shared: Path, store: Store) -> None:
    adapter = get_adapter("wdi")
    first = store.ingest(adapter, shared / WDI / CPI)
    again = store.ingest(adapter, shared / WDI / CPI)
    assert first.status == "loaded" and first.rows == {"obs_wdi": 8904}
    assert again.status == "unchanged" and store.row_count("obs_wdi") == 8904


def test_datahub_file_must_name_its_series(tmp_path: Path, store: Store) -> None:
    # datahub files carry no series code, and two of them were swapped upstream.
    path = tmp_path / "inflation.csv"
    path.write_text("Country,Country Code,Year,Inflation\nNorway,NOR,2023,5.5\n")
    with pytest.raises(SourceFormatError, match="does not say which WDI series"):
        store.ingest(get_adapter("wdi"), path)
    assert store.catalog().empty


def test_api_file_with_another_series_than_its_name_is_refused(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "API_SP.POP.TOTL_DS2_en_csv_v2_1.csv"
    path.write_text(API_SAMPLE_HEADER + "\nNorway,NOR,GDP,NY.GDP.MKTP.CD,1.0,2.0\n")
    with pytest.raises(SourceFormatError, match="one series") as err:
        store.ingest(get_adapter("wdi"), path)
    assert err.value.column == "Indicator Code"


API_SAMPLE_HEADER = "Country Name,Country Code,Indicator Name,Indicator Code,2022,2023"
API_SAMPLE = [
    API_SAMPLE_HEADER,
    "Norway,NOR,Individuals using the Internet (% of population),IT.NET.USER.ZS,99,99",
    "China,CHN,Individuals using the Internet (% of population),IT.NET.USER.ZS,75.6,77.5",
    "World,WLD,Individuals using the Internet (% of population),IT.NET.USER.ZS,64.4,67.4",
    "Sweden,SWE,Individuals using the Internet (% of population),IT.NET.USER.ZS,95.5,95.7",
]
DATAHUB_SAMPLE = [
    "Country Name,Country Code,Year,Value",
    "Norway,NOR,2023,5519594",
    "Norway,NOR,2024,5576660",
    "World,WLD,2024,8142056446",
    "China,CHN,2024,1408975000",
]


def test_bad_api_download_is_refused(store: Store, tmp_path: Path) -> None:
    # The header-first variant: the suite edits the first line as the header.
    case = BadInputCase("wdi", "API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv", API_SAMPLE, numeric_column="2023",
                        country_column="Country Code")
    check_bad_inputs(case, store, tmp_path)


def test_bad_datahub_file_is_refused(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("wdi", "datahub_population_SP.POP.TOTL.csv", DATAHUB_SAMPLE, numeric_column="Value",
                        country_column="Country Code")
    check_bad_inputs(case, store, tmp_path)

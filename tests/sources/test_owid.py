"""OWID: IMF WEO growth (observed and forecast) and two WDI ratios load into obs_owid."""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.errors import SourceFormatError
from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

WDI = "indicators/wdi"
WEO = "owid_imf_weo_real_gdp_growth.csv"
FDI = "owid_fdi_net_inflows_pct_gdp_BX.KLT.DINV.WD.GD.ZS.csv"
TRADE = "owid_trade_pct_gdp_NE.TRD.GNFS.ZS.csv"


def value(store: Store, iso3: str, year: int, indicator: str, source: str = "owid") -> float:
    row = store.con.execute("SELECT value FROM indicators WHERE source=? AND iso3=? AND year=? AND indicator=?",
                            [source, iso3, year, indicator]).fetchone()
    assert row is not None, f"no {indicator} for {iso3} {year}"
    return float(row[0])


def test_weo_growth_keeps_observations_and_forecasts_to_2030(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("owid"), shared / WDI / WEO)
    assert result.partition == "gdp_growth_fcst+gdp_growth_obs"
    assert result.rows == {"obs_owid": 9292}
    spans = dict((r[0], r[1:]) for r in store.con.execute(
        "SELECT indicator, min(year), max(year), count(DISTINCT iso3) FROM obs_owid GROUP BY 1").fetchall())
    # The metadata: observations 1980-2024, forecasts 2010-2030, 196 entities less the World.
    assert spans == {"gdp_growth_obs": (1980, 2024, 196), "gdp_growth_fcst": (2010, 2030, 196)}
    # IMF WEO April 2025: US real growth 2.9 % in 2023, China 5.4 %.
    assert round(value(store, "USA", 2023, "gdp_growth_obs"), 1) == 2.9
    assert round(value(store, "CHN", 2023, "gdp_growth_obs"), 1) == 5.4
    assert round(value(store, "CHN", 2030, "gdp_growth_fcst"), 2) == 3.38


def test_kosovo_is_kept_and_groups_are_dropped(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("owid"), shared / WDI / TRADE)
    codes = {r[0] for r in store.con.execute("SELECT DISTINCT iso3 FROM obs_owid").fetchall()}
    assert "XKX" in codes  # OWID_KOS
    assert not any(c.startswith("OWID") for c in codes)
    assert len(codes) == 194 and all(len(c) == 3 for c in codes)


def test_fdi_via_owid_matches_the_wdi_download(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("owid"), shared / WDI / FDI)
    store.ingest(get_adapter("wdi"), shared / WDI / "API_BX.KLT.DINV.WD.GD.ZS_DS2_en_csv_v2_38342.csv")
    pairs = store.con.execute(
        "SELECT count(*), max(abs(o.value - w.value)) FROM obs_owid o JOIN obs_wdi w USING (iso3, year, indicator)"
    ).fetchone()
    # Every country-year pairs up; OWID rounds to 8 significant digits, hence the tolerance.
    assert pairs is not None and pairs[0] == 9096 and pairs[1] < 1e-3
    # WDI: net FDI inflows into China were 0.28 % of GDP in 2023.
    assert round(value(store, "CHN", 2023, "BX.KLT.DINV.WD.GD.ZS"), 2) == 0.28


def test_reingest_is_a_no_op_and_files_coexist(shared: Path, store: Store) -> None:
    adapter = get_adapter("owid")
    for name in (WEO, FDI, TRADE):
        store.ingest(adapter, shared / WDI / name)
    assert store.ingest(adapter, shared / WDI / TRADE).status == "unchanged"
    assert store.row_count("obs_owid") == 9292 + 9096 + 8948
    assert len(store.catalog()) == 3


def test_a_country_without_its_code_is_refused(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "owid_trade.csv"
    path.write_text("Entity,Code,Year,Trade (% of GDP)\nNorway,,2023,70.1\n")
    with pytest.raises(SourceFormatError, match="it is a country") as err:
        store.ingest(get_adapter("owid"), path)
    assert err.value.row == 2 and "NOR" in str(err.value)


def test_an_unknown_value_column_is_refused(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "owid_other.csv"
    path.write_text("Entity,Code,Year,Happiness\nNorway,NOR,2023,7.3\n")
    with pytest.raises(SourceFormatError, match="unknown OWID value column"):
        store.ingest(get_adapter("owid"), path)


OWID_SAMPLE = [
    "Entity,Code,Year,Trade (% of GDP)",
    "Norway,NOR,2023,70.1",
    "Kosovo,OWID_KOS,2023,109.95",
    "World,OWID_WRL,2023,58.5",
    "Sub-Saharan Africa (WB),,2023,51.2",
    "China,CHN,2023,36.1",
]


def test_bad_owid_files_are_refused(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("owid", "owid_trade_pct_gdp_NE.TRD.GNFS.ZS.csv", OWID_SAMPLE,
                        numeric_column="Trade (% of GDP)", country_column="Code")
    check_bad_inputs(case, store, tmp_path)

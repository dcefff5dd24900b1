"""V-Dem v13 2021: digital-society variables load into obs_vdem; non-country units are listed, not guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.errors import SourceFormatError
from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

VDEM = "indicators/vdem/vdem_v13_2021_crosssection_digital_media_vars.csv"


def value(store: Store, iso3: str, indicator: str) -> float:
    row = store.con.execute("SELECT value FROM indicators WHERE source='vdem' AND iso3=? AND year=2021 "
                            "AND indicator=?", [iso3, indicator]).fetchone()
    assert row is not None, f"no {indicator} for {iso3}"
    return float(row[0])


def test_internet_censorship_filtering_and_shutdowns(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("vdem"), shared / VDEM)
    assert result.rows == {"obs_vdem": 8044}
    assert store.catalog_entry("vdem")["vintage"] == "v13"
    # V-Dem v13, 2021 (values as published in the extract): China censors and filters
    # heavily, Norway hardly at all; lower is more repressive.
    assert value(store, "CHN", "v2mecenefi") == -2.037
    assert value(store, "CHN", "v2smgovfilprc") == -2.871
    assert value(store, "CHN", "v2smgovshut") == -0.538
    assert value(store, "NOR", "v2mecenefi") == 2.002
    assert value(store, "NOR", "v2x_regime") == 3  # liberal democracy
    assert value(store, "CHN", "v2x_regime") == 0  # closed autocracy


def test_one_year_176_countries_46_variables(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("vdem"), shared / VDEM)
    shape = store.con.execute(
        "SELECT count(DISTINCT iso3), count(DISTINCT indicator), min(year), max(year) FROM obs_vdem").fetchone()
    # 179 units less Gaza, Somaliland and Zanzibar; 45 numeric variables plus the regime.
    assert shape == (176, 46, 2021, 2021)
    codes = {r[0] for r in store.con.execute("SELECT DISTINCT iso3 FROM obs_vdem").fetchall()}
    assert {"PSE", "XKX", "HKG", "TWN"} <= codes and not {"PSG", "SML", "ZZB"} & codes
    assert store.ingest(get_adapter("vdem"), shared / VDEM).status == "unchanged"


def test_an_unknown_regime_label_is_refused(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "vdem_v13_bad.csv"
    path.write_text("\n".join(VDEM_SAMPLE).replace("Liberal democracy", "Anarchy") + "\n")
    with pytest.raises(SourceFormatError, match="unknown regime 'Anarchy'") as err:
        store.ingest(get_adapter("vdem"), path)
    assert err.value.row == 2


VDEM_SAMPLE = [
    "country_name,country_text_id,country_id,year,v2x_regime,v2x_libdem,v2mecenefi,v2smgovfilprc,v2smgovshut",
    "Norway,NOR,186,2021,Liberal democracy,0.86,2.002,2.383,1.579",
    "China,CHN,110,2021,Closed autocracy,0.039,-2.037,-2.871,-0.538",
    "Somaliland,SML,139,2021,Electoral autocracy,0.269,0.5,0.5,NA",
    "Sweden,SWE,5,2021,Liberal democracy,0.85,2.1,2.4,1.6",
]


def test_bad_vdem_files_are_refused(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("vdem", "vdem_v13_sample.csv", VDEM_SAMPLE, numeric_column="v2mecenefi",
                        country_column="country_text_id")
    check_bad_inputs(case, store, tmp_path)

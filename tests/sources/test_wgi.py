"""WGI: both publisher layouts load, legacy codes become ISO3, and known values survive."""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.errors import SourceFormatError, UnknownCountryError
from cultrade.sources import get_adapter
from cultrade.store import Store


@pytest.mark.parametrize("name", ["wgidataset_2024update_1996-2023.xlsx", "wgi_long_1996-2023.csv"])
def test_wgi_norway_rule_of_law_2023_is_1_83(shared: Path, store: Store, name: str) -> None:
    store.ingest(get_adapter("wgi"), shared / "indicators/wgi" / name)
    value = store.con.execute(
        "SELECT value FROM indicators WHERE source='wgi' AND iso3='NOR' AND year=2023 AND indicator='rl'"
    ).fetchone()
    assert value is not None and round(value[0], 2) == 1.83


def test_wgi_legacy_codes_are_mapped(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("wgi"), shared / "indicators/wgi/wgi_long_1996-2023.csv")
    codes = {r[0] for r in store.con.execute("SELECT DISTINCT iso3 FROM obs_wgi").fetchall()}
    assert {"AND", "COD", "ROU", "TLS", "PSE", "XKX"} <= codes
    assert not {"ADO", "ZAR", "ROM", "TMP", "WBG", "KSV"} & codes
    years = store.con.execute("SELECT min(year), max(year) FROM obs_wgi").fetchone()
    assert years == (1996, 2023)


def test_wgi_unknown_indicator_is_refused(tmp_path: Path, store: Store) -> None:
    bad = tmp_path / "wgi_long_bad.csv"
    bad.write_text(
        "codeindyr,code,countryname,year,indicator,estimate,stddev,nsource,pctrank,pctranklower,pctrankupper\n"
        "NORxx2023,NOR,Norway,2023,xx,1.0,0.1,5,90,80,99\n"
    )
    with pytest.raises(SourceFormatError, match="unknown WGI indicator") as err:
        store.ingest(get_adapter("wgi"), bad)
    assert err.value.row == 2 and err.value.column == "indicator"
    assert store.catalog().empty


def test_wgi_unknown_country_names_close_matches(tmp_path: Path, store: Store) -> None:
    bad = tmp_path / "wgi_long_bad.csv"
    bad.write_text(
        "codeindyr,code,countryname,year,indicator,estimate,stddev,nsource,pctrank,pctranklower,pctrankupper\n"
        "NORrl2023,NOR,Norway,2023,rl,1.8,0.1,5,90,80,99\n"
        "NOQrl2023,NOQ,Norway,2023,rl,1.8,0.1,5,90,80,99\n"
    )
    with pytest.raises(UnknownCountryError) as err:
        store.ingest(get_adapter("wgi"), bad)
    assert err.value.row == 3 and "NOR (NOR)" in str(err.value)
    assert "obs_wgi" not in store.table_names()

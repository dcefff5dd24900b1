"""CEPII GeoDist: distances in km, CEPII's own country codes become ISO3."""

from __future__ import annotations

from pathlib import Path

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

DIST = "trade/geodist/dist_cepii.csv"


def test_china_usa_distance_is_about_10994_km(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("geodist"), shared / DIST)
    assert result.rows == {"geodist_pairs": 50176}  # 224 x 224 pairs
    row = store.con.execute("SELECT dist_km, distcap_km, contig FROM geodist_pairs "
                            "WHERE iso3_o = 'CHN' AND iso3_d = 'USA'").fetchone()
    assert row is not None and round(row[0]) == 10994 and round(row[1]) == 11159 and row[2] == 0
    assert store.con.execute("SELECT contig, comlang_off FROM geodist_pairs WHERE iso3_o = 'FRA' "
                             "AND iso3_d = 'BEL'").fetchone() == (1, 1)


def test_cepii_codes_are_mapped_and_distances_are_symmetric(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("geodist"), shared / DIST)
    codes = {r[0] for r in store.con.execute("SELECT DISTINCT iso3_o FROM geodist_pairs").fetchall()}
    assert {"ROU", "COD", "TLS", "PSE"} <= codes and not {"ROM", "ZAR", "TMP", "PAL"} & codes
    asym = store.con.execute("SELECT max(abs(a.dist_km - b.dist_km)) FROM geodist_pairs a JOIN geodist_pairs b "
                             "ON a.iso3_o = b.iso3_d AND a.iso3_d = b.iso3_o").fetchone()
    assert asym is not None and asym[0] < 1e-6
    assert store.ingest(get_adapter("geodist"), shared / DIST).status == "unchanged"


def test_country_file_has_capitals_and_languages(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("geodist_countries"), shared / "trade/geodist/geo_cepii.csv")
    assert result.rows == {"geodist_countries": 238}
    row = store.con.execute("SELECT city, lat, lon, lang_official FROM geodist_countries "
                            "WHERE iso3 = 'CHN' AND capital = 1").fetchone()
    assert row is not None and row[0] == "Beijing" and 39 < row[1] < 41 and 116 < row[2] < 117
    assert "Chinese" in row[3]


def test_bad_distance_files_are_refused(store: Store, tmp_path: Path) -> None:
    header = ("iso_o,iso_d,contig,comlang_off,comlang_ethno,colony,comcol,curcol,col45,smctry,"
              "dist,distcap,distw,distwces")
    case = BadInputCase("geodist", "dist_cepii.csv", [
        header,
        "CHN,USA,0,0,0,0,0,0,0,0,10993.685,11159.249,11183.43,11099.80",
        "FRA,BEL,1,1,1,0,0,0,0,0,261.4,261.4,222.1,220.5",
        "ROM,PAL,0,0,0,0,0,0,0,0,1763.1,1763.1,1790.2,1788.0",
    ], numeric_column="dist", country_column="iso_o")
    check_bad_inputs(case, store, tmp_path)

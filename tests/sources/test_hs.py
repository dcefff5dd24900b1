"""HS nomenclature and concordances: codes keep their leading zeros, parents link up, editions are named."""

from __future__ import annotations

from pathlib import Path

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs


def test_hs2022_nomenclature_from_the_data_package(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("hs_nomenclature"), shared / "trade/hs_nomenclature/datapackage.json")
    assert result.rows == {"hs_codes": 6957}  # 21 sections + 6,936 codes (Comtrade's TOTAL rows left out)
    levels = dict(store.con.execute("SELECT level, count(*) FROM hs_codes GROUP BY 1").fetchall())
    assert levels == {0: 21, 2: 96, 4: 1228, 6: 5612}
    row = store.con.execute("SELECT description, parent, section FROM hs_codes WHERE code = '970121'").fetchone()
    assert row is not None and row[0].startswith("Paintings") and row[1:] == ("9701", "XXI")
    assert store.con.execute("SELECT parent FROM hs_codes WHERE code = '97'").fetchone() == ("XXI",)
    assert store.ingest(get_adapter("hs_nomenclature"),
                        shared / "trade/hs_nomenclature/datapackage.json").status == "unchanged"


def test_concordance_hs2022_to_hs2017(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("hs_concordance"), shared / "trade/hs_concordance/hs6_hs5.csv")
    assert result.rows == {"hs_concordance": 5613} and result.partition == "HS22-HS17"
    # HS2022 split paintings (HS2017 970110) by age into 970121 and 970191; mosaics went from 970190 to 970122.
    back = dict(store.con.execute("SELECT from_code, to_code FROM hs_concordance "
                                  "WHERE from_code IN ('970121', '970191', '970122')").fetchall())
    assert back == {"970121": "970110", "970191": "970110", "970122": "970190"}
    editions = store.con.execute("SELECT DISTINCT from_edition, to_edition FROM hs_concordance").fetchall()
    assert editions == [("HS22", "HS17")]


def test_every_concordance_file_loads_side_by_side(shared: Path, store: Store) -> None:
    folder = shared / "trade/hs_concordance"
    files = sorted(folder.glob("hs?_hs?.csv"))
    for path in files:
        store.ingest(get_adapter("hs_concordance"), path)
    pairs = store.con.execute("SELECT count(DISTINCT (from_edition, to_edition)) FROM hs_concordance").fetchone()
    assert pairs == (len(files),) and len(files) == 8
    short = store.con.execute("SELECT count(*) FROM hs_concordance WHERE length(from_code) <> 6 "
                              "OR length(to_code) <> 6").fetchone()
    assert short == (0,)


def test_descriptions_add_hs2017_codes(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("hs_descriptions"), shared / "trade/hs_concordance/hs5_desc.csv")
    assert result.rows == {"hs_codes": 6708} and result.partition == "concordance-HS17"
    row = store.con.execute("SELECT level, parent FROM hs_codes WHERE hs_edition = 'HS17' AND code = '010121'"
                            ).fetchone()
    assert row == (6, "0101")


def test_bad_concordance_and_description_files_are_refused(store: Store, tmp_path: Path) -> None:
    # HS files name no country, so the unknown-country variant cannot apply.
    concordance = BadInputCase(
        "hs_concordance", "hs6_hs5.csv",
        ["HS6_6d,HS6_4d,HS6_2d,HS5_6d,HS5_4d,HS5_2d", "010121,0101,01,010121,0101,01",
         "970121,9701,97,970110,9701,97", "970122,9701,97,970110,9701,97"],
        numeric_column="HS6_6d", country_column="HS6_6d", skip=("unknown_country",))
    (tmp_path / "c").mkdir()
    check_bad_inputs(concordance, store, tmp_path / "c")
    descriptions = BadInputCase("hs_descriptions", "hs5_desc.csv",
                                ["code,desc", "01,Animals; live", "0101,Horses; live", "010121,Horses"],
                                numeric_column="code", country_column="code", skip=("unknown_country",))
    (tmp_path / "d").mkdir()
    check_bad_inputs(descriptions, store, tmp_path / "d")

"""BACI: the publisher's flow files load through DuckDB, codes become ISO3, and bad files are refused.

The two real files are CEPII extracts (exporters AFG and ZAF, every other row),
one HS17 file whose product codes lost their leading zeros and one HS92 file
with quoted fields and CRLF line ends.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.errors import SourceFormatError, UnknownCountryError
from cultrade.sources import get_adapter
from cultrade.sources.registry import detect
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

# Not imported from cultrade.sources.baci: importing one adapter module early stops the registry's discovery.
# Each partition's rows are in a table of its own, named after it; baci_flows is a view over all of them.
HS17_2020, HS92_2021 = "baci_hs17_2020", "baci_hs92_2021"
HS17 = "trade/baci_sample/BACI_HS17_Y2020_V202301_AFG_ZAF_exports_halfsample.csv"
HS92 = "trade/baci_sample/BACI_HS92_Y2021_V202301_AFG_ZAF_exports_halfsample.csv"
SAMPLE = [
    "t,i,j,k,v,q",
    "2020,4,24,300431,0.198,        0.001",
    "2020,4,31,251512,27.902,      169.800",
    "2020,4,32,401031,0.164,           NA",
    "2020,710,842,10121,12.5,        1.000",
]


def _partition_tables(store: Store) -> list[str]:
    return [t for t in store.table_names() if t.startswith("baci_hs")]


def _flow(store: Store, exporter: str, importer: str, hs6: str, year: int) -> tuple[float, float | None]:
    row = store.con.execute("SELECT value_kusd, quantity_t FROM baci_flows WHERE exporter = ? AND importer = ? "
                            "AND hs6 = ? AND year = ?", [exporter, importer, hs6, year]).fetchone()
    assert row is not None, f"no flow {exporter}->{importer} {hs6} {year}"
    return row


def test_hs17_file_loads_every_row_with_iso3_and_six_digit_codes(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("baci"), shared / HS17)
    assert result.rows == {HS17_2020: 72097}  # every data line of the file
    assert result.partition == "HS17-2020"
    assert _flow(store, "AFG", "AGO", "300431", 2020) == (0.198, 0.001)  # line 2
    assert _flow(store, "AFG", "AZE", "251512", 2020) == (27.902, 169.8)  # line 3
    assert _flow(store, "AFG", "ARG", "401031", 2020) == (0.164, None)  # q is NA
    lengths, exporters, editions = store.con.execute(
        "SELECT list(DISTINCT length(hs6)), list(DISTINCT exporter ORDER BY exporter), list(DISTINCT hs_edition) "
        "FROM baci_flows").fetchone()
    assert lengths == [6] and exporters == ["AFG", "ZAF"] and editions == ["HS17"]
    # Chapters 01-09 lost their zero in this file; after padding they start with 0.
    assert store.con.execute("SELECT count(*) FROM baci_flows WHERE hs6 LIKE '0%'").fetchone()[0] > 1000


def test_hs92_file_with_quotes_and_crlf_loads_beside_hs17(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("baci"), shared / HS17)
    result = store.ingest(get_adapter("baci"), shared / HS92)
    assert result.rows == {HS92_2021: 71192}
    assert _flow(store, "AFG", "AGO", "382390", 2021) == (52.051, 13.235)
    parts = store.con.execute("SELECT _partition, count(*) FROM baci_flows GROUP BY 1 ORDER BY 1").fetchall()
    assert parts == [("HS17-2020", 72097), ("HS92-2021", 71192)]
    entry = store.catalog_entry("baci", "HS92-2021")
    assert entry is not None and entry["vintage"] == "V202301" and entry["licence"] == "Etalab 2.0"


def test_sanity_values_are_thousand_usd_and_partners_are_countries(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("baci"), shared / HS17)
    low, high, total, partners = store.con.execute(
        "SELECT min(value_kusd), max(value_kusd), sum(value_kusd), count(DISTINCT importer) FROM baci_flows "
        "WHERE exporter = 'ZAF'").fetchone()
    assert 0 < low < 1 and high < 1e8  # no flow above 100 bn USD
    assert 1e7 < total < 1e8  # about half of South Africa's ~85 bn USD exports: this is a half sample
    assert partners > 200


def test_reingesting_the_same_file_is_a_no_op(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("baci"), shared / HS17)
    again = store.ingest(get_adapter("baci"), shared / HS17)
    assert again.status == "unchanged" and store.row_count("baci_flows") == 72097


def test_changed_file_replaces_its_partition(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "BACI_HS17_Y2020_V202401.csv"
    path.write_text("\n".join(SAMPLE) + "\n")
    store.ingest(get_adapter("baci"), path)
    path.write_text("\n".join(SAMPLE[:3]) + "\n")
    result = store.ingest(get_adapter("baci"), path)
    assert result.status == "replaced" and store.row_count("baci_flows") == 2


def test_baci_specific_codes_and_residual_areas(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "BACI_HS17_Y2020_V202401.csv"
    path.write_text("t,i,j,k,v,q\n2020,251,842,970110,5.0,NA\n2020,757,699,491199,1.0,NA\n"
                    "2020,842,697,970110,2.0,NA\n")
    store.ingest(get_adapter("baci"), path)
    rows = store.con.execute("SELECT exporter, importer FROM baci_flows ORDER BY 1").fetchall()
    assert rows == [("CHE", "IND"), ("FRA", "USA")]  # 697 (Europe EFTA nes) is not a country: dropped


@pytest.mark.parametrize(("line", "column", "message"), [
    ("2020,4,24,300431,-1.0,NA", "v", "negative"),
    ("2020,4,24,300431,1.0,-3", "q", "negative"),
    ("2020,4,24,3004,1.0,NA", "k", "HS6"),
    ("2019,4,24,300431,1.0,NA", "t", "Y2020"),
])
def test_out_of_range_values_name_their_line(tmp_path: Path, store: Store, line: str, column: str,
                                            message: str) -> None:
    path = tmp_path / "BACI_HS17_Y2020_V202401.csv"
    path.write_text("\n".join([*SAMPLE, line]) + "\n")
    with pytest.raises(SourceFormatError, match=message) as err:
        store.ingest(get_adapter("baci"), path)
    assert err.value.row == 6 and err.value.column == column
    assert _partition_tables(store) == [] and not store.has_table("baci_flows")


def test_unknown_code_names_its_line(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "BACI_HS17_Y2020_V202401.csv"
    path.write_text("\n".join([*SAMPLE, "2020,4,998,300431,1.0,NA"]) + "\n")
    with pytest.raises(UnknownCountryError, match="998") as err:
        store.ingest(get_adapter("baci"), path)
    assert err.value.row == 6 and err.value.column == "j"


def test_file_name_gives_edition_year_and_vintage() -> None:
    adapter = get_adapter("baci")
    assert adapter.partition(Path("BACI_HS92_Y1995_V202401.csv")) == "HS92-1995"
    assert detect("BACI_HS22_Y2022_V202401.csv").name == "baci"
    with pytest.raises(SourceFormatError, match="file name"):
        adapter.partition(Path("trade_2022.csv"))


def test_bad_flow_files_are_refused(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("baci", "BACI_HS17_Y2020_V202401.csv", SAMPLE, numeric_column="v", country_column="j",
                        unknown_country="999")
    check_bad_inputs(case, store, tmp_path)


def test_reference_files_load(shared: Path, store: Store) -> None:
    refs = shared / "trade/baci_refs"
    assert store.ingest(get_adapter("baci_countries"), refs / "country_codes_V202401.csv").rows == {
        "baci_countries": 238}
    for edition, rows in {"HS92": 5022, "HS17": 5384, "HS22": 5609}.items():
        result = store.ingest(get_adapter("baci_products"), refs / f"product_codes_{edition}_V202401.csv")
        assert result.rows == {"baci_products": rows} and result.partition == edition
    assert store.ingest(get_adapter("hs_bec"), refs / "hs17_bec5_correspondence.csv").rows == {"hs_bec": 5511}
    codes = dict(store.con.execute("SELECT code, iso3 FROM baci_countries").fetchall())
    assert codes[842] == "USA" and codes[490] == "TWN" and codes[697] is None
    desc = store.con.execute("SELECT description FROM baci_products WHERE hs_edition='HS17' AND code='970110'"
                             ).fetchone()
    assert desc is not None and "Paintings" in desc[0]


def test_bad_reference_files_are_refused(store: Store, tmp_path: Path) -> None:
    countries = BadInputCase("baci_countries", "country_codes_V202401.csv",
                             ["country_code,country_iso3", "4,AFG", "8,ALB", "842,USA"],
                             numeric_column="country_code", country_column="country_code", unknown_country="999")
    (tmp_path / "countries").mkdir()
    check_bad_inputs(countries, store, tmp_path / "countries")
    # A product list names no country, so the unknown-country variant cannot apply.
    products = BadInputCase("baci_products", "product_codes_HS17_V202401.csv",
                            ["code,description", "970110,Paintings", "970190,Collages", "491199,Printed matter"],
                            numeric_column="code", country_column="code", skip=("unknown_country",))
    (tmp_path / "products").mkdir()
    check_bad_inputs(products, store, tmp_path / "products")


def test_flows_view_has_the_public_shape_over_compact_codes(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "BACI_HS92_Y2020_V202401.csv"
    # HS92 codes: 9999AA (not specified) is in the HS92 list; 010121 and 401031 are HS12/HS02 codes, so the
    # sample's rows use their HS92 predecessors 010111 (written without its zero) and 401010.
    hs92 = [r.replace(",10121,", ",10111,").replace(",401031,", ",401010,") for r in SAMPLE[1:]]
    path.write_text("\n".join([SAMPLE[0], "2020,842,251,9999AA,3.0,NA", *hs92]) + "\n")
    store.ingest(get_adapter("baci"), path)
    cols = store.con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'baci_flows' ORDER BY ordinal_position").fetchall()
    assert cols == [("year", "SMALLINT"), ("hs_edition", "VARCHAR"), ("exporter", "VARCHAR"),
                    ("importer", "VARCHAR"), ("hs6", "VARCHAR"), ("value_kusd", "DOUBLE"),
                    ("quantity_t", "DOUBLE"), ("_partition", "VARCHAR")]
    assert _flow(store, "USA", "FRA", "9999AA", 2020) == (3.0, None)
    assert _flow(store, "ZAF", "USA", "010111", 2020) == (12.5, 1.0)
    assert store.table("baci_flows").count().execute() == 5


def test_unsorted_files_load_and_their_duplicates_are_found(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "BACI_HS17_Y2020_V202401.csv"
    path.write_text("\n".join([SAMPLE[0], *reversed(SAMPLE[1:])]) + "\n")
    assert store.ingest(get_adapter("baci"), path).rows == {HS17_2020: 4}
    path.write_text("\n".join([SAMPLE[0], SAMPLE[2], *reversed(SAMPLE[1:])]) + "\n")
    with pytest.raises(SourceFormatError, match="duplicate key exporter=AFG, importer=AZE, hs6=251512") as err:
        store.ingest(get_adapter("baci"), path)
    assert err.value.row == 5 and "first on line 2" in str(err.value)


# Spellings DuckDB's integer reader would accept ('0300431', '+300431', ' 300431' and '300431.0' as the valid
# 300431; '3e5', '0x10', '1_000'; '2716e2', '0x5014' and '10121 ' as the valid 271600, 020500 and 010121), negative
# or too long codes, and well-formed codes missing from the HS17 list.
@pytest.mark.parametrize("code", ["30043.1", "+30043", "3e5", "0300431", "000000", "0x10", "-49011", "+300431",
                                  " 300431", "300431 ", "300431.0", "3.00431e5", "1_000", "1000000",
                                  "999998", "30043", "049011", "9999AA", "-1", "", "ab1234",
                                  "2716e2", "0x5014", "10121 ", "1012.1", "1_0121"])
def test_product_codes_must_be_written_as_digits(tmp_path: Path, store: Store, code: str) -> None:
    path = tmp_path / "BACI_HS17_Y2020_V202401.csv"
    path.write_text("\n".join([*SAMPLE, f"2020,4,24,{code},1.0,NA"]) + "\n")
    with pytest.raises(SourceFormatError, match="HS6") as err:
        store.ingest(get_adapter("baci"), path)
    assert err.value.row == 6 and err.value.column == "k"
    assert _partition_tables(store) == []


@pytest.mark.parametrize(("edition", "code", "ok"), [
    ("HS92", "382390", True), ("HS17", "382390", False),  # 382390 left the list after HS92
    ("HS92", "10121", False), ("HS17", "10121", True),  # 010121 entered in HS12
    ("HS02", "9999AA", True), ("HS22", "9999AA", False),  # 'not specified' is in the HS92..HS02 lists only
    ("HS22", "999999", True),
])
def test_product_codes_are_checked_against_their_editions_list(tmp_path: Path, store: Store, edition: str,
                                                              code: str, ok: bool) -> None:
    path = tmp_path / f"BACI_{edition}_Y2020_V202401.csv"
    path.write_text(f"t,i,j,k,v,q\n2020,4,24,300431,0.198,NA\n2020,4,24,{code},1.0,NA\n")
    if ok:
        assert store.ingest(get_adapter("baci"), path).rows == {f"baci_{edition.lower()}_2020": 2}
        hs6 = code.zfill(6)
        assert store.con.execute("SELECT count(*) FROM baci_flows WHERE hs6 = ?", [hs6]).fetchone() == (1,)
        return
    with pytest.raises(SourceFormatError, match=f"HS6 code of {edition}") as err:
        store.ingest(get_adapter("baci"), path)
    assert err.value.row == 3 and err.value.column == "k" and repr(code) in str(err.value)


@pytest.mark.parametrize(("cell", "loaded"), [("NA", None), ("             NA", None), ("   1.500", 1.5), ("0", 0.0),
                                              ("abc", "not a number"), ("  N A", "not a number"),
                                              ("-0.5", "negative"), ("inf", "not finite"), ("nan", "not finite")])
def test_quantities_are_numbers_or_padded_na(tmp_path: Path, store: Store, cell: str, loaded: object) -> None:
    path = tmp_path / "BACI_HS17_Y2020_V202401.csv"
    path.write_text("\n".join([*SAMPLE, f"2020,4,24,970110,1.0,{cell}"]) + "\n")
    if not isinstance(loaded, str):
        store.ingest(get_adapter("baci"), path)
        assert _flow(store, "AFG", "AGO", "970110", 2020) == (1.0, loaded)
        return
    with pytest.raises(SourceFormatError, match=loaded) as err:
        store.ingest(get_adapter("baci"), path)
    assert err.value.row == 6 and err.value.column == "q" and repr(cell) in str(err.value)

"""BACI storage: one table per partition behind the ``baci_flows`` view, replaced, dropped and migrated whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.errors import SourceFormatError, StoreError
from cultrade.sources import get_adapter
from cultrade.sources.snapshot import load_snapshot, read_manifest
from cultrade.store import Store
from cultrade.trade.data import bilateral_flows

HEADER = "t,i,j,k,v,q"
ROWS = ["{y},4,24,300431,0.198,        0.001", "{y},4,31,251512,27.902,      169.800",
        "{y},4,32,401031,0.164,           NA", "{y},710,842,10121,12.5,        1.000"]
# The two layouts before per-partition tables: a base table of text, then one table of codes behind a view.
TEXT_DDL = ("CREATE TABLE baci_flows (year SMALLINT, hs_edition VARCHAR, exporter VARCHAR, importer VARCHAR, "
            "hs6 VARCHAR, value_kusd DOUBLE, quantity_t DOUBLE, _partition VARCHAR)")
COMPACT_DDL = ("CREATE TABLE baci_flows_compact (year SMALLINT, hs_edition VARCHAR, exporter_code SMALLINT, "
               "importer_code SMALLINT, product_code INTEGER, value_kusd DOUBLE, quantity_t DOUBLE, _partition VARCHAR)")
COMPACT_VIEW = """CREATE OR REPLACE VIEW baci_flows AS SELECT f.year, f.hs_edition, e.iso3 AS exporter, m.iso3 AS importer,
    lpad(CAST(f.product_code AS VARCHAR), 6, '0') AS hs6, f.value_kusd, f.quantity_t, f._partition
    FROM baci_flows_compact AS f JOIN (VALUES (251, 'FRA'), (381, 'ITA')) AS e(code, iso3) ON e.code = f.exporter_code
    JOIN (VALUES (251, 'FRA'), (381, 'ITA')) AS m(code, iso3) ON m.code = f.importer_code"""


def _file(folder: Path, year: int, rows: list[str] | None = None, edition: str = "HS17") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"BACI_{edition}_Y{year}_V202401.csv"
    path.write_text("\n".join([HEADER, *(r.format(y=year) for r in (rows or ROWS))]) + "\n")
    return path


def _parts(store: Store) -> list[tuple[str, int, int]]:
    return store.con.execute("SELECT _partition, year, count(*) FROM baci_flows GROUP BY ALL ORDER BY 1").fetchall()


def _tables(store: Store) -> list[str]:
    return [t for t in store.table_names() if t.startswith("baci_hs")]


def test_two_partitions_are_two_tables_and_both_are_in_the_view(tmp_path: Path, store: Store) -> None:
    first = store.ingest(get_adapter("baci"), _file(tmp_path / "a", 2021))
    second = store.ingest(get_adapter("baci"), _file(tmp_path / "b", 2022, ROWS[:3]))
    assert first.rows == {"baci_hs17_2021": 4} and second.rows == {"baci_hs17_2022": 3}
    assert _tables(store) == ["baci_hs17_2021", "baci_hs17_2022"]
    assert _parts(store) == [("HS17-2021", 2021, 4), ("HS17-2022", 2022, 3)]
    entry = store.catalog_entry("baci", "HS17-2022")
    assert entry is not None and entry["tables"] == ["baci_hs17_2022"] and entry["rows"] == 3
    assert bilateral_flows(store, years=[2022]).count().execute() == 3
    # No row stores the constants: the view adds them.
    columns = store.con.execute("SELECT column_name FROM information_schema.columns "
                                "WHERE table_name = 'baci_hs17_2022' ORDER BY ordinal_position").fetchall()
    assert [c[0] for c in columns] == ["exporter_code", "importer_code", "product_code", "value_kusd", "quantity_t"]


def test_a_changed_file_replaces_only_its_partitions_table(tmp_path: Path, store: Store) -> None:
    store.ingest(get_adapter("baci"), _file(tmp_path / "a", 2021))
    path = _file(tmp_path / "b", 2022)
    store.ingest(get_adapter("baci"), path)
    before = store.con.execute("SELECT * FROM baci_hs17_2021").fetchall()
    _file(tmp_path / "b", 2022, [ROWS[0], ROWS[3].replace("12.5", "99.0")])
    result = store.ingest(get_adapter("baci"), path)
    assert result.status == "replaced" and result.rows == {"baci_hs17_2022": 2}
    assert _parts(store) == [("HS17-2021", 2021, 4), ("HS17-2022", 2022, 2)]
    assert store.con.execute("SELECT * FROM baci_hs17_2021").fetchall() == before
    assert store.con.execute("SELECT value_kusd FROM baci_flows WHERE year = 2022 AND exporter = 'ZAF'"
                             ).fetchall() == [(99.0,)]
    assert store.ingest(get_adapter("baci"), path).status == "unchanged"


@pytest.mark.parametrize("replacing", [False, True])
def test_a_refused_file_leaves_tables_and_view_as_they_were(tmp_path: Path, store: Store, replacing: bool) -> None:
    store.ingest(get_adapter("baci"), _file(tmp_path / "a", 2021))
    view = store.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'baci_flows'").fetchall()
    rows = store.con.execute("SELECT * FROM baci_flows ORDER BY ALL").fetchall()
    bad = _file(tmp_path / "bad", 2021 if replacing else 2022, [*ROWS, "{y},4,24,300432,-1.0,NA"])
    with pytest.raises(SourceFormatError, match="negative") as err:
        store.ingest(get_adapter("baci"), bad)
    assert err.value.row == 6 and err.value.column == "v"
    assert store.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'baci_flows'").fetchall() == view
    assert store.con.execute("SELECT * FROM baci_flows ORDER BY ALL").fetchall() == rows
    assert _tables(store) == ["baci_hs17_2021"] and store.catalog_entry("baci", "HS17-2022") is None


def test_drop_source_drops_every_partition_table_and_the_view(tmp_path: Path, store: Store) -> None:
    store.ingest(get_adapter("baci"), _file(tmp_path / "a", 2021))
    store.ingest(get_adapter("baci"), _file(tmp_path / "b", 2022))
    store.drop_source("baci")
    # No partition left: the view goes too, so "no BACI loaded" reads as before any load.
    assert _tables(store) == [] and not store.has_table("baci_flows") and store.catalog().empty
    with pytest.raises(StoreError, match="no bilateral flows"):
        bilateral_flows(store)
    assert store.ingest(get_adapter("baci"), _file(tmp_path / "b", 2022)).status == "loaded"
    assert _parts(store) == [("HS17-2022", 2022, 4)]


def test_a_partition_key_must_match_the_file(tmp_path: Path, store: Store) -> None:
    with pytest.raises(StoreError, match="partition 'HS17-2021' does not match"):
        store.ingest(get_adapter("baci"), _file(tmp_path, 2022), partition="HS17-2021")
    with pytest.raises(StoreError, match="not an HS edition and a year"):
        store.ingest(get_adapter("baci"), _file(tmp_path, 2022), partition="mine")
    assert _tables(store) == [] and store.catalog().empty


def test_a_store_with_the_older_text_table_is_migrated(tmp_path: Path, store: Store) -> None:
    store.con.execute(TEXT_DDL)
    store.con.execute("INSERT INTO baci_flows VALUES (2019, 'HS17', 'FRA', 'ITA', '010121', 2.0, NULL, 'HS17-2019'), "
                      "(2020, 'HS17', 'FRA', 'ITA', '970110', 9.0, NULL, 'HS17-2020')")
    store.con.execute("INSERT INTO _catalog (source, \"partition\", tables) VALUES ('baci', 'HS17-2019', ['baci_flows'])")
    store.ingest(get_adapter("baci"), _file(tmp_path, 2020))
    assert _parts(store) == [("HS17-2019", 2019, 1), ("HS17-2020", 2020, 4)]  # the old 2020 row is replaced
    assert store.con.execute("SELECT exporter, importer, hs6, value_kusd FROM baci_flows WHERE year = 2019"
                             ).fetchall() == [("FRA", "ITA", "010121", 2.0)]
    entry = store.catalog_entry("baci", "HS17-2019")
    assert entry is not None and entry["tables"] == ["baci_hs17_2019"]
    store.drop_source("baci")
    assert _tables(store) == [] and not store.has_table("baci_flows")


def _compact_store(store: Store, years: tuple[int, ...] = (2019, 2020)) -> None:
    rows = {2019: ["(2019, 'HS17', 251, 381, 10121, 2.0, NULL, 'HS17-2019')",
                   "(2019, 'HS17', 381, 251, 970110, 3.0, 1.5, 'HS17-2019')"],
            2020: ["(2020, 'HS17', 251, 381, 970110, 9.0, NULL, 'HS17-2020')"]}
    store.con.execute(COMPACT_DDL)
    store.con.execute("INSERT INTO baci_flows_compact VALUES " + ", ".join(r for y in years for r in rows[y]))
    store.con.execute(COMPACT_VIEW)
    for year in years:
        store.con.execute("INSERT INTO _catalog (source, \"partition\", tables) VALUES "
                          "('baci', ?, ['baci_flows_compact'])", [f"HS17-{year}"])


def test_a_store_with_the_compact_table_is_migrated_when_ingesting(tmp_path: Path, store: Store) -> None:
    _compact_store(store)
    store.ingest(get_adapter("baci"), _file(tmp_path, 2020))
    assert "baci_flows_compact" not in store.table_names()
    assert _tables(store) == ["baci_hs17_2019", "baci_hs17_2020"]
    assert _parts(store) == [("HS17-2019", 2019, 2), ("HS17-2020", 2020, 4)]
    assert store.con.execute("SELECT exporter, importer, hs6, quantity_t FROM baci_flows WHERE year = 2019 "
                             "ORDER BY 1").fetchall() == [("FRA", "ITA", "010121", None), ("ITA", "FRA", "970110", 1.5)]
    assert [store.catalog_entry("baci", p)["tables"] for p in ("HS17-2019", "HS17-2020")] == [  # type: ignore[index]
        ["baci_hs17_2019"], ["baci_hs17_2020"]]
    store.drop_source("baci")
    assert _tables(store) == [] and not store.has_table("baci_flows")


def test_a_store_with_the_compact_table_is_migrated_when_loading_the_snapshot(store: Store) -> None:
    _compact_store(store)
    load_snapshot(store)
    bundled = {x["partition"]: x["rows"] for x in read_manifest()["entries"] if x["source"] == "baci"}
    assert "HS17-2020" in bundled  # the old store's HS17-2020 row is replaced by the bundled partition
    assert {p: n for p, _, n in _parts(store)} == {"HS17-2019": 2, **bundled}
    assert "baci_flows_compact" not in store.table_names()
    entry = store.catalog_entry("baci", "HS17-2019")
    assert entry is not None and entry["tables"] == ["baci_hs17_2019"]


def test_an_unchanged_snapshot_still_migrates_an_older_layout(store: Store) -> None:
    load_snapshot(store)
    rows = _parts(store)
    _compact_store(store, (2019,))  # as if an older version had loaded one more year
    assert load_snapshot(store).status == "unchanged"
    assert "baci_flows_compact" not in store.table_names()
    assert _parts(store) == sorted([*rows, ("HS17-2019", 2019, 2)])

"""The store: atomic ingests, no-op re-ingests, partitions, provenance and the indicators view."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest

from cultrade.errors import SourceFormatError, StoreError
from cultrade.settings import Settings
from cultrade.sources.base import Frame, TableAdapter
from cultrade.store import Provenance, Store, file_sha256


class TinyAdapter(TableAdapter):
    """A two-column CSV adapter; each file name's stem is its partition."""

    name = "tiny"
    title = "Tiny test source"
    publisher = "tests"
    licence = "CC0"
    tables: ClassVar[tuple[str, ...]] = ("obs_tiny",)

    def partition(self, path: Path) -> str:
        return path.stem

    def vintage(self, path: Path) -> str:
        return "v1"

    def parse(self, path: Path) -> dict[str, Frame]:
        rows = [line.split(",") for line in path.read_text().split()]
        if any(len(r) != 2 for r in rows):
            raise SourceFormatError("each line needs iso3,value", path=path, hint="fix the line")
        df = pd.DataFrame(rows, columns=["iso3", "value"])
        return {"obs_tiny": df.assign(year=2020, indicator=path.stem, value=df["value"].astype(float))}


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_ingest_records_provenance(store: Store, tmp_path: Path) -> None:
    f = write(tmp_path / "gdp.csv", "NOR,1\nSWE,2\n")
    result = store.ingest(TinyAdapter(), f)
    assert (result.status, result.rows) == ("loaded", {"obs_tiny": 2})
    entry = store.catalog_entry("tiny", "gdp")
    assert entry is not None
    assert entry["sha256"] == file_sha256(f)
    assert (entry["vintage"], entry["licence"], entry["rows"], entry["origin"]) == ("v1", "CC0", 2, "file")
    assert entry["path"] == str(f.resolve()) and entry["loaded_at"] is not None


def test_reingesting_the_same_file_is_a_no_op(store: Store, tmp_path: Path) -> None:
    f = write(tmp_path / "gdp.csv", "NOR,1\n")
    store.ingest(TinyAdapter(), f)
    loaded_at = store.catalog_entry("tiny", "gdp")["loaded_at"]  # type: ignore[index]
    again = store.ingest(TinyAdapter(), f)
    assert again.status == "unchanged"
    assert store.catalog_entry("tiny", "gdp")["loaded_at"] == loaded_at  # type: ignore[index]
    assert store.row_count("obs_tiny") == 1


def test_changed_file_replaces_only_its_partition(store: Store, tmp_path: Path) -> None:
    store.ingest(TinyAdapter(), write(tmp_path / "gdp.csv", "NOR,1\nSWE,2\n"))
    store.ingest(TinyAdapter(), write(tmp_path / "pop.csv", "NOR,5\n"))
    result = store.ingest(TinyAdapter(), write(tmp_path / "gdp.csv", "NOR,10\n"))
    assert result.status == "replaced"
    got = store.con.execute("SELECT indicator, iso3, value FROM obs_tiny ORDER BY 1, 2").fetchall()
    assert got == [("gdp", "NOR", 10.0), ("pop", "NOR", 5.0)]


def test_bad_file_leaves_store_unchanged(store: Store, tmp_path: Path) -> None:
    store.ingest(TinyAdapter(), write(tmp_path / "gdp.csv", "NOR,1\n"))
    with pytest.raises(SourceFormatError, match="iso3,value"):
        store.ingest(TinyAdapter(), write(tmp_path / "gdp.csv", "NOR,1,extra\n"))
    assert store.con.execute("SELECT value FROM obs_tiny").fetchall() == [(1.0,)]
    assert store.catalog_entry("tiny", "gdp")["rows"] == 1  # type: ignore[index]


def test_failure_inside_the_transaction_rolls_everything_back(store: Store) -> None:
    frames = {"obs_a": pd.DataFrame({"iso3": ["NOR"], "year": [2020], "indicator": ["x"], "value": [1.0]}),
              "Bad-Name": pd.DataFrame({"x": [1]})}
    with pytest.raises(StoreError, match="invalid table name"):
        store.write_frames("a", frames, provenance=Provenance(source="a"))
    assert "obs_a" not in store.table_names()
    assert store.catalog().empty


def test_indicators_view_stacks_every_obs_table(store: Store, tmp_path: Path) -> None:
    store.ingest(TinyAdapter(), write(tmp_path / "gdp.csv", "NOR,1\n"))
    view = store.con.execute("SELECT source, iso3, year, indicator, value FROM indicators").fetchall()
    assert view == [("tiny", "NOR", 2020, "gdp", 1.0)]


def test_drop_source_removes_rows_and_catalog(store: Store, tmp_path: Path) -> None:
    store.ingest(TinyAdapter(), write(tmp_path / "gdp.csv", "NOR,1\n"))
    store.drop_source("tiny")
    assert store.catalog().empty and store.row_count("obs_tiny") == 0
    with pytest.raises(StoreError, match="not loaded"):
        store.drop_source("tiny")


def test_missing_file_and_missing_table_are_clear_errors(store: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="file not found"):
        store.ingest(TinyAdapter(), tmp_path / "nope.csv")
    with pytest.raises(StoreError, match="cultrade init"):
        store.table("obs_nothing")


def test_store_is_a_file_that_reopens(settings: Settings, tmp_path: Path) -> None:
    with Store(settings=settings) as s:
        s.ingest(TinyAdapter(), write(tmp_path / "gdp.csv", "NOR,1\n"))
    with Store(settings=settings, read_only=True) as s:
        assert s.table("obs_tiny").count().execute() == 1
    assert settings.store_path is not None and settings.store_path.exists()


def test_store_that_cannot_be_opened_says_so(tmp_path: Path, settings: Settings) -> None:
    not_a_db = tmp_path / "garbage.duckdb"
    not_a_db.write_bytes(b"this is not a duckdb file" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(not_a_db, settings=settings)


def test_two_sources_cannot_share_a_partition_of_one_table(store: Store) -> None:
    frame = pd.DataFrame({"iso3": ["NOR"], "year": [2020], "indicator": ["x"], "value": [1.0]})
    store.write_frames("one", {"obs_shared": frame}, provenance=Provenance(source="one", partition="2020"))
    with pytest.raises(StoreError, match="would overwrite partition '2020'"):
        store.write_frames("two", {"obs_shared": frame}, provenance=Provenance(source="two", partition="2020"))
    assert store.row_count("obs_shared") == 1


def test_memo_keeps_a_value_until_the_next_write(store: Store) -> None:
    built: list[int] = []

    def make() -> int:
        built.append(1)
        return len(built)

    assert store.memo("k", make) == 1
    assert store.memo("k", make) == 1  # kept: not built again
    with store.transaction() as con:  # any write forgets it
        con.execute("CREATE TABLE t (x INTEGER)")
    assert store.memo("k", make) == 2
    store.forget_schemas()
    assert store.memo("k", make) == 3

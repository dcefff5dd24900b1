"""The bundled snapshot: open-licence data only, with provenance, loaded in one step."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cultrade.errors import ConfigError
from cultrade.sources import available, get_adapter
from cultrade.sources.snapshot import (
    PLAN,
    SIZE_LIMIT_BYTES,
    PlanEntry,
    build_snapshot,
    load_snapshot,
    read_manifest,
    snapshot_dir,
)
from cultrade.store import Store


def test_bundle_is_small_and_open_licence_only() -> None:
    manifest = read_manifest()
    size = sum(p.stat().st_size for p in snapshot_dir().iterdir())
    assert size < SIZE_LIMIT_BYTES
    sources = {e["source"] for e in manifest["entries"]}
    assert sources <= {name for name, cls in available().items() if cls.bundle}
    assert not sources & {"fsi", "freedom_house", "gpi", "polity", "ti_cpi", "comtrade"}
    for entry in manifest["entries"]:
        assert len(entry["sha256"]) == 64 and entry["licence"] and entry["rows"] >= 0, entry


def test_init_loads_every_bundled_table_with_provenance(store: Store) -> None:
    result = load_snapshot(store)
    assert result.status == "loaded"
    manifest = read_manifest()
    for name, info in manifest["tables"].items():
        assert store.row_count(name) == info["rows"], name
    catalog = store.catalog()
    assert set(catalog["origin"]) == {"snapshot"}
    assert catalog["path"].str.startswith("snapshot:").all()
    norway = store.con.execute(
        "SELECT round(value, 2) FROM indicators WHERE source='wgi' AND iso3='NOR' AND year=2023 AND indicator='rl'"
    ).fetchone()
    assert norway == (1.83,)


def test_second_init_is_a_no_op_and_fast(store: Store) -> None:
    load_snapshot(store)
    start = time.perf_counter()
    assert load_snapshot(store).status == "unchanged"
    assert time.perf_counter() - start < 30  # generous: a no-op must not reload (not a benchmark)


def test_ingesting_the_same_raw_file_after_init_is_a_no_op(store: Store, shared: Path) -> None:
    load_snapshot(store)
    result = store.ingest(get_adapter("wgi"), shared / "indicators/wgi/wgidataset_2024update_1996-2023.xlsx")
    assert result.status == "unchanged"


def test_build_from_raw_files_round_trips(shared: Path, tmp_path: Path) -> None:
    plan = (PlanEntry("wgi", "indicators/wgi/wgidataset_2024update_1996-2023.xlsx"),
            PlanEntry("ucdp", "indicators/conflict/ucdp_prio_acd_v25_1.csv"))
    manifest = build_snapshot(shared, tmp_path / "snap", plan)
    assert {e["source"] for e in manifest["entries"]} == {"wgi", "ucdp"}
    with Store(":memory:") as fresh, Store(":memory:") as direct:
        load_snapshot(fresh, tmp_path / "snap")
        direct.ingest(get_adapter("wgi"), shared / plan[0].pattern)
        a = fresh.con.execute("SELECT * EXCLUDE (_partition) FROM obs_wgi ORDER BY ALL").fetchall()
        b = direct.con.execute("SELECT * EXCLUDE (_partition) FROM obs_wgi ORDER BY ALL").fetchall()
        assert a == b


def test_non_commercial_sources_are_refused(shared: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="may not be bundled"):
        build_snapshot(shared, tmp_path / "snap", (PlanEntry("fsi", "indicators/fsi/fsi_2006-2023_long.csv"),))


def test_every_plan_entry_names_a_bundlable_adapter() -> None:
    for entry in PLAN:
        assert get_adapter(entry.source).bundle, entry

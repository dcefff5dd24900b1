"""The bundled snapshot: open-licence sources compacted to Parquet inside the package.

``build_snapshot`` (maintainers, needs the raw files) ingests the files named in
:data:`PLAN` into a scratch store and writes one Parquet file per table plus a
``manifest.json`` carrying each file's provenance. ``load_snapshot`` (every
user, via ``cultrade init``) copies those tables into a store in one
transaction. Sources whose licence forbids redistribution are refused.

>>> [entry.source for entry in PLAN][:2]
['wb_meta', 'wgi']
>>> all(get_adapter(entry.source).bundle for entry in PLAN)
True
>>> snapshot_dir().name
'snapshot'
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from cultrade.errors import ConfigError, StoreError
from cultrade.sources import baci_tables
from cultrade.sources.registry import available, get_adapter
from cultrade.store import PARTITION_COLUMN, Provenance, Store, file_sha256

MANIFEST = "manifest.json"
SIZE_LIMIT_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class PlanEntry:
    """One source and the glob (relative to the data folder) of the files to bundle."""

    source: str
    pattern: str


# Open-licence sources only (see the data README); order is load order.
PLAN: tuple[PlanEntry, ...] = (
    PlanEntry("wb_meta", "indicators/country_ref/wb_metadata_country_income_region_FY25.csv"),
    PlanEntry("wgi", "indicators/wgi/wgidataset_2024update_1996-2023.xlsx"),
    PlanEntry("wdi", "indicators/wdi/API_*.csv"),
    PlanEntry("wdi", "indicators/wdi/datahub_*.csv"),
    PlanEntry("owid", "indicators/wdi/owid_*.csv"),
    PlanEntry("fred", "indicators/fx/fred_h10_fx_*.csv"),
    PlanEntry("ucdp", "indicators/conflict/ucdp_prio_acd_v25_1.csv"),
    PlanEntry("ucdp_ged", "events/ucdp_ged/*.csv.gz"),
    PlanEntry("sipri", "indicators/conflict/sipri_milex_1949-2024_extract.csv"),
    PlanEntry("vdem", "indicators/vdem/*.csv"),
    PlanEntry("hofstede", "indicators/hofstede/hofstede_6d_2015-08-16_official.xls"),
    PlanEntry("hofstede", "indicators/hofstede/hofstede_insights_country_comparison_scrape.csv"),
    PlanEntry("baci_countries", "trade/baci_refs/country_codes_V202401.csv"),
    PlanEntry("baci_products", "trade/baci_refs/product_codes_HS*_V202401.csv"),
    PlanEntry("hs_bec", "trade/baci_refs/hs17_bec5_correspondence.csv"),
    PlanEntry("baci", "trade/baci_sample/BACI_*.csv"),
    PlanEntry("hs_nomenclature", "trade/hs_nomenclature/*"),
    PlanEntry("hs_descriptions", "trade/hs_concordance/hs?_desc.csv"),
    PlanEntry("hs_concordance", "trade/hs_concordance/hs?_hs?.csv"),
    PlanEntry("geodist", "trade/geodist/dist_cepii.csv"),
    PlanEntry("geodist_countries", "trade/geodist/geo_cepii.csv"),
    PlanEntry("ots", "trade/ots/ots_exports_hs4_*.csv"),
    PlanEntry("ots_commodities", "trade/ots/ots_commodities.csv"),
    PlanEntry("services", "trade/services/*.csv"),
    PlanEntry("agtpa", "trade/gravity_agtpa/agtpa_applications.csv"),
    PlanEntry("gdelt_dyads", "events/gdelt_aggregates/gdelt1_*_dyad_month_*.csv.gz"),
    PlanEntry("reported", "reported/china_cultural_trade_reported.csv"),
    PlanEntry("cameo", "events/cameo_reference/icewspkg_cameo_codes_goldstein.csv"),
    PlanEntry("cameo", "events/cameo_reference/CAMEO.eventcodes.txt"),
    PlanEntry("cameo", "events/cameo_reference/cameo_actor_role_codes_from_manual_ch3.csv"),
    PlanEntry("cameo", "events/cameo_reference/cameo_country_codes_observed_gdelt2025.csv"),
)


def snapshot_dir() -> Path:
    """Where the bundled Parquet files live inside the installed package."""
    return Path(str(resources.files("cultrade.data"))) / "snapshot"


def _plan_files(data_dir: Path, plan: tuple[PlanEntry, ...]) -> list[tuple[str, Path]]:
    known = available()
    files: list[tuple[str, Path]] = []
    for entry in plan:
        if entry.source not in known:
            continue  # an adapter not present in this build cannot be bundled
        adapter = known[entry.source]
        if not adapter.bundle:
            raise ConfigError(f"{entry.source} may not be bundled (licence: {adapter.licence})",
                              hint="remove it from the snapshot plan; users load it from their own file")
        matches = [m for m in sorted(data_dir.glob(entry.pattern))
                   if any(fnmatch.fnmatch(m.name, p) for p in adapter.patterns)]
        if not matches:
            raise ConfigError(f"the snapshot plan finds no {entry.source} file at {entry.pattern}",
                              path=data_dir, hint="check the data folder, or fix the pattern in PLAN")
        files.extend((entry.source, m) for m in matches)
    return files


def build_snapshot(data_dir: str | Path, out_dir: str | Path | None = None,
                   plan: tuple[PlanEntry, ...] = PLAN) -> dict[str, Any]:
    """Ingest the planned files and write Parquet tables plus a provenance manifest."""
    data_dir = Path(data_dir)
    out = Path(out_dir) if out_dir else snapshot_dir()
    if not data_dir.is_dir():
        raise ConfigError(f"data folder not found: {data_dir}", hint="pass the path of shared/data")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.parquet"):
        old.unlink()
    with Store(":memory:") as store:
        entries = []
        for source, path in _plan_files(data_dir, plan):
            result = store.ingest(get_adapter(source), path)
            cat = store.catalog_entry(source, result.partition) or {}
            entries.append({
                "source": source, "partition": result.partition, "path": str(path.relative_to(data_dir)),
                "sha256": cat.get("sha256", ""), "vintage": cat.get("vintage", ""),
                "licence": cat.get("licence", ""), "publisher": cat.get("publisher", ""),
                "tables": list(cat.get("tables", [])), "rows": int(cat.get("rows", 0)),
            })
        tables = {}
        for name in store.table_names():
            target = out / f"{name}.parquet"
            store.con.execute(
                f"COPY {name} TO '{target}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 19)"
            )
            tables[name] = {"file": target.name, "rows": store.row_count(name), "sha256": file_sha256(target)}
    manifest = {"format": 1, "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "entries": entries, "tables": tables}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in out.iterdir())
    if size > SIZE_LIMIT_BYTES:
        raise StoreError(f"the snapshot is {size / 2**20:.1f} MB, over the {SIZE_LIMIT_BYTES / 2**20:.0f} MB budget",
                         path=out, hint="drop the largest source from PLAN or bundle fewer columns")
    manifest["bytes"] = size
    return manifest


def read_manifest(directory: Path | None = None) -> dict[str, Any]:
    path = (directory or snapshot_dir()) / MANIFEST
    if not path.exists():
        raise StoreError("the bundled snapshot is missing", path=path,
                         hint="reinstall cultrade, or run `make snapshot` with ../shared/data present")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass
class SnapshotLoad:
    tables: dict[str, int]
    entries: int
    status: str


def load_snapshot(store: Store, directory: Path | None = None) -> SnapshotLoad:
    """Copy the bundled tables into ``store`` in one transaction; a second load is a no-op."""
    directory = directory or snapshot_dir()
    manifest = read_manifest(directory)
    entries = manifest["entries"]
    if entries and all(
        (e := store.catalog_entry(x["source"], x["partition"])) is not None and e["sha256"] == x["sha256"]
        for x in entries
    ):
        if baci_tables.needs_migration(store.con):  # a store from an older version: same data, new layout
            with store.transaction() as con:
                baci_tables.migrate(con)
        return SnapshotLoad({}, len(entries), "unchanged")
    partitions: dict[str, set[str]] = {}
    for x in entries:
        for table in x["tables"]:
            partitions.setdefault(table, set()).add(x["partition"])
    loaded: dict[str, int] = {}
    with store.transaction() as con:
        baci_tables.migrate(con)  # an older store's BACI rows first, so that the partitions below replace them
        for name, info in manifest["tables"].items():
            parquet = (directory / info["file"]).as_posix()
            columns = {r[0] for r in con.execute("SELECT name FROM parquet_schema(?)", [parquet]).fetchall()}
            if store.has_table(name) and PARTITION_COLUMN in columns:
                parts = sorted(partitions.get(name, set()))
                con.execute(f"DELETE FROM {name} WHERE {PARTITION_COLUMN} IN (SELECT unnest(?::VARCHAR[]))", [parts])
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM read_parquet('{parquet}')")
            else:  # new, or a table of one partition (BACI's): the bundled one replaces it whole
                con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_parquet('{parquet}')")
            loaded[name] = int(info["rows"])
        baci = [x["partition"] for x in entries if x["source"] == "baci"]
        for partition in baci:
            baci_tables.add_partition(con, partition)
        if baci:
            baci_tables.refresh_view(con)  # the lookups and the baci_flows view over every partition
        for x in entries:
            store.record(
                Provenance(source=x["source"], partition=x["partition"], path=f"snapshot:{x['path']}",
                           sha256=x["sha256"], vintage=x["vintage"], licence=x["licence"],
                           publisher=x["publisher"], origin="snapshot"),
                x["tables"], x["rows"],
            )
        store.refresh_indicator_view()
    return SnapshotLoad(loaded, len(entries), "loaded")


def describe_plan() -> list[dict[str, Any]]:
    return [asdict(p) for p in PLAN]


__all__ = ["PLAN", "PlanEntry", "SnapshotLoad", "build_snapshot", "load_snapshot", "read_manifest", "snapshot_dir"]

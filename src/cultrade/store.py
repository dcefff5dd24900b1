"""The embedded store: one DuckDB file, read through Ibis, with a provenance catalog.

Every data table is written by :meth:`Store.ingest` inside one transaction and
carries a ``_partition`` column, so that a changed file replaces exactly the rows
it delivered last time and vintages never mix (an adapter may instead keep one
table per partition, see ``SourceAdapter.drop_partition``). The ``_catalog`` table records,
for each (source, partition): the file, its sha256, vintage, licence, row count
and load time. Re-ingesting a file whose sha256 is already catalogued is a no-op.

>>> import pandas as pd
>>> store = Store(":memory:")
>>> store.write_frames("demo", {"obs_demo": pd.DataFrame({"iso3": ["NOR"], "year": [2023],
...     "indicator": ["x"], "value": [1.5]})}, provenance=Provenance(source="demo", licence="CC0"))
IngestResult(source='demo', partition='', status='loaded', rows={'obs_demo': 1}, sha256='')
>>> store.table("obs_demo").execute()[["iso3", "value"]].to_dict("records")
[{'iso3': 'NOR', 'value': 1.5}]
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Hashable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar, cast

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
from ibis import Table as IbisTable  # inside Store, `ibis` is the backend property

from cultrade.errors import StoreError
from cultrade.settings import Settings, get_settings

T = TypeVar("T")

if TYPE_CHECKING:
    from cultrade.sources.base import SourceAdapter

Frame: TypeAlias = pd.DataFrame | pa.Table
IngestStatus = Literal["loaded", "replaced", "unchanged"]
PARTITION_COLUMN = "_partition"
CATALOG = "_catalog"
INDICATOR_VIEW = "indicators"
OBS_PREFIX = "obs_"
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")

_CATALOG_DDL = f"""
CREATE TABLE IF NOT EXISTS {CATALOG} (
    source VARCHAR NOT NULL,
    "partition" VARCHAR NOT NULL,
    path VARCHAR,
    sha256 VARCHAR,
    vintage VARCHAR,
    licence VARCHAR,
    publisher VARCHAR,
    tables VARCHAR[],
    "rows" BIGINT,
    loaded_at TIMESTAMP,
    origin VARCHAR,
    PRIMARY KEY (source, "partition")
)
"""


@dataclass(frozen=True)
class Provenance:
    """Where a batch of rows came from."""

    source: str
    partition: str = ""
    path: str = ""
    sha256: str = ""
    vintage: str = ""
    licence: str = ""
    publisher: str = ""
    origin: str = "file"


@dataclass(frozen=True)
class IngestResult:
    source: str
    partition: str
    status: IngestStatus
    rows: dict[str, int] = field(default_factory=dict)
    sha256: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _columns(frame: Frame) -> list[str]:
    return list(frame.column_names) if isinstance(frame, pa.Table) else [str(c) for c in frame.columns]


def file_sha256(path: str | Path, chunk: int = 1 << 22) -> str:
    """Streaming sha256 of a file (constant memory, any size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _check_ident(name: str) -> str:
    if not _IDENT.match(name):
        raise StoreError(f"invalid table name {name!r}", hint="use lower-case letters, digits and underscores")
    return name


class Store:
    """A DuckDB database with a provenance catalog; use as a context manager."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        settings: Settings | None = None,
        read_only: bool = False,
    ) -> None:
        self.settings = settings or get_settings()
        target = path if path is not None else self.settings.store_path
        self.path = str(target)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {"memory_limit": self.settings.duckdb_memory_limit}
        if self.settings.duckdb_threads:
            config["threads"] = self.settings.duckdb_threads
        try:
            self.con = duckdb.connect(self.path, read_only=read_only, config=config)
        except duckdb.Error as exc:
            raise StoreError(
                f"cannot open the store: {exc}",
                path=self.path,
                hint="close other programs using it, or point CULTRADE_STORE_PATH elsewhere",
            ) from exc
        if not read_only:
            self.con.execute(_CATALOG_DDL)
        # What Ibis sets when it wraps the connection, set now: the backend is only made on first use.
        self.con.execute("SET timezone = 'UTC'; SET python_enable_replacements = false")
        self._tables: dict[str, IbisTable] = {}
        self._memo: dict[Hashable, Any] = {}

    def cursor_view(self) -> Store:
        """This store over a new DuckDB cursor: for reads in another thread while this one is busy.

        Cursors of one database run queries concurrently; each sees committed data (a write transaction in
        progress on :attr:`con` stays invisible until it commits). Not for writes: :meth:`transaction` on a
        view would not clear this store's memo.
        """
        view = object.__new__(type(self))
        view.settings, view.path = self.settings, self.path
        view.con = self.con.cursor()
        view.con.execute("SET timezone = 'UTC'; SET python_enable_replacements = false")
        view._tables, view._memo = {}, {}
        return view

    @cached_property
    def ibis(self) -> ibis.BaseBackend:
        """The Ibis backend over :attr:`con`; loading it costs ~0.1 s, which an ingest does not need."""
        return ibis.duckdb.from_connection(self.con)

    # -- context management -------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------
    def table_names(self, *, include_views: bool = False) -> list[str]:
        """Data tables (not the catalog); with ``include_views``, views such as ``indicators`` too."""
        kinds = "('BASE TABLE', 'VIEW')" if include_views else "('BASE TABLE')"
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables "
            f"WHERE table_schema = 'main' AND table_type IN {kinds} ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows if not r[0].startswith("_")]

    def has_table(self, name: str) -> bool:
        """True for a loaded table or view (``indicators`` counts)."""
        return name in self.table_names(include_views=True)

    def table(self, name: str) -> IbisTable:
        """An Ibis table expression (lazy); ``.execute()`` gives pandas.

        Expressions are cached per name (looking a schema up costs a query) and forgotten
        whenever a write transaction runs, since only writes change schemas.
        """
        cached = self._tables.get(name)
        if cached is not None:
            return cached
        if not self.has_table(name):
            raise StoreError(
                f"table {name!r} is not in the store",
                path=self.path,
                hint="load it first with `cultrade ingest` or `cultrade init`",
            )
        table = self._tables[name] = self.ibis.table(name)
        return table

    def register_frame(self, name: str, frame: Frame) -> IbisTable:
        """Expose an in-memory table to queries as view ``name`` (connection-local, not stored)."""
        self.con.register(name, frame)
        key = f"registered:{name}"
        cached = self._tables.get(key)
        if cached is None or list(cached.columns) != [str(c) for c in _columns(frame)]:
            cached = self._tables[key] = self.ibis.table(name)
        return cached

    def forget_schemas(self) -> None:
        """Drop cached table expressions (call after changing a schema outside :meth:`transaction`)."""
        self._tables.clear()
        self._memo.clear()

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """``make()``, kept until the next write transaction: for lazy expressions built from the store's
        tables and catalog (building one costs milliseconds of queries and Ibis work per call)."""
        if key not in self._memo:
            self._memo[key] = make()
        return cast(T, self._memo[key])

    def frame(self, name: str, *, drop_internal: bool = True) -> pd.DataFrame:
        """A whole table as pandas, without the internal ``_partition`` column."""
        df = self.table(name).execute()
        if drop_internal and PARTITION_COLUMN in df.columns:
            df = df.drop(columns=PARTITION_COLUMN)
        return df

    def catalog(self) -> pd.DataFrame:
        """Every loaded dataset with its provenance, newest first."""
        return self.con.execute(f"SELECT * FROM {CATALOG} ORDER BY source, \"partition\"").df()

    def catalog_entry(self, source: str, partition: str = "") -> dict[str, Any] | None:
        cur = self.con.execute(
            f'SELECT * FROM {CATALOG} WHERE source = ? AND "partition" = ?', [source, partition]
        )
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row, strict=True))

    def row_count(self, name: str) -> int:
        result = self.con.execute(f"SELECT count(*) FROM {_check_ident(name)}").fetchone()
        return int(result[0]) if result else 0

    # -- writing ------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: any exception rolls back every statement inside."""
        self._tables.clear()
        self._memo.clear()
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    def ingest(
        self, adapter: SourceAdapter, path: str | Path, *, partition: str | None = None
    ) -> IngestResult:
        """Parse, validate and load one file with ``adapter``, atomically.

        An identical file (same sha256 for the same source and partition) is a
        no-op; a changed one replaces that partition's rows in one transaction.
        """
        path = Path(path)
        if not path.exists():
            raise StoreError(f"file not found: {path}", path=path, hint="check the path")
        part = partition if partition is not None else adapter.partition(path)
        previous = self.catalog_entry(adapter.name, part)
        prov = Provenance(
            source=adapter.name,
            partition=part,
            path=str(path.resolve()),
            vintage=adapter.vintage(path),
            licence=adapter.licence,
            publisher=adapter.publisher,
        )
        if previous is None and adapter.writes_sql:
            # Nothing to compare against: hash the (large) file while DuckDB loads it.
            with ThreadPoolExecutor(max_workers=1) as pool:
                digest = pool.submit(file_sha256, path)
                return self._ingest_sql(adapter, path, prov, digest.result, replaced=False)
        sha = file_sha256(path)
        if previous is not None and previous["sha256"] == sha:
            return IngestResult(adapter.name, part, "unchanged", {}, sha)
        prov = replace(prov, sha256=sha)
        if adapter.writes_sql:
            return self._ingest_sql(adapter, path, prov, lambda: sha, replaced=previous is not None)
        frames = adapter.parse(path)
        return self.write_frames(adapter.name, frames, provenance=prov)

    def _ingest_sql(
        self, adapter: SourceAdapter, path: Path, prov: Provenance, sha256: Callable[[], str], *, replaced: bool
    ) -> IngestResult:
        self._check_no_collision(adapter.name, list(adapter.tables_for(prov.partition)), prov.partition)
        try:
            with self.transaction() as con:
                adapter.drop_partition(con, prov.partition)
                rows = adapter.write_sql(con, path, prov.partition)
                prov = replace(prov, sha256=sha256())
                self.record(prov, list(rows), sum(rows.values()))
                self.refresh_indicator_view()
        except duckdb.Error as exc:
            raise StoreError(f"loading {adapter.name} failed: {exc}", path=path,
                             hint="check that the file is the publisher's complete, unmodified download") from exc
        return IngestResult(prov.source, prov.partition, "replaced" if replaced else "loaded", rows, prov.sha256)

    def write_frames(
        self, source: str, frames: Mapping[str, Frame], *, provenance: Provenance
    ) -> IngestResult:
        """Replace ``provenance.partition`` of each table with ``frames``, in one transaction."""
        part = provenance.partition
        self._check_no_collision(source, list(frames), part)
        replaced = self.catalog_entry(source, part) is not None
        rows: dict[str, int] = {}
        try:
            with self.transaction():
                for name, frame in frames.items():
                    rows[name] = self._replace_partition(_check_ident(name), frame, part)
                self.record(provenance, list(rows), sum(rows.values()))
                self.refresh_indicator_view()
        except duckdb.Error as exc:
            raise StoreError(f"writing {source} failed: {exc}", path=provenance.path or None) from exc
        return IngestResult(source, part, "replaced" if replaced else "loaded", rows, provenance.sha256)

    def _check_no_collision(self, source: str, tables: list[str], partition: str) -> None:
        """Two sources must never own the same partition of one table: a replace would delete the other's rows."""
        clash = self.con.execute(
            f'SELECT source FROM {CATALOG} WHERE source <> ? AND "partition" = ? AND list_has_any(tables, ?)',
            [source, partition, tables],
        ).fetchone()
        if clash:
            raise StoreError(
                f"source {source!r} would overwrite partition {partition!r} that {clash[0]!r} loaded into {tables}",
                hint="give the adapter a partition key of its own (e.g. prefix it with the source name)",
            )

    def _replace_partition(self, name: str, frame: Frame, partition: str) -> int:
        self.con.register("_incoming", frame)
        try:
            exists = self.has_table(name)
            if exists:
                others = self.con.execute(
                    f"SELECT count(*) FROM {name} WHERE {PARTITION_COLUMN} <> ?", [partition]
                ).fetchone()
                if others and others[0] == 0:
                    exists = False  # sole partition: free to change schema
            if not exists:
                self.con.execute(
                    f"CREATE OR REPLACE TABLE {name} AS SELECT *, ?::VARCHAR AS {PARTITION_COLUMN} FROM _incoming",
                    [partition],
                )
            else:
                self.con.execute(f"DELETE FROM {name} WHERE {PARTITION_COLUMN} = ?", [partition])
                self.con.execute(
                    f"INSERT INTO {name} BY NAME SELECT *, ?::VARCHAR AS {PARTITION_COLUMN} FROM _incoming",
                    [partition],
                )
        finally:
            self.con.unregister("_incoming")
        return len(frame)

    def record(self, prov: Provenance, tables: list[str], rows: int) -> None:
        """Write ``prov`` to the catalog; call inside :meth:`transaction` with the data it describes."""
        self.con.execute(
            f'DELETE FROM {CATALOG} WHERE source = ? AND "partition" = ?', [prov.source, prov.partition]
        )
        self.con.execute(
            f"INSERT INTO {CATALOG} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                prov.source,
                prov.partition,
                prov.path,
                prov.sha256,
                prov.vintage,
                prov.licence,
                prov.publisher,
                sorted(tables),
                int(rows),
                datetime.now(UTC).replace(tzinfo=None),
                prov.origin,
            ],
        )

    def refresh_indicator_view(self) -> None:
        """``indicators``: every ``obs_*`` table stacked as (source, iso3, year, indicator, value)."""
        obs = [t for t in self.table_names() if t.startswith(OBS_PREFIX)]
        if not obs:
            self.con.execute(f"DROP VIEW IF EXISTS {INDICATOR_VIEW}")
            return
        parts = [
            f"SELECT '{t[len(OBS_PREFIX):]}' AS source, iso3, CAST(year AS INTEGER) AS year, "
            f"indicator, CAST(value AS DOUBLE) AS value FROM {t}"
            for t in obs
        ]
        self.con.execute(f"CREATE OR REPLACE VIEW {INDICATOR_VIEW} AS " + " UNION ALL ".join(parts))

    def drop_source(self, source: str) -> None:
        """Remove every partition a source loaded, and its catalog rows."""
        entries = self.catalog()
        entries = entries[entries["source"] == source]
        if entries.empty:
            raise StoreError(f"source {source!r} is not loaded", hint="see `cultrade sources`")
        from cultrade.sources.registry import drop_partition  # the adapter knows how (BACI: a table each)

        with self.transaction() as con:
            for _, entry in entries.iterrows():
                tables = [_check_ident(str(name)) for name in entry["tables"]]
                drop_partition(con, source, str(entry["partition"]), tables)
            self.con.execute(f"DELETE FROM {CATALOG} WHERE source = ?", [source])
            self.refresh_indicator_view()


def open_store(settings: Settings | None = None, *, read_only: bool = False) -> Store:
    """Open the store the settings point at."""
    return Store(settings=settings, read_only=read_only)


__all__ = ["IngestResult", "Provenance", "Store", "file_sha256", "open_store"]

"""Loading many files, and describing what the store holds.

>>> from cultrade.store import Store
>>> summary = summarise(Store(":memory:"))
>>> summary.sources, summary.rows
(0, 0)
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.sources.base import SourceAdapter
from cultrade.sources.registry import get_adapter
from cultrade.store import INDICATOR_VIEW, IngestResult, Store

Progress = Callable[[Path, IngestResult], None]


def expand_paths(adapter: SourceAdapter, paths: Iterable[str | Path]) -> list[Path]:
    """Files to load: each path as given, or the files in a directory matching the adapter's patterns."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            hits = sorted(
                p for p in path.rglob("*") if p.is_file() and any(fnmatch.fnmatch(p.name, pat) for pat in adapter.patterns)
            )
            if not hits:
                raise SourceFormatError(
                    f"no {adapter.name} files in the directory (looked for {', '.join(adapter.patterns)})",
                    path=path,
                    hint="pass the file itself, or a directory holding the publisher's files",
                )
            out.extend(hits)
        else:
            out.append(path)
    return out


def ingest_paths(
    store: Store, source: str, paths: Iterable[str | Path], *, progress: Progress | None = None
) -> list[IngestResult]:
    """Ingest each file with the ``source`` adapter; each file is its own transaction."""
    adapter = get_adapter(source)
    results = []
    for path in expand_paths(adapter, paths):
        result = store.ingest(adapter, path)
        results.append(result)
        if progress is not None:
            progress(path, result)
    return results


@dataclass
class Summary:
    """What the store holds, for people: sources, licences, countries, years, rows."""

    sources: int = 0
    rows: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    catalog: pd.DataFrame = field(default_factory=pd.DataFrame)
    indicator_coverage: pd.DataFrame = field(default_factory=pd.DataFrame)


def summarise(store: Store) -> Summary:
    """Row counts per table, the catalog, and per-source country/year coverage of the indicators."""
    catalog = store.catalog()
    tables = {t: store.row_count(t) for t in store.table_names()}
    coverage = pd.DataFrame(columns=["source", "indicators", "countries", "first_year", "last_year", "rows"])
    if INDICATOR_VIEW in _views(store):
        coverage = store.con.execute(
            f"""SELECT source, count(DISTINCT indicator) AS indicators, count(DISTINCT iso3) AS countries,
                       min(year) AS first_year, max(year) AS last_year, count(*) AS rows
                FROM {INDICATOR_VIEW} GROUP BY source ORDER BY source"""
        ).df()
    return Summary(
        sources=catalog["source"].nunique() if not catalog.empty else 0,
        rows=sum(tables.values()),
        tables=tables,
        catalog=catalog,
        indicator_coverage=coverage,
    )


def _views(store: Store) -> set[str]:
    rows = store.con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    return {r[0] for r in rows}


__all__ = ["Summary", "expand_paths", "ingest_paths", "summarise"]

"""The adapter registry: every module in ``cultrade.sources`` registers its adapters.

>>> "wgi" in available()
True
>>> get_adapter("nope")
Traceback (most recent call last):
...
cultrade.errors.UnknownSourceError: unknown source 'nope'. Fix: run `cultrade sources --available` to list the adapters
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
from pathlib import Path
from typing import TypeVar

import duckdb

from cultrade.errors import UnknownSourceError
from cultrade.sources.base import SourceAdapter, delete_partition_rows

_REGISTRY: dict[str, type[SourceAdapter]] = {}
_DISCOVERED = False
_NOT_ADAPTERS = {"base", "registry", "fetch", "snapshot", "loading", "baci_tables"}
A = TypeVar("A", bound=type[SourceAdapter])


def register(cls: A) -> A:
    """Class decorator: make an adapter available under ``cls.name``."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"two adapters are named {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def _discover() -> None:
    package = importlib.import_module("cultrade.sources")
    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in _NOT_ADAPTERS and not info.name.startswith("_"):
            importlib.import_module(f"cultrade.sources.{info.name}")


def available() -> dict[str, type[SourceAdapter]]:
    """Every adapter, by name."""
    global _DISCOVERED
    # A test or a user may import one adapter module first: discovery must still run once.
    if not _DISCOVERED:
        _discover()
        _DISCOVERED = True
    return dict(sorted(_REGISTRY.items()))


def get_adapter(name: str) -> SourceAdapter:
    """A fresh adapter instance for ``name``."""
    adapters = available()
    if name not in adapters:
        raise UnknownSourceError(f"unknown source {name!r}",
                                 hint="run `cultrade sources --available` to list the adapters")
    return adapters[name]()


def detect(path: str | Path) -> SourceAdapter:
    """The adapter whose publisher file-name pattern matches ``path``."""
    name = Path(path).name
    hits = [cls for cls in available().values() if any(fnmatch.fnmatch(name, p) for p in cls.patterns)]
    if len(hits) != 1:
        which = ", ".join(c.name for c in hits) or "none"
        raise UnknownSourceError(f"cannot tell which source {name!r} is (matches: {which})",
                                 path=path, hint="name the source: `cultrade ingest SOURCE PATH`")
    return hits[0]()


def drop_partition(con: duckdb.DuckDBPyConnection, source: str, partition: str, tables: list[str]) -> None:
    """Remove one catalogued partition of ``source`` (its ``tables``) inside the store's transaction: the
    adapter's way, or by deleting the partition's rows for a source without an adapter (derived data)."""
    cls = available().get(source)
    if cls is None:
        delete_partition_rows(con, tables, partition)
    else:
        cls().drop_partition(con, partition, tables)

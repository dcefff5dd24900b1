"""Trade data from the store in the standard shape the metrics expect.

Bilateral flows come from BACI (``baci_flows``, thousand USD) and are turned
into ``year, exporter, importer, hs6, value`` with value in USD. The cultural
mapping of each HS edition comes from :mod:`cultrade.classification`; editions
other than HS17/HS22 go through the ``hs_concordance`` table when it is loaded.

>>> m = cultural_mapping("HS17", "unctad")
>>> sorted(m.columns), bool(m.loc[m.hs6 == "950450", "digital"].iloc[0])
(['digital', 'domain', 'hs6', 'role'], True)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import ibis.expr.types as ir
import pandas as pd

from cultrade.classification import check_scheme, goods_table
from cultrade.classification.options import check_role
from cultrade.errors import ConfigError, StoreError
from cultrade.store import CATALOG, Store

DIRECT_EDITIONS = ("HS17", "HS22")


def cultural_mapping(edition: str, scheme: str = "unctad", *, role: str | None = None,
                     concordance: pd.DataFrame | None = None) -> pd.DataFrame:
    """hs6 → domain, digital, role for one scheme and HS edition (one row per code and domain)."""
    if concordance is None:
        return _direct_mapping(edition, scheme, role).copy()
    return _build_mapping(edition, scheme, role, concordance)


@lru_cache(maxsize=32)
def _direct_mapping(edition: str, scheme: str, role: str | None) -> pd.DataFrame:
    # The shipped reference table never changes within a process: build each mapping once.
    return _build_mapping(edition, scheme, role, None)


def _build_mapping(edition: str, scheme: str, role: str | None, concordance: pd.DataFrame | None) -> pd.DataFrame:
    scheme_ = check_scheme(scheme)
    if role is not None:
        role = check_role(role)
    table = goods_table(edition, scheme_, role=role, concordance=concordance)
    out = pd.DataFrame({
        "hs6": table["hs_code"].astype(str),
        "domain": table["domain"].astype(str),
        "digital": table["medium"] == "digital",
        "role": table["role"].astype(str),
    }).drop_duplicates(["hs6", "domain"])
    return out.reset_index(drop=True)


def _concordance(store: Store) -> pd.DataFrame | None:
    return store.frame("hs_concordance") if store.has_table("hs_concordance") else None


def bilateral_flows(store: Store, years: Sequence[int] | None = None) -> ir.Table:
    """BACI flows as ``year, exporter, importer, hs6, hs_edition, value`` (USD)."""
    if not store.has_table("baci_flows"):
        raise StoreError("no bilateral flows are loaded (table baci_flows)",
                         hint="load a BACI year with `cultrade ingest baci BACI_HS17_Y2022_V202401.csv`")
    t = store.table("baci_flows")
    if years is not None:
        t = t.filter(t.year.isin(list(years)))
    return t.select(year=t.year.cast("int32"), exporter=t.exporter, importer=t.importer, hs6=t.hs6,
                    hs_edition=t.hs_edition, value=t.value_kusd * 1000.0)


def _editions(store: Store, years: Sequence[int] | None) -> list[str]:
    """HS editions present, from the catalog's BACI partitions ("HS17-2022"): no scan of the flows."""
    rows = store.con.execute(f"SELECT \"partition\" FROM {CATALOG} WHERE source = 'baci'").fetchall()
    pairs = [str(r[0]).split("-", 1) for r in rows if "-" in str(r[0])]
    return sorted({ed for ed, yr in pairs if years is None or int(yr) in set(years)})


def classified_flows(store: Store, scheme: str = "unctad", *, years: Sequence[int] | None = None,
                     role: str | None = "core") -> ir.Table:
    """Cultural bilateral flows with domain and digital flag, each HS edition mapped on its own.

    The mapping is joined to the raw BACI columns and the USD conversion comes
    after the join: a computed column below a join stops DuckDB from joining the
    small mapping to the product lookup first, which costs a factor of two on a
    full year (measured in benchmarks/bench_trade.py). The expression is kept until
    the store's next write (:meth:`Store.memo`): building it reads the catalog,
    registers the mapping and costs ~7 ms, against ~50 ms for the query on a full year.
    """
    key = ("classified_flows", scheme, tuple(years) if years is not None else None, role)
    return store.memo(key, lambda: _classified_flows(store, scheme, years, role))


def _classified_flows(store: Store, scheme: str, years: Sequence[int] | None, role: str | None) -> ir.Table:
    editions = _editions(store, years)
    if not editions:
        raise StoreError(f"no BACI flows are loaded{f' for years {list(years)}' if years else ''}",
                         hint="load a BACI year with `cultrade ingest baci BACI_HS17_Y2022_V202401.csv`")
    raw = store.table("baci_flows")
    if years is not None:
        raw = raw.filter(raw.year.isin(list(years)))
    parts = []
    for edition in editions:
        concordance = None if edition in DIRECT_EDITIONS else _concordance(store)
        if edition not in DIRECT_EDITIONS and concordance is None:
            raise ConfigError(f"BACI flows in {edition} need the HS concordance to be classified",
                              hint="run `cultrade init` (bundles it) or ingest hs_concordance")
        # A view registered on the store's connection: cheaper per query than an Ibis memtable.
        name = f"_cultural_map_{edition}_{scheme}_{role or 'all'}".lower()
        mapping = store.register_frame(
            name, cultural_mapping(edition, scheme, role=role, concordance=concordance)[["hs6", "domain", "digital"]])
        part = raw if len(editions) == 1 else raw.filter(raw.hs_edition == edition)
        j = part.join(mapping, part.hs6 == mapping.hs6)
        parts.append(j.select(year=j.year.cast("int32"), exporter=j.exporter, importer=j.importer,
                              domain=j.domain, digital=j.digital, value=j.value_kusd * 1000.0))
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p)
    return out


__all__ = ["bilateral_flows", "classified_flows", "cultural_mapping"]

"""Where BACI flows live: one base table per partition, a hidden list of them, and the ``baci_flows`` view.

A partition is one HS edition and year (``HS17-2022``, from the file name) and owns one table,
``baci_hs17_2022``, holding BACI's numbers only: exporter_code and importer_code (SMALLINT BACI codes),
product_code (INTEGER, ``9999AA`` stored as -1), value_kusd and quantity_t (DOUBLE). Year, edition and
partition are the same on every row of a file, so no row stores them: writing them as two constant text
columns cost 0.7 s of a 3.5 s load of 11 M rows. The hidden table ``_baci_partitions`` lists each table
with its partition, year and edition, and :data:`FLOWS` adds them back as literals. Replacing or dropping a
partition is a ``DROP TABLE`` and a rebuild of the view, inside the store's transaction.

:data:`FLOWS` is what downstream code reads, with the columns year, hs_edition, exporter, importer (ISO3),
hs6 (six-character text), value_kusd, quantity_t and _partition. ISO3 and hs6 come from two small hidden
lookups: ``_baci_iso3`` (BACI code -> ISO3, countries only, so a row of a residual area in
:data:`NOT_COUNTRIES` could never show) and ``_baci_hs6`` (product code -> text, the codes loaded so far).
When no partition is left, the view is dropped: "no BACI loaded" looks the same as before any load.

>>> import duckdb
>>> con = duckdb.connect()
>>> create_table(con, "HS17-2022")
'baci_hs17_2022'
>>> _ = con.execute("INSERT INTO baci_hs17_2022 VALUES (251, 842, 970110, 5.0, NULL), (697, 842, 10121, 1.0, 2.0)")
>>> add_partition(con, "HS17-2022")
>>> refresh_view(con)
>>> con.execute("SELECT year, hs_edition, exporter, importer, hs6, _partition FROM baci_flows").fetchall()
[(2022, 'HS17', 'FRA', 'USA', '970110', 'HS17-2022')]
>>> drop_partition(con, "HS17-2022")
>>> con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'baci_%'").fetchone()
(0,)
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import duckdb
import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import StoreError

#: BACI codes for residual groups rather than countries: their rows are dropped.
NOT_COUNTRIES = {697: "Europe EFTA, nes", 849: "US Misc. Pacific Islands"}
#: Codes of older BACI releases that BACI's own country lists (V202001, V202201) give an ISO3 for.
BACI_EXTRA = {381: "ITA", 711: "ZAF"}
#: BACI's code for "commodities not specified according to kind" in the HS92 product list (stored as -1).
UNSPECIFIED = "9999AA"
#: The view downstream code reads.
FLOWS = "baci_flows"
PARTITIONS = "_baci_partitions"
_ISO3, _HS6_TABLE = "_baci_iso3", "_baci_hs6"  # hidden lookups: BACI code -> ISO3, product code -> hs6
_COMPACT = "baci_flows_compact"  # the single table of the previous layout, behind the view
_CATALOG = "_catalog"  # cultrade.store.CATALOG; not imported, the store imports the adapters lazily
_KEY = re.compile(r"(HS\d\d)-(\d{4})")
_DDL = ("(exporter_code SMALLINT, importer_code SMALLINT, product_code INTEGER NOT NULL, "
        "value_kusd DOUBLE NOT NULL, quantity_t DOUBLE)")
_HS6_TEXT = f"CASE WHEN p = -1 THEN '{UNSPECIFIED}' ELSE lpad(CAST(p AS VARCHAR), 6, '0') END"


def code_table() -> pd.DataFrame:
    """BACI numeric code -> ISO3 (``None`` for :data:`NOT_COUNTRIES`), one row per code.

    >>> t = code_table().set_index("code")
    >>> t.loc[842, "iso3"], t.loc[251, "iso3"], bool(pd.isna(t.loc[697, "iso3"]))
    ('USA', 'FRA', True)
    """
    rows: dict[int, str | None] = {}
    for iso3, cell in get_countries().table[["iso3", "baci"]].itertuples(index=False):
        for text in filter(None, str(cell).split("|")):
            rows.setdefault(int(text), iso3)
    for extra, iso3 in BACI_EXTRA.items():
        rows.setdefault(extra, iso3)
    rows.update(dict.fromkeys(NOT_COUNTRIES))
    return pd.DataFrame({"code": list(rows), "iso3": list(rows.values())}).astype({"code": "int32"})


@cache
def known_codes() -> dict[int, str]:
    """BACI code -> ISO3, countries only (one shared dict: do not modify it).

    >>> known_codes()[757], 697 in known_codes()
    ('CHE', False)
    """
    return {int(c): str(iso) for c, iso in code_table().itertuples(index=False) if isinstance(iso, str) and iso}


def split(partition: str) -> tuple[str, int]:
    """The edition and year of a partition key.

    >>> split("HS92-1995")
    ('HS92', 1995)
    """
    match = _KEY.fullmatch(partition)
    if not match:
        raise StoreError(f"BACI partition {partition!r} is not an HS edition and a year",
                         hint="BACI partitions are named like HS17-2022, as the file name gives them")
    return match.group(1), int(match.group(2))


def table_name(partition: str) -> str:
    """The table holding ``partition``'s rows (lower case, a valid identifier by construction)."""
    edition, year = split(partition)
    return f"baci_{edition.lower()}_{year}"


def _kind(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    row = con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' "
                      "AND table_name = ?", [name]).fetchone()
    return str(row[0]) if row else None


def create_table(con: duckdb.DuckDBPyConnection, partition: str) -> str:
    """An empty table for ``partition``, replacing any; its NOT NULL and CHECK are how the loader refuses rows."""
    name = table_name(partition)
    con.execute(f"CREATE OR REPLACE TABLE {name} {_DDL}")
    return name


def add_partition(con: duckdb.DuckDBPyConnection, partition: str) -> None:
    """List ``partition`` (whose table exists) in the hidden partitions table; call :func:`refresh_view` next."""
    edition, year = split(partition)
    con.execute(f'CREATE TABLE IF NOT EXISTS {PARTITIONS} (table_name VARCHAR, "partition" VARCHAR, '
                "year SMALLINT, hs_edition VARCHAR)")
    con.execute(f'DELETE FROM {PARTITIONS} WHERE "partition" = ?', [partition])
    con.execute(f"INSERT INTO {PARTITIONS} VALUES (?, ?, ?, ?)", [table_name(partition), partition, year, edition])


def partitions(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, str]]:
    """(table, partition, year, edition) of every loaded partition, by partition."""
    if _kind(con, PARTITIONS) is None:
        return []
    rows = con.execute(f'SELECT table_name, "partition", year, hs_edition FROM {PARTITIONS} ORDER BY 2').fetchall()
    return [(str(t), str(p), int(y), str(e)) for t, p, y, e in rows]


def drop_partition(con: duckdb.DuckDBPyConnection, partition: str) -> None:
    """Remove ``partition``'s table and list entry and rebuild the view (nothing to do if it is not loaded)."""
    migrate(con)
    name = table_name(partition)
    if _kind(con, name) is None and partition not in {p for _, p, _, _ in partitions(con)}:
        return  # a first load: the view stays as it is
    con.execute(f"DROP TABLE IF EXISTS {name}")
    con.execute(f'DELETE FROM {PARTITIONS} WHERE "partition" = ?', [partition])
    refresh_view(con, [])


def refresh_view(con: duckdb.DuckDBPyConnection, products: list[int] | None = None) -> None:
    """(Re)build the lookups and :data:`FLOWS` over the listed partitions; ``products``: the new codes, else
    every table's. The constants sit inside the UNION ALL, so a filter on year or partition prunes tables."""
    parts = partitions(con)
    if not parts:
        if _kind(con, FLOWS) == "VIEW":
            con.execute(f"DROP VIEW {FLOWS}")
        return
    codes = list(known_codes().items())
    con.execute(f"CREATE OR REPLACE TABLE {_ISO3} AS SELECT c[1]::SMALLINT AS code, c[2] AS iso3 "
                "FROM unnest($c::VARCHAR[][]) AS u(c)", {"c": [[str(c), iso] for c, iso in codes]})
    con.execute(f"CREATE TABLE IF NOT EXISTS {_HS6_TABLE} (product_code INTEGER PRIMARY KEY, hs6 VARCHAR)")
    if products is None:
        source = " UNION ".join(f"SELECT DISTINCT product_code AS p FROM {t}" for t, _, _, _ in parts)
    else:
        source = "SELECT unnest($p::INTEGER[]) AS p"
    con.execute(f"INSERT OR IGNORE INTO {_HS6_TABLE} SELECT p, {_HS6_TEXT} FROM ({source})",
                {"p": products} if products is not None else None)
    # Partition keys and editions match _KEY, so they are safe as literals.
    branches = " UNION ALL ".join(
        f"SELECT {year}::SMALLINT AS year, '{edition}' AS hs_edition, exporter_code, importer_code, product_code, "
        f"value_kusd, quantity_t, '{partition}' AS _partition FROM {table}"
        for table, partition, year, edition in parts)
    con.execute(f"""CREATE OR REPLACE VIEW {FLOWS} AS
SELECT f.year, f.hs_edition, e.iso3 AS exporter, m.iso3 AS importer, p.hs6, f.value_kusd, f.quantity_t, f._partition
FROM ({branches}) AS f
     JOIN {_ISO3} AS e ON e.code = f.exporter_code JOIN {_ISO3} AS m ON m.code = f.importer_code
     JOIN {_HS6_TABLE} AS p ON p.product_code = f.product_code""")


def _split_rows(con: duckdb.DuckDBPyConnection, old: str, columns: str, params: dict[str, Any]) -> None:
    for (partition,) in con.execute(f"SELECT DISTINCT _partition FROM {old} ORDER BY 1").fetchall():
        name = create_table(con, str(partition))
        con.execute(f"INSERT INTO {name} SELECT {columns} FROM {old} WHERE _partition = $partition",
                    {**params, "partition": partition})
        add_partition(con, str(partition))
    con.execute(f"DROP TABLE {old}")


def needs_migration(con: duckdb.DuckDBPyConnection) -> bool:
    """Does the store hold BACI rows in an older layout (see :func:`migrate`)?"""
    return _kind(con, FLOWS) == "BASE TABLE" or _kind(con, _COMPACT) is not None


def migrate(con: duckdb.DuckDBPyConnection) -> bool:
    """Move an older store's BACI rows into per-partition tables; True if there were any.

    Two layouts came before: ``baci_flows`` a base table of text (ISO3 and hs6; each ISO3 takes back its
    lowest BACI code, which the view maps to the same ISO3), and ``baci_flows_compact``, one table of codes
    for every partition behind the view. The catalog's table lists follow in the same transaction, so that
    replacing or dropping those partitions works as for new ones.
    """
    if not needs_migration(con):
        return False
    if _kind(con, FLOWS) == "BASE TABLE":
        first = {iso: code for code, iso in sorted(known_codes().items(), reverse=True)}
        _split_rows(con, FLOWS, f"""map_extract_value(MAP($iso, $code), exporter),
                    map_extract_value(MAP($iso, $code), importer),
                    CASE WHEN hs6 = '{UNSPECIFIED}' THEN -1 ELSE CAST(hs6 AS INTEGER) END, value_kusd, quantity_t""",
                    {"iso": list(first), "code": list(first.values())})
    if _kind(con, _COMPACT) is not None:
        if _kind(con, FLOWS) == "VIEW":
            con.execute(f"DROP VIEW {FLOWS}")  # it reads the old table; rebuilt below
        _split_rows(con, _COMPACT, "exporter_code, importer_code, product_code, value_kusd, quantity_t", {})
    old = [FLOWS, _COMPACT]
    for partition, tables in con.execute(f'SELECT "partition", tables FROM {_CATALOG} WHERE source = \'baci\' '
                                         "AND list_has_any(tables, ?)", [old]).fetchall():
        new = sorted({table_name(partition) if t in old else t for t in tables})
        con.execute(f'UPDATE {_CATALOG} SET tables = ? WHERE source = \'baci\' AND "partition" = ?', [new, partition])
    refresh_view(con)
    return True


__all__ = ["BACI_EXTRA", "FLOWS", "NOT_COUNTRIES", "PARTITIONS", "UNSPECIFIED", "add_partition", "code_table",
           "create_table", "drop_partition", "known_codes", "migrate", "needs_migration", "partitions",
           "refresh_view", "split", "table_name"]

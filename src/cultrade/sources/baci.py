"""CEPII BACI: bilateral trade by HS6 product (its reference files: :mod:`cultrade.sources.baci_refs`).

A BACI file (``BACI_HS17_Y2022_V202401.csv``) has one row per year ``t``,
exporter ``i``, importer ``j`` and product ``k``: value ``v`` in thousand USD
and quantity ``q`` in metric tonnes (``NA`` when unknown, right-aligned with
spaces). Exporters and importers are BACI's numeric codes, mostly UN M49 with
BACI's own variants (251 France, 757 Switzerland, 842 USA, 490 Taiwan). The HS
edition and the year come from the file name. A full year is about 11 million
rows, so DuckDB reads the file directly inside the store's transaction; no
pandas. Files written from numeric columns lose the leading zero of chapters
01-09 (``10121`` for ``010121``); codes are stored as integers and shown padded.
Every product code must be in BACI's product list of the file's HS edition
(bundled: ``data/baci_hs6_codes.csv``, from ``product_codes_HS??_V202401.csv``).

Storage (:mod:`cultrade.sources.baci_tables`): each partition (``HS17-2022``) is its own table,
``baci_hs17_2022``, of BACI's numeric codes (SMALLINT countries, INTEGER product, DOUBLE value and
quantity); year, edition and partition are not stored per row. :data:`FLOWS` is a view over all of them with
ISO3 and six-character HS6 text, joined from two small hidden lookup tables, and the constants added back; it
has the columns year, hs_edition, exporter, importer, hs6, value_kusd, quantity_t, _partition. Replacing a
file drops and rewrites its partition's table only, in the store's transaction.

Checks happen where they cost least: the insert's NOT NULL constraints refuse a wrong year and a
non-canonical product code (a NULL product), a missing, negative or non-finite value and a quantity that is
neither NA nor a number >= 0 (a NULL value); after it, grouping the new table by each code column gives the
distinct countries and products, checked against the code table and the edition's product list, and one
streaming pass finds duplicate keys. Any failure re-reads the file to name the first offending line.

Rows whose partner is one of :data:`NOT_COUNTRIES` are not loaded (BACI's "nes"
residuals are not countries). Any other code without an ISO3 is an error.

>>> adapter = BACI()
>>> path = Path("BACI_HS17_Y2022_V202401.csv")
>>> adapter.partition(path), adapter.vintage(path)
('HS17-2022', 'V202401')
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from cultrade.errors import SourceFormatError, StoreError, UnknownCountryError
from cultrade.sources.baci_tables import (
    FLOWS,
    NOT_COUNTRIES,
    UNSPECIFIED,
    add_partition,
    create_table,
    drop_partition,
    known_codes,
    migrate,
    refresh_view,
    table_name,
)
from cultrade.sources.base import SourceAdapter, duckdb_csv_error
from cultrade.sources.registry import register

COLUMNS = ("t", "i", "j", "k", "v", "q")
EDITIONS = ("HS92", "HS96", "HS02", "HS07", "HS12", "HS17", "HS22")
HOMEPAGE = "http://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37"
LICENCE = "Etalab 2.0"
PUBLISHER = "CEPII (Gaulier & Zignago)"
_NAME = re.compile(r"BACI_(HS\d\d)_Y(\d{4})_(V\d{6})", re.IGNORECASE)
# k is read as text, so that only canonical codes pass: DuckDB's INTEGER reader would take '30043.1' as 30043,
# '0300431' as 300431, '+300431' or ' 300431' as 300431 and '3e5' as 300000 (see _PRODUCT).
# q is read as text too: its NA is right-aligned with spaces, and listing each padded spelling as a null string
# made the reader test every field of every column against 25 strings (0.6 s of a 2.8 s insert of 11 M rows).
_TYPES = {"t": "SMALLINT", "i": "SMALLINT", "j": "SMALLINT", "k": "VARCHAR", "v": "DOUBLE", "q": "VARCHAR"}
_NULLS = ["", "NA"]
# k as text -> product code: five or six digits, read as an integer; 9999AA is -1; anything else is NULL. The
# digits test is a regular expression because a cheaper shape test (byte length and first byte) let '2716e2',
# '0x5014' and '10121 ' through as the valid 271600, 020500 and 010121; it costs ~0.35 s CPU per 11 M rows
# (~0.15 s wall). The code must then be in the edition's product list (_edition_codes).
_K_SHAPE = f"regexp_full_match(r.k, '[0-9]{{5,6}}|{UNSPECIFIED}')"
_K_CODE = f"coalesce(TRY_CAST(r.k AS INTEGER), CASE WHEN r.k = '{UNSPECIFIED}' THEN -1 END)"
_PRODUCT = f"CASE WHEN {_K_SHAPE} THEN {_K_CODE} END"
_BAD_VALUE = "r.v IS NULL OR NOT isfinite(r.v) OR r.v < 0"
# qd is q as a number, NULL for NA and for text that is no number (see _rows). A quantity is fine if it is NA or
# a finite number >= 0. Written as nested CASEs, the text test runs on the few rows without a number: the same
# test as ORs of TRY_CASTs cost 0.5 s per 11 M rows, this one 0.1 s.
_Q_OK = "CASE WHEN r.q IS NULL THEN true WHEN r.qd IS NULL THEN ltrim(r.q) = 'NA' ELSE r.qd >= 0 AND isfinite(r.qd) END"
_KEEP = "NOT coalesce(r.i IN ({0}) OR r.j IN ({0}), false)".format(", ".join(str(c) for c in NOT_COUNTRIES))
#: BACI's product lists (product_codes_HS??_V202401.csv), bundled as ``edition,code`` lines.
_CODES_FILE = "baci_hs6_codes.csv"
# Injective once codes are known (< 1000) and products valid: (exporter, importer, product) as one BIGINT.
_KEY = "((exporter_code::BIGINT * 1000 + importer_code) * 1000001 + product_code + 1)"
_GET_HINT = "download the file again from CEPII; BACI files are plain UTF-8 CSV with the header t,i,j,k,v,q"
# Check -> (message, hint), keyed by the column it names ("q?": a quantity that is no number).
_CHECKS = {
    "t": ("the year differs from Y{year} in the file name", "keep one year per file, named as CEPII names it"),
    "v": ("the value is missing or negative", "v is in thousand USD and never negative; correct the cell"),
    "q": ("the quantity is negative or not finite", "q is in tonnes, never negative; write NA when unknown"),
    "q?": ("the quantity is not a number", "q is in tonnes, or NA when unknown; correct the cell"),
    "k": ("the product code is not an HS6 code of {edition}",
          "k is a six-digit code of BACI's {edition} product list (chapters 01-09 may lose their zero)"),
}


@cache
def _edition_codes() -> dict[str, frozenset[int]]:
    """Edition -> the product codes of BACI's product list for it, as stored (``9999AA`` is -1).

    >>> codes = _edition_codes()
    >>> 970110 in codes["HS17"], 10121 in codes["HS17"], 10121 in codes["HS92"], -1 in codes["HS92"]
    (True, True, False, True)
    """
    text = resources.files("cultrade.sources").joinpath("data", _CODES_FILE).read_text(encoding="ascii")
    out: dict[str, set[int]] = {edition: set() for edition in EDITIONS}
    for line in text.splitlines()[1:]:
        edition, code = line.split(",")
        out[edition].add(-1 if code == UNSPECIFIED else int(code))
    return {edition: frozenset(codes) for edition, codes in out.items()}


def _load_lookups() -> None:
    known_codes()
    _edition_codes()


def _parts(path: Path) -> tuple[str, int, str]:
    match = _NAME.search(path.name)
    if not match or match.group(1).upper() not in EDITIONS:
        raise SourceFormatError(
            "cannot read the HS edition and year from the file name", path=path,
            hint="keep CEPII's file name, e.g. BACI_HS17_Y2022_V202401.csv (editions HS92..HS22)")
    return match.group(1).upper(), int(match.group(2)), match.group(3).upper()


def check_header(head: bytes, path: Path) -> None:
    """Refuse a file whose first bytes ``head`` are not BACI's header line ``t,i,j,k,v,q``.

    >>> check_header(b"\\xef\\xbb\\xbft,i,j,k,v,q\\r\\n2022,4,8,10121,1.5,NA", Path("b.csv"))
    >>> check_header(b"\\xef\\xbb\\xbf", Path("b.csv"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cultrade.errors.SourceFormatError: b.csv: the file is empty. Fix: download the file again from CEPII; ...
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise SourceFormatError("the file is UTF-16, not UTF-8", path=path, row=1, hint=_GET_HINT)
    first = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    if not head.removeprefix(b"\xef\xbb\xbf").strip():
        raise SourceFormatError("the file is empty", path=path, hint=_GET_HINT)
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"the file is not valid UTF-8 ({exc.reason})", path=path, row=1,
                                hint=_GET_HINT) from exc
    found = tuple(c.strip().strip('"').strip() for c in text.split(","))
    if found != COLUMNS:
        raise SourceFormatError(f"the header is {','.join(found)[:80]!r}, expected 't,i,j,k,v,q'", path=path,
                                row=1, hint="this is not a BACI file; " + _GET_HINT)


def _check_header(path: Path) -> None:
    with open(path, "rb") as fh:
        check_header(fh.read(4096), path)


def _scan(path: Path) -> str:
    """read_csv with every option fixed: no sniffing, so malformed rows fail instead of being guessed."""
    types = ", ".join(f"'{c}': '{t}'" for c, t in _TYPES.items())
    quoted = str(path).replace("'", "''")
    return (f"read_csv('{quoted}', columns={{{types}}}, header=true, delim=',', quote='\"', escape='\"', "
            f"auto_detect=false, strict_mode=true, encoding='utf-8', nullstr={_NULLS})")


def _rows(path: Path, ordinality: str = "") -> str:
    """The file's rows with ``qd``, q as a number. Selected beside the text q, the cast stays in SQL: alone, DuckDB
    pushes a TRY_CAST of a CSV column into the reader, which then fails on the padded NA."""
    return f"(SELECT *, TRY_CAST(q AS DOUBLE) AS qd FROM {_scan(path)} {ordinality})"


def _first_line(con: duckdb.DuckDBPyConnection, path: Path, where: str, offset: int = 0,
                params: dict[str, Any] | None = None, columns: str = "") -> tuple[int, dict[str, Any]]:
    """The file line number and values (and ``columns``) of the first row matching ``where`` (error path only)."""
    cur = con.execute(f"SELECT ordinality + 1 AS line, *{columns} FROM {_rows(path, 'WITH ORDINALITY')} AS r "
                      f"WHERE {where} ORDER BY ordinality LIMIT 1 OFFSET {offset}", params)
    row = cur.fetchone()
    if row is None:
        return 0, {}
    names = [d[0] for d in cur.description]
    return int(row[0]), dict(zip(names[1:], row[1:], strict=False))



def _check_error(path: Path, column: str, line: int, row: dict[str, Any], edition: str,
                 year: int = 0) -> SourceFormatError:
    message, hint = _CHECKS[column]
    column = column.rstrip("?")
    return SourceFormatError(f"{message.format(year=year, edition=edition)} ({row.get(column)!r})", path=path,
                             row=line or None, column=column, hint=hint.format(edition=edition))

@register
class BACI(SourceAdapter):
    name = "baci"
    title = "BACI: international trade by HS6 product"
    publisher = PUBLISHER
    licence = LICENCE
    bundle = True
    homepage = HOMEPAGE
    tables = (FLOWS,)  # what users read; the rows are in one table per partition (tables_for)
    patterns = ("BACI_HS??_Y????_V*.csv",)
    writes_sql = True

    def partition(self, path: Path) -> str:
        edition, year, _ = _parts(path)
        return f"{edition}-{year}"

    def vintage(self, path: Path) -> str:
        return _parts(path)[2]

    def tables_for(self, partition: str) -> tuple[str, ...]:
        return (table_name(partition),)

    def drop_partition(self, con: duckdb.DuckDBPyConnection, partition: str,
                       tables: Sequence[str] | None = None) -> None:
        drop_partition(con, partition)

    def write_sql(self, con: duckdb.DuckDBPyConnection, path: Path, partition: str) -> dict[str, int]:
        edition, year, _ = _parts(path)
        if partition != f"{edition}-{year}":
            raise StoreError(f"partition {partition!r} does not match the file's edition and year",
                             path=path, hint=f"load this file as partition {edition}-{year} (the default)")
        _check_header(path)
        migrate(con)
        table = create_table(con, partition)
        # The checks' Python lookups (~0.05 s on first use) load while DuckDB reads the file without the GIL.
        threading.Thread(target=_load_lookups, name="baci-lookups").start()
        # Rows stay in file order, so that the duplicate check is one streaming pass (see _check_unique).
        ordered = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
        if not (ordered and ordered[0]):
            con.execute("SET preserve_insertion_order = true")
        try:
            # Only numbers are written; ISO3 and hs6 text come from the view's lookups. A wrong year or a
            # non-canonical product code yields a NULL product, a bad value or quantity a NULL value, and the
            # table's NOT NULL refuses them: no scan afterwards.
            try:
                inserted = con.execute(
                    f"""INSERT INTO {table}
                    SELECT r.i, r.j, CASE WHEN r.t = {year} AND {_K_SHAPE} THEN {_K_CODE} END,
                           CASE WHEN r.v >= 0 AND isfinite(r.v) AND {_Q_OK} THEN r.v END, r.qd
                    FROM {_rows(path)} AS r WHERE {_KEEP}""").fetchone()
            except duckdb.ConstraintException:
                raise self._refused_row(con, path, edition, year) from None
            total = int(inserted[0]) if inserted else 0
            products = self._validate(con, path, table, edition, total)
        except duckdb.OutOfMemoryException as exc:
            raise StoreError(f"DuckDB ran out of memory loading {path.name}", path=path,
                             hint="raise CULTRADE_DUCKDB_MEMORY_LIMIT or lower CULTRADE_DUCKDB_THREADS") from exc
        except duckdb.Error as exc:
            raise duckdb_csv_error(exc, path, hint=_GET_HINT, columns=COLUMNS) from exc
        finally:
            if not (ordered and ordered[0]):
                # A global setting: a second connection restores it even when this transaction is aborted.
                with con.cursor() as cur:
                    cur.execute("SET preserve_insertion_order = false")
        add_partition(con, partition)
        refresh_view(con, products)
        return {table: total}

    def _refused_row(self, con: duckdb.DuckDBPyConnection, path: Path, edition: str,
                     year: int) -> SourceFormatError:
        """The error for the first row the insert refused: which check, on which line."""
        checks = {"t": f"r.t IS DISTINCT FROM {year}", "v": _BAD_VALUE,
                  "q": "coalesce(r.qd < 0 OR NOT isfinite(r.qd), false)",
                  "q?": "r.q IS NOT NULL AND r.qd IS NULL AND ltrim(r.q) <> 'NA'", "k": f"({_PRODUCT}) IS NULL"}
        flags = "".join(f", {where} AS \"bad {name}\"" for name, where in checks.items())
        # The failed insert aborted the store's transaction; a second connection still reads the file.
        with con.cursor() as cur:
            line, row = _first_line(cur, path, f"({_KEEP}) AND ({' OR '.join(checks.values())})", columns=flags)
        name = next((n for n in checks if row.get(f"bad {n}")), "k")
        return _check_error(path, name, line, row, edition, year)

    def _validate(self, con: duckdb.DuckDBPyConnection, path: Path, table: str, edition: str,
                  total: int) -> list[int]:
        """The checks left after the insert; a failure re-reads the file to name the line.

        The distinct countries and products of the new table (at most a few thousand) must all be known: a set
        difference instead of a semi-join of every row. Grouping by one small integer column at a time lets
        DuckDB use perfect hashing: 0.05 s for 11 M rows against 0.12 s for three ``list(DISTINCT ...)``.
        """
        found: tuple[set[int], set[int], set[int]] = (set(), set(), set())
        for which, code in con.execute(
                f"SELECT 0, exporter_code FROM {table} GROUP BY ALL UNION ALL SELECT 1, importer_code FROM {table} "
                f"GROUP BY ALL UNION ALL SELECT 2, product_code FROM {table} GROUP BY ALL").fetchall():
            found[which].add(code)
        exporters, importers, products = found
        if total == 0:
            raise SourceFormatError("the file has a header but no data rows", path=path, hint=_GET_HINT)
        if not exporters | importers <= known_codes().keys():
            self._unknown_country(con, path)
        valid = _edition_codes()[edition]
        if not products <= valid:
            line, row = _first_line(con, path, f"({_KEEP}) AND NOT coalesce(list_contains($valid, {_PRODUCT}), false)",
                                    params={"valid": sorted(valid)})
            raise _check_error(path, "k", line, row, edition)
        self._check_unique(con, path, table, total)
        return [int(p) for p in products]

    def _unknown_country(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        known = known_codes().keys() | NOT_COUNTRIES.keys()
        codes = ", ".join(str(c) for c in sorted(known))
        line, row = _first_line(con, path, f"i IS NULL OR j IS NULL OR i NOT IN ({codes}) OR j NOT IN ({codes})")
        column = "i" if row.get("i") not in known else "j"
        if row.get(column) is None:
            raise SourceFormatError(f"the {'exporter' if column == 'i' else 'importer'} code is missing", path=path,
                                    row=line or None, column=column, hint="every BACI row names both countries")
        raise UnknownCountryError(row[column], scheme="baci", path=path, row=line or None, column=column)

    def _check_unique(self, con: duckdb.DuckDBPyConnection, path: Path, table: str, total: int) -> None:
        """No (i, j, k) twice. BACI files are sorted by key: if the keys strictly increase in load order, they
        are distinct (one streaming pass); otherwise count them exactly, and name the lines of a duplicate."""
        firsts, rising = con.execute(
            f"SELECT count(*) FILTER (prev IS NULL), count(*) FILTER (key > prev) FROM (SELECT key, "
            f"lag(key) OVER () AS prev FROM (SELECT {_KEY} AS key FROM {table}))").fetchone() or (0, 0)
        if firsts == 1 and rising == total - 1:
            return
        dup = con.execute(f"SELECT exporter_code, importer_code, product_code FROM {table} "
                          "GROUP BY ALL HAVING count(*) > 1 LIMIT 1").fetchone()
        if dup is None:
            return
        i, j, k = dup
        known = known_codes()
        hs6 = UNSPECIFIED if k == -1 else f"{k:06d}"
        where = f"r.i = {i} AND r.j = {j} AND ({_PRODUCT}) = {k}"
        first, _ = _first_line(con, path, where)
        second, _ = _first_line(con, path, where, offset=1)
        raise SourceFormatError(
            f"duplicate key exporter={known[i]}, importer={known[j]}, hs6={hs6} (first on line {first})",
            path=path, row=second or None, column="t,i,j,k",
            hint="each (t, i, j, k) appears once in BACI; remove the repeated row")

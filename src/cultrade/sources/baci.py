"""CEPII BACI: bilateral trade by HS6 product, and its reference files.

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

Storage: :data:`COMPACT` (a partitioned base table) keeps BACI's numeric codes
(SMALLINT countries, INTEGER product), so a year loads about as fast as DuckDB
reads the file. :data:`FLOWS` is a view over it with ISO3 and six-character
HS6 text, joined from two small hidden lookup tables; it has the columns year,
hs_edition, exporter, importer, hs6, value_kusd, quantity_t, _partition.

Rows whose partner is one of :data:`NOT_COUNTRIES` are dropped (BACI's "nes"
residuals are not countries). Any other code without an ISO3 is an error.

>>> adapter = BACI()
>>> path = Path("BACI_HS17_Y2022_V202401.csv")
>>> adapter.partition(path), adapter.vintage(path)
('HS17-2022', 'V202401')
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import SourceFormatError, StoreError, UnknownCountryError
from cultrade.sources.base import Frame, SourceAdapter, TableAdapter, read_csv, unique
from cultrade.sources.registry import register

COLUMNS = ("t", "i", "j", "k", "v", "q")
EDITIONS = ("HS92", "HS96", "HS02", "HS07", "HS12", "HS17", "HS22")
HOMEPAGE = "http://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37"
LICENCE = "Etalab 2.0"
PUBLISHER = "CEPII (Gaulier & Zignago)"
#: BACI codes for residual groups rather than countries: their rows are dropped.
NOT_COUNTRIES = {697: "Europe EFTA, nes", 849: "US Misc. Pacific Islands"}
#: Codes of older BACI releases that BACI's own country lists (V202001, V202201) give an ISO3 for.
BACI_EXTRA = {381: "ITA", 711: "ZAF"}
#: The view downstream code reads, and the base table holding its rows.
FLOWS, COMPACT = "baci_flows", "baci_flows_compact"
_ISO3, _HS6_TABLE = "_baci_iso3", "_baci_hs6"  # hidden lookups: BACI code -> ISO3, product code -> hs6
_NAME = re.compile(r"BACI_(HS\d\d)_Y(\d{4})_(V\d{6})", re.IGNORECASE)
# k is read as text, so that only canonical codes pass: DuckDB's INTEGER reader would take '30043.1' as 30043,
# '0300431' as 300431, '+300431' or ' 300431' as 300431 and '3e5' as 300000 (see _PRODUCT).
_TYPES = {"t": "SMALLINT", "i": "SMALLINT", "j": "SMALLINT", "k": "VARCHAR", "v": "DOUBLE", "q": "DOUBLE"}
_NULLS = ["", *(" " * n + "NA" for n in range(24))]  # q is right-aligned: NA after any number of spaces
_COMPACT_DDL = f"""CREATE TABLE IF NOT EXISTS {COMPACT} (year SMALLINT, hs_edition VARCHAR, exporter_code SMALLINT,
    importer_code SMALLINT, product_code INTEGER, value_kusd DOUBLE, quantity_t DOUBLE, _partition VARCHAR)"""
_VIEW = f"""CREATE OR REPLACE VIEW {FLOWS} AS
SELECT f.year, f.hs_edition, e.iso3 AS exporter, m.iso3 AS importer, p.hs6, f.value_kusd, f.quantity_t, f._partition
FROM {COMPACT} AS f JOIN {_ISO3} AS e ON e.code = f.exporter_code JOIN {_ISO3} AS m ON m.code = f.importer_code
     JOIN {_HS6_TABLE} AS p ON p.product_code = f.product_code"""
#: BACI's code for "commodities not specified according to kind" in the HS92 product list (stored as -1).
UNSPECIFIED = "9999AA"
_HS6_RE = f"[0-9]{{6}}|{UNSPECIFIED}"
# k as text -> product code: five or six bytes starting with a digit (k >= '0' AND k < ':' tests the first byte
# without taking a substring), read as an integer; 9999AA is -1; anything else is NULL. Byte length and string
# comparisons keep this about as cheap as reading k as INTEGER (~0.1 s CPU per 11 M rows, against ~0.8 s for
# length() and k[1]). The code must then be in the edition's product list (_edition_codes).
_PRODUCT = (f"CASE WHEN strlen(r.k) BETWEEN 5 AND 6 AND r.k >= '0' AND r.k < ':' THEN "
            f"coalesce(TRY_CAST(r.k AS INTEGER), CASE WHEN r.k = '{UNSPECIFIED}' THEN -1 END) END")
_HS6_TEXT = f"CASE WHEN p = -1 THEN '{UNSPECIFIED}' ELSE lpad(CAST(p AS VARCHAR), 6, '0') END"
#: BACI's product lists (product_codes_HS??_V202401.csv), bundled as ``edition,code`` lines.
_CODES_FILE = "baci_hs6_codes.csv"
# Injective once codes are known (< 1000) and products valid: (exporter, importer, product) as one BIGINT.
_KEY = "((exporter_code::BIGINT * 1000 + importer_code) * 1000001 + product_code + 1)"
_GET_HINT = "download the file again from CEPII; BACI files are plain UTF-8 CSV with the header t,i,j,k,v,q"


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


def _parts(path: Path) -> tuple[str, int, str]:
    match = _NAME.search(path.name)
    if not match or match.group(1).upper() not in EDITIONS:
        raise SourceFormatError(
            "cannot read the HS edition and year from the file name", path=path,
            hint="keep CEPII's file name, e.g. BACI_HS17_Y2022_V202401.csv (editions HS92..HS22)")
    return match.group(1).upper(), int(match.group(2)), match.group(3).upper()


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


def _known_codes() -> dict[int, str]:  # BACI code -> ISO3, countries only
    return {int(c): str(iso) for c, iso in code_table().itertuples(index=False) if isinstance(iso, str) and iso}


def _check_header(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise SourceFormatError("the file is empty", path=path, hint=_GET_HINT)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise SourceFormatError("the file is UTF-16, not UTF-8", path=path, row=1, hint=_GET_HINT)
    try:
        first = head.decode("utf-8").lstrip("\ufeff").splitlines()[0]
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"the file is not valid UTF-8 ({exc.reason})", path=path, row=1,
                                hint=_GET_HINT) from exc
    found = tuple(c.strip().strip('"').strip() for c in first.split(","))
    if found != COLUMNS:
        raise SourceFormatError(f"the header is {','.join(found)[:80]!r}, expected 't,i,j,k,v,q'", path=path,
                                row=1, hint="this is not a BACI file; " + _GET_HINT)


def _scan(path: Path) -> str:
    """read_csv with every option fixed: no sniffing, so malformed rows fail instead of being guessed."""
    types = ", ".join(f"'{c}': '{t}'" for c, t in _TYPES.items())
    quoted = str(path).replace("'", "''")
    return (f"read_csv('{quoted}', columns={{{types}}}, header=true, delim=',', quote='\"', escape='\"', "
            f"auto_detect=false, strict_mode=true, encoding='utf-8', nullstr={_NULLS})")


def _csv_error(path: Path, exc: duckdb.Error) -> SourceFormatError:
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    row = int(line.group(1)) if line else None
    conv = re.search(r'converting column "(\w+)"\. Could not convert string "(.*?)" to \'(\w+)\'', text)
    if conv:
        return SourceFormatError(f"value {conv.group(2)!r} is not {conv.group(3).lower()}", path=path, row=row,
                                 column=conv.group(1), hint="correct the cell; BACI writes numbers and NA only")
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if fields:
        return SourceFormatError(f"the row has {fields.group(2)} of {fields.group(1)} fields", path=path, row=row,
                                 hint="the file is truncated or hand-edited; " + _GET_HINT)
    summary = text.splitlines()[0][:200]
    return SourceFormatError(f"DuckDB cannot read the file: {summary}", path=path, row=row, hint=_GET_HINT)


def _first_line(con: duckdb.DuckDBPyConnection, path: Path, where: str, offset: int = 0,
                params: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    """The file line number and values of the first row matching ``where`` (slow; error path only)."""
    cur = con.execute(f"SELECT ordinality + 1 AS line, * FROM {_scan(path)} WITH ORDINALITY AS r "
                      f"WHERE {where} ORDER BY ordinality LIMIT 1 OFFSET {offset}", params)
    row = cur.fetchone()
    if row is None:
        return 0, {}
    names = [d[0] for d in cur.description]
    return int(row[0]), dict(zip(names[1:], row[1:], strict=False))


def _migrate(con: duckdb.DuckDBPyConnection, partition: str) -> bool:
    """Move the rows of an older store, where ``baci_flows`` is a base table of text, into :data:`COMPACT`.

    Each ISO3 takes its lowest BACI code, which the view maps back to the same ISO3; the catalog's table lists
    follow in the same transaction, so that replacing or dropping those partitions still works.
    """
    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' "
                       "AND table_name = ?", [FLOWS]).fetchone()
    if kind is None or kind[0] != "BASE TABLE":
        return False
    first = {iso: code for code, iso in sorted(_known_codes().items(), reverse=True)}
    con.execute(
        f"""INSERT INTO {COMPACT} SELECT year, hs_edition, map_extract_value(MAP($iso, $code), exporter),
               map_extract_value(MAP($iso, $code), importer), CASE WHEN hs6 = '{UNSPECIFIED}' THEN -1 ELSE CAST(hs6 AS INTEGER) END,
               value_kusd, quantity_t, _partition FROM {FLOWS} WHERE _partition <> $partition""",
        {"iso": list(first), "code": list(first.values()), "partition": partition})
    con.execute(f"DROP TABLE {FLOWS}")
    con.execute(f"UPDATE _catalog SET tables = list_transform(tables, lambda x: CASE WHEN x = '{FLOWS}' THEN '{COMPACT}' "
                f"ELSE x END) WHERE list_contains(tables, '{FLOWS}')")
    return True


def refresh_view(con: duckdb.DuckDBPyConnection, products: list[int] | None = None) -> None:
    """(Re)build the lookups and the :data:`FLOWS` view; ``products``: the new codes, else all of COMPACT's."""
    codes = list(_known_codes().items())
    con.execute(f"CREATE OR REPLACE TABLE {_ISO3} AS SELECT c[1]::SMALLINT AS code, c[2] AS iso3 "
                "FROM unnest($c::VARCHAR[][]) AS u(c)", {"c": [[str(c), iso] for c, iso in codes]})
    con.execute(f"CREATE TABLE IF NOT EXISTS {_HS6_TABLE} (product_code INTEGER PRIMARY KEY, hs6 VARCHAR)")
    source = f"SELECT DISTINCT product_code AS p FROM {COMPACT}" if products is None else \
        "SELECT unnest($p::INTEGER[]) AS p"
    con.execute(f"INSERT OR IGNORE INTO {_HS6_TABLE} SELECT p, {_HS6_TEXT} FROM ({source})",
                {"p": products} if products is not None else None)
    con.execute(_VIEW)


@register
class BACI(SourceAdapter):
    name = "baci"
    title = "BACI: international trade by HS6 product"
    publisher = PUBLISHER
    licence = LICENCE
    bundle = True
    homepage = HOMEPAGE
    tables = (COMPACT,)
    patterns = ("BACI_HS??_Y????_V*.csv",)
    writes_sql = True

    def partition(self, path: Path) -> str:
        edition, year, _ = _parts(path)
        return f"{edition}-{year}"

    def vintage(self, path: Path) -> str:
        return _parts(path)[2]

    def write_sql(self, con: duckdb.DuckDBPyConnection, path: Path, partition: str) -> dict[str, int]:
        edition, year, _ = _parts(path)
        _check_header(path)
        con.execute(_COMPACT_DDL)
        migrated = _migrate(con, partition)
        # Rows stay in file order, so that the duplicate check is one streaming pass (see _check_unique).
        previous = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
        con.execute("SET preserve_insertion_order = true")
        skipped = ", ".join(str(c) for c in NOT_COUNTRIES)
        try:
            # Only numbers are written; ISO3 and hs6 text come from the view's lookups.
            con.execute(
                f"""INSERT INTO {COMPACT}
                SELECT r.t, $edition, r.i, r.j, {_PRODUCT}, r.v, r.q, $partition FROM {_scan(path)} AS r
                WHERE NOT coalesce(r.i IN ({skipped}) OR r.j IN ({skipped}), false)""",
                {"edition": edition, "partition": partition},
            )
            total, products = self._validate(con, path, partition, edition, year)
        except duckdb.OutOfMemoryException as exc:
            raise StoreError(f"DuckDB ran out of memory loading {path.name}", path=path,
                             hint="raise CULTRADE_DUCKDB_MEMORY_LIMIT or lower CULTRADE_DUCKDB_THREADS") from exc
        except duckdb.Error as exc:
            raise _csv_error(path, exc) from exc
        finally:
            # Settings are not transactional, so this works even when the transaction is aborted.
            con.execute(f"SET preserve_insertion_order = {bool(previous and previous[0])}")
        refresh_view(con, None if migrated else products)
        return {COMPACT: total}

    def _validate(self, con: duckdb.DuckDBPyConnection, path: Path, partition: str, edition: str,
                  year: int) -> tuple[int, list[int]]:
        """Checks on the loaded numbers in one scan; a failure re-reads the file to name the line.

        Product codes: the scan's distinct codes (at most a few thousand) must all be in the edition's list, which
        is the semi-join of every row against the list at the cost of a set difference.
        """
        stats = con.execute(
            f"""SELECT count(*),
                      count(*) FILTER (year IS DISTINCT FROM $year),
                      count(*) FILTER (value_kusd IS NULL OR NOT isfinite(value_kusd) OR value_kusd < 0),
                      count(*) FILTER (NOT isfinite(quantity_t) OR quantity_t < 0),
                      count(*) FILTER (product_code IS NULL),
                      list(DISTINCT exporter_code), list(DISTINCT importer_code), list(DISTINCT product_code)
               FROM {COMPACT} WHERE _partition = $partition""",
            {"year": year, "partition": partition}).fetchone()
        assert stats is not None
        total, wrong_year, bad_v, bad_q, bad_k, exporters, importers, products = stats
        valid = _edition_codes()[edition]
        if not bad_k and not {p for p in products if p is not None} <= valid:
            bad_k = 1
        if total == 0:
            raise SourceFormatError("the file has a header but no data rows", path=path, hint=_GET_HINT)
        if not set(exporters) | set(importers) <= _known_codes().keys():
            self._unknown_country(con, path)
        checks = [
            (wrong_year, f"t IS DISTINCT FROM {year}", "t", f"the year differs from Y{year} in the file name",
             "keep one year per file, named as CEPII names it"),
            (bad_v, "v IS NULL OR NOT isfinite(v) OR v < 0", "v", "the value is missing or negative",
             "v is in thousand USD and never negative; correct the cell"),
            (bad_q, "NOT isfinite(q) OR q < 0", "q", "the quantity is negative",
             "q is in tonnes, never negative; write NA when unknown"),
            (bad_k, f"NOT coalesce(list_contains($valid, {_PRODUCT}), false)", "k",
             f"the product code is not an HS6 code of {edition}",
             f"k is a six-digit code of BACI's {edition} product list (chapters 01-09 may lose their zero)"),
        ]
        for count, where, column, message, hint in checks:
            if count:
                params = {"valid": sorted(valid)} if column == "k" else None
                line, row = _first_line(con, path, where, params=params)
                raise SourceFormatError(f"{message} ({row.get(column)!r})", path=path, row=line or None,
                                        column=column, hint=hint)
        self._check_unique(con, path, partition, total)
        return int(total), [int(p) for p in products]

    def _unknown_country(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        known = _known_codes().keys() | NOT_COUNTRIES.keys()
        codes = ", ".join(str(c) for c in sorted(known))
        line, row = _first_line(con, path, f"i IS NULL OR j IS NULL OR i NOT IN ({codes}) OR j NOT IN ({codes})")
        column = "i" if row.get("i") not in known else "j"
        if row.get(column) is None:
            raise SourceFormatError(f"the {'exporter' if column == 'i' else 'importer'} code is missing", path=path,
                                    row=line or None, column=column, hint="every BACI row names both countries")
        raise UnknownCountryError(row[column], scheme="baci", path=path, row=line or None, column=column)

    def _check_unique(self, con: duckdb.DuckDBPyConnection, path: Path, partition: str, total: int) -> None:
        """No (i, j, k) twice. BACI files are sorted by key: if the keys strictly increase in load order, they
        are distinct (one streaming pass); otherwise count them exactly, and name the lines of a duplicate."""
        firsts, rising = con.execute(
            f"SELECT count(*) FILTER (prev IS NULL), count(*) FILTER (key > prev) FROM (SELECT key, "
            f"lag(key) OVER () AS prev FROM (SELECT {_KEY} AS key FROM {COMPACT} WHERE _partition = ?))",
            [partition]).fetchone() or (0, 0)
        if firsts == 1 and rising == total - 1:
            return
        dup = con.execute(f"SELECT exporter_code, importer_code, product_code FROM {COMPACT} WHERE _partition = ? "
                          "GROUP BY ALL HAVING count(*) > 1 LIMIT 1", [partition]).fetchone()
        if dup is None:
            return
        i, j, k = dup
        known = _known_codes()
        hs6 = UNSPECIFIED if k == -1 else f"{k:06d}"
        where = f"r.i = {i} AND r.j = {j} AND ({_PRODUCT}) = {k}"
        first, _ = _first_line(con, path, where)
        second, _ = _first_line(con, path, where, offset=1)
        raise SourceFormatError(
            f"duplicate key exporter={known[i]}, importer={known[j]}, hs6={hs6} (first on line {first})",
            path=path, row=second or None, column="t,i,j,k",
            hint="each (t, i, j, k) appears once in BACI; remove the repeated row")


class _BaciReference(TableAdapter):
    publisher = PUBLISHER
    licence = LICENCE
    bundle = True
    homepage = HOMEPAGE

    def vintage(self, path: Path) -> str:
        match = re.search(r"(V\d{6})", path.name, re.IGNORECASE)
        return match.group(1).upper() if match else ""


def _hs6(df: pd.DataFrame, column: str, path: Path) -> pd.Series:
    codes = df[column].astype("string").str.strip().str.zfill(6)
    bad = ~codes.str.fullmatch(_HS6_RE).fillna(False) | (codes < "01")
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise SourceFormatError(f"{df[column].iloc[pos]!r} is not a six-digit HS code", path=path,
                                row=int(df.attrs["line_offset"]) + pos, column=column,
                                hint="product codes have six digits, e.g. 970110")
    return codes


@register
class BACICountries(_BaciReference):
    """BACI country codes: ``country_code,country_iso3`` (V202401) or the older five-column layout."""

    name = "baci_countries"
    title = "BACI country codes"
    tables = ("baci_countries",)
    patterns = ("country_codes_V*.csv",)

    def partition(self, path: Path) -> str:
        return self.vintage(path)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("country_code",))
        iso_col = next((c for c in ("country_iso3", "iso_3digit_alpha") if c in df.columns), None)
        if iso_col is None:
            raise SourceFormatError("missing column country_iso3 (or iso_3digit_alpha)", path=path, row=1,
                                    hint="use CEPII's country_codes_V*.csv from the BACI download")
        codes = pd.to_numeric(df["country_code"].str.strip(), errors="coerce")
        if codes.isna().any():
            pos = int(codes.isna().to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"country code {df['country_code'].iloc[pos]!r} is not a number", path=path,
                                    row=2 + pos, column="country_code", hint="BACI country codes are numeric")
        out = pd.DataFrame({"code": codes.astype("int32"), "baci_iso3": df[iso_col].str.strip(),
                            "name": df["country_name_full"].str.strip() if "country_name_full" in df.columns else None})
        out.attrs = df.attrs
        unique(out, ["code"], path=path)
        mapping = code_table().set_index("code")["iso3"]
        known = out["code"].isin(mapping.index)
        if not known.all():
            pos = int((~known).to_numpy().nonzero()[0][0])
            raise UnknownCountryError(df["country_code"].iloc[pos], scheme="baci", path=path, row=2 + pos,
                                      column="country_code")
        out["iso3"] = out["code"].map(mapping).astype("string")
        return {"baci_countries": out.reset_index(drop=True)}


@register
class BACIProducts(_BaciReference):
    """BACI product codes of one HS edition (``code,description``), keyed by edition and code."""

    name = "baci_products"
    title = "BACI product codes (HS6, every edition)"
    tables = ("baci_products",)
    patterns = ("product_codes_HS??_V*.csv",)

    def partition(self, path: Path) -> str:
        match = re.search(r"(HS\d\d)", path.name, re.IGNORECASE)
        if not match or match.group(1).upper() not in EDITIONS:
            raise SourceFormatError("cannot read the HS edition from the file name", path=path,
                                    hint="keep CEPII's name, e.g. product_codes_HS17_V202401.csv")
        return match.group(1).upper()

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("code", "description"))
        blank = df["description"].str.strip() == ""
        if blank.any():  # every BACI code has a description; a blank one means a cut line
            pos = int(blank.to_numpy().nonzero()[0][0])
            raise SourceFormatError("the description is empty", path=path, row=2 + pos, column="description",
                                    hint="the file may be truncated; download it again from CEPII")
        out = pd.DataFrame({"hs_edition": self.partition(path), "code": _hs6(df, "code", path),
                            "description": df["description"].str.strip()})
        out.attrs = df.attrs
        unique(out, ["code"], path=path)
        return {"baci_products": out}


@register
class HSBEC(_BaciReference):
    """HS 2017 to BEC rev. 5 correspondence (``HS 2017,BEC,Relationship``)."""

    name = "hs_bec"
    title = "HS 2017 to BEC 5 correspondence"
    tables = ("hs_bec",)
    patterns = ("hs17_bec5_correspondence*.csv",)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("HS 2017", "BEC", "Relationship"))
        bec = df["BEC"].str.strip()
        bad = ~bec.str.fullmatch(r"\d{1,4}")
        rel = df["Relationship"].str.strip()
        bad_rel = ~rel.isin(["1:1", "1:n", "n:1", "n:n"])
        for mask, column, hint in ((bad, "BEC", "BEC 5 codes have one to four digits"),
                                   (bad_rel, "Relationship", "use 1:1, 1:n, n:1 or n:n")):
            if mask.any():
                pos = int(mask.to_numpy().nonzero()[0][0])
                raise SourceFormatError(f"{df[column].iloc[pos]!r} is not valid", path=path, row=2 + pos,
                                        column=column, hint=hint)
        out = pd.DataFrame({"hs_edition": "HS17", "hs6": _hs6(df, "HS 2017", path), "bec5": bec,
                            "relationship": rel})
        out.attrs = df.attrs
        unique(out, ["hs6", "bec5"], path=path)
        return {"hs_bec": out}

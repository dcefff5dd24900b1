"""What every source adapter shares: the adapter contract and careful readers.

An adapter turns one publisher file into tidy tables. It *parses* the file in
the publisher's own layout, *validates* it (columns, types, ranges, duplicate
keys, units, countries) and hands the tables to :meth:`Store.ingest`, which
loads them in one transaction. Errors are :class:`SourceFormatError` naming the
file, the line and the column.

>>> import io, pandas as pd
>>> df = pd.DataFrame({"v": ["1", "x"]})
>>> numeric(df, "v", path="f.csv")
Traceback (most recent call last):
...
cultrade.errors.SourceFormatError: f.csv, row 3, column 'v': value 'x' is not a number. Fix: correct the cell, or leave it empty if the value is missing
"""

from __future__ import annotations

import csv
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeAlias

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from cultrade.countries import Scheme, get_countries
from cultrade.errors import SourceFormatError, UnknownCountryError

Frame: TypeAlias = pd.DataFrame | pa.Table
HEADER_LINES = 1
#: The longest cell any reader accepts (the csv module's default limit); no publisher's cell comes close.
MAX_FIELD = 131_072


class SourceAdapter(ABC):
    """One dataset: how to read its files and where the rows go.

    Subclasses set the class attributes and implement :meth:`parse`, or set
    ``writes_sql = True`` and implement :meth:`write_sql` for files too large
    for pandas (BACI, GDELT), which DuckDB then reads directly.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    publisher: ClassVar[str]
    licence: ClassVar[str]
    bundle: ClassVar[bool] = False  # may the package ship a snapshot of it?
    homepage: ClassVar[str] = ""
    tables: ClassVar[tuple[str, ...]]
    patterns: ClassVar[tuple[str, ...]] = ()  # glob patterns of the publisher's file names
    writes_sql: ClassVar[bool] = False

    def partition(self, path: Path) -> str:
        """Key of the rows this file owns; files of one source with different keys coexist."""
        return ""

    def vintage(self, path: Path) -> str:
        """Release or edition the file belongs to (from its name when the publisher puts it there)."""
        return ""

    def parse(self, path: Path) -> dict[str, Frame]:
        """Read, validate and normalise ``path`` into named tables."""
        raise SourceFormatError(f"{self.name} is loaded by SQL, not parse()", path=path)

    def write_sql(self, con: duckdb.DuckDBPyConnection, path: Path, partition: str) -> dict[str, int]:
        """Load ``path`` with SQL inside the store's open transaction; return rows per table."""
        raise SourceFormatError(f"{self.name} has no SQL loader", path=path)

    def tables_for(self, partition: str) -> tuple[str, ...]:
        """The tables ``partition``'s rows go to: :attr:`tables`, shared by every partition, unless the adapter
        keeps one table per partition (BACI)."""
        return self.tables

    def drop_partition(self, con: duckdb.DuckDBPyConnection, partition: str,
                       tables: Sequence[str] | None = None) -> None:
        """Remove ``partition``'s rows inside the store's open transaction, before a replace or a drop.

        ``tables``: the catalog's list for the partition (else :meth:`tables_for`). By default the rows are
        deleted by their ``_partition`` column; an adapter owning tables per partition drops them instead.
        """
        delete_partition_rows(con, self.tables_for(partition) if tables is None else tables, partition)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "publisher": self.publisher,
            "licence": self.licence,
            "bundle": self.bundle,
            "tables": list(self.tables),
            "homepage": self.homepage,
        }


def delete_partition_rows(con: duckdb.DuckDBPyConnection, tables: Iterable[str], partition: str) -> None:
    """``DELETE`` the rows of ``partition`` from those of ``tables`` that exist (names from code or catalog)."""
    existing = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'").fetchall()}
    for name in tables:
        if name in existing:
            con.execute(f'DELETE FROM "{name}" WHERE _partition = ?', [partition])


class TableAdapter(SourceAdapter):
    """An adapter whose whole file fits comfortably in memory."""

    @abstractmethod
    def parse(self, path: Path) -> dict[str, Frame]: ...


# -- readers ---------------------------------------------------------------------------


def _fail(path: str | Path, message: str, *, row: int | None = None, column: str | None = None,
          hint: str | None = None) -> SourceFormatError:
    return SourceFormatError(message, path=path, row=row, column=column, hint=hint)


def read_text(path: str | Path, *, encoding: str = "utf-8") -> str:
    """The whole file as text, with a clear error for the wrong encoding or an empty file."""
    raw = Path(path).read_bytes()
    if not raw.strip():
        raise _fail(path, "the file is empty", hint="download the file again; it has no data rows")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(
            path,
            f"the file is not valid {encoding} (byte {exc.start}: {raw[exc.start:exc.start + 1]!r})",
            row=line,
            hint=f"save the file as {encoding.upper()}, as the publisher distributes it",
        ) from exc


def csv_records(text: str, path: str | Path, *, sep: str = ",", first_line: int = 1) -> Iterator[list[str]]:
    """The records of CSV ``text`` (quoted cells may span lines); an unreadable record is a
    :class:`SourceFormatError` naming its line (``first_line``: the file line ``text`` starts on).

    >>> list(csv_records('a,b\\n1,"x\\ny"\\n', "f.csv"))
    [['a', 'b'], ['1', 'x\\ny']]
    >>> list(csv_records("a\\n" + "x" * 200_000 + "\\n", "f.csv"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cultrade.errors.SourceFormatError: f.csv, row 2: a cell is longer than 131,072 characters. Fix: ...
    """
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    while True:
        start = reader.line_num + first_line
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = (f"a cell is longer than {MAX_FIELD:,} characters" if "field larger" in str(exc)
                       else f"unreadable CSV record ({exc})")
            raise _fail(path, message, row=start,
                        hint="the file is damaged or not the publisher's; download it again") from None
        yield record


def _check_field_sizes(lines: Sequence[str], path: str | Path, skiprows: int, sep: str) -> None:
    """Refuse a line holding a cell longer than :data:`MAX_FIELD` (no publisher's cell comes close)."""
    for number, line in enumerate(lines, start=skiprows + 1):
        if len(line) > MAX_FIELD:
            longest = max(line.split(sep), key=len)
            if len(longest) > MAX_FIELD:
                raise _fail(path, f"a cell is longer than {MAX_FIELD:,} characters ({len(longest):,})", row=number,
                            hint="the file is damaged or not the publisher's; download it again")


def read_csv(
    path: str | Path,
    *,
    required: Sequence[str] = (),
    encoding: str = "utf-8",
    skiprows: int = 0,
    sep: str = ",",
    dtype: Any = str,
    header: int | None = 0,
    names: Sequence[str] | None = None,
    expected_fields: int | None = None,
) -> pd.DataFrame:
    """Read a CSV strictly: every cell as text, ragged or truncated rows refused.

    Row numbers in errors are file line numbers (1-based, header included).
    """
    text = read_text(path, encoding=encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines()
    body = lines[skiprows:]
    if not body or (header is not None and len(body) < 2):
        raise _fail(path, "the file has a header but no data rows", hint="download the complete file")
    _check_field_sizes(body, path, skiprows, sep)
    try:
        df = pd.read_csv(
            io.StringIO("\n".join(body)),
            sep=sep,
            dtype=dtype,
            keep_default_na=False,
            header=header,
            names=list(names) if names else None,
            on_bad_lines="error",
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise _fail(path, f"rows do not match the header: {exc}",
                    hint="the file may be truncated or hand-edited; download it again") from exc
    except pd.errors.EmptyDataError as exc:
        raise _fail(path, "the file is empty", hint="download the file again") from exc
    except (ValueError, OverflowError) as exc:  # e.g. a header row pandas cannot turn into column names
        raise _fail(path, f"unreadable CSV ({exc})", hint="the file may be damaged; download it again") from exc
    if not isinstance(df.index, pd.RangeIndex):  # pandas makes an index of the cells a header does not name
        raise _fail(path, f"the first data row has more fields than the header's {len(df.columns)}",
                    row=skiprows + 2 if header is not None else skiprows + 1,
                    hint="the file may be truncated or hand-edited; download it again")
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise _fail(
            path,
            f"missing columns {missing}; found {list(df.columns)[:12]}",
            row=skiprows + 1,
            hint="this does not look like the publisher's layout; check that you passed the right file",
        )
    # A truncated last record parses with blank trailing fields: detect it on whole records,
    # since quoted cells may span lines (World Bank notes do).
    n_fields = expected_fields or len(df.columns)
    if n_fields > 1:
        last: list[str] = []
        for record in csv_records("\n".join(body), path, sep=sep, first_line=skiprows + 1):
            last = record
        if any(cell.strip() for cell in last) and len(last) < n_fields:
            raise _fail(path, f"the last row has {len(last)} of {n_fields} fields",
                        row=skiprows + len(body), hint="the file is truncated; download it again")
    df.attrs["line_offset"] = skiprows + (HEADER_LINES if header is not None else 0) + 1
    df.attrs["path"] = str(path)
    return df


def read_xlsx(
    path: str | Path,
    *,
    sheet: str | int = 0,
    required: Sequence[str] = (),
    header_row: int = 1,
) -> pd.DataFrame:
    """Read one worksheet as text cells; ``header_row`` is 1-based as Excel shows it."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not Path(path).read_bytes()[:1]:
        raise _fail(path, "the file is empty", hint="download the file again")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, EOFError) as exc:
        raise _fail(path, f"not a readable .xlsx workbook ({exc})",
                    hint="the file may be truncated or not an Excel file; download it again") from exc
    try:
        names = wb.sheetnames
        name = names[sheet] if isinstance(sheet, int) else sheet
        if name not in names:
            raise _fail(path, f"no worksheet {name!r}; found {names}", hint="use the publisher's workbook")
        rows = list(wb[name].iter_rows(values_only=True))
    finally:
        wb.close()
    if len(rows) <= header_row:
        raise _fail(path, "the worksheet has no data rows", hint="download the complete file")
    header = ["" if h is None else str(h).strip() for h in rows[header_row - 1]]
    body = [["" if v is None else str(v) for v in r[: len(header)]] for r in rows[header_row:]]
    df = pd.DataFrame(body, columns=header, dtype=str)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise _fail(path, f"missing columns {missing}; found {header[:12]}", row=header_row,
                    hint="this does not look like the publisher's workbook; check the file")
    df.attrs["line_offset"] = header_row + 1
    df.attrs["path"] = str(path)
    return df


def duckdb_csv_error(exc: duckdb.Error, path: str | Path, *, hint: str, columns: Sequence[str] = (),
                     sep: str = ",") -> SourceFormatError:
    """DuckDB's CSV reader error as a :class:`SourceFormatError` with the line, the column and the cause.

    ``columns``: the file's columns in order, to name the column of an overlong cell or a bad value.

    >>> err = duckdb.InvalidInputException("CSV Error on Line: 10\\nOriginal Line: 1,22,3\\n"
    ...     "Maximum line size of 2000000 bytes exceeded. Actual Size:5000018 bytes.")
    >>> print(duckdb_csv_error(err, "f.csv", hint="download it again", columns=("a", "b", "c")))
    f.csv, row 10, column 'b': the line is 5,000,018 bytes long, more than the 2,000,000 bytes a row may have. Fix: download it again
    """
    text = str(exc)
    found = re.search(r"CSV Error on Line: (\d+)", text)
    row = int(found.group(1)) if found else None
    size = re.search(r"Maximum line size of (\d+) bytes exceeded\. Actual Size: ?(\d+)", text)
    if size:
        original = re.search(r"Original Line: ([^\n]*)", text)
        cells = original.group(1).split(sep) if original else []
        longest = max(range(len(cells)), key=lambda i: len(cells[i])) if cells else None
        column = columns[longest] if longest is not None and longest < len(columns) else None
        return SourceFormatError(f"the line is {int(size.group(2)):,} bytes long, more than the "
                                 f"{int(size.group(1)):,} bytes a row may have", path=path, row=row, column=column,
                                 hint=hint)
    conv = re.search(r'converting column "([^"]+)"\. Could not convert string "(.*?)" to \'(\w+)\'', text)
    if conv:
        return SourceFormatError(f"value {conv.group(2)[:80]!r} is not {conv.group(3).lower()}", path=path, row=row,
                                 column=conv.group(1), hint="correct the cell, or download the file again")
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if fields:
        return SourceFormatError(f"the row has {fields.group(2)} fields, expected {fields.group(1)}", path=path,
                                 row=row, hint=hint)
    lowered = text.lower()
    if "unicode" in lowered or "utf-8" in lowered or "utf8" in lowered:
        return SourceFormatError("the file is not valid UTF-8", path=path, row=row, hint=hint)
    if "gzip" in lowered:
        return SourceFormatError("the gzip stream is damaged or truncated", path=path, hint=hint)
    if "quote" in lowered:
        return SourceFormatError("a quoted cell is not closed", path=path, row=row, hint=hint)
    lines = [ln for ln in text.strip().splitlines() if ln.strip() and not ln.startswith("Original Line")]
    cause = next((ln.strip() for ln in lines[1:] if not ln.startswith(" ")), "")
    summary = (lines[0] if lines else type(exc).__name__)[:160] + (f" ({cause[:160]})" if cause else "")
    return SourceFormatError(f"DuckDB cannot read the file: {summary}", path=path, row=row, hint=hint)


def _line(df: pd.DataFrame, position: int) -> int:
    return int(df.attrs.get("line_offset", 2)) + position


def numeric(
    df: pd.DataFrame,
    column: str,
    *,
    path: str | Path | None = None,
    missing: Iterable[str] = ("", "..", "...", "NA", "N/A", "n/a", "nan", "NaN", "-"),
    lo: float | None = None,
    hi: float | None = None,
    integer: bool = False,
    required: bool = False,
) -> pd.Series:
    """Convert a text column to numbers; the first bad cell is reported by line.

    Cells spelled as in ``missing`` are missing values (NaN), unless ``required``: then they are refused, as are
    infinite values always and values outside ``[lo, hi]``.

    >>> numeric(pd.DataFrame({"v": ["1", "nan"]}), "v", path="f.csv", required=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cultrade.errors.SourceFormatError: f.csv, row 3, column 'v': the value is missing ('nan'). Fix: ...
    """
    path = path or df.attrs.get("path", "")
    col = df[column]
    if pd.api.types.is_string_dtype(col) or pd.api.types.is_object_dtype(col):
        raw = col.astype("string").str.strip().str.replace(",", "", regex=False)
        is_missing = raw.isin(list(missing)) | raw.isna()
        values = pd.to_numeric(raw.where(~is_missing), errors="coerce")
        bad = values.isna() & ~is_missing
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise _fail(path or "", f"value {col.iloc[pos]!r} is not a number", row=_line(df, pos),
                        column=column, hint="correct the cell, or leave it empty if the value is missing")
        if required and is_missing.any():
            pos = int(np.flatnonzero(is_missing.to_numpy())[0])
            raise _fail(path or "", f"the value is missing ({col.iloc[pos]!r})", row=_line(df, pos), column=column,
                        hint="every row of this source has this value; correct the cell or remove the row")
    else:
        values = pd.to_numeric(col, errors="coerce")
    values = values.astype("float64")
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        pos = int(np.flatnonzero(infinite)[0])
        raise _fail(path or "", f"value {col.iloc[pos]!r} is not a finite number", row=_line(df, pos), column=column,
                    hint="correct the cell, or leave it empty if the value is missing")
    if lo is not None or hi is not None:
        out = pd.Series(False, index=values.index)
        if lo is not None:
            out |= values < lo
        if hi is not None:
            out |= values > hi
        if out.any():
            pos = int(np.flatnonzero(out.to_numpy())[0])
            raise _fail(path or "", f"value {values.iloc[pos]} is outside the valid range [{lo}, {hi}]",
                        row=_line(df, pos), column=column,
                        hint="check the unit and the column; the publisher's range is stated in its codebook")
    if integer:
        frac = ((values % 1 != 0) | (values.abs() > 2**53)) & values.notna()
        if frac.any():
            pos = int(np.flatnonzero(frac.to_numpy())[0])
            raise _fail(path or "", f"value {values.iloc[pos]} should be a whole number",
                        row=_line(df, pos), column=column, hint="correct the cell")
        return values.astype("Int64")
    return values


def unique(df: pd.DataFrame, keys: Sequence[str], *, path: str | Path | None = None) -> None:
    """Refuse duplicate keys, naming the first repeated row."""
    dup = df.duplicated(list(keys), keep="first")
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        key = {k: df[k].iloc[pos].item() if hasattr(df[k].iloc[pos], "item") else df[k].iloc[pos] for k in keys}
        raise _fail(path or df.attrs.get("path", ""), f"duplicate key {key}", row=_line(df, pos),
                    column=",".join(keys), hint="each key may appear once; remove the repeated row")


def iso3_column(
    df: pd.DataFrame,
    column: str,
    scheme: Scheme,
    *,
    path: str | Path | None = None,
    skip: Iterable[str] = (),
    drop_aggregates: bool = True,
) -> pd.DataFrame:
    """Add ``iso3`` from ``column``; aggregates and the listed non-countries are dropped.

    Unknown codes raise :class:`UnknownCountryError` naming the line and close matches.
    """
    countries = get_countries()
    path = path or df.attrs.get("path", "")
    skip_set = {s.strip().casefold() for s in skip}
    values = df[column].astype("string").str.strip()
    uniq = values.dropna().unique()
    mapping: dict[str, str | None] = {}
    for value in uniq:
        if value == "" or value.casefold() in skip_set:
            mapping[value] = None
            continue
        if drop_aggregates and countries.is_aggregate(value, scheme):
            mapping[value] = None
            continue
        try:
            mapping[value] = countries.to_iso3(value, scheme)
        except UnknownCountryError as exc:
            pos = int(np.flatnonzero((values == value).fillna(False).to_numpy())[0])
            raise UnknownCountryError(value, scheme=scheme, suggestions=exc.suggestions, path=path,
                                      row=_line(df, pos), column=column) from None
    out = df.assign(iso3=values.map(mapping))
    out = out[out["iso3"].notna()].copy()
    out.attrs = dict(df.attrs)
    return out


def long_obs(df: pd.DataFrame, *, indicator: str | None = None, value: str = "value",
             extra: Sequence[str] = ()) -> pd.DataFrame:
    """The common long layout of ``obs_*`` tables: iso3, year, indicator, value (+extra)."""
    cols = ["iso3", "year", "indicator", value, *extra]
    out = df.assign(indicator=indicator) if indicator is not None else df
    out = out[cols].rename(columns={value: "value"})
    out = out.astype({"iso3": "string", "indicator": "string"})
    out["year"] = out["year"].astype("int32")
    out["value"] = out["value"].astype("float64")
    return out.reset_index(drop=True)


__all__ = [
    "SourceAdapter",
    "TableAdapter",
    "csv_records",
    "delete_partition_rows",
    "duckdb_csv_error",
    "iso3_column",
    "long_obs",
    "numeric",
    "read_csv",
    "read_text",
    "read_xlsx",
    "unique",
]

"""The bad-input suite every adapter family runs: seven broken files, seven clear errors.

Each case starts from a small *valid* sample in the publisher's layout (text
lines, header first unless ``has_header`` is false). The suite loads the valid
sample, then tries each broken variant under the same file name and checks
that a :class:`CultradeError` is raised, its message says where, and the store
is exactly as before (catalog, tables, row counts).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cultrade.errors import CultradeError
from cultrade.sources import get_adapter
from cultrade.store import Store

KINDS = ("truncated", "wrong_columns", "wrong_encoding", "non_numeric", "duplicate_key", "empty",
         "unknown_country")


@dataclass
class BadInputCase:
    """A valid sample plus what to break in it."""

    adapter: str
    filename: str
    lines: list[str]
    numeric_column: str | int
    country_column: str | int
    sep: str = ","
    has_header: bool = True
    unknown_country: str = "ZZQ"
    skip: tuple[str, ...] = ()  # kinds that do not apply (say why in the test)
    writer: Callable[[Path, str], None] | None = None  # e.g. write xlsx from the text
    extra: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _rows(case: BadInputCase) -> list[list[str]]:
    return list(csv.reader(io.StringIO(case.text()), delimiter=case.sep))


def _join(case: BadInputCase, rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=case.sep, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return buf.getvalue()


def _col(case: BadInputCase, rows: list[list[str]], column: str | int) -> int:
    return column if isinstance(column, int) else rows[0].index(column)


def variant(case: BadInputCase, kind: str) -> bytes:
    rows = _rows(case)
    first = 1 if case.has_header else 0
    text = case.text()
    if kind == "truncated":
        last = text.rstrip("\n").rfind("\n")
        cut = last + 1 + max(2, (len(text) - last) // 3)
        return text[:cut].encode()
    if kind == "wrong_columns":
        if case.has_header:
            rows[0] = [f"bogus_{c}" for c in rows[0]]
        else:
            rows = [r[:-3] for r in rows]
        return _join(case, rows).encode()
    if kind == "wrong_encoding":
        return text.encode("utf-16")
    if kind == "non_numeric":
        rows[first + 1][_col(case, rows, case.numeric_column)] = "abc"
        return _join(case, rows).encode()
    if kind == "duplicate_key":
        rows.append(list(rows[first]))
        return _join(case, rows).encode()
    if kind == "empty":
        return b""
    if kind == "unknown_country":
        rows[first][_col(case, rows, case.country_column)] = case.unknown_country
        return _join(case, rows).encode()
    raise ValueError(kind)


def _snapshot(store: Store) -> tuple[object, ...]:
    cat = store.catalog().drop(columns=["loaded_at"]).to_dict("records")
    tables = store.table_names()
    return (str(cat), tables, [store.row_count(t) for t in tables])


def _write(case: BadInputCase, path: Path, data: bytes) -> None:
    if case.writer is not None and data:
        try:
            text = data.decode()
        except UnicodeDecodeError:
            path.write_bytes(data)
            return
        case.writer(path, text)
    else:
        path.write_bytes(data)


def check_bad_inputs(case: BadInputCase, store: Store, tmp_path: Path) -> None:
    """Run the seven variants against ``case``; fail loudly if any is accepted."""
    adapter = get_adapter(case.adapter)
    good = tmp_path / "good" / case.filename
    good.parent.mkdir()
    _write(case, good, case.text().encode())
    store.ingest(adapter, good)
    before = _snapshot(store)
    for kind in KINDS:
        if kind in case.skip:
            continue
        path = tmp_path / kind / case.filename
        path.parent.mkdir()
        _write(case, path, variant(case, kind))
        with pytest.raises(CultradeError) as err:
            store.ingest(adapter, path)
        message = str(err.value)
        assert case.filename in message, f"{kind}: the error does not name the file: {message}"
        assert err.value.hint, f"{kind}: the error does not say how to fix it: {message}"
        assert _snapshot(store) == before, f"{kind}: the store changed after a refused file"

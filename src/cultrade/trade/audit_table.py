"""Reading a table of reported figures strictly, and the exchange-rate table the audit uses.

The layout is documented in :mod:`cultrade.trade.audit`. :func:`load_reported`
returns one typed row per figure (plus ``row``, the line in the file, and
``decimals``, how many decimals the figure was published with);
:func:`figures` turns that frame into :class:`Figure` objects for the checks.

>>> import pandas as pd
>>> table = load_reported(pd.DataFrame({
...     "metric": ["books"], "period": ["2023"], "flow": ["exports"],
...     "value": ["1.50"], "unit": ["USD bn"], "source": ["Invented"]}))
>>> table[["row", "metric", "period", "flow", "value", "unit", "decimals"]]
   row metric  period     flow  value    unit  decimals
0    2  books    2023  exports    1.5  USD bn         2
>>> load_reported(pd.DataFrame({  # doctest: +ELLIPSIS
...     "metric": ["books"], "period": ["2023"], "flow": ["export"],
...     "value": ["1.5"], "unit": ["USD bn"], "source": ["Invented"]}))
Traceback (most recent call last):
...
cultrade.errors.SourceFormatError: <table>, row 2, column 'flow': unknown flow 'export'. Fix: use one of ...
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.sources.base import numeric, read_csv

REQUIRED = ("metric", "period", "flow", "value", "unit", "source")
OPTIONAL = ("base_period", "level_flow", "level_unit", "of_metric", "of_flow")
MONEY_FLOWS = ("total", "exports", "imports", "balance")
LEVEL_FLOWS = (*MONEY_FLOWS, "count")
CLAIM_FLOWS = ("growth", "cagr", "share")
FLOWS = LEVEL_FLOWS + CLAIM_FLOWS
CURRENCIES = ("USD", "CNY", "EUR", "GBP", "JPY", "HKD", "KRW")
SCALES = {"bn": 1e9, "m": 1e6}
COUNT_UNITS = ("enterprises", "count")
PERCENT = "%"
MONEY_UNITS = tuple(f"{c} {s}" for c in CURRENCIES for s in SCALES)
UNITS = (*MONEY_UNITS, *COUNT_UNITS, PERCENT)
TABLE = "<table>"
_YEAR = re.compile(r"^\d{4}$")
Fail = Callable[[str, str], SourceFormatError]  # (message, hint) -> error at the current cell
ColumnFail = Callable[[str, str, str], SourceFormatError]  # (column, message, hint) -> error


@dataclass(frozen=True)
class Figure:
    """One reported figure: a level (total, exports, …) or a claim (growth, cagr, share)."""

    row: int
    metric: str
    period: int
    flow: str
    value: float
    unit: str
    source: str
    decimals: int = 2
    base_period: int | None = None
    level_flow: str = "total"
    level_unit: str | None = None
    of_metric: str | None = None
    of_flow: str = "total"

    @property
    def currency(self) -> str | None:
        """ISO 4217 code of a money figure, None for counts and percentages."""
        return self.unit.split()[0] if self.unit in MONEY_UNITS else None

    @property
    def kind(self) -> str:
        """What the figure is comparable with: its currency, or its unit for counts and percentages."""
        return self.currency or self.unit

    @property
    def scale(self) -> float:
        """Currency units per unit of the figure (1e9 for "USD bn"); 1 for counts and percentages."""
        return SCALES[self.unit.split()[1]] if self.currency else 1.0

    @property
    def half_unit(self) -> float:
        """Largest rounding error of the published figure: half a unit in its last printed digit.

        Counts are exact (0).
        """
        if self.unit in COUNT_UNITS:
            return 0.0
        return 0.5 * 10.0 ** (-self.decimals)

    @property
    def what(self) -> str:
        """``exports`` for a level, ``exports growth`` for a claim about exports."""
        return self.flow if self.flow in LEVEL_FLOWS else f"{self.level_flow} {self.flow}"

    def label(self) -> str:
        """Short reference used in reports: ``exports 148.41 USD bn [row 14]``."""
        return f"{self.what} {self.value:.{max(self.decimals, 0)}f} {self.unit} [row {self.row}]"


def _fail(path: str, message: str, row: int | None, column: str | None, hint: str) -> SourceFormatError:
    return SourceFormatError(message, path=path, row=row, column=column, hint=hint)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [str(c).strip() for c in out.columns]
    for col in out.columns:
        whole = col != "value"  # 2023.0 in a float period column is the year 2023; values keep their decimals
        out[col] = ["" if pd.isna(v) else str(int(v)) if whole and isinstance(v, float) and v.is_integer()
                    else str(v).strip() for v in out[col]]
    out = out.reset_index(drop=True)
    out.attrs = {"path": TABLE, "line_offset": 2}
    return out


def _decimals(text: str) -> int:
    try:
        exponent = Decimal(text.replace(",", "")).as_tuple().exponent
    except InvalidOperation:
        return 0
    return -exponent if isinstance(exponent, int) else 0


def load_reported(table: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read and validate a table of reported figures from a CSV path or a DataFrame.

    Raises :class:`SourceFormatError` naming the file (``<table>`` for a
    DataFrame), the row (file line; a DataFrame's first row is row 2, as in
    the CSV it would write) and the column, with a fix.
    """
    if isinstance(table, pd.DataFrame):
        raw = _as_text(table)
        missing = [c for c in REQUIRED if c not in raw.columns]
        if missing:
            raise _fail(TABLE, f"missing columns {missing}; found {list(raw.columns)}", 1, None,
                        f"a reported-figures table needs the columns {', '.join(REQUIRED)}")
        if raw.empty:
            raise _fail(TABLE, "the table has no rows", None, None, "add at least one reported figure")
    else:
        raw = read_csv(table, required=REQUIRED)
        raw = raw.apply(lambda s: s.str.strip())
        raw.attrs = {"path": str(table), "line_offset": 2}
    path = str(raw.attrs["path"])
    for col in OPTIONAL:
        if col not in raw.columns:
            raw[col] = ""
    lines = [2 + i for i in range(len(raw))]

    def fail(i: int, column: str, message: str, hint: str) -> SourceFormatError:
        return _fail(path, message, lines[i], column, hint)

    for col in ("metric", "source"):
        empty = raw[col] == ""
        if empty.any():
            i = int(empty.to_numpy().nonzero()[0][0])
            raise fail(i, col, f"the {col} is empty", f"every figure needs a {col}; fill in the cell")
    flows = raw["flow"].str.lower()
    units = raw["unit"].map(_normalise_unit)
    periods = []
    bases: list[int | None] = []
    for i in range(len(raw)):
        flow, unit = flows.iloc[i], units.iloc[i]
        if flow not in FLOWS:
            raise fail(i, "flow", f"unknown flow {raw['flow'].iloc[i]!r}", f"use one of {', '.join(FLOWS)}")
        if unit is None:
            raise fail(i, "unit", f"unknown unit {raw['unit'].iloc[i]!r}",
                       f"use one of {', '.join(UNITS)} (for example 'USD bn', not 'billion dollars')")
        _check_unit(flow, unit, partial(fail, i, "unit"))
        periods.append(_year(raw["period"].iloc[i], partial(fail, i, "period")))
        bases.append(_base(raw, i, flow, periods[-1], partial(fail, i)))
        _check_claim_columns(raw, i, flow, partial(fail, i))
    values = numeric(raw, "value", path=path)
    if values.isna().any():
        i = int(values.isna().to_numpy().nonzero()[0][0])
        raise fail(i, "value", "the value is empty", "give the figure as published, or drop the row")
    out = pd.DataFrame({
        "row": lines,
        "metric": raw["metric"],
        "period": periods,
        "flow": flows,
        "value": values,
        "unit": units,
        "source": raw["source"],
        "decimals": [_decimals(v) for v in raw["value"]],
        "base_period": pd.array(bases, dtype="Int64"),
        "level_flow": [lf.lower() or "total" for lf in raw["level_flow"]],
        "level_unit": [_normalise_unit(u) if u else None for u in raw["level_unit"]],
        "of_metric": [om or None for om in raw["of_metric"]],
        "of_flow": [of.lower() or "total" for of in raw["of_flow"]],
    })
    out.attrs = {"path": path}
    return out


def _normalise_unit(text: str) -> str | None:
    folded = " ".join(text.split()).casefold()
    return next((u for u in UNITS if u.casefold() == folded), None)


def _check_unit(flow: str, unit: str, fail: Fail) -> None:
    if flow in CLAIM_FLOWS and unit != PERCENT:
        raise fail(f"a {flow} claim is a percentage but the unit is {unit!r}", "write '%' in the unit column")
    if flow in MONEY_FLOWS and unit not in MONEY_UNITS:
        raise fail(f"{flow} is a money flow but the unit is {unit!r}",
                   f"use a currency unit such as 'USD bn' or 'CNY bn' (known: {', '.join(MONEY_UNITS)})")
    if flow == "count" and unit not in COUNT_UNITS:
        raise fail(f"a count needs a count unit, not {unit!r}", f"use one of {', '.join(COUNT_UNITS)}")


def _year(text: str, fail: Fail) -> int:
    if not _YEAR.match(text) or not 1900 <= int(text) <= 2100:
        raise fail(f"period {text!r} is not a year",
                   "write a calendar year such as 2023; half-years and quarters are not supported")
    return int(text)


def _base(raw: pd.DataFrame, i: int, flow: str, period: int, fail: ColumnFail) -> int | None:
    text = raw["base_period"].iloc[i]
    if not text:
        if flow == "cagr":
            raise fail("base_period", "a cagr claim needs a base_period", "give the first year of the period")
        return period - 1 if flow == "growth" else None
    if flow not in ("growth", "cagr"):
        raise fail("base_period", f"base_period only applies to growth and cagr rows, not {flow}",
                   "leave the cell empty")
    base = _year(text, lambda m, h: fail("base_period", m, h))
    if base >= period:
        raise fail("base_period", f"base_period {base} is not before period {period}",
                   "the base year must come before the year of the claim")
    return base


def _check_claim_columns(raw: pd.DataFrame, i: int, flow: str, fail: ColumnFail) -> None:
    for col in ("level_flow", "of_flow"):
        value = raw[col].iloc[i].lower()
        if value and value not in LEVEL_FLOWS:
            raise fail(col, f"unknown {col} {raw[col].iloc[i]!r}", f"use one of {', '.join(LEVEL_FLOWS)}")
    for col in ("level_flow", "level_unit"):
        if raw[col].iloc[i] and flow not in CLAIM_FLOWS:
            raise fail(col, f"{col} only applies to growth, cagr and share rows, not {flow}", "leave the cell empty")
    level_unit = raw["level_unit"].iloc[i]
    if level_unit and (_normalise_unit(level_unit) in (None, PERCENT)):
        raise fail("level_unit", f"unknown level_unit {level_unit!r}", f"use one of {', '.join(UNITS[:-1])}")
    for col in ("of_metric", "of_flow"):
        if raw[col].iloc[i] and flow != "share":
            raise fail(col, f"{col} only applies to share rows, not {flow}", "leave the cell empty")
    if flow == "share":
        part = (raw["metric"].iloc[i], raw["level_flow"].iloc[i].lower() or "total")
        whole = (raw["of_metric"].iloc[i] or part[0], raw["of_flow"].iloc[i].lower() or "total")
        if part == whole:
            raise fail("of_flow", f"the share of {part[0]} {part[1]} is taken of itself",
                       "set level_flow to the part (e.g. exports) and of_metric/of_flow to the whole")


def _optional(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) or value == "" else str(value)


def figures(table: pd.DataFrame) -> list[Figure]:
    """The rows of :func:`load_reported` as :class:`Figure` objects."""
    out = []
    for rec in table.to_dict("records"):
        base = rec["base_period"]
        out.append(Figure(
            row=int(rec["row"]), metric=str(rec["metric"]), period=int(rec["period"]), flow=str(rec["flow"]),
            value=float(rec["value"]), unit=str(rec["unit"]), source=str(rec["source"]),
            decimals=int(rec["decimals"]), base_period=None if pd.isna(base) else int(base),
            level_flow=str(rec["level_flow"]), level_unit=_optional(rec["level_unit"]),
            of_metric=_optional(rec["of_metric"]), of_flow=str(rec["of_flow"]),
        ))
    return out


def load_fx(fx: pd.DataFrame) -> dict[tuple[str, int], float]:
    """Validate an exchange-rate table (currency, year, rate = local units per USD) into a lookup.

    >>> load_fx(pd.DataFrame({"currency": ["CNY"], "year": [2023], "rate": [7.0809]}))
    {('CNY', 2023): 7.0809, ('USD', 2023): 1.0}
    """
    where = "<fx table>"
    missing = [c for c in ("currency", "year", "rate") if c not in fx.columns]
    if missing:
        raise SourceFormatError(f"missing columns {missing}; found {list(fx.columns)}", path=where, row=1,
                                hint="pass a DataFrame with currency (ISO 4217), year and rate (local units per USD)")
    text = _as_text(fx[["currency", "year", "rate"]])
    text.attrs["path"] = where
    rates = numeric(text, "rate", path=where)
    years = numeric(text, "year", path=where, integer=True)
    out: dict[tuple[str, int], float] = {}
    for i, (cur, year, rate) in enumerate(zip(text["currency"], years, rates, strict=True)):
        if pd.isna(year) or pd.isna(rate) or not rate > 0:
            raise SourceFormatError(f"rate {rate} for {cur} {year} is missing or not positive", path=where,
                                    row=i + 2, column="rate", hint="drop the row or give the annual average rate")
        out[(cur.upper(), int(year))] = float(rate)
    for _cur, year in list(out):
        out.setdefault(("USD", year), 1.0)
    return out


__all__ = ["CLAIM_FLOWS", "FLOWS", "LEVEL_FLOWS", "REQUIRED", "UNITS", "Figure", "figures", "load_fx", "load_reported"]

"""World Bank country metadata (FY25): region and income group of every economy.

The WDI bulk download ships ``Metadata_Country_*.csv`` with the columns
``Country Code, Region, IncomeGroup, SpecialNotes, TableName``; the notes may
span several lines inside quotes. Aggregates (WLD, EUU, HIC, ...) are the rows
with an empty region; they are dropped, and a row with an empty region that is
*not* a known aggregate is refused, since it would be an economy without a
region. An economy may lack an income group: the Bank has not classified
Venezuela since FY22.

Rows go to ``wb_country_meta`` (iso3, name, region, income_group), which the
regional growth figures build on. The fiscal year is the vintage.

>>> from cultrade.sources import get_adapter
>>> sorted(INCOME_GROUPS)[:2]
['High income', 'Low income']
>>> get_adapter("wb_meta").vintage(Path("wb_metadata_country_income_region_FY25.csv"))
'FY25'
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import SourceFormatError, UnknownCountryError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, read_text, unique
from cultrade.sources.registry import register

COLUMNS = ("Country Code", "Region", "IncomeGroup", "TableName")
REGIONS = (
    "East Asia & Pacific", "Europe & Central Asia", "Latin America & Caribbean",
    "Middle East & North Africa", "North America", "South Asia", "Sub-Saharan Africa",
)
INCOME_GROUPS = ("Low income", "Lower middle income", "Upper middle income", "High income")


@register
class WBMeta(TableAdapter):
    name = "wb_meta"
    title = "World Bank country classification (regions, income groups)"
    publisher = "World Bank"
    licence = "CC BY 4.0"
    bundle = True
    homepage = "https://datahelpdesk.worldbank.org/knowledgebase/articles/906519"
    tables = ("wb_country_meta",)
    patterns = ("wb_metadata_country_*.csv", "Metadata_Country_*.csv")

    def vintage(self, path: Path) -> str:
        match = re.search(r"FY\d{2}", path.name, re.IGNORECASE)
        return match.group(0).upper() if match else ""

    def parse(self, path: Path) -> dict[str, Frame]:
        df, lines = _read_records(path)
        df = df.assign(**{c: df[c].str.strip() for c in COLUMNS})
        for column, allowed in (("Region", REGIONS), ("IncomeGroup", INCOME_GROUPS)):
            bad = ~df[column].isin([*allowed, ""])
            if bad.any():
                pos = int(bad.to_numpy().nonzero()[0][0])
                raise SourceFormatError(f"unknown {column} {df[column].iloc[pos]!r}", path=path,
                                        row=lines[pos], column=column,
                                        hint=f"World Bank values are {', '.join(allowed)} (or empty)")
        dup = df.duplicated("Country Code")
        if dup.any():
            pos = int(dup.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"duplicate key {{'Country Code': {df['Country Code'].iloc[pos]!r}}}",
                                    path=path, row=lines[pos], column="Country Code",
                                    hint="each key may appear once; remove the repeated row")
        countries = get_countries()
        orphan = (df["Region"] == "") & ~df["Country Code"].map(lambda c: countries.is_aggregate(c, "wb"))
        if orphan.any():
            pos = int(orphan.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"{df['Country Code'].iloc[pos]!r} has no region but is not an aggregate",
                                    path=path, row=lines[pos], column="Region",
                                    hint="every economy has a World Bank region; restore the cell from the publisher")
        try:
            out = iso3_column(df, "Country Code", "wb", path=path)
        except UnknownCountryError as exc:
            pos = (exc.row or 2) - 2
            raise UnknownCountryError(exc.value, scheme="wb", suggestions=exc.suggestions, path=path,
                                      row=lines[pos], column="Country Code") from None
        unique(out, ["iso3"], path=path)
        table = pd.DataFrame({
            "iso3": out["iso3"],
            "name": out["TableName"],
            "region": out["Region"],
            "income_group": out["IncomeGroup"].replace("", pd.NA),
        }).astype("string")
        return {"wb_country_meta": table.sort_values("iso3").reset_index(drop=True)}


def _read_records(path: Path) -> tuple[pd.DataFrame, list[int]]:
    """The CSV as text cells, plus each record's first file line.

    The notes span several lines inside quotes, which a line-based reader would
    mistake for truncated rows; the csv module reads whole records instead.
    """
    text = read_text(path).lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text), strict=True)
    records: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            records.append(record)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SourceFormatError(f"unreadable CSV ({exc})", path=path, row=start,
                                hint="the file may be truncated inside a quoted note; download it again") from exc
    kept = [(r, n) for r, n in zip(records, lines, strict=True) if r]
    if not kept:
        raise SourceFormatError("the file is empty", path=path, hint="download the file again")
    records, lines = [r for r, _ in kept], [n for _, n in kept]
    header = [h.strip() for h in records[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise SourceFormatError(f"missing columns {missing}; found {header[:12]}", path=path, row=1,
                                hint="use the World Bank Metadata_Country CSV unchanged")
    if len(records) < 2:
        raise SourceFormatError("the file has a header but no data rows", path=path,
                                hint="download the complete file")
    for record, line in zip(records[1:], lines[1:], strict=True):
        if len(record) != len(header):
            raise SourceFormatError(f"the row has {len(record)} of {len(header)} fields", path=path, row=line,
                                    hint="the file may be truncated or hand-edited; download it again")
    df = pd.DataFrame(records[1:], columns=header, dtype=str)
    df.attrs.update(line_offset=2, path=str(path))
    return df, lines[1:]

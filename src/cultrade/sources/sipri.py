"""SIPRI Military Expenditure Database: military spending in current US$ million.

The sheet is wide: Country, Notes (footnote markers), then one column per year
from 1949. Region names stand on their own rows as headers ("Africa", "North
Africa"...), cells hold "..." when the figure is unavailable and "xxx" when the
country did not exist that year; neither becomes a value. Rows are matched by
name; the region headers and the non-countries in :data:`NOT_COUNTRIES` are
skipped by explicit list. The export is Windows-1252 (the footnote markers ‡, §
and ¶, "Türkiye"); UTF-8 copies are read too.

>>> sorted(NOT_COUNTRIES)[:2]
['European Union', 'Yemen, North']
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, long_obs, numeric, read_csv, unique
from cultrade.sources.registry import register

REGIONS = (
    "Africa", "North Africa", "sub-Saharan Africa", "Americas", "Central America and the Caribbean",
    "North America", "South America", "Asia & Oceania", "Oceania", "South Asia", "East Asia",
    "South East Asia", "Central Asia", "Europe", "Central Europe", "Eastern Europe", "Western Europe",
    "Middle East",
)
NOT_COUNTRIES = {
    "European Union": "sum of the EU member states",
    # ISO kept YEM for unified Yemen, so the Yemen Arab Republic (to 1990) has no code of
    # its own; mapping it to YEM would collide with SIPRI's separate "Yemen" row.
    "Yemen, North": "Yemen Arab Republic before unification",
}
NOT_EXISTING = "xxx"
# Current US$ m: the United States, the largest spender, is just under 1,000,000 in 2024.
MAX_SPENDING = 5_000_000


def _decode_check(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise SourceFormatError("the file holds NUL bytes: it is UTF-16 or binary, not text", path=path,
                                hint="save the sheet as CSV (Windows-1252 or UTF-8), as SIPRI distributes it")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


@register
class SIPRI(TableAdapter):
    name = "sipri"
    title = "SIPRI Military Expenditure Database"
    publisher = "Stockholm International Peace Research Institute (SIPRI)"
    licence = "SIPRI terms: free use with attribution"
    bundle = True
    homepage = "https://www.sipri.org/databases/milex"
    tables = ("obs_sipri",)
    patterns = ("SIPRI-Milex-data-*.csv", "sipri_milex_*.csv")

    def vintage(self, path: Path) -> str:
        match = re.search(r"(\d{4})-(\d{4})", path.name)
        return f"SIPRI Milex 1949-{match.group(2)}" if match else ""

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("Country", "Notes"), encoding=_decode_check(path))
        years = [c for c in df.columns if re.fullmatch(r"\d{4}", c)]
        if not years:
            raise SourceFormatError("no year columns after Country and Notes", path=path, row=1,
                                    hint="use SIPRI's 'Current US$' sheet saved as CSV")
        df = df.assign(Country=df["Country"].str.strip())
        cells = df[years].apply(lambda c: c.str.strip())
        blank = cells.eq("").all(axis=1)
        header = df["Country"].isin(REGIONS) & blank
        empty_row = (df["Country"] == "") & blank
        no_name = (df["Country"] == "") & ~blank
        if no_name.any():
            pos = int(no_name.to_numpy().nonzero()[0][0])
            raise SourceFormatError("a row has figures but no country", path=path,
                                    row=int(df.attrs["line_offset"]) + pos, column="Country",
                                    hint="fill in the country name, or delete the row")
        keep = ~(header | empty_row)
        # Positions keep matching file lines: skipped rows are blanked, not removed, until validated.
        values = cells.where(keep, "").replace(NOT_EXISTING, "")
        values.attrs = df.attrs
        numbers = pd.DataFrame({y: numeric(values, y, path=path, lo=0, hi=MAX_SPENDING) for y in years})
        names = df["Country"].where(keep, "")
        # Region headers count as keys too: each appears once in SIPRI's sheet.
        keyed = pd.DataFrame({"Country": df["Country"].where(~empty_row, "empty row " + df.index.astype(str))})
        keyed.attrs = df.attrs
        unique(keyed, ["Country"], path=path)
        frame = pd.concat([names, numbers], axis=1)
        frame.attrs = df.attrs
        frame = iso3_column(frame, "Country", "name", path=path, skip=NOT_COUNTRIES)
        unique(frame, ["iso3"], path=path)
        long = frame.melt(id_vars=["iso3"], value_vars=years, var_name="year", value_name="value")
        long = long[long["value"].notna()]
        long["year"] = long["year"].astype(int)
        obs = long_obs(long, indicator="milex_current_usd_m").assign(unit="US$ m, current")
        return {"obs_sipri": obs}

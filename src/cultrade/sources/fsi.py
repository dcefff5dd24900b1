"""Fund for Peace Fragile States Index (FSI): the yearly workbooks and the long CSV.

Each yearly workbook ``fsi-YYYY.xlsx`` holds one report: country, year, rank
("1st", "2nd"...), the Total (0-120) and twelve indicators C1..X1 (0-10 each).
Layouts vary by year: the year is a date in some workbooks and a number in
others, the indicator columns come in a different order in 2023, some
workbooks carry a "Change from Previous Year" column, unnamed columns or
thousands of empty formatted rows (skipped: a row is skipped only when every
cell is empty). Columns are therefore found by their indicator code.

FSI report year N mostly reflects events of year N-1. ``year`` stays the report
year as published; ``data_year`` = year - 1 is added for joins on data years.
Each workbook is its own partition (the report year), so all years coexist;
the long CSV (partition ``all``) holds the same reports, so load either the
workbooks or the long CSV, not both.

>>> FSI().partition(Path("fsi-2023.xlsx")), rank_number("23rd")
('2023', 23)
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, long_obs, numeric, read_csv, read_xlsx, unique
from cultrade.sources.registry import register

INDICATORS = {
    "C1": "Security Apparatus", "C2": "Factionalized Elites", "C3": "Group Grievance",
    "E1": "Economy", "E2": "Economic Inequality", "E3": "Human Flight and Brain Drain",
    "P1": "State Legitimacy", "P2": "Public Services", "P3": "Human Rights",
    "S1": "Demographic Pressures", "S2": "Refugees and IDPs", "X1": "External Intervention",
}
REQUIRED = ("Country", "Year", "Rank", "Total", *(f"{k}: {v}" for k, v in INDICATORS.items()))
_YEAR = re.compile(r"^\s*(\d{4})")


def rank_number(text: str) -> int | None:
    """The number in a published rank ("1st", "178th"); None when the cell is empty."""
    match = re.match(r"^\s*=?(\d+)\s*(st|nd|rd|th)?\s*$", str(text))
    return int(match.group(1)) if match else None


def drop_blank_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Drop rows whose every cell is empty (formatted but unused spreadsheet rows), keeping line numbers."""
    blank = (df.astype("string").fillna("").apply(lambda c: c.str.strip()) == "").all(axis=1)
    if not blank.any():
        return df
    # Rows keep their position for error messages: only trailing blank rows are cut.
    last = int((~blank).to_numpy().nonzero()[0][-1]) if (~blank).any() else -1
    out = df.iloc[: last + 1]
    out.attrs = dict(df.attrs)
    return out


def report_years(df: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """Four-digit years from text cells that may be dates ("2006-01-01 00:00:00") or numbers."""
    years = df[column].astype("string").str.extract(_YEAR, expand=False)
    frame = pd.DataFrame({column: years.fillna(df[column].astype("string"))})
    frame.attrs = df.attrs
    return numeric(frame, column, path=path, lo=1990, hi=2100, integer=True, required=True)


@register
class FSI(TableAdapter):
    name = "fsi"
    title = "Fragile States Index"
    publisher = "The Fund for Peace"
    licence = "FFP terms: free non-commercial use with attribution"
    bundle = False
    homepage = "https://fragilestatesindex.org/excel/"
    tables = ("obs_fsi",)
    patterns = ("fsi-*.xlsx", "fsi_*_long.csv", "FSI-*.xlsx")

    def partition(self, path: Path) -> str:
        match = re.search(r"(\d{4})\.xlsx$", path.name, re.IGNORECASE)
        return match.group(1) if match else "all"

    def vintage(self, path: Path) -> str:
        part = self.partition(path)
        return f"FSI {part}" if part != "all" else "FSI long file"

    def parse(self, path: Path) -> dict[str, Frame]:
        xlsx = path.suffix.lower() == ".xlsx"
        df = drop_blank_rows(read_xlsx(path, required=REQUIRED) if xlsx else read_csv(path, required=REQUIRED))
        out = pd.DataFrame({
            "Country": df["Country"].str.strip(),
            "year": report_years(df, "Year", path),
            "rank": [rank_number(r) for r in df["Rank"]],
            "Total": numeric(df, "Total", path=path, lo=0, hi=120),
            **{k: numeric(df, f"{k}: {v}", path=path, lo=0, hi=10) for k, v in INDICATORS.items()},
        })
        out.attrs = df.attrs
        # "n/r" (not ranked): South Sudan in 2012 was scored but left out of the ranking.
        bad_rank = out["rank"].isna() & ~df["Rank"].str.strip().str.lower().isin(["", "n/r"])
        if bad_rank.any():
            pos = int(bad_rank.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"rank {df['Rank'].iloc[pos]!r} is not a rank", path=path,
                                    row=int(df.attrs["line_offset"]) + pos, column="Rank",
                                    hint="FSI ranks read like '1st', '2nd', '178th'")
        no_name = out["Country"].fillna("") == ""
        if no_name.any():
            pos = int(no_name.to_numpy().nonzero()[0][0])
            raise SourceFormatError("the row has scores but no country", path=path,
                                    row=int(df.attrs["line_offset"]) + pos, column="Country",
                                    hint="fill in the country name, or delete the row")
        # FSI scores every ranked country on every indicator: a gap means a damaged row.
        gap = out[["Total", *INDICATORS]].isna().any(axis=1)
        if gap.any():
            pos = int(gap.to_numpy().nonzero()[0][0])
            column = next(c for c in ["Total", *INDICATORS] if pd.isna(out[c].iloc[pos]))
            raise SourceFormatError("the row is missing a score", path=path,
                                    row=int(df.attrs["line_offset"]) + pos, column=column,
                                    hint="FSI gives every country all twelve indicators and a Total; "
                                         "the file may be truncated, download it again")
        part = self.partition(path)
        if part != "all" and (out["year"] != int(part)).any():
            pos = int((out["year"] != int(part)).to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"year {out['year'].iloc[pos]} in the {part} report", path=path,
                                    row=int(df.attrs["line_offset"]) + pos, column="Year",
                                    hint="each fsi-YYYY.xlsx holds the YYYY report only; check the file name")
        unique(out, ["Country", "year"], path=path)
        out = iso3_column(out, "Country", "name", path=path)
        unique(out, ["iso3", "year"], path=path)
        out["data_year"] = out["year"] - 1
        obs = pd.concat([long_obs(out, indicator=k, value=k, extra=["data_year", "rank"])
                         for k in ("Total", *INDICATORS)], ignore_index=True)
        obs["data_year"] = obs["data_year"].astype("int32")
        obs["rank"] = obs["rank"].astype("Int32")
        return {"obs_fsi": obs}

"""Institute for Economics & Peace, Global Peace Index (GPI) 2008-2019.

Scores run from 1 (most peaceful) to 5. Four measures: the overall score and
the three domains (Safety and Security, Militarisation, Ongoing Conflict).
Two layouts: the workbook with one sheet per measure (years across, header on
row 4 under a banner) and the long CSV (Country, iso3c, year, score, measure).
Countries are keyed by ``iso3c``, ISO3 except Kosovo written ``KSV`` (the World
Bank's code), so codes are read in the ``wb`` scheme, which accepts both.

>>> MEASURES["Ongoing Conflict"]
'ongoing_conflict'
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, long_obs, numeric, read_csv, read_xlsx, unique
from cultrade.sources.registry import register

MEASURES = {
    "Overall Scores": "overall",
    "Safety and Security": "safety_security",
    "Militarisation": "militarisation",
    "Ongoing Conflict": "ongoing_conflict",
}
LONG_COLUMNS = ("Country", "iso3c", "year", "score", "measure")
SHEET_HEADER_ROW = 4


def _from_workbook(path: Path) -> pd.DataFrame:
    parts = []
    for sheet in MEASURES:
        df = read_xlsx(path, sheet=sheet, header_row=SHEET_HEADER_ROW, required=("Country", "iso3c"))
        years = [c for c in df.columns if re.fullmatch(r"\d{4}", c)]
        if not years:
            raise SourceFormatError(f"sheet {sheet!r} has no year columns", path=path, row=SHEET_HEADER_ROW,
                                    hint="use the IEP workbook with one sheet per measure and years across")
        df = df[df["Country"].str.strip() != ""]
        long = df.melt(id_vars=["Country", "iso3c"], value_vars=years, var_name="year", value_name="score")
        parts.append(long.assign(measure=sheet))
    out = pd.concat(parts, ignore_index=True)
    # Line numbers of a melted workbook are not meaningful; errors name sheet-independent rows.
    out.attrs = {"path": str(path), "line_offset": SHEET_HEADER_ROW + 1}
    return out


@register
class GPI(TableAdapter):
    name = "gpi"
    title = "Global Peace Index"
    publisher = "Institute for Economics & Peace"
    licence = "IEP terms: non-commercial use with attribution"
    bundle = False
    homepage = "https://www.visionofhumanity.org/maps/"
    tables = ("obs_gpi",)
    patterns = ("GPI_*.xlsx", "gpi_*_long.csv")

    def vintage(self, path: Path) -> str:
        match = re.search(r"(\d{4})-(\d{4})", path.name)
        return f"GPI {match.group(2)}" if match else ""

    def parse(self, path: Path) -> dict[str, Frame]:
        df = _from_workbook(path) if path.suffix.lower() == ".xlsx" else read_csv(path, required=LONG_COLUMNS)
        measure = df["measure"].str.strip()
        bad = ~measure.isin(list(MEASURES))
        if bad.any():
            pos = int(bad.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"unknown GPI measure {measure.iloc[pos]!r}", path=path,
                                    row=int(df.attrs["line_offset"]) + pos, column="measure",
                                    hint=f"GPI measures are {', '.join(MEASURES)}")
        out = pd.DataFrame({
            "Country": df["Country"].str.strip(),
            "iso3c": df["iso3c"].str.strip(),
            "year": numeric(df, "year", path=path, lo=2008, hi=2100, integer=True, required=True),
            "indicator": measure.map(MEASURES),
            "score": numeric(df, "score", path=path, lo=1, hi=5),
        })
        out.attrs = df.attrs
        unique(out, ["iso3c", "year", "indicator"], path=path)
        no_code = out["iso3c"].fillna("") == ""
        if no_code.any():
            pos = int(no_code.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"{out['Country'].iloc[pos]!r} has no country code", path=path,
                                    row=int(df.attrs["line_offset"]) + pos, column="iso3c",
                                    hint="fill in the ISO3 code of the country")
        out = iso3_column(out, "iso3c", "wb", path=path)
        out = out[out["score"].notna()]
        return {"obs_gpi": long_obs(out, value="score")}

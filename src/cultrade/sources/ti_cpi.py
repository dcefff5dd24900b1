"""Transparency International Corruption Perceptions Index (CPI).

Two CSV layouts: the historical file (one row per country and year, 2012 on:
score, rank, standard error, number of sources, 90% confidence interval) and
the single-edition file ``CPI2024`` (the same for one year, with the year in
the column names, plus the thirteen underlying source scores). Scores run from
0 (highly corrupt) to 100 (very clean); every
listed country has a score, so a missing one (empty, ``nan``) is refused with its row, never dropped. Countries are keyed by ``ISO3``,
except Kosovo written ``KSV`` (the World Bank's code); codes are read in the
``wb`` scheme, which accepts both.

Both files carry the latest edition: load the historical file or the
single-edition files, not both (they are different partitions).

>>> TICPI().partition(Path("CPI2024.csv")), TICPI().partition(Path("ti_cpi_historical.csv"))
('2024', 'historical')
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, long_obs, numeric, read_csv, unique
from cultrade.sources.registry import register

NAME = "Country / Territory"
HISTORICAL = (NAME, "ISO3", "Year", "Region", "CPI score", "Rank", "Standard error", "Number of sources",
              "Lower CI", "Upper CI")
EDITION = (NAME, "ISO3", "Region", "Rank", "Number of sources", "Lower CI", "Upper CI")
SOURCES = (
    "African Development Bank CPIA", "Bertelsmann Foundation Sustainable Governance Index",
    "Bertelsmann Foundation Transformation Index", "Economist Intelligence Unit Country Ratings",
    "Freedom House Nations In Transit", "S&P / Global Insights Country Risk Ratings",
    "IMD World Competitiveness Yearbook", "PERC Asia Risk Guide", "PRS International Country Risk Guide",
    "Varieties of Democracy Project", "World Bank CPIA", "World Economic Forum EOS",
    "World Justice Project Rule of Law Index",
)
EXTRA = ["rank", "std_error", "n_sources", "lower_ci", "upper_ci", "region"]
# CPI has about 180 countries; its sources number 3 to 13.
MAX_RANK = 200


def edition_year(columns: list[str]) -> int | None:
    """The edition in a single-year layout, from its "CPI 2024 score" column.

    >>> edition_year(["Country / Territory", "CPI 2024 score"])
    2024
    """
    for column in columns:
        match = re.fullmatch(r"CPI (\d{4}) score", column)
        if match:
            return int(match.group(1))
    return None


@register
class TICPI(TableAdapter):
    name = "ti_cpi"
    title = "Corruption Perceptions Index"
    publisher = "Transparency International"
    licence = "CC BY-ND 4.0"
    bundle = False
    homepage = "https://www.transparency.org/en/cpi"
    tables = ("obs_ti_cpi", "ti_cpi_sources")
    patterns = ("CPI20*.csv", "ti_cpi_*.csv", "CPI-historical*.csv")

    def partition(self, path: Path) -> str:
        match = re.search(r"(20\d\d)\.csv$", path.name)
        return match.group(1) if match else "historical"

    def vintage(self, path: Path) -> str:
        part = self.partition(path)
        return f"CPI {part}" if part != "historical" else "CPI historical"

    def parse(self, path: Path) -> dict[str, Frame]:
        head = read_csv(path)
        year = edition_year(list(head.columns))
        if year is None:
            df = read_csv(path, required=HISTORICAL)
            score, se = "CPI score", "Standard error"
            years = numeric(df, "Year", path=path, lo=1995, hi=2100, integer=True, required=True)
        else:
            se = f"standard error {year}"
            df = read_csv(path, required=(*EDITION, se))
            score = f"CPI {year} score"
            years = pd.Series(year, index=df.index, dtype="Int64")
        out = pd.DataFrame({
            "ISO3": df["ISO3"].str.strip(),
            "year": years,
            "score": numeric(df, score, path=path, lo=0, hi=100, required=True),
            "rank": numeric(df, "Rank", path=path, lo=1, hi=MAX_RANK, integer=True),
            "std_error": numeric(df, se, path=path, lo=0, hi=50),
            "n_sources": numeric(df, "Number of sources", path=path, lo=1, hi=len(SOURCES), integer=True),
            "lower_ci": numeric(df, "Lower CI", path=path, lo=-50, hi=150),
            "upper_ci": numeric(df, "Upper CI", path=path, lo=-50, hi=150),
            "region": df["Region"].str.strip(),
        })
        out.attrs = df.attrs
        no_code = out["ISO3"].fillna("") == ""
        if no_code.any():
            pos = int(no_code.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"{df[NAME].iloc[pos]!r} has no ISO3 code", path=path,
                                    row=int(df.attrs["line_offset"]) + pos, column="ISO3",
                                    hint="fill in the country's ISO3 code")
        unique(out, ["ISO3", "year"], path=path)
        out = iso3_column(out, "ISO3", "wb", path=path)
        obs = long_obs(out, indicator="cpi_score", value="score", extra=EXTRA)
        frames: dict[str, Frame] = {"obs_ti_cpi": obs}
        present = [s for s in SOURCES if s in df.columns]
        if year is not None:
            wide = pd.DataFrame({s: numeric(df, s, path=path, lo=0, hi=100) for s in present})
            wide["ISO3"] = df["ISO3"].str.strip()
            wide.attrs = df.attrs
            wide = iso3_column(wide, "ISO3", "wb", path=path)
            long = wide.melt(id_vars=["iso3"], value_vars=present, var_name="source", value_name="score")
            long = long[long["score"].notna()].assign(year=year)
            frames["ti_cpi_sources"] = long[["iso3", "year", "source", "score"]].reset_index(drop=True)
        return frames

"""Freedom House, Freedom in the World (FIW): the 2013-2025 workbook and its long CSV.

One row per country or territory and edition: status (F, PF, NF), the
political-rights and civil-liberties ratings (1 best to 7 worst), the 25
sub-scores A1..G4 (0-4), the category totals A..G, PR (0-40, can fall below
zero through the discretionary question Add Q), CL (0-60) and the Total
(0-100). ``Add A`` was dropped in 2018 and is "N/A" since.

Edition N describes year N-1: ``year`` keeps the edition as published and
``data_year`` = year - 1 is added. ``C/T`` marks countries (c) and territories
(t). Territories with an ISO3 code (Hong Kong, Puerto Rico, Western Sahara)
go to ``obs_freedom_house`` with the countries; those without one, listed in
:data:`TERRITORIES`, go to ``freedom_house_territories`` by name.

>>> "Crimea" in TERRITORIES, FreedomHouse().vintage(Path("All_data_FIW_2013-2025.xlsx"))
(True, 'FIW 2013-2025')
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, long_obs, numeric, read_csv, read_xlsx, unique
from cultrade.sources.registry import register

# Territories Freedom House rates that have no ISO 3166 code (disputed, occupied or
# sub-national areas). They are kept by name, never mapped to their host state.
TERRITORIES = (
    "Abkhazia", "Crimea", "Eastern Donbas", "Gaza Strip", "Indian Kashmir", "Nagorno-Karabakh",
    "Northern Cyprus", "Pakistani Kashmir", "Russian-Occupied Territories of Ukraine", "Somaliland",
    "South Ossetia", "Tibet", "Transnistria", "West Bank",
)
SUBSCORES = {f"{cat}{i}": 4 for cat, n in zip("ABCDEFG", (3, 4, 3, 4, 3, 4, 4), strict=True)
             for i in range(1, n + 1)}
CATEGORIES = {"A": 12, "B": 16, "C": 12, "D": 16, "E": 12, "F": 16, "G": 16}
NAME = "Country/Territory"
REQUIRED = (NAME, "Region", "C/T", "Edition", "Status", "PR rating", "CL rating", *SUBSCORES, *CATEGORIES,
            "Add Q", "Add A", "PR", "CL", "Total")
STATUSES = ("F", "PF", "NF")
SHEET = "FIW13-25"


def _bad(df: pd.DataFrame, mask: pd.Series, column: str, path: Path, hint: str) -> SourceFormatError:
    pos = int(mask.to_numpy().nonzero()[0][0])
    return SourceFormatError(f"value {df[column].iloc[pos]!r} is not allowed", path=path,
                             row=int(df.attrs["line_offset"]) + pos, column=column, hint=hint)


@register
class FreedomHouse(TableAdapter):
    name = "freedom_house"
    title = "Freedom in the World"
    publisher = "Freedom House"
    licence = "FH terms: non-commercial use with attribution"
    bundle = False
    homepage = "https://freedomhouse.org/report/freedom-world"
    tables = ("obs_freedom_house", "freedom_house_territories")
    patterns = ("All_data_FIW_*.xlsx", "fiw_*_long.csv")

    def vintage(self, path: Path) -> str:
        match = re.search(r"(\d{4})-(\d{4})", path.name)
        return f"FIW {match.group(1)}-{match.group(2)}" if match else ""

    def parse(self, path: Path) -> dict[str, Frame]:
        if path.suffix.lower() == ".xlsx":
            df = read_xlsx(path, sheet=SHEET, header_row=2, required=REQUIRED)
        else:
            df = read_csv(path, required=REQUIRED)
        df = df.assign(**{NAME: df[NAME].str.strip(), "C/T": df["C/T"].str.strip().str.lower(),
                          "Status": df["Status"].str.strip()})
        ct_bad = ~df["C/T"].isin(["c", "t"])
        if ct_bad.any():
            raise _bad(df, ct_bad, "C/T", path, "C/T is 'c' for a country or 't' for a territory")
        status_bad = ~df["Status"].isin(STATUSES)
        if status_bad.any():
            raise _bad(df, status_bad, "Status", path, "status is F, PF or NF")
        values = {
            "PR rating": numeric(df, "PR rating", path=path, lo=1, hi=7, integer=True),
            "CL rating": numeric(df, "CL rating", path=path, lo=1, hi=7, integer=True),
            **{c: numeric(df, c, path=path, lo=0, hi=hi) for c, hi in SUBSCORES.items()},
            **{c: numeric(df, c, path=path, lo=0, hi=hi) for c, hi in CATEGORIES.items()},
            "Add Q": numeric(df, "Add Q", path=path, lo=0, hi=4),
            "Add A": numeric(df, "Add A", path=path, lo=0, hi=4),
            "PR": numeric(df, "PR", path=path, lo=-4, hi=40),
            "CL": numeric(df, "CL", path=path, lo=0, hi=60),
            "Total": numeric(df, "Total", path=path, lo=-4, hi=100),
        }
        out = pd.DataFrame({
            "name": df[NAME], "region": df["Region"].str.strip(), "kind": df["C/T"], "status": df["Status"],
            "year": numeric(df, "Edition", path=path, lo=2000, hi=2100, integer=True), **values,
        })
        out.attrs = df.attrs
        unique(out, ["name", "year"], path=path)
        territory = out["name"].isin(TERRITORIES)
        not_territory = territory & (out["kind"] != "t")
        if not_territory.any():
            raise _bad(df, not_territory, "C/T", path, "only territories may lack an ISO3 code")
        out["data_year"] = out["year"] - 1
        extra = ["data_year", "status"]
        territories = out.loc[territory, ["name", "region", "year", "data_year", "status", "PR rating",
                                          "CL rating", "PR", "CL", "Total"]]
        territories = territories.rename(columns={"PR rating": "pr_rating", "CL rating": "cl_rating",
                                                  "PR": "pr", "CL": "cl", "Total": "total"})
        countries = iso3_column(out, "name", "name", path=path, skip=TERRITORIES)
        unique(countries, ["iso3", "year"], path=path)
        obs = pd.concat([long_obs(countries, indicator=c, value=c, extra=extra) for c in values],
                        ignore_index=True)
        obs = obs[obs["value"].notna()].reset_index(drop=True)
        obs["data_year"] = obs["data_year"].astype("int32")
        return {"obs_freedom_house": obs, "freedom_house_territories": territories.reset_index(drop=True)}

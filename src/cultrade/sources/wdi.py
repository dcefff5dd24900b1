"""World Bank World Development Indicators: one series per file, in two layouts.

*API download* (``API_<CODE>_DS2_en_csv_v2_<n>.csv``): four preamble lines
(``"Data Source"``, blank, ``"Last Updated Date"``, blank), then a wide header
``Country Name, Country Code, Indicator Name, Indicator Code, 1960, 1961, ...``
and often a trailing comma on every line. Some copies had the preamble
stripped upstream; both are read.

*datahub long CSV* (``Country Name, Country Code, Year, Value`` or
``Country, Country Code, Year, Inflation``): the series code is not in the
file, so it must be in the file name. The upstream datahub inflation files were
swapped, so the names in ``shared/data`` carry the true code (``FP.CPI.TOTL.ZG``
for CPI, ``NY.GDP.DEFL.KD.ZG`` for the GDP deflator).

Rows go to ``obs_wdi`` with ``indicator`` = the WDI code. The partition is the
series code, so several series coexist and a newer download of one series
replaces only that series. World Bank aggregates (WLD, EUU, HIC, ...) are
dropped, and so is ``INX`` ("Not classified"), which the API files carry as a
catch-all row and which is neither a country nor a listed aggregate.

>>> from cultrade.sources import get_adapter
>>> wdi = get_adapter("wdi")
>>> wdi.partition(Path("API_IT.NET.USER.ZS_DS2_en_csv_v2_2160.csv"))
'IT.NET.USER.ZS'
>>> wdi.partition(Path("datahub_inflation_cpi_FP.CPI.TOTL.ZG__from_file_inflation-gdp.csv"))
'FP.CPI.TOTL.ZG'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.sources.base import (
    Frame,
    TableAdapter,
    iso3_column,
    long_obs,
    numeric,
    read_csv,
    read_text,
    unique,
)
from cultrade.sources.registry import register


@dataclass(frozen=True)
class Series:
    """A WDI series this package knows, with the range its values can take."""

    title: str
    unit: str
    lo: float | None
    hi: float | None


# Bounds are the physical limits of each unit where there is one (shares,
# prices) and a generous margin around the published extremes where there is
# not (growth rates, FDI ratios), so a unit slip (e.g. millions vs units) fails.
SERIES: dict[str, Series] = {
    "NY.GDP.MKTP.CD": Series("GDP (current US$)", "USD", 0, 1e15),
    "SP.POP.TOTL": Series("Population, total", "persons", 0, 2e10),
    # Inflation cannot fall below -100 %; published peaks are ~27,000 % (DR Congo, Zimbabwe).
    "FP.CPI.TOTL.ZG": Series("Inflation, consumer prices (annual %)", "%", -100, 1e6),
    "NY.GDP.DEFL.KD.ZG": Series("Inflation, GDP deflator (annual %)", "%", -100, 1e6),
    "IT.NET.USER.ZS": Series("Individuals using the Internet (% of population)", "% of population", 0, 100),
    "PA.NUS.FCRF": Series("Official exchange rate (LCU per US$, period average)", "LCU per USD", 0, 1e12),
    # Net FDI can be negative (disinvestment) and exceed 1,000 % of GDP in financial centres.
    "BX.KLT.DINV.WD.GD.ZS": Series("Foreign direct investment, net inflows (% of GDP)", "% of GDP", -5000, 5000),
    # Chad 1968-69 is published with small negative reserves, hence a lower bound below zero.
    "FI.RES.TOTL.CD": Series("Total reserves (includes gold, current US$)", "USD", -1e8, 1e14),
    "NE.TRD.GNFS.ZS": Series("Trade (% of GDP)", "% of GDP", 0, 2000),
}
# Codes in WDI files that are neither countries nor aggregates in the FY25 list.
NOT_COUNTRIES = ("INX",)  # "Not classified"
API_COLUMNS = ("Country Name", "Country Code", "Indicator Name", "Indicator Code")
LONG_VALUE_COLUMNS = ("Value", "Inflation")
_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2,3}(?:\.[A-Z0-9]+){1,5})(?![A-Za-z0-9])")
_YEAR = re.compile(r"^\d{4}$")
_UPDATED = re.compile(r'"Last Updated Date","(\d{4}-\d{2}-\d{2})"')


def series_code(path: Path) -> str:
    """The WDI code in a file name, or '' if there is none.

    >>> series_code(Path("datahub_gdp_current_usd_NY.GDP.MKTP.CD.csv"))
    'NY.GDP.MKTP.CD'
    >>> series_code(Path("gdp.csv"))
    ''
    """
    match = _CODE.search(path.name)
    return match.group(1) if match else ""


def _has_preamble(text: str) -> bool:
    return text.lstrip("\ufeff").startswith('"Data Source"')


@register
class WDI(TableAdapter):
    name = "wdi"
    title = "World Development Indicators"
    publisher = "World Bank"
    licence = "CC BY 4.0"
    bundle = True
    homepage = "https://databank.worldbank.org/source/world-development-indicators"
    tables = ("obs_wdi",)
    patterns = ("API_*_DS2_*.csv", "datahub_*[A-Z][A-Z].[A-Z]*.csv")

    def partition(self, path: Path) -> str:
        return series_code(path)

    def vintage(self, path: Path) -> str:
        """The API download's "Last Updated Date", when the preamble is still there."""
        try:
            head = path.read_bytes()[:400].decode("utf-8", errors="replace")
        except OSError:
            return ""
        match = _UPDATED.search(head)
        return match.group(1) if match else ""

    def parse(self, path: Path) -> dict[str, Frame]:
        text = read_text(path)
        header = text.lstrip("\ufeff").split("\n", 1)[0]
        if _has_preamble(text) or "Indicator Code" in header:
            out = self._parse_api(path, skiprows=4 if _has_preamble(text) else 0)
        else:
            out = self._parse_long(path)
        return {"obs_wdi": out}

    # -- the API download: wide, one row per economy ----------------------------------
    def _parse_api(self, path: Path, *, skiprows: int) -> pd.DataFrame:
        df = read_csv(path, required=API_COLUMNS, skiprows=skiprows)
        years = [c for c in df.columns if _YEAR.match(c)]
        stray = [c for c in df.columns if c not in API_COLUMNS and c not in years
                 and not (c.startswith("Unnamed:") and (df[c] == "").all())]
        if not years or stray:
            raise SourceFormatError(
                f"expected year columns after {list(API_COLUMNS)}; found {stray[:5] or 'no years'}",
                path=path, row=skiprows + 1, hint="use the World Bank API CSV download unchanged")
        codes = sorted(set(df["Indicator Code"].str.strip()) - {""})
        named = series_code(path)
        if len(codes) != 1 or (named and codes[0] != named):
            raise SourceFormatError(
                f"the file should hold one series{f' ({named})' if named else ''}; found {codes[:5]}",
                path=path, column="Indicator Code",
                hint="download one series per file and keep the World Bank's file name")
        code = codes[0]
        unique(df, ["Country Code"], path=path)
        rng = SERIES.get(code)
        values = pd.DataFrame({
            y: numeric(df, y, path=path, lo=rng.lo if rng else None, hi=rng.hi if rng else None)
            for y in years
        })
        values.insert(0, "Country Code", df["Country Code"])
        values.attrs = df.attrs
        values = iso3_column(values, "Country Code", "wb", path=path, skip=NOT_COUNTRIES)
        long = values.drop(columns="Country Code").melt(id_vars="iso3", var_name="year", value_name="value")
        long = long[long["value"].notna()].assign(year=lambda d: d["year"].astype(int))
        return long_obs(long.sort_values(["iso3", "year"]), indicator=code)

    # -- datahub: long, one row per economy and year ----------------------------------
    def _parse_long(self, path: Path) -> pd.DataFrame:
        code = series_code(path)
        df = read_csv(path, required=("Country Code", "Year"))
        value_cols = [c for c in LONG_VALUE_COLUMNS if c in df.columns]
        if len(value_cols) != 1:
            raise SourceFormatError(
                f"expected one value column ({' or '.join(LONG_VALUE_COLUMNS)}); found {list(df.columns)}",
                path=path, row=1, hint="this does not look like a datahub WDI file; check the file")
        if not code:
            raise SourceFormatError(
                "the datahub layout does not say which WDI series it holds",
                path=path,
                hint="put the WDI code in the file name, e.g. datahub_gdp_NY.GDP.MKTP.CD.csv "
                     "(the datahub inflation files are swapped upstream: check which one you have)")
        rng = SERIES.get(code)
        out = pd.DataFrame({
            "Country Code": df["Country Code"],
            "year": numeric(df, "Year", path=path, lo=1960, hi=2100, integer=True, required=True),
            "value": numeric(df, value_cols[0], path=path, lo=rng.lo if rng else None, hi=rng.hi if rng else None),
        })
        out.attrs = df.attrs
        unique(out, ["Country Code", "year"], path=path)
        out = iso3_column(out, "Country Code", "wb", path=path, skip=NOT_COUNTRIES)
        out = out[out["value"].notna() & out["year"].notna()]
        return long_obs(out, indicator=code)

"""Our World in Data grapher downloads: ``Entity, Code, Year`` plus value columns.

OWID republishes series from other publishers; the files here carry the IMF
World Economic Outlook (April 2025) real GDP growth, with observations and
forecasts in two columns, and two WDI series (FDI net inflows and trade, both
% of GDP). Each known value column maps to one indicator in ``obs_owid``:

* ``gdp_growth_obs``: IMF WEO real GDP growth, observed (1980-2024), annual %
* ``gdp_growth_fcst``: IMF WEO real GDP growth, forecast vintages (2010-2030)
* ``BX.KLT.DINV.WD.GD.ZS`` and ``NE.TRD.GNFS.ZS``: the WDI series under their
  WDI codes, so they line up with ``obs_wdi``.

Both WEO columns are kept: for the latest observed year OWID repeats the value
in each. Country keys are ISO3 except OWID's own codes: ``OWID_KOS`` is Kosovo
(XKX), any other ``OWID_*`` code is a group (``OWID_WRL``) and is dropped.
OWID leaves the code empty for regions and income groups ("Sub-Saharan Africa
(WB)"); those rows are dropped, but only after checking that the entity is not
a country that lost its code.

>>> from cultrade.sources import get_adapter
>>> INDICATORS["Trade (% of GDP)"].indicator
'NE.TRD.GNFS.ZS'
>>> get_adapter("owid").partition(Path("no-such-file.csv"))
'no-such-file'
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, long_obs, numeric, read_csv, unique
from cultrade.sources.registry import register


@dataclass(frozen=True)
class Indicator:
    indicator: str
    lo: float
    hi: float


_WEO = "Gross domestic product, constant prices - Percent change - "
# Bounds: real growth cannot fall below -100 %; published extremes are -54 % and
# +148 % (Libya); FDI and trade ratios peak near 1,700 % and 860 % of GDP.
INDICATORS: dict[str, Indicator] = {
    _WEO + "Observations": Indicator("gdp_growth_obs", -100, 500),
    _WEO + "Forecasts": Indicator("gdp_growth_fcst", -100, 500),
    "Foreign direct investment, net inflows (% of GDP)": Indicator("BX.KLT.DINV.WD.GD.ZS", -5000, 5000),
    "Trade (% of GDP)": Indicator("NE.TRD.GNFS.ZS", 0, 2000),
}
KEY_COLUMNS = ("Entity", "Code", "Year")
# OWID codes for countries that have no ISO3 code of their own.
OWID_COUNTRIES = {"OWID_KOS": "XKX"}


def _header(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return []  # parse() reports the problem with its row


@register
class OWID(TableAdapter):
    name = "owid"
    title = "Our World in Data: IMF WEO GDP growth, FDI and trade"
    publisher = "Our World in Data (IMF WEO April 2025; World Bank WDI)"
    licence = "CC BY 4.0 (OWID); IMF terms"
    bundle = True
    homepage = "https://ourworldindata.org/grapher/real-gdp-growth"
    tables = ("obs_owid",)
    patterns = ("owid_*.csv", "real-gdp-growth.csv", "trade-as-share-of-gdp.csv",
                "foreign-direct-investment-net-inflows-as-share-of-gdp.csv")

    def partition(self, path: Path) -> str:
        """The indicators a file holds, so that a renamed copy replaces the same rows."""
        known = sorted(INDICATORS[c].indicator for c in _header(path) if c in INDICATORS)
        return "+".join(known) if known else path.stem

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=KEY_COLUMNS)
        value_cols = [c for c in df.columns if c not in KEY_COLUMNS]
        unknown = [c for c in value_cols if c not in INDICATORS]
        if unknown or not value_cols:
            raise SourceFormatError(
                f"unknown OWID value column(s) {unknown or 'none'}", path=path, row=1,
                hint=f"this adapter reads the columns {sorted(INDICATORS)}; add a new one to INDICATORS")
        out = pd.DataFrame({
            "Entity": df["Entity"],
            "Code": df["Code"].str.strip().replace(OWID_COUNTRIES),
            "year": numeric(df, "Year", path=path, lo=1900, hi=2100, integer=True, required=True),
        })
        for col in value_cols:
            spec = INDICATORS[col]
            out[spec.indicator] = numeric(df, col, path=path, lo=spec.lo, hi=spec.hi)
        out.attrs = df.attrs
        unique(out, ["Entity", "year"], path=path)
        _check_codeless(out, path)
        out = iso3_column(out, "Code", "iso3", path=path)
        unique(out, ["iso3", "year"], path=path)
        frames = []
        for col in value_cols:
            ind = INDICATORS[col].indicator
            part = out[out[ind].notna()]
            frames.append(long_obs(part, indicator=ind, value=ind))
        obs = pd.concat(frames, ignore_index=True)
        return {"obs_owid": obs.sort_values(["indicator", "iso3", "year"]).reset_index(drop=True)}


def _check_codeless(df: pd.DataFrame, path: Path) -> None:
    """Rows without a code must be groups, not countries whose code went missing."""
    countries = get_countries()
    blank = df[df["Code"].fillna("") == ""]
    for pos, entity in zip(blank.index, blank["Entity"], strict=True):
        iso3 = countries.try_iso3(entity, "name")
        if iso3 is not None:
            raise SourceFormatError(
                f"{entity!r} has no code, but it is a country ({iso3})", path=path,
                row=int(df.attrs.get("line_offset", 2)) + int(pos), column="Code",
                hint=f"fill in the code {iso3} as OWID publishes it")

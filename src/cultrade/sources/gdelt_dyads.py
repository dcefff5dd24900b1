"""GDELT 1.0 monthly dyad counts: conflict events between one home country and each partner.

The file (``gdelt1_chn_dyad_month_conflict_counts_2003-2023.csv.gz``, a GDELT BigQuery extract) has
one row per month, partner (``Actor2CountryCode``, a CAMEO country code), ``QuadClass``,
``SubEventType``, the summed ``GoldsteinScale`` and the ``RecordCount``. The home country (actor 1)
is named in the file name (``gdelt1_<iso3>_dyad_month_...``). Regional CAMEO codes (AFR, EUR...) are
no country and are dropped; unknown codes are refused with their line.

Table ``event_dyad_months``: month (first day), actor1_iso3, actor2_iso3, quad_class,
sub_event_type, goldstein_sum, events. Licence: GDELT is free to use with citation.

>>> GDELTDyadMonths().partition(Path("gdelt1_chn_dyad_month_conflict_counts_2003-2023.csv.gz"))
'chn'
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, numeric
from cultrade.sources.registry import register
from cultrade.sources.ucdp import _read_maybe_gzip

COLUMNS = ("MonthYear", "Actor2CountryCode", "QuadClass", "SubEventType", "GoldsteinScale", "RecordCount")
_NAME = re.compile(r"gdelt1?_([a-z]{3})_dyad_month", re.IGNORECASE)


@register
class GDELTDyadMonths(TableAdapter):
    name = "gdelt_dyads"
    title = "GDELT monthly dyad conflict counts (home country x partner)"
    publisher = "The GDELT Project (BigQuery extract)"
    licence = "GDELT: free to use with citation"
    bundle = True
    homepage = "https://www.gdeltproject.org/"
    tables = ("event_dyad_months",)
    patterns = ("gdelt1_*_dyad_month_*.csv.gz", "gdelt1_*_dyad_month_*.csv")

    def partition(self, path: Path) -> str:
        match = _NAME.search(path.name)
        return match.group(1).lower() if match else path.name.split(".")[0]

    def parse(self, path: Path) -> dict[str, Frame]:
        match = _NAME.search(path.name)
        home = get_countries().try_iso3(match.group(1).upper(), "iso3") if match else None
        if home is None:
            raise SourceFormatError("the file name does not name the home country",
                                    path=path, hint="keep GDELT's name gdelt1_<iso3>_dyad_month_..., e.g. gdelt1_chn_...")
        df = _read_maybe_gzip(path, COLUMNS)
        month = numeric(df, "MonthYear", path=path, lo=197901, hi=210012, integer=True)
        bad = ~(month % 100).between(1, 12)
        if bad.any():
            pos = int(bad.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"MonthYear {int(month.iloc[pos])} is not YYYYMM", path=path,
                                    row=int(df.attrs["line_offset"]) + pos, column="MonthYear",
                                    hint="GDELT writes months as YYYYMM, e.g. 201906")
        out = pd.DataFrame({
            "month": pd.to_datetime((month * 100 + 1).astype(str), format="%Y%m%d"),
            "code": df["Actor2CountryCode"].str.strip(),
            "quad_class": numeric(df, "QuadClass", path=path, lo=1, hi=4, integer=True).astype("int8"),
            "sub_event_type": numeric(df, "SubEventType", path=path, lo=0, hi=99, integer=True).astype("int16"),
            "goldstein_sum": numeric(df, "GoldsteinScale", path=path),
            "events": numeric(df, "RecordCount", path=path, lo=0, integer=True).astype("int64"),
        })
        out.attrs = df.attrs
        out = iso3_column(out, "code", "cameo", path=path)
        out = out.rename(columns={"iso3": "actor2_iso3"}).assign(actor1_iso3=home)
        out = out[out["actor2_iso3"] != home]
        cols = ["month", "actor1_iso3", "actor2_iso3", "quad_class", "sub_event_type", "goldstein_sum", "events"]
        return {"event_dyad_months": out[cols].reset_index(drop=True)}


__all__ = ["GDELTDyadMonths"]

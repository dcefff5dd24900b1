"""The gravity dataset of the WTO/UNCTAD *Advanced Guide to Trade Policy Analysis* (Yotov et al. 2016).

69 countries, 1986-2006, one row per exporter, importer and year: manufacturing
trade in **million USD** including domestic flows (exporter = importer), with
distance (km), contiguity, common language, colonial tie and regional trade
agreement dummies (and RTA lags/leads).

>>> AGTPA.tables
('agtpa_gravity',)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cultrade.sources.base import Frame, TableAdapter, iso3_column, numeric, read_csv, unique
from cultrade.sources.registry import register

DUMMIES = ("cntg", "lang", "clny", "rta", "rta_lag3", "rta_lag4", "rta_lag6", "rta_lag8", "rta_lag9", "rta_lag12",
           "rta_lead4")


@register
class AGTPA(TableAdapter):
    name = "agtpa"
    title = "AGTPA structural gravity dataset (Yotov, Piermartini, Monteiro & Larch 2016)"
    publisher = "WTO and UNCTAD, via the tradepolicy R package"
    licence = "CC BY 4.0"
    bundle = True
    homepage = "https://vi.unctad.org/tpa/"
    tables = ("agtpa_gravity",)
    patterns = ("agtpa_applications*.csv",)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("exporter", "importer", "year", "trade", "dist", *DUMMIES))
        out = pd.DataFrame({
            "exporter_code": df["exporter"], "importer_code": df["importer"],
            "year": numeric(df, "year", lo=1950, hi=2100, integer=True, required=True),
            "trade_musd": numeric(df, "trade", lo=0),
            "dist_km": numeric(df, "dist", lo=0, hi=20_100),
        })
        for col in DUMMIES:
            out[col] = numeric(df, col, lo=0, hi=1, integer=True, required=True).astype("int8")
        out.attrs = df.attrs
        unique(out, ["exporter_code", "importer_code", "year"], path=path)
        out = iso3_column(out, "exporter_code", "wb", path=path).rename(
            columns={"iso3": "exporter"})
        out = iso3_column(out, "importer_code", "wb", path=path).rename(
            columns={"iso3": "importer"})
        cols = ["exporter", "importer", "year", "trade_musd", "dist_km", *DUMMIES]
        out = out[cols].astype({"year": "int16"})
        return {"agtpa_gravity": out.reset_index(drop=True)}

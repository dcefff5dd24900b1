"""Open Trade Statistics: 2017 exports by country and HS4 product, and its commodity table.

``reporter_iso,product_code,export_value_usd``: reporters are lower-case ISO3
codes, products are HS4 headings (HS 2012, as OTS used for 2017), values in
USD; an empty value means no recorded exports and the row is dropped. OTS also
lists continents and Comtrade's "nes" areas among its countries (``all``,
``c-as``, ``e-490``...); those are not countries and are refused here if they
appear as reporters.

>>> OTS().vintage(Path("ots_exports_hs4_2017.csv"))
'2017'
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, numeric, read_csv, unique
from cultrade.sources.registry import register


class _OTS(TableAdapter):
    publisher = "Open Trade Statistics (Vargas), from UN Comtrade"
    licence = "Apache-2.0"
    bundle = True
    homepage = "https://tradestatistics.io/"


def _hs(df: pd.DataFrame, column: str, path: Path, lengths: str) -> pd.Series:
    codes = df[column].str.strip()
    bad = ~codes.str.fullmatch(rf"\d{{{lengths}}}")
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise SourceFormatError(f"{df[column].iloc[pos]!r} is not an HS code", path=path, row=2 + pos,
                                column=column, hint="OTS product codes are digit strings with leading zeros")
    return codes


@register
class OTS(_OTS):
    name = "ots"
    title = "Open Trade Statistics exports by country and HS4 product"
    tables = ("ots_exports",)
    patterns = ("ots_exports_hs4_*.csv",)

    def vintage(self, path: Path) -> str:
        match = re.search(r"(\d{4})", path.stem)
        return match.group(1) if match else ""

    def partition(self, path: Path) -> str:
        return self.vintage(path)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("reporter_iso", "product_code", "export_value_usd"))
        year = self.vintage(path)
        if not year:
            raise SourceFormatError("cannot read the year from the file name", path=path,
                                    hint="name the file ots_exports_hs4_YEAR.csv")
        out = pd.DataFrame({"code": df["reporter_iso"].str.strip().str.upper(),
                            "hs4": _hs(df, "product_code", path, "4"),
                            "value_usd": numeric(df, "export_value_usd", lo=0)})
        out.attrs = df.attrs
        unique(out, ["code", "hs4"], path=path)
        out = iso3_column(out, "code", "iso3", path=path)
        out = out[out["value_usd"].notna()]
        return {"ots_exports": pd.DataFrame({"iso3": out["iso3"], "year": int(year), "hs4": out["hs4"],
                                             "value_usd": out["value_usd"]}).reset_index(drop=True)}


@register
class OTSCommodities(_OTS):
    name = "ots_commodities"
    title = "Open Trade Statistics commodity codes (HS 2012, with sections)"
    tables = ("ots_commodities",)
    patterns = ("ots_commodities*.csv",)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("commodity_code", "commodity_code_short", "commodity_fullname_english",
                                      "section_code"))
        unique(df, ["commodity_code"], path=path)
        df = df[df["commodity_code"] != "all"]  # OTS's "all products" row is not a code
        # Besides HS6 codes, OTS lists 2-digit chapters and "999" (commodities not specified).
        out = pd.DataFrame({"code": _hs(df, "commodity_code", path, "2,6"),
                            "hs4": df["commodity_code_short"].str.strip(),
                            "description": df["commodity_fullname_english"],
                            "section": df["section_code"].str.strip()})
        return {"ots_commodities": out}

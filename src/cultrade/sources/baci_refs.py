"""CEPII's reference files that come with BACI: country codes, product codes per HS edition, HS to BEC.

Each is small, so it is parsed with pandas and checked like any other table (see :mod:`cultrade.sources.baci`
for the flow files themselves).

>>> BACIProducts().partition(Path("product_codes_HS17_V202401.csv"))
'HS17'
>>> BACICountries().vintage(Path("country_codes_V202401.csv"))
'V202401'
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError, UnknownCountryError
from cultrade.sources.baci import EDITIONS, HOMEPAGE, LICENCE, PUBLISHER
from cultrade.sources.baci_tables import UNSPECIFIED, code_table
from cultrade.sources.base import Frame, TableAdapter, numeric, read_csv, unique
from cultrade.sources.registry import register

_HS6_RE = f"[0-9]{{6}}|{UNSPECIFIED}"


class _BaciReference(TableAdapter):
    publisher = PUBLISHER
    licence = LICENCE
    bundle = True
    homepage = HOMEPAGE

    def vintage(self, path: Path) -> str:
        match = re.search(r"(V\d{6})", path.name, re.IGNORECASE)
        return match.group(1).upper() if match else ""


def _hs6(df: pd.DataFrame, column: str, path: Path) -> pd.Series:
    codes = df[column].astype("string").str.strip().str.zfill(6)
    bad = ~codes.str.fullmatch(_HS6_RE).fillna(False) | (codes < "01")
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise SourceFormatError(f"{df[column].iloc[pos]!r} is not a six-digit HS code", path=path,
                                row=int(df.attrs["line_offset"]) + pos, column=column,
                                hint="product codes have six digits, e.g. 970110")
    return codes


@register
class BACICountries(_BaciReference):
    """BACI country codes: ``country_code,country_iso3`` (V202401) or the older five-column layout."""

    name = "baci_countries"
    title = "BACI country codes"
    tables = ("baci_countries",)
    patterns = ("country_codes_V*.csv",)

    def partition(self, path: Path) -> str:
        return self.vintage(path)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("country_code",))
        iso_col = next((c for c in ("country_iso3", "iso_3digit_alpha") if c in df.columns), None)
        if iso_col is None:
            raise SourceFormatError("missing column country_iso3 (or iso_3digit_alpha)", path=path, row=1,
                                    hint="use CEPII's country_codes_V*.csv from the BACI download")
        codes = numeric(df, "country_code", path=path, lo=0, hi=999, integer=True, required=True)
        out = pd.DataFrame({"code": codes.astype("int32"), "baci_iso3": df[iso_col].str.strip(),
                            "name": df["country_name_full"].str.strip() if "country_name_full" in df.columns else None})
        out.attrs = df.attrs
        unique(out, ["code"], path=path)
        mapping = code_table().set_index("code")["iso3"]
        known = out["code"].isin(mapping.index)
        if not known.all():
            pos = int((~known).to_numpy().nonzero()[0][0])
            raise UnknownCountryError(df["country_code"].iloc[pos], scheme="baci", path=path, row=2 + pos,
                                      column="country_code")
        out["iso3"] = out["code"].map(mapping).astype("string")
        return {"baci_countries": out.reset_index(drop=True)}


@register
class BACIProducts(_BaciReference):
    """BACI product codes of one HS edition (``code,description``), keyed by edition and code."""

    name = "baci_products"
    title = "BACI product codes (HS6, every edition)"
    tables = ("baci_products",)
    patterns = ("product_codes_HS??_V*.csv",)

    def partition(self, path: Path) -> str:
        match = re.search(r"(HS\d\d)", path.name, re.IGNORECASE)
        if not match or match.group(1).upper() not in EDITIONS:
            raise SourceFormatError("cannot read the HS edition from the file name", path=path,
                                    hint="keep CEPII's name, e.g. product_codes_HS17_V202401.csv")
        return match.group(1).upper()

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("code", "description"))
        blank = df["description"].str.strip() == ""
        if blank.any():  # every BACI code has a description; a blank one means a cut line
            pos = int(blank.to_numpy().nonzero()[0][0])
            raise SourceFormatError("the description is empty", path=path, row=2 + pos, column="description",
                                    hint="the file may be truncated; download it again from CEPII")
        out = pd.DataFrame({"hs_edition": self.partition(path), "code": _hs6(df, "code", path),
                            "description": df["description"].str.strip()})
        out.attrs = df.attrs
        unique(out, ["code"], path=path)
        return {"baci_products": out}


@register
class HSBEC(_BaciReference):
    """HS 2017 to BEC rev. 5 correspondence (``HS 2017,BEC,Relationship``)."""

    name = "hs_bec"
    title = "HS 2017 to BEC 5 correspondence"
    tables = ("hs_bec",)
    patterns = ("hs17_bec5_correspondence*.csv",)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("HS 2017", "BEC", "Relationship"))
        bec = df["BEC"].str.strip()
        bad = ~bec.str.fullmatch(r"\d{1,4}")
        rel = df["Relationship"].str.strip()
        bad_rel = ~rel.isin(["1:1", "1:n", "n:1", "n:n"])
        for mask, column, hint in ((bad, "BEC", "BEC 5 codes have one to four digits"),
                                   (bad_rel, "Relationship", "use 1:1, 1:n, n:1 or n:n")):
            if mask.any():
                pos = int(mask.to_numpy().nonzero()[0][0])
                raise SourceFormatError(f"{df[column].iloc[pos]!r} is not valid", path=path, row=2 + pos,
                                        column=column, hint=hint)
        out = pd.DataFrame({"hs_edition": "HS17", "hs6": _hs6(df, "HS 2017", path), "bec5": bec,
                            "relationship": rel})
        out.attrs = df.attrs
        unique(out, ["hs6", "bec5"], path=path)
        return {"hs_bec": out}

"""UN Comtrade services exports by EBOPS 2002 top-level category, 80 countries, 2016.

``country,product,value``: country names in Comtrade's spelling (some of them
abbreviated, see :data:`COMTRADE_NAMES`), product as ``"<code> <label>"`` with
the EBOPS 2002 code 1-11 (10 = personal, cultural and recreational services),
value in USD. Exports are never negative, except balance-of-payments corrections: a negative cell is kept
as published only when it is at most :data:`MAX_CORRECTION` of the country's services exports in the file
(Botswana's -91,815 USD of personal, cultural and recreational services is 0.01 % of its 879 M USD);
any other negative value is refused, naming its row.

>>> EBOPS_2002[10]
'Personal, cultural, and recreational services'
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import SourceFormatError, UnknownCountryError
from cultrade.sources.base import Frame, TableAdapter, numeric, read_csv, unique
from cultrade.sources.registry import register

EBOPS_2002 = {
    1: "Transportation", 2: "Travel", 3: "Communications services", 4: "Construction services",
    5: "Insurance services", 6: "Financial services", 7: "Computer and information services",
    8: "Royalties and license fees", 9: "Other business services",
    10: "Personal, cultural, and recreational services", 11: "Government services, n.i.e.",
}
#: Comtrade's abbreviated names that the country reference does not list as aliases.
COMTRADE_NAMES = {
    "Bosnia Herzegovina": "BIH", "Solomon Isds": "SLB", "Dem. Rep. of the Congo": "COD", "Dominican Rep.": "DOM",
    "Rep. of Korea": "KOR", "China, Macao SAR": "MAC", "Rep. of Moldova": "MDA", "TFYR of Macedonia": "MKD",
    "United Rep. of Tanzania": "TZA", "China, Hong Kong SAR": "HKG",
}
_PRODUCT = re.compile(r"^(\d{1,2}) (.+)$")
#: The largest negative correction accepted, as a share of the country's positive services exports in the file.
MAX_CORRECTION = 0.001


def _check_corrections(df: pd.DataFrame, value: pd.Series, path: Path) -> None:
    """Refuse a negative export unless it is a small correction (see :data:`MAX_CORRECTION`)."""
    total = value.clip(lower=0).groupby(df["country"].str.strip()).transform("sum")
    bad = (value < 0) & (-value > MAX_CORRECTION * total)
    if bad.any():
        pos = int(bad.to_numpy().nonzero()[0][0])
        raise SourceFormatError(
            f"negative export {value.iloc[pos]:,.0f} USD is more than {MAX_CORRECTION:.1%} of the country's "
            f"services exports ({total.iloc[pos]:,.0f} USD), too large for a correction", path=path, row=2 + pos,
            column="value", hint="exports are never negative; check the sign and the unit of the cell")


@register
class ComtradeServices(TableAdapter):
    name = "services"
    title = "UN Comtrade services exports by EBOPS 2002 category"
    publisher = "United Nations Statistics Division (UN Comtrade), via economiccomplexity"
    licence = "Apache-2.0"
    bundle = True
    homepage = "https://github.com/pachadotdev/economiccomplexity"
    tables = ("services_exports",)
    patterns = ("comtrade_services_exports_ebops2002_*.csv",)

    def vintage(self, path: Path) -> str:
        match = re.search(r"(\d{4})$", path.stem)
        return match.group(1) if match else ""

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("country", "product", "value"))
        parts = df["product"].str.strip().str.extract(_PRODUCT)
        code = pd.to_numeric(parts[0], errors="coerce")
        bad = ~code.isin(list(EBOPS_2002))
        if bad.any():
            pos = int(bad.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"{df['product'].iloc[pos]!r} is not an EBOPS 2002 top-level category",
                                    path=path, row=2 + pos, column="product",
                                    hint="products read '<code 1-11> <label>', e.g. '2 Travel'")
        value = numeric(df, "value", lo=-1e12, hi=1e13)
        unique(df, ["country", "product"], path=path)
        _check_corrections(df, value, path)
        countries = get_countries()
        iso3 = {}
        for name in df["country"].unique():
            found = COMTRADE_NAMES.get(name.strip()) or countries.try_iso3(name, "name")
            if found is None:
                pos = int((df["country"] == name).to_numpy().nonzero()[0][0])
                raise UnknownCountryError(name, scheme="name", suggestions=countries.suggest(name, "name"),
                                          path=path, row=2 + pos, column="country")
            iso3[name] = found
        year = int(self.vintage(path) or 0) or None
        out = pd.DataFrame({"iso3": df["country"].map(iso3), "year": year, "ebops": code.astype("int8"),
                            "category": code.map(EBOPS_2002), "value_usd": value})
        return {"services_exports": out[out["value_usd"].notna()].reset_index(drop=True)}

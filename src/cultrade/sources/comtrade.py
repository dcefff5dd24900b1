"""UN Comtrade total merchandise imports between 86 countries, 1995-2019.

``Reporter,Partner,Period,Value``: reporter and partner are Comtrade's numeric
codes (UN M49, plus Comtrade's own 251 France, 579 Norway, 699 India, 757
Switzerland, 842 USA), value in USD as reported by the importer. The panel is
zero-padded: every reporter x partner x year is present and ``0`` means "not
reported", so it is stored as a missing value with ``reported = false``.
Comtrade's terms allow this extract for tests and demos only: it is not bundled.

>>> COMTRADE_CODES[842], COMTRADE_CODES[251]
('USA', 'FRA')
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import UnknownCountryError
from cultrade.sources.base import Frame, TableAdapter, numeric, read_csv, unique
from cultrade.sources.registry import register

#: Comtrade reporter codes that differ from UN M49 (they include territories: France with Monaco, ...).
COMTRADE_CODES = {251: "FRA", 579: "NOR", 699: "IND", 757: "CHE", 842: "USA"}


def comtrade_iso3(df: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """ISO3 for Comtrade numeric codes: :data:`COMTRADE_CODES`, then UN M49."""
    countries = get_countries()
    codes = df[column].str.strip()
    mapping: dict[str, str] = {}
    for code in codes.unique():
        found = COMTRADE_CODES.get(int(code)) if code.isdigit() else None
        found = found or countries.try_iso3(code, "m49")
        if found is None:
            pos = int((codes == code).to_numpy().nonzero()[0][0])
            raise UnknownCountryError(code, scheme="m49", suggestions=countries.suggest(code, "m49"), path=path,
                                      row=int(df.attrs["line_offset"]) + pos, column=column)
        mapping[code] = found
    return codes.map(mapping)


class _Comtrade(TableAdapter):
    publisher = "United Nations Statistics Division (UN Comtrade), via CEU MicroData"
    licence = "UN Comtrade terms of use: tests and demo only"
    bundle = False
    homepage = "https://comtradeplus.un.org/"


@register
class ComtradeBilateral(_Comtrade):
    name = "comtrade"
    title = "UN Comtrade bilateral total imports (86 countries)"
    tables = ("comtrade_imports",)
    patterns = ("comtrade_imports_total_bilateral*.csv",)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("Reporter", "Partner", "Period", "Value"))
        year = numeric(df, "Period", lo=1962, hi=2100, integer=True, required=True)
        value = numeric(df, "Value", lo=0)
        numeric(df, "Reporter", lo=0, hi=999, integer=True)
        numeric(df, "Partner", lo=0, hi=999, integer=True)
        unique(df, ["Reporter", "Partner", "Period"], path=path)
        out = pd.DataFrame({
            "importer": comtrade_iso3(df, "Reporter", path), "exporter": comtrade_iso3(df, "Partner", path),
            "year": year.astype("int16"), "value_usd": value.where(value > 0), "reported": value > 0,
        })
        return {"comtrade_imports": out}


@register
class ComtradeCountries(_Comtrade):
    name = "comtrade_countries"
    title = "Countries of the Comtrade bilateral extract"
    tables = ("comtrade_countries",)
    patterns = ("country_names_with_annual_trade_data*.csv",)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("ISO_3166-1_numeric_code", "Country_name"))
        codes = numeric(df, "ISO_3166-1_numeric_code", lo=1, hi=999, integer=True, required=True)
        unique(df, ["ISO_3166-1_numeric_code"], path=path)
        out = pd.DataFrame({"code": codes.astype("int16"),
                            "iso3": comtrade_iso3(df, "ISO_3166-1_numeric_code", path),
                            "name": df["Country_name"].str.strip()})
        return {"comtrade_countries": out}

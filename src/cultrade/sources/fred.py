"""US Federal Reserve H.10 exchange rates via FRED (datahub ``exchange-rates``).

Two files, one layout: ``Date, Country, Value`` (yearly averages, dated
January 1st) and ``Date, Country, Exchange rate`` (monthly averages, dated the
1st). Every rate is in units of the local currency per US dollar, including
the currencies H.10 itself quotes the other way round (AUD, EUR, GBP, NZD).

Rates go to ``fx_rates`` (currency, iso3, country, date, frequency, rate), one
partition per frequency. ``iso3`` is the issuing country when the currency is
one country's; the euro belongs to no single country, so its rows keep
``currency = 'EUR'`` and an empty ``iso3`` instead of an invented country.
Legacy euro-area currencies (DEM, FRF, ...) end in 2001 and keep their country.

Venezuela's series crosses two redenominations that FRED did not rebase
(VEF to VES in August 2018, VES to VED, counted from November 2021 in the
monthly data). The currency code follows the date; the two yearly averages that
mix units (2018, 2021) are not rates in any currency and are left out through
:data:`MIXED_UNITS`.

>>> currency_for("Venezuela", pd.Timestamp("2019-05-01"))
'VES'
>>> currency_for("Euro", pd.Timestamp("2024-01-01"))
'EUR'
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, numeric, read_csv, unique
from cultrade.sources.registry import register

# H.10 / FRED series names (as datahub spells them) to ISO 4217 codes.
CURRENCIES = {
    "Australia": "AUD", "Austria": "ATS", "Belgium": "BEF", "Brazil": "BRL", "Canada": "CAD",
    "China": "CNY", "Denmark": "DKK", "Euro": "EUR", "Finland": "FIM", "France": "FRF",
    "Germany": "DEM", "Greece": "GRD", "Hong Kong": "HKD", "India": "INR", "Ireland": "IEP",
    "Italy": "ITL", "Japan": "JPY", "Malaysia": "MYR", "Mexico": "MXN", "Netherlands": "NLG",
    "New Zealand": "NZD", "Norway": "NOK", "Portugal": "PTE", "Singapore": "SGD",
    "South Africa": "ZAR", "South Korea": "KRW", "Spain": "ESP", "Sri Lanka": "LKR",
    "Sweden": "SEK", "Switzerland": "CHF", "Taiwan": "TWD", "Thailand": "THB",
    "United Kingdom": "GBP", "Venezuela": "VEF",
}
# Currencies that are not one country's: kept at currency level with no iso3.
MULTI_COUNTRY = {"Euro"}
# Venezuela's code by date: (first month in the new unit, code).
_VENEZUELA = ((pd.Timestamp("2018-09-01"), "VES"), (pd.Timestamp("2021-11-01"), "VED"))
# Yearly averages taken across a redenomination: no single unit, so not loaded.
MIXED_UNITS = {("Venezuela", "annual", 2018), ("Venezuela", "annual", 2021)}
VALUE_COLUMNS = {"Value": "annual", "Exchange rate": "monthly"}


def currency_for(country: str, date: pd.Timestamp) -> str:
    """ISO 4217 code of the currency an H.10 series is in on ``date``."""
    code = CURRENCIES[country]
    if country == "Venezuela":
        for start, later in _VENEZUELA:
            if date >= start:
                code = later
    return code


def _frequency(path: Path) -> str:
    name = path.name.lower()
    if "monthly" in name:
        return "monthly"
    if "yearly" in name or "annual" in name:
        return "annual"
    return ""


@register
class FRED(TableAdapter):
    name = "fred"
    title = "H.10 foreign exchange rates (via FRED)"
    publisher = "US Federal Reserve Board, H.10 release, via FRED"
    licence = "public domain"
    bundle = True
    homepage = "https://www.federalreserve.gov/releases/h10/"
    tables = ("fx_rates",)
    patterns = ("fred_h10_fx_*.csv", "yearly.csv", "monthly.csv")

    def partition(self, path: Path) -> str:
        return _frequency(path)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("Date", "Country"))
        value_cols = [c for c in VALUE_COLUMNS if c in df.columns]
        if len(value_cols) != 1:
            raise SourceFormatError(
                f"expected a rate column ('Value' yearly or 'Exchange rate' monthly); found {list(df.columns)}",
                path=path, row=1, hint="use the datahub exchange-rates yearly.csv or monthly.csv unchanged")
        frequency = VALUE_COLUMNS[value_cols[0]]
        named = _frequency(path)
        if named and named != frequency:
            raise SourceFormatError(f"the file name says {named} but the columns are the {frequency} layout",
                                    path=path, row=1, hint="rename the file to match its content")
        offset = int(df.attrs["line_offset"])
        dates = pd.to_datetime(df["Date"], format="%Y-%m-%d", errors="coerce")
        first_of = dates.dt.is_year_start if frequency == "annual" else dates.dt.is_month_start
        bad = dates.isna() | ~first_of
        if bad.any():
            pos = int(bad.to_numpy().nonzero()[0][0])
            raise SourceFormatError(
                f"date {df['Date'].iloc[pos]!r} is not a {frequency} period start (YYYY-MM-01)",
                path=path, row=offset + pos, column="Date", hint="dates are the first day of each period")
        # numeric() bounds are inclusive, so zero is excluded with a tiny floor.
        rate = numeric(df, value_cols[0], path=path, lo=1e-9, hi=1e8)
        out = pd.DataFrame({"country": df["Country"].str.strip(), "Date": df["Date"], "date": dates, "rate": rate})
        out.attrs = df.attrs
        unknown = ~out["country"].isin(list(CURRENCIES))
        if unknown.any():
            pos = int(unknown.to_numpy().nonzero()[0][0])
            raise SourceFormatError(
                f"unknown H.10 currency {out['country'].iloc[pos]!r}", path=path, row=offset + pos,
                column="Country", hint=f"H.10 series are named {', '.join(sorted(CURRENCIES))}")
        unique(out, ["country", "Date"], path=path)
        mixed = pd.Series([(c, frequency, d.year) in MIXED_UNITS for c, d in zip(out["country"], out["date"],
                                                                                     strict=True)],
                          index=out.index)
        out = out[~mixed & out["rate"].notna()]
        countries = get_countries()
        iso3 = {c: None if c in MULTI_COUNTRY else countries.to_iso3(c, "name") for c in out["country"].unique()}
        table = pd.DataFrame({
            "currency": [currency_for(c, d) for c, d in zip(out["country"], out["date"], strict=True)],
            "iso3": out["country"].map(iso3),
            "country": out["country"],
            "date": out["date"].dt.date,
            "frequency": frequency,
            "rate": out["rate"],
        }).astype({"currency": "string", "iso3": "string", "country": "string", "frequency": "string"})
        return {"fx_rates": table.sort_values(["currency", "date"]).reset_index(drop=True)}

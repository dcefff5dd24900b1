"""CEPII GeoDist: bilateral distances and ties (``dist_cepii.csv``) and the country file (``geo_cepii.csv``).

The country file lists up to three official languages (``lang_official``) and the languages spoken
by at least 20% (``lang_spoken_20``) and 9% (``lang_spoken_9``) of the population, each ``|``-joined.

Distances are in kilometres: ``dist`` between the main cities, ``distcap``
between capitals, ``distw``/``distwces`` population-weighted (missing for some
pairs). The dummies (contiguity, common official or ethnic language, colonial
ties, same country) are 0/1. CEPII uses some codes of its own (ROM, ZAR, TMP,
YUG, PAL): the World Bank scheme knows the first four, and PAL (Palestine)
is mapped to PSE here.

>>> CEPII_CODES["PAL"]
'PSE'
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import UnknownCountryError
from cultrade.sources.base import Frame, TableAdapter, numeric, read_csv, unique
from cultrade.sources.registry import register

#: CEPII codes that no scheme of the country reference knows.
CEPII_CODES = {"PAL": "PSE"}
DUMMIES = ("contig", "comlang_off", "comlang_ethno", "colony", "comcol", "curcol", "col45", "smctry")
DISTANCES = ("dist", "distcap", "distw", "distwces")
HALF_EARTH_KM = 20_100  # no great-circle distance is longer


def cepii_iso3(df: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """ISO3 for CEPII codes: World Bank scheme (legacy ROM, ZAR, TMP...) plus :data:`CEPII_CODES`."""
    countries = get_countries()
    codes = df[column].str.strip()
    mapping: dict[str, str] = {}
    for code in codes.unique():
        found = CEPII_CODES.get(code) or countries.try_iso3(code, "wb")
        if found is None:
            pos = int((codes == code).to_numpy().nonzero()[0][0])
            raise UnknownCountryError(code, scheme="wb", suggestions=countries.suggest(code, "wb"), path=path,
                                      row=int(df.attrs["line_offset"]) + pos, column=column)
        mapping[code] = found
    return codes.map(mapping)


class _GeoDist(TableAdapter):
    publisher = "CEPII (Mayer & Zignago)"
    licence = "Etalab 2.0"
    bundle = True
    homepage = "http://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=6"


@register
class GeoDistDyadic(_GeoDist):
    name = "geodist"
    title = "CEPII GeoDist bilateral distances"
    tables = ("geodist_pairs",)
    patterns = ("dist_cepii*.csv",)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("iso_o", "iso_d", *DUMMIES, *DISTANCES))
        unique(df, ["iso_o", "iso_d"], path=path)
        out = pd.DataFrame({"iso3_o": cepii_iso3(df, "iso_o", path), "iso3_d": cepii_iso3(df, "iso_d", path)})
        for col in DUMMIES:
            out[col] = numeric(df, col, lo=0, hi=1, integer=True, required=True).astype("int8")
        for col in DISTANCES:
            out[f"{col}_km"] = numeric(df, col, lo=0, hi=HALF_EARTH_KM)
        return {"geodist_pairs": out}


def _joined(df: pd.DataFrame, prefix: str) -> pd.Series:
    """The non-empty values of the columns ``<prefix>1``, ``<prefix>2``... joined by ``|``."""
    cols = [c for c in df.columns if c.startswith(prefix) and c[len(prefix):].isdigit()]
    if not cols:
        return pd.Series("", index=df.index)
    return df[cols].fillna("").apply(lambda r: "|".join(str(v).strip() for v in r if str(v).strip()), axis=1)


@register
class GeoDistCountries(_GeoDist):
    name = "geodist_countries"
    title = "CEPII GeoDist country file (cities, coordinates, languages)"
    tables = ("geodist_countries",)
    patterns = ("geo_cepii*.csv",)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=("iso3", "country", "area", "landlocked", "continent", "city_en", "lat", "lon",
                                      "cap", "maincity", "langoff_1", "colonizer1"))
        # Some countries have two rows: the capital and the main city (cap 1/2, maincity 1/0).
        unique(df, ["iso3", "city_en", "cap"], path=path)
        out = pd.DataFrame({
            "iso3": cepii_iso3(df, "iso3", path), "cepii_code": df["iso3"], "country": df["country"],
            "area_km2": numeric(df, "area", lo=0, hi=2e7),
            "landlocked": numeric(df, "landlocked", lo=0, hi=1, integer=True, required=True).astype("int8"),
            "continent": df["continent"], "city": df["city_en"],
            "lat": numeric(df, "lat", lo=-90, hi=90), "lon": numeric(df, "lon", lo=-180, hi=180),
            "capital": numeric(df, "cap", lo=0, hi=2, integer=True, required=True).astype("int8"),
            "main_city": numeric(df, "maincity", lo=0, hi=1, integer=True, required=True).astype("int8"),
            "lang_official": _joined(df, "langoff_"),
            "lang_spoken_20": _joined(df, "lang20_"),
            "lang_spoken_9": _joined(df, "lang9_"),
            "colonizers": df[[c for c in df.columns if c.startswith("colonizer")]]
            .apply(lambda r: "|".join(v for v in r if v), axis=1),
        })
        return {"geodist_countries": out}

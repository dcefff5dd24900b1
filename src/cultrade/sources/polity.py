"""Center for Systemic Peace, Polity5 (p5v2018): regime authority, one row per polity and year.

Scores: ``democ`` and ``autoc`` 0-10, ``polity`` = democ - autoc (-10 to 10),
``polity2`` the same with the special codes converted for time series, and
``durable`` (years since the last regime change). The special codes -66
(foreign interruption), -77 (interregnum, anarchy) and -88 (transition) are not
scores: they become a missing value with the meaning in the ``special`` column.

Polities are keyed by ``ccode``, a Correlates of War number close to but not
equal to Gleditsch-Ward. Codes read as Gleditsch-Ward except those in
:data:`COW_TO_ISO3`, where Polity and GW differ or the state is historical;
pre-modern polities with no ISO 3166 code (:data:`HISTORICAL`) are skipped by
explicit list. In a transition year Polity gives both the outgoing and the
incoming polity a row; the outgoing one (:data:`OUTGOING`) is left out.

>>> special_code(-88), special_code(7)
('transition', '')
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import SourceFormatError, UnknownCountryError
from cultrade.sources.base import Frame, TableAdapter, long_obs, numeric, read_csv, unique
from cultrade.sources.registry import register

COLUMNS = ("ccode", "scode", "country", "year", "democ", "autoc", "polity", "polity2", "durable", "flag")
SPECIAL = {-66: "interruption", -77: "interregnum", -88: "transition"}
# Polity codes that are not Gleditsch-Ward codes of the same state (ISO 3166-3 codes for dissolved states).
COW_TO_ISO3 = {
    255: "DEU",  # Germany (Prussia to 1867, the Reich, unified Germany from 1990)
    260: "DEU",  # West Germany, continued by unified Germany
    265: "DDR",  # East Germany
    315: "CSK",  # Czechoslovakia
    316: "CZE",  # Czech Republic
    341: "XKX",  # Kosovo (GW 341 is Montenegro)
    342: "SRB",  # Serbia
    345: "YUG",  # Yugoslavia to 1991
    347: "SCG",  # Federal Republic of Yugoslavia / Serbia and Montenegro, 1991-2006
    348: "MNE",  # Montenegro
    364: "SUN",  # USSR
    525: "SSD",  # South Sudan
    529: "ETH",  # Ethiopia from 1993 (Polity's code after Eritrea's secession)
    626: "SDN",  # Sudan after 2011 (GW 626 is South Sudan)
    678: "YEM",  # Yemen Arab Republic: ISO kept its code YEM for unified Yemen
    679: "YEM",  # Yemen from 1990
    680: "YMD",  # South Yemen
    769: "PAK",  # Pakistan before 1971
    818: "VNM",  # Vietnam from 1976
}
# Polities with no ISO 3166 code and no single modern successor.
HISTORICAL = {
    89: "United Province CA", 99: "Gran Colombia", 245: "Bavaria", 267: "Baden", 269: "Saxony",
    271: "Wuerttemburg", 324: "Sardinia", 327: "Papal States", 329: "Two Sicilies", 332: "Modena",
    335: "Parma", 337: "Tuscany", 564: "Orange Free State", 730: "Korea (to 1910)", 816: "Vietnam North",
    817: "South Vietnam",
}
# (ccode, year) rows of a polity in the year it was succeeded by another with the same ISO3.
OUTGOING = {(255, 1945), (260, 1990), (530, 1993), (625, 2011), (678, 1990)}
INDICATORS = {"democ": (0, 10), "autoc": (0, 10), "polity": (-10, 10), "polity2": (-10, 10),
              "durable": (0, 300)}


def special_code(value: float) -> str:
    """The meaning of a Polity special code, or '' for an ordinary score."""
    return SPECIAL.get(int(value), "") if pd.notna(value) else ""


def _iso3(out: pd.DataFrame, path: Path, line_offset: int) -> list[str]:
    """ISO3 per row; the index of ``out`` is the row position in the file, for errors."""
    countries = get_countries()
    found: dict[int, str] = {}
    for index, ccode in zip(out.index, out["ccode"], strict=True):
        if ccode in found:
            continue
        if ccode in COW_TO_ISO3:
            found[ccode] = countries.to_iso3(COW_TO_ISO3[ccode], "iso3")
            continue
        try:
            found[ccode] = countries.to_iso3(ccode, "gw")
        except UnknownCountryError as exc:
            raise UnknownCountryError(ccode, scheme="gw", suggestions=exc.suggestions, path=path,
                                      row=line_offset + int(index), column="ccode") from None
    return [found[c] for c in out["ccode"]]


@register
class Polity(TableAdapter):
    name = "polity"
    title = "Polity5 Project: Political Regime Characteristics and Transitions"
    publisher = "Center for Systemic Peace"
    licence = "CSP terms: free for non-commercial research use"
    bundle = False
    homepage = "https://www.systemicpeace.org/inscrdata.html"
    tables = ("obs_polity",)
    patterns = ("p5v*.csv", "polity5_p5v*.csv")

    def vintage(self, path: Path) -> str:
        return "p5v2018" if "p5v2018" in path.name else ""

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=COLUMNS)
        raw = {c: numeric(df, c, path=path, integer=True) for c in INDICATORS}
        out = pd.DataFrame({
            "ccode": numeric(df, "ccode", path=path, lo=2, hi=999, integer=True, required=True),
            "scode": df["scode"].str.strip(),
            "country": df["country"].str.strip(),
            "year": numeric(df, "year", path=path, lo=1700, hi=2100, integer=True, required=True),
            "flag": numeric(df, "flag", path=path, lo=0, hi=2, integer=True),
        })
        out.attrs = df.attrs
        for column, (lo, hi) in INDICATORS.items():
            values = raw[column]
            special = values.isin(list(SPECIAL))
            bad = values.notna() & ~special & ((values < lo) | (values > hi))
            if bad.any():
                pos = int(bad.to_numpy().nonzero()[0][0])
                raise SourceFormatError(f"value {values.iloc[pos]} is outside [{lo}, {hi}]", path=path,
                                        row=int(df.attrs["line_offset"]) + pos, column=column,
                                        hint="Polity scores use -66, -77 and -88 as the only special codes")
            out[f"{column}_special"] = values.map(special_code)
            out[column] = values.where(~special).astype("Float64")
        unique(out, ["ccode", "year"], path=path)
        keep = ~out["ccode"].isin(list(HISTORICAL))
        keep &= ~pd.Series(list(zip(out["ccode"], out["year"], strict=True)), index=out.index).isin(OUTGOING)
        out = out[keep]
        out["iso3"] = _iso3(out, path, int(df.attrs["line_offset"]))
        out.attrs = df.attrs
        unique(out, ["iso3", "year"], path=path)
        parts = []
        for column in INDICATORS:
            part = out.assign(special=out[f"{column}_special"])
            part = part[part[column].notna() | (part["special"] != "")]
            parts.append(long_obs(part, indicator=column, value=column, extra=["special", "ccode", "scode"]))
        obs = pd.concat(parts, ignore_index=True)
        obs["ccode"] = obs["ccode"].astype("int32")
        return {"obs_polity": obs}

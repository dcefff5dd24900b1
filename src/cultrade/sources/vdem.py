"""V-Dem v13: a 2021 cross-section of democracy and Digital Society Project variables.

One row per V-Dem unit (``country_name, country_text_id, country_id, year``)
and about 45 variables. The ones this project uses as proxies for digital
trade barriers are internet censorship (``v2mecenefi``), government internet
filtering in practice (``v2smgovfilprc``) and internet shutdowns in practice
(``v2smgovshut``); every other numeric variable is loaded too, into ``obs_vdem``
with the V-Dem variable name as ``indicator``. ``NA`` marks a missing value.

Ranges follow the V-Dem v13 codebook: ``v2x_*`` indices are 0-1; the
multiple-choice shares (``v2csanmvch_*``, ``v2smorgtypes_*``) are 0-1;
measurement-model estimates are on a latent scale, about -5 to +5. The regime
label ``v2x_regime`` is stored as the codebook's ordinal 0-3.

``country_text_id`` is ISO3 for nearly all units. V-Dem also codes
sub-national or unrecognised units, which have no ISO3 code and are left out
through :data:`NOT_COUNTRIES`. Its "Palestine/West Bank" unit keeps PSE.

>>> REGIMES["Liberal democracy"]
3
>>> bounds("v2x_libdem"), bounds("v2smorgtypes_3"), bounds("v2mecenefi")
((0.0, 1.0), (0.0, 1.0), (-6.0, 6.0))
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cultrade.errors import SourceFormatError
from cultrade.sources.base import Frame, TableAdapter, iso3_column, long_obs, numeric, read_csv, unique
from cultrade.sources.registry import register

KEY_COLUMNS = ("country_name", "country_text_id", "country_id", "year")
# The variables this project relies on; a file without them is not this extract.
REQUIRED_VARIABLES = ("v2mecenefi", "v2smgovfilprc", "v2smgovshut", "v2x_regime")
REGIMES = {"Closed autocracy": 0, "Electoral autocracy": 1, "Electoral democracy": 2, "Liberal democracy": 3}
# V-Dem units that are not countries (no ISO3): Gaza is coded apart from the
# West Bank (PSE); Somaliland and Zanzibar are coded apart from SOM and TZA.
NOT_COUNTRIES = {"PSG": "Palestine/Gaza", "SML": "Somaliland", "ZZB": "Zanzibar"}
_SHARE = re.compile(r"_\d+$")


def bounds(variable: str) -> tuple[float, float]:
    """The codebook range of a V-Dem variable."""
    if variable.startswith("v2x_") or _SHARE.search(variable):
        return (0.0, 1.0)
    # Measurement-model point estimates: published v13 extremes are about -5 and +4.
    return (-6.0, 6.0)


@register
class VDem(TableAdapter):
    name = "vdem"
    title = "Varieties of Democracy v13 (incl. Digital Society Project)"
    publisher = "V-Dem Institute, University of Gothenburg"
    licence = "CC BY-SA 4.0"
    bundle = True
    homepage = "https://www.v-dem.net/data/the-v-dem-dataset/"
    tables = ("obs_vdem",)
    patterns = ("vdem_v13_*.csv", "V-Dem-CY-*.csv")

    def vintage(self, path: Path) -> str:
        match = re.search(r"v(\d+)", path.name, re.IGNORECASE)
        return f"v{match.group(1)}" if match else ""

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=KEY_COLUMNS + REQUIRED_VARIABLES)
        offset = int(df.attrs["line_offset"])
        regime = df["v2x_regime"].str.strip()
        bad = ~regime.isin(list(REGIMES)) & ~regime.isin(["", "NA"])
        if bad.any():
            pos = int(bad.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"unknown regime {regime.iloc[pos]!r}", path=path, row=offset + pos,
                                    column="v2x_regime", hint=f"V-Dem regimes are {', '.join(REGIMES)}")
        variables = [c for c in df.columns if c.startswith("v2") and c != "v2x_regime"]
        wide = pd.DataFrame({
            "country_text_id": df["country_text_id"],
            "year": numeric(df, "year", path=path, lo=1789, hi=2100, integer=True, required=True),
            "v2x_regime": regime.map(REGIMES).astype("float64"),
        })
        for var in variables:
            lo, hi = bounds(var)
            wide[var] = numeric(df, var, path=path, lo=lo, hi=hi)
        wide.attrs = df.attrs
        unique(wide, ["country_text_id", "year"], path=path)
        wide = iso3_column(wide, "country_text_id", "iso3", path=path, skip=NOT_COUNTRIES)
        unique(wide, ["iso3", "year"], path=path)
        long = wide.drop(columns="country_text_id").melt(id_vars=["iso3", "year"], var_name="indicator",
                                                         value_name="value")
        long = long[long["value"].notna()]
        return {"obs_vdem": long_obs(long.sort_values(["indicator", "iso3"]))}

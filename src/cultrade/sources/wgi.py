"""World Bank Worldwide Governance Indicators (2024 update), xlsx or long CSV.

Six dimensions (cc, ge, pv, rl, rq, va) per economy and year: the estimate
(about -2.5 to 2.5), its standard error, the number of sources and percentile
ranks. WGI keys economies with World Bank codes, legacy ones included (ADO,
ZAR, ROM, TMP, WBG, KSV); ``..`` marks a missing value.

>>> from cultrade.sources import get_adapter
>>> get_adapter("wgi").partition(Path("wgidataset_2024update_1996-2023.xlsx"))
''
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cultrade.sources.base import Frame, TableAdapter, iso3_column, long_obs, numeric, read_csv, read_xlsx, unique
from cultrade.sources.registry import register

DIMENSIONS = {
    "cc": "Control of Corruption",
    "ge": "Government Effectiveness",
    "pv": "Political Stability and Absence of Violence/Terrorism",
    "rl": "Rule of Law",
    "rq": "Regulatory Quality",
    "va": "Voice and Accountability",
}
COLUMNS = ("code", "countryname", "year", "indicator", "estimate", "stddev", "nsource", "pctrank",
           "pctranklower", "pctrankupper")


@register
class WGI(TableAdapter):
    name = "wgi"
    title = "Worldwide Governance Indicators"
    publisher = "World Bank (Kaufmann & Kraay)"
    licence = "CC BY 4.0"
    bundle = True
    homepage = "https://www.worldbank.org/en/publication/worldwide-governance-indicators"
    tables = ("obs_wgi",)
    patterns = ("wgidataset*.xlsx", "wgi_long*.csv")

    def vintage(self, path: Path) -> str:
        match = re.search(r"(\d{4})update", path.name)
        return f"{match.group(1)} update" if match else ""

    def parse(self, path: Path) -> dict[str, Frame]:
        reader = read_xlsx if path.suffix.lower() == ".xlsx" else read_csv
        df = reader(path, required=COLUMNS)
        bad = ~df["indicator"].isin(list(DIMENSIONS))
        if bad.any():
            pos = int(bad.to_numpy().nonzero()[0][0])
            from cultrade.errors import SourceFormatError

            raise SourceFormatError(f"unknown WGI indicator {df['indicator'].iloc[pos]!r}", path=path,
                                    row=df.attrs["line_offset"] + pos, column="indicator",
                                    hint=f"WGI indicators are {', '.join(DIMENSIONS)}")
        out = pd.DataFrame({
            "code": df["code"],
            "year": numeric(df, "year", lo=1996, hi=2100, integer=True, required=True),
            "indicator": df["indicator"],
            "estimate": numeric(df, "estimate", lo=-5, hi=5),
            "stddev": numeric(df, "stddev", lo=0, hi=5),
            "nsource": numeric(df, "nsource", lo=0, hi=50),
            "pctrank": numeric(df, "pctrank", lo=0, hi=100),
            "pctranklower": numeric(df, "pctranklower", lo=0, hi=100),
            "pctrankupper": numeric(df, "pctrankupper", lo=0, hi=100),
        })
        out.attrs = df.attrs
        unique(out, ["code", "year", "indicator"], path=path)
        out = iso3_column(out, "code", "wb", path=path)
        out = out[out["estimate"].notna()]
        obs = long_obs(out, value="estimate", extra=["stddev", "nsource", "pctrank", "pctranklower", "pctrankupper"])
        return {"obs_wgi": obs}

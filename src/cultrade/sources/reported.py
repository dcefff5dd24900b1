"""Reported figures on a country's cultural trade, as published in news and think-tank articles.

One row per published figure: ``metric, period, flow, value, unit, source`` (the layout documented in
:mod:`cultrade.trade.audit`), e.g. China's overseas sales of online games, 2024, 18.56 USD bn, Jin Rong
Shi Bao. These are reported, not computed, and sources disagree: the store keeps every row with its
source, the value as printed (``value_text``, whose decimals tell the rounding) and the file line, and
:func:`cultrade.trade.digital.reported_digital` audits them before showing them. The country is China
unless an ``iso3`` column says otherwise (the bundled file is about China).

>>> ReportedFigures().tables
('reported_figures',)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cultrade.sources.base import Frame, TableAdapter, iso3_column, numeric, read_csv
from cultrade.sources.registry import register

REQUIRED = ("metric", "period", "flow", "value", "unit", "source")


@register
class ReportedFigures(TableAdapter):
    name = "reported"
    title = "Reported cultural trade figures (news and think-tank articles, with sources)"
    publisher = "the articles named in each row"
    licence = "facts with citation"
    bundle = True
    homepage = ""
    tables = ("reported_figures",)
    patterns = ("*cultural_trade_reported*.csv",)

    def parse(self, path: Path) -> dict[str, Frame]:
        df = read_csv(path, required=REQUIRED)
        out = pd.DataFrame({
            "country": df["iso3"] if "iso3" in df.columns else "CHN",
            "row": [int(df.attrs.get("line_offset", 2)) + i for i in range(len(df))],
            "metric": df["metric"].str.strip(), "period": numeric(df, "period", lo=1900, hi=2100, integer=True),
            "flow": df["flow"].str.strip(), "value": numeric(df, "value"), "value_text": df["value"].str.strip(),
            "unit": df["unit"].str.strip(), "source": df["source"].str.strip(),
        })
        out.attrs = df.attrs
        out = iso3_column(out, "country", "auto", path=path)
        return {"reported_figures": out.drop(columns=["country"]).astype({"period": "int32"}).reset_index(drop=True)}

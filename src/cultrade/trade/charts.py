"""Chart specifications (Vega-Lite v5 JSON) that the CLI, reports and dashboard share.

Specs carry their data inline, so a spec is self-contained and renders offline.

>>> import pandas as pd
>>> spec = time_series(pd.DataFrame({"year": [2020, 2021], "exports": [1.0, 2.0]}), "exports", title="Exports")
>>> spec["mark"]["type"], spec["encoding"]["x"]["field"], len(spec["data"]["values"])
('line', 'year', 2)
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cultrade.countries import get_countries
from cultrade.errors import ConfigError

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
Spec = dict[str, Any]


def _values(df: pd.DataFrame) -> list[dict[str, Any]]:
    def clean(v: Any) -> Any:
        if isinstance(v, float) and math.isnan(v):
            return None
        return v.item() if hasattr(v, "item") else v

    return [{str(k): clean(v) for k, v in row.items()} for row in df.to_dict("records")]


def _check(df: pd.DataFrame, *cols: str | None) -> None:
    missing = [c for c in cols if c and c not in df.columns]
    if missing:
        raise ConfigError(f"chart data lacks columns {missing}", hint=f"columns present: {list(df.columns)}")


def time_series(df: pd.DataFrame, value: str, *, color: str | None = None, title: str = "",
                unit: str = "USD") -> Spec:
    """A line per series (``color``) of ``value`` over ``year``."""
    _check(df, "year", value, color)
    enc: dict[str, Any] = {
        "x": {"field": "year", "type": "ordinal", "title": "Year"},
        "y": {"field": value, "type": "quantitative", "title": f"{value} ({unit})"},
        "tooltip": [{"field": "year"}, {"field": value, "format": ",.0f"}],
    }
    if color:
        enc["color"] = {"field": color, "type": "nominal"}
        enc["tooltip"].append({"field": color})
    return {"$schema": SCHEMA, "title": title, "data": {"values": _values(df)},
            "mark": {"type": "line", "point": True}, "encoding": enc}


def composition(df: pd.DataFrame, value: str, part: str, *, title: str = "") -> Spec:
    """Stacked shares of ``part`` (e.g. domain) in ``value`` per year (normalised bars)."""
    _check(df, "year", value, part)
    return {"$schema": SCHEMA, "title": title, "data": {"values": _values(df)}, "mark": {"type": "bar"},
            "encoding": {"x": {"field": "year", "type": "ordinal"},
                         "y": {"field": value, "type": "quantitative", "stack": "normalize", "title": "share"},
                         "color": {"field": part, "type": "nominal"},
                         "tooltip": [{"field": part}, {"field": value, "format": ",.0f"}]}}


def partner_map(df: pd.DataFrame, value: str, *, iso3: str = "partner", title: str = "",
                topology_url: str = "/static/world-110m.json") -> Spec:
    """A choropleth of ``value`` by partner; the world topology is served locally (no CDN)."""
    _check(df, iso3, value)
    countries = get_countries()
    # world-atlas topologies key countries by zero-padded ISO numeric (M49) codes.
    m49 = df[iso3].map(lambda c: (countries.country(c).m49 or "").zfill(3) if countries.try_iso3(c, "iso3") else "")
    df = df.assign(m49=m49)
    return {
        "$schema": SCHEMA, "title": title, "width": 640, "height": 340,
        "projection": {"type": "equalEarth"},
        "data": {"url": topology_url, "format": {"type": "topojson", "feature": "countries"}},
        "transform": [{"lookup": "id", "from": {"data": {"values": _values(df)}, "key": "m49",
                                                "fields": [value, iso3]}}],
        "mark": {"type": "geoshape", "stroke": "white", "strokeWidth": 0.3},
        "encoding": {"color": {"field": value, "type": "quantitative", "scale": {"scheme": "blues"}},
                     "tooltip": [{"field": iso3, "type": "nominal"}, {"field": value, "format": ",.0f"}]},
    }


__all__ = ["Spec", "composition", "partner_map", "time_series"]

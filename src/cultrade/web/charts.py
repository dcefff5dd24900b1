"""Apache ECharts options (JSON-ready dicts) shared by the dashboard and the reports.

The server builds every option with translated titles, axis names and series
names; the browser (``static/app.js``) swaps the formatter markers
(``"fmt:decimal"``, ``"fmt:compact"``, ``"fmt:percent"``, ``"fmt:money"``) for
``Intl.NumberFormat`` functions in the page's language, registers the world
map and sets ``window.__chartsReady`` once every chart has finished rendering.
Animation is off so that the first render (and a PDF print) is final at once.

>>> opt = bars(["Political", "Economic"], [7.25, 5.95], title="Dimensions", max_value=10)
>>> opt["series"][0]["type"], opt["series"][0]["data"][0]["value"], opt["xAxis"]["max"]
('bar', 7.25, 10)
>>> band_color("very high"), band_color("nonsense")
('#d73027', '#bdbdbd')
>>> lines([2020, 2021], {"Score": [1.0, float("nan")]})["series"][0]["data"]
[1.0, None]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

Option = dict[str, Any]

BAND_COLORS: dict[str, str] = {
    "very low": "#1a9850", "low": "#91cf60", "medium": "#fee08b", "high": "#fc8d59", "very high": "#d73027",
}
NO_DATA_COLOR = "#bdbdbd"
PALETTE = ["#2f6db5", "#d9822b", "#3c9a5f", "#b8405e", "#7a5cb0", "#8c6d31", "#4aa3b5", "#e377c2", "#7f7f7f"]


def band_color(band: str) -> str:
    return BAND_COLORS.get(band, NO_DATA_COLOR)


def clean(value: Any) -> Any:
    """NaN and numpy scalars to JSON (None, float, int)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _base(title: str, *, legend: bool = False) -> Option:
    opt: Option = {
        "animation": False,
        "color": PALETTE,
        "title": {"text": title, "left": 0, "textStyle": {"fontSize": 14, "fontWeight": 600}},
        "tooltip": {"trigger": "axis", "valueFormatter": "fmt:decimal"},
        "grid": {"left": 8, "right": 24, "top": 56 if legend else 40, "bottom": 8, "containLabel": True},
    }
    if legend:
        opt["legend"] = {"top": 24, "type": "scroll"}
    return opt


def bars(labels: Sequence[str], values: Sequence[Any], *, title: str = "", colors: Sequence[str] | None = None,
         max_value: float | None = None, fmt: str = "fmt:decimal", axis_name: str = "") -> Option:
    """Horizontal bars, first label on top (scores, contributions, exports by domain)."""
    data = [{"value": clean(v), **({"itemStyle": {"color": colors[i]}} if colors else {})}
            for i, v in enumerate(values)]
    opt = _base(title)
    opt["tooltip"] = {"trigger": "axis", "axisPointer": {"type": "shadow"}, "valueFormatter": fmt}
    opt["yAxis"] = {"type": "category", "data": list(labels), "inverse": True,
                    "axisLabel": {"width": 220, "overflow": "truncate"}}
    opt["xAxis"] = {"type": "value", "name": axis_name, "nameLocation": "end", "axisLabel": {"formatter": fmt}}
    if max_value is not None:
        opt["xAxis"]["min"], opt["xAxis"]["max"] = 0, max_value
    opt["series"] = [{"type": "bar", "data": data, "barMaxWidth": 22,
                      "label": {"show": True, "position": "right", "formatter": fmt}}]
    return opt


def grouped_bars(labels: Sequence[str], series: Mapping[str, Sequence[Any]], *, title: str = "",
                 fmt: str = "fmt:compact") -> Option:
    """Vertical grouped bars: one group per label, one bar per series (exports vs imports by domain)."""
    opt = _base(title, legend=True)
    opt["tooltip"] = {"trigger": "axis", "axisPointer": {"type": "shadow"}, "valueFormatter": fmt}
    opt["xAxis"] = {"type": "category", "data": list(labels), "axisLabel": {"interval": 0, "rotate": 20}}
    opt["yAxis"] = {"type": "value", "axisLabel": {"formatter": fmt}}
    opt["series"] = [{"type": "bar", "name": name, "data": [clean(v) for v in vals], "barMaxWidth": 26}
                     for name, vals in series.items()]
    return opt


def lines(x: Sequence[Any], series: Mapping[str, Sequence[Any]], *, title: str = "", fmt: str = "fmt:decimal",
          y_max: float | None = None, highlight: str | None = None) -> Option:
    """One line per series over ``x`` (years); ``highlight`` is drawn thicker (the composite score)."""
    opt = _base(title, legend=len(series) > 1)
    opt["tooltip"] = {"trigger": "axis", "valueFormatter": fmt}
    opt["xAxis"] = {"type": "category", "data": [clean(v) for v in x], "boundaryGap": False}
    opt["yAxis"] = {"type": "value", "axisLabel": {"formatter": fmt}}
    if y_max is not None:
        opt["yAxis"]["min"], opt["yAxis"]["max"] = 0, y_max
    opt["series"] = [{"type": "line", "name": name, "data": [clean(v) for v in vals], "connectNulls": False,
                      "showSymbol": len(x) <= 12, "lineStyle": {"width": 3 if name == highlight else 1.5}}
                     for name, vals in series.items()]
    return opt


def _world_map(title: str, pieces: list[dict[str, Any]], formatter: str, data: list[dict[str, Any]],
               no_data: str, emphasis: str) -> Option:
    """A piecewise choropleth on the registered ``world`` map (dimension 1 of each datum's value picks the piece)."""
    return {
        "animation": False,
        "title": {"text": title, "left": 0, "textStyle": {"fontSize": 14, "fontWeight": 600}},
        "tooltip": {"trigger": "item", "formatter": formatter},
        "visualMap": {"type": "piecewise", "dimension": 1, "pieces": pieces, "left": 8, "bottom": 8,
                      "orient": "vertical", "outOfRange": {"color": NO_DATA_COLOR}},
        "series": [{
            "type": "map", "map": "world", "nameProperty": "iso3", "roam": True,
            "top": 44, "bottom": 8, "left": 8, "right": 8,
            "itemStyle": {"areaColor": NO_DATA_COLOR, "borderColor": "#ffffff", "borderWidth": 0.5},
            "emphasis": {"label": {"show": False}, "itemStyle": {"areaColor": emphasis}},
            "select": {"disabled": True},
            "data": data,
        }],
        "noData": no_data,
    }


def risk_map(data: Sequence[Mapping[str, Any]], *, title: str = "", band_labels: Mapping[str, str],
             no_data: str = "") -> Option:
    """A choropleth of risk bands on the registered ``world`` map; each datum has name (ISO3), value, band."""
    pieces = [{"value": i, "label": band_labels[b], "color": c} for i, b, c in
              ((i, b, BAND_COLORS[b]) for i, b in enumerate(BAND_COLORS))]
    rows = [{"name": d["iso3"], "value": [clean(d.get("score")), d.get("band_pos", -1)],
             "label_text": d.get("label", ""), "band_text": d.get("band_text", "")} for d in data]
    return _world_map(title, pieces, "fmt:map", rows, no_data, "#4a6fa5")


def opportunity_map(data: Sequence[Mapping[str, Any]], *, title: str = "", labels: Sequence[str],
                    colors: Sequence[str], no_data: str = "") -> Option:
    """A choropleth of opportunity quintiles (``bin`` 0-4) on the registered ``world`` map, tooltips in ``tip``."""
    pieces = [{"value": i, "label": labels[i], "color": colors[i]} for i in range(len(labels))]
    rows = [{"name": d["iso3"], "value": [clean(d.get("value")), d.get("bin", -1)], "tip": d.get("tip", "")}
            for d in data]
    return _world_map(title, pieces, "fmt:tip", rows, no_data, "#d9822b")


def frontier_scatter(points: Sequence[Mapping[str, Any]], *, title: str = "", x_name: str = "", y_name: str = "",
                     frontier_name: str = "", markets_name: str = "", log_y: bool = False) -> Option:
    """Opportunity (y) against risk (x), the frontier markets highlighted and joined by a step line."""
    front = sorted((p for p in points if p.get("frontier")), key=lambda p: p["x"])
    def datum(p: Mapping[str, Any]) -> dict[str, Any]:
        return {"value": [clean(p["x"]), clean(p["y"])], "name": p.get("label", ""), "tip": p.get("tip", "")}
    opt = _base(title, legend=True)
    opt["tooltip"] = {"trigger": "item", "formatter": "fmt:tip"}
    opt["xAxis"] = {"type": "value", "name": x_name, "nameLocation": "middle", "nameGap": 28, "min": 0, "max": 10}
    opt["yAxis"] = {"type": "log", "name": y_name} if log_y else {"type": "value", "name": y_name,
                                                                   "axisLabel": {"formatter": "fmt:decimal"}}
    opt["series"] = [
        {"type": "scatter", "name": markets_name, "symbolSize": 7, "itemStyle": {"color": "#9db4d3"},
         "data": [datum(p) for p in points if not p.get("frontier")]},
        {"type": "line", "name": frontier_name, "step": "end", "symbolSize": 10, "itemStyle": {"color": "#d9822b"},
         "label": {"show": True, "position": "right", "formatter": "{b}", "fontSize": 11},
         "data": [datum(p) for p in front]},
    ]
    opt["grid"]["bottom"] = 32
    return opt


__all__ = ["BAND_COLORS", "NO_DATA_COLOR", "Option", "band_color", "bars", "clean", "frontier_scatter",
           "grouped_bars", "lines", "opportunity_map", "risk_map"]

"""What the Opportunities page and the country brief show: a ranking of markets, in the reader's language.

Built from :func:`cultrade.markets.rank_markets` (cached per store state): a map of the risk-adjusted
opportunity, a sortable table, an opportunity-risk scatter with the frontier, each market's explanation,
and the list of inputs the ranking used (a full BACI year, the sample, or proxies).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cultrade.classification import market_domains
from cultrade.markets.rank import Ranking, rank_markets
from cultrade.store import Store
from cultrade.web import charts
from cultrade.web.i18n import Translator
from cultrade.web.risk_data import cached

MAP_COLORS = ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"]


def ranking(store: Store, home: str, domain: str, year: int | None = None) -> Ranking:
    found: Ranking = cached(store, ("markets_rank", home, domain, year),
                            lambda: rank_markets(store, home, domain, year=year))
    return found


def product_options(t: Translator) -> list[dict[str, str]]:
    """The product types (one table for every interface) with their labels."""
    return [{"id": d.domain, "label": t.pick(d.label_en, d.label_zh)} for d in market_domains().values()]


def _num(v: Any) -> float | None:
    v = charts.clean(v)
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _opportunity_text(t: Translator, value: Any, basis: str) -> str:
    number = _num(value)
    if number is None:
        return "–"
    return t.percent(number / 100.0, 2) if basis == "proxies" else t.money(number)


def explain(t: Translator, r: dict[str, Any], basis: str, n: int) -> str:
    """The explanation of one market in the page's language (the library's English text in English)."""
    if not t.zh:
        return str(r["explanation"])
    name = t.country(str(r["iso3"]))
    if r["rank"] is None:
        return t("opp.unranked", name=name, reason=t(f"opp.reason.{_reason_key(str(r['reason']))}"))
    parts = [t("opp.explain", rank=r["rank"], n=n, name=name, opp=_opportunity_text(t, r["opportunity"], basis),
               risk=t.decimal(r["risk"], 1), band=t.band(str(r["band"])),
               adjusted=_opportunity_text(t, r["adjusted"], basis))]
    if basis == "proxies" and _num(r.get("access")) is not None:
        parts.append(t("opp.explain_access", size=t.money(r.get("size")), access=t.decimal(r.get("access"), 2)))
    if r["frontier"]:
        parts.append(t("opp.on_frontier"))
    if _num(r.get("cultural_distance")) is not None:
        parts.append(t("opp.explain_ks", ks=t.decimal(r["cultural_distance"], 2)))
    if _num(r.get("common_language")) is not None:
        parts.append(t("opp.lang_yes") if r["common_language"] else t("opp.lang_no"))
    if _num(r.get("barriers")) is not None:
        parts.append(t("opp.explain_barriers", b=t.decimal(r["barriers"], 1)))
    return "；".join(parts) + "。"


def _reason_key(reason: str) -> str:
    return {"no opportunity data": "no_opportunity", "no risk score": "no_risk",
            "risk score rests on too few indicators": "insufficient"}.get(reason, "other")


def _inputs(t: Translator, r: Ranking) -> list[str]:
    """The inputs in words; in Chinese a translated headline per basis, then the library's exact lines."""
    head = t(f"opp.basis.{r.basis}")
    return [head, *r.inputs]


def opportunities_context(store: Store, t: Translator, home: str, domain: str, year: int | None = None,
                          top: int = 300) -> dict[str, Any]:
    """Rows, charts and the inputs used, for one home country and product type."""
    r = ranking(store, home, domain, year)
    table = r.table
    n = len(r.ranked)
    rows = []
    for raw in table.to_dict("records"):
        rec = {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in raw.items()}
        rec["rank"] = None if rec["rank"] is None or pd.isna(rec["rank"]) else int(rec["rank"])
        rows.append({
            "iso3": rec["iso3"], "name": t.country(str(rec["iso3"])), "rank": rec["rank"],
            "opportunity": _num(rec["opportunity"]), "opportunity_text": _opportunity_text(t, rec["opportunity"], r.basis),
            "risk": _num(rec["risk"]), "risk_text": t.decimal(rec["risk"], 1),
            "band": t.band(str(rec["band"])) if rec["band"] else "–",
            "adjusted": _num(rec["adjusted"]), "adjusted_text": _opportunity_text(t, rec["adjusted"], r.basis),
            "frontier": bool(rec["frontier"]), "cultural_distance": t.decimal(rec.get("cultural_distance"), 2),
            "barriers": t.decimal(rec.get("barriers"), 1),
            "explanation": explain(t, rec, r.basis, n),
        })
    ranked = [x for x in rows if x["rank"] is not None]
    unranked = [x for x in rows if x["rank"] is None]
    tip = {x["iso3"]: f"{x['name']} #{x['rank']} · {t('opp.col.adjusted')}: {x['adjusted_text']} · "
                      f"{t('opp.col.risk')}: {x['risk_text']}" for x in ranked}
    values = [float(x["adjusted"]) for x in ranked if x["adjusted"] is not None]
    cuts = [float(c) for c in pd.Series(values).quantile([0.2, 0.4, 0.6, 0.8])] if values else []
    map_data = [{"iso3": x["iso3"], "value": x["adjusted"], "tip": tip[x["iso3"]],
                 "bin": sum(float(x["adjusted"] or 0.0) > c for c in cuts)} for x in ranked]
    opt_map = charts.opportunity_map(map_data, title=t("opp.chart_map", product=_label(t, domain)),
                                     labels=[t(f"opp.quintile.{i}") for i in range(5)], colors=MAP_COLORS,
                                     no_data=t("opp.no_data"))
    points = [{"iso3": x["iso3"], "x": x["risk"], "y": x["opportunity"], "frontier": x["frontier"],
               "tip": tip[x["iso3"]], "label": x["name"]} for x in ranked]
    opt_scatter = charts.frontier_scatter(points, title=t("opp.chart_scatter"), x_name=t("opp.col.risk"),
                                          y_name=t("opp.col.opportunity"), frontier_name=t("opp.frontier"),
                                          markets_name=t("opp.markets"), log_y=True)
    return {"home": r.home, "home_name": t.country(r.home), "domain": r.domain.domain, "product": _label(t, domain),
            "basis": r.basis, "basis_text": t(f"opp.basis.{r.basis}"), "unit": t(f"opp.unit.{r.basis}"),
            "inputs": _inputs(t, r), "rows": ranked[:top], "unranked": unranked, "n": n,
            "frontier": [x for x in ranked if x["frontier"]],
            "charts": {"map": opt_map, "scatter": opt_scatter}}


def _label(t: Translator, domain: str) -> str:
    d = market_domains().get(domain)
    return t.pick(d.label_en, d.label_zh) if d else domain


def market_brief(store: Store, t: Translator, iso3: str, home: str, domain: str) -> dict[str, Any] | None:
    """One market's place in the ranking of its home and product type, for the country brief."""
    ctx = opportunities_context(store, t, home, domain)
    row = next((x for x in ctx["rows"] + ctx["unranked"] if x["iso3"] == iso3), None)
    if row is None:
        return None
    return {"row": row, "n": ctx["n"], "basis_text": ctx["basis_text"], "inputs": ctx["inputs"],
            "product": ctx["product"], "home_name": ctx["home_name"], "top": ctx["rows"][:5],
            "frontier": [x["name"] for x in ctx["frontier"]]}


__all__ = ["market_brief", "opportunities_context", "product_options", "ranking"]

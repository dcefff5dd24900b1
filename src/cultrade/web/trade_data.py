"""What the trade page and the cultural-trade report show: domains, partners and dependence.

Built from :func:`cultrade.trade.profile.trade_profile` (cached per store state):
exports and imports by domain, the domain history, the top partners, partner
concentration (HHI and top-N share, with its trend), trade with partner groups,
the digital share and cultural services. Texts, names and numbers are in the
:class:`~cultrade.web.i18n.Translator`'s language.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cultrade.classification.options import DOMAINS
from cultrade.errors import CultradeError
from cultrade.store import Store
from cultrade.trade.profile import TradeProfile, trade_profile
from cultrade.web import charts
from cultrade.web.i18n import Translator
from cultrade.web.risk_data import cached


def profile(store: Store, iso3: str, year: int | None = None, domain: str | None = None) -> TradeProfile:
    found: TradeProfile = cached(store, ("trade", iso3, year, domain),
                                 lambda: trade_profile(store, iso3, year=year, domain=domain))
    return found


def trade_years(store: Store) -> list[int]:
    years: set[int] = set()
    for table in ("baci_flows", "ots_exports"):
        if store.has_table(table):
            years |= {int(r[0]) for r in store.con.execute(f"SELECT DISTINCT year FROM {table}").fetchall()}
    return sorted(years)


def domain_label(t: Translator, scheme: str, code: str) -> str:
    d = DOMAINS.get(scheme, {}).get(code)
    return t.pick(d.label_en, d.label_zh) if d else code


def domain_choices(t: Translator, scheme: str = "unctad") -> list[dict[str, str]]:
    return [{"id": code, "label": t.pick(d.label_en, d.label_zh)} for code, d in DOMAINS[scheme].items()]


def _rows(frame: pd.DataFrame | None) -> list[Any]:
    """Rows as objects with attribute access (``r.domain``), typed loosely for the templates."""
    if frame is None:
        return []
    return [_Row(r) for r in frame.to_dict("records")]


class _Row:
    def __init__(self, values: dict[Any, Any]) -> None:
        self.__dict__.update({str(k): v for k, v in values.items()})

    def __getattr__(self, name: str) -> Any:  # a column the profile lacks reads as None
        return None


def _get(row: Any, name: str) -> Any:
    return getattr(row, name, None)


def trade_context(store: Store, t: Translator, iso3: str, year: int | None = None,
                  domain: str | None = None) -> dict[str, Any]:
    """Tables and charts of one country's cultural trade profile."""
    p = profile(store, iso3, year, domain)
    dl = {code: domain_label(t, p.scheme, code) for code in DOMAINS.get(p.scheme, {})}
    summary = []
    for r in _rows(p.summary):
        summary.append({
            "domain": dl.get(r.domain, r.domain), "exports": t.money(r.exports),
            "imports": t.money(_get(r, "imports")), "balance": t.money(_get(r, "balance")),
            "yoy": t.percent(_get(r, "yoy")), "world_share": t.percent(_get(r, "world_share")),
            "rca": t.decimal(_get(r, "rca"), 2), "partial": t.money(_get(r, "exports_partial")),
            "partial_upper": t.money(_get(r, "partial_upper"))})
    s = p.summary
    ser = {t("trade.exports"): [charts.clean(v) for v in s["exports"]]}
    if "imports" in s:
        ser[t("trade.imports")] = [charts.clean(v) for v in s["imports"]]
    charts_: dict[str, Any] = {"domains": charts.grouped_bars([dl.get(d, d) for d in s["domain"]], ser,
                                                              title=t("trade.chart_domains", year=p.year),
                                                              fmt="fmt:money")}
    h = p.history
    if not h.empty and h["year"].nunique() > 1:
        wide = h.pivot_table(index="year", columns="domain", values="exports", aggfunc="sum").sort_index()
        charts_["history"] = charts.lines([int(y) for y in wide.index],
                                          {dl.get(c, c): list(wide[c]) for c in wide.columns},
                                          title=t("trade.chart_history"), fmt="fmt:money")
    partners: list[dict[str, Any]] = []
    if p.partners is not None and not p.partners.empty:
        for r in _rows(p.partners):
            partners.append({"domain": dl.get(r.domain, r.domain), "rank": int(r.rank), "iso3": r.partner,
                             "partner": t.country(r.partner), "value": t.money(r.value),
                             "share": t.percent(r.share)})
        top = p.partners.groupby("partner")["value"].sum().sort_values(ascending=False).head(10)
        charts_["partners"] = charts.bars([t.country(str(c)) for c in top.index], list(top.values),
                                          title=t("trade.chart_partners", year=p.year), fmt="fmt:money")
    concentration = []
    if p.concentration is not None:
        for r in _rows(p.concentration.sort_values("value", ascending=False)):
            concentration.append({
                "domain": dl.get(r.domain, r.domain), "hhi": t.decimal(r.hhi, 3),
                "hhi_level": _hhi_level(t, r.hhi), "top_n": int(r.top_n), "top_n_share": t.percent(r.top_n_share),
                "partners": t.integer(r.partners), "value": t.money(r.value),
                "trend": t.decimal(_get(r, "hhi_trend"), 3)})
    groups = []
    if p.regions is not None and not p.regions.empty:
        g = p.regions.groupby("group")["value"].sum().sort_values(ascending=False)
        total = float(p.summary["exports"].sum()) or float("nan")
        for name, value in g.items():
            key = f"group.{name}"
            groups.append({"group": t(key) if t.has(key) else str(name), "value": t.money(value),
                           "share": t.percent(float(value) / total)})
    services = []
    if p.services is not None:
        for r in _rows(p.services):
            key = f"ebops.{r.ebops_code}"
            services.append({"year": int(r.year), "category": t(key) if t.has(key) else r.domain,
                             "role": t(f"trade.role_{r.role}"), "exports": t.money(r.exports),
                             "share": t.percent(r.share_of_services), "world_share": t.percent(r.world_share),
                             "rca": t.decimal(r.rca, 2)})
    digital = None
    if p.digital is not None and not p.digital.empty:
        d = p.digital[p.digital["year"] == p.year]
        if not d.empty:
            digital = t.percent(d["digital_share"].iloc[0])
    reported = []
    if p.reported is not None:
        for r in _rows(p.reported):
            reported.append({"domain": t.pick(*_product_labels(r.domain)), "year": int(r.period),
                             "value": f"{t.decimal(r.value, 2)} {r.unit}", "source": r.source,
                             "audit": t(f"trade.audit_{r.audit}")})
    exports = pd.to_numeric(p.summary["exports"])
    return {"iso3": p.iso3, "name": t.country(p.iso3), "year": p.year, "source": p.source,
            "source_text": t(f"trade.source_{p.source}"), "scheme": p.scheme, "summary": summary,
            # unknown exports read "no data" (a dash), never $0
            "total_exports": t.money(float(exports.sum()) if exports.notna().any() else None),
            "has_partial": "exports_partial" in p.summary.columns, "reported": reported,
            "partners": partners, "concentration": concentration, "groups": groups, "services": services,
            "digital_share": digital, "notes": [_note(t, n) for n in p.notes], "charts": charts_}


def _product_labels(domain: str) -> tuple[str, str]:
    from cultrade.classification import market_domains

    d = market_domains().get(domain)
    return (d.label_en, d.label_zh) if d else (domain, domain)


def _hhi_level(t: Translator, hhi: Any) -> str:
    """Reading of an HHI (0-1): below 0.15 diversified, up to 0.25 moderate, above concentrated."""
    if hhi is None or pd.isna(hhi):
        return "–"
    return t("trade.hhi_low") if hhi < 0.15 else t("trade.hhi_moderate") if hhi <= 0.25 else t("trade.hhi_high")


def _note(t: Translator, note: str) -> str:
    """Known profile notes in the page's language; others as they are."""
    if "samples" in note:
        return t("trade.note_sample")
    if note.startswith("Services:"):
        return t("trade.note_services")
    if "BACI bilateral flows" in note:
        return t("trade.note_baci", year=note.split(":")[0])
    if "Open Trade Statistics" in note:
        return t("trade.note_ots", year=note.split(":")[0])
    return note


def country_trade_summary(store: Store, t: Translator, iso3: str) -> dict[str, Any] | None:
    """The latest trade profile of ``iso3`` in short, for the country page (None without trade data)."""
    try:
        ctx = trade_context(store, t, iso3)
    except CultradeError:  # no trade data for this country or year: the page shows a note instead
        return None
    return {"year": ctx["year"], "source_text": ctx["source_text"], "summary": ctx["summary"][:6],
            "total_exports": ctx["total_exports"], "concentration": ctx["concentration"][:3],
            "chart": ctx["charts"]["domains"]}


__all__ = ["country_trade_summary", "domain_choices", "domain_label", "profile", "trade_context", "trade_years"]

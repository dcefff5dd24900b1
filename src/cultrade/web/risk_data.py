"""What the map, the country page and the country brief show, read from the store (cached per perspective).

Building the index takes a few hundred milliseconds, so :func:`risk_index` keeps
one per (store, home, domain) and rebuilds it when the store's catalog or its
overrides change. :func:`rank_intervals` runs the Monte Carlo of
:mod:`cultrade.risk.uncertainty` once per index (500 draws, fixed seed) when that
module is available; otherwise the pages say "not computed".

Every builder returns plain, JSON-ready data and ECharts options; the texts are
in the :class:`~cultrade.web.i18n.Translator`'s language.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cultrade.risk import build_index, load_framework
from cultrade.risk.index import RiskIndex
from cultrade.risk.options import BANDS
from cultrade.store import Store
from cultrade.web import charts
from cultrade.web.i18n import Translator

UNCERTAINTY_DRAWS = 500
_LOCK = threading.RLock()
_CACHE: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}


def store_lock() -> threading.RLock:
    """One lock for the dashboard's reads: a DuckDB connection serves one thread at a time."""
    return _LOCK


def _stamp(store: Store) -> tuple[Any, ...]:
    """Changes whenever data or overrides are loaded, so cached indexes are rebuilt."""
    cat = store.con.execute("SELECT count(*), max(loaded_at) FROM _catalog").fetchone() or (0, None)
    ov: tuple[Any, ...] = ()
    if store.has_table("risk_overrides"):
        ov = store.con.execute("SELECT count(*) FROM risk_overrides").fetchone() or ()
    return (*cat, *ov)


def cached(store: Store, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """``build()`` once per store state (see :func:`_stamp`)."""
    with _LOCK:
        full = (store.path, id(store), *key)
        stamp = _stamp(store)
        hit = _CACHE.get(full)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = build()
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[full] = (stamp, value)
        return value


def risk_index(store: Store, home: str = "CHN", domain: str = "general") -> RiskIndex:
    found: RiskIndex = cached(store, ("index", home, domain), lambda: build_index(store, home, domain))
    return found


def rank_intervals(store: Store, home: str, domain: str, year: int) -> pd.DataFrame | None:
    """Monte Carlo rank intervals (or None when the uncertainty module is not available)."""
    try:
        from cultrade.risk.uncertainty import monte_carlo
    except ImportError:  # pragma: no cover - the module ships with cultrade
        return None
    idx = risk_index(store, home, domain)
    found: pd.DataFrame = cached(store, ("mc", home, domain, year),
                                 lambda: monte_carlo(idx, UNCERTAINTY_DRAWS, seed=0, year=year))
    return found


def domain_options(t: Translator) -> list[dict[str, str]]:
    """The risk perspectives (cultural domains) with their labels."""
    fw = load_framework()
    return [{"id": k, "label": t.label(v.label)} for k, v in fw.domains.items()]


def _num(v: Any) -> float | None:
    v = charts.clean(v)
    return None if v is None else float(v)


def map_context(store: Store, t: Translator, home: str, domain: str, year: int | None = None) -> dict[str, Any]:
    """Scores of every country for the map and the ranking table."""
    idx = risk_index(store, home, domain)
    table = idx.scores(year)
    year_ = int(table["year"].iloc[0])
    scored = table[table["score"].notna()]
    rows = []
    for r in table.to_dict("records"):
        band, iso3, rank = str(r["band"]), str(r["iso3"]), r["rank"]
        rows.append({"iso3": iso3, "label": t.country(iso3), "score": _num(r["score"]), "band": band,
                     "band_text": t.band(band), "band_pos": BANDS.index(band) if band in BANDS else -1,
                     "rank": None if pd.isna(rank) else int(rank), "outlook": t.outlook(str(r["outlook"]))})
    band_labels = {b: t.band(b) for b in BANDS}
    option = charts.risk_map(rows, title=t("map.chart_title", year=year_, home=t.country(home)),
                             band_labels=band_labels)
    has_score = np.asarray((~np.isnan(idx.score)).any(axis=1), dtype=bool).tolist()
    years = [int(y) for y, ok in zip(idx.years.tolist(), has_score, strict=True) if ok]
    counts = {t.band(b): int((scored["band"] == b).sum()) for b in BANDS}
    return {"year": year_, "years": years, "rows": rows, "top": [r for r in rows if r["score"] is not None][:20],
            "option": option, "scored": len(scored), "counts": counts, "band_colors": charts.BAND_COLORS}


def _explanation_rows(t: Translator, exp: Any) -> list[dict[str, Any]]:
    rows = []
    for r in exp.indicators.itertuples(index=False):
        rows.append({
            "id": r.indicator, "label": t.pick(r.label, r.label_zh), "dimension": r.dimension,
            "raw": t.decimal(r.raw_value, 2), "status": t(f"status.{r.status}"),
            "source_year": "–" if pd.isna(r.source_year) else str(int(r.source_year)),
            "risk": t.decimal(r.risk_score, 2), "weight": t.percent(r.weight, 1),
            "contribution": _num(r.contribution), "contribution_text": t.decimal(r.contribution, 3),
            "change_text": t.decimal(r.change, 3), "proxy": bool(r.is_proxy),
        })
    return rows


def country_context(store: Store, t: Translator, iso3: str, home: str, domain: str,
                    year: int | None = None) -> dict[str, Any]:
    """Score, band, outlook, rank interval, dimension and indicator breakdown, history charts."""
    idx = risk_index(store, home, domain)
    exp = idx.explain(iso3, year)
    fw = idx.framework
    dim_label = {d.id: t.label(d.label) for d in fw.dimensions}
    dims = exp.dimensions
    dim_names = [dim_label.get(d, d) for d in dims["dimension"]]
    dim_opt = charts.bars(dim_names, [_num(v) for v in dims["score"]], title=t("country.chart_dimensions"),
                          max_value=10, colors=[charts.PALETTE[i % 9] for i in range(len(dims))])
    ind_rows = _explanation_rows(t, exp)
    top = sorted((r for r in ind_rows if r["contribution"] is not None), key=lambda r: -r["contribution"])[:12]
    contrib_opt = charts.bars([r["label"] for r in top], [r["contribution"] for r in top],
                              title=t("country.chart_contributions"), fmt="fmt:decimal")
    c = int(np.flatnonzero(idx.countries == exp.iso3)[0])
    years = [int(y) for y in idx.years]
    hist = {t("country.series_score"): [_num(v) for v in idx.score[:, c]]}
    for d, dim in enumerate(idx.structure.dim_ids):
        hist[dim_label.get(dim, dim)] = [_num(v) for v in idx.dim_scores[:, c, d]]
    start = next((i for i, v in enumerate(idx.score[:, c]) if not math.isnan(v)), 0)
    hist = {k: v[start:] for k, v in hist.items()}
    history_opt = charts.lines(years[start:], hist, title=t("country.chart_history"), y_max=10,
                               highlight=t("country.series_score"))
    top_ids = [r["id"] for r in top[:5]]
    ind_hist = {}
    for ident in top_ids:
        k = idx.structure.ind_ids.index(ident)
        label = next(r["label"] for r in ind_rows if r["id"] == ident)
        ind_hist[label] = [_num(v * 10.0) for v in idx.norm[start:, c, k]]
    ind_history_opt = charts.lines(years[start:], ind_hist, title=t("country.chart_indicator_history"), y_max=10)
    interval = None
    mc = rank_intervals(store, home, domain, exp.year)
    if mc is not None:
        hit = mc[mc["iso3"] == exp.iso3]
        if not hit.empty and pd.notna(hit["rank_lo"].iloc[0]):
            h = hit.iloc[0]
            interval = {"lo": int(h["rank_lo"]), "hi": int(h["rank_hi"]), "median": t.decimal(h["rank_median"], 0),
                        "draws": int(h["draws"]), "score_lo": t.decimal(h["score_lo"], 2),
                        "score_hi": t.decimal(h["score_hi"], 2)}
    n_scored = int((~np.isnan(idx.score[idx._year_index(exp.year)])).sum())
    return {
        "iso3": exp.iso3, "name": t.country(exp.iso3), "year": exp.year, "insufficient": exp.insufficient,
        "score": t.decimal(exp.score, 2), "score_value": _num(exp.score), "band": exp.band,
        "band_text": t.band(exp.band), "band_color": charts.band_color(exp.band),
        "outlook": exp.outlook, "outlook_text": t.outlook(exp.outlook), "trend": t.decimal(exp.trend, 2),
        "rank": "–" if math.isnan(exp.rank) else t.integer(exp.rank), "scored": n_scored,
        "interval": interval, "uncertainty_available": mc is not None,
        "previous_year": exp.previous_year, "previous_score": t.decimal(exp.previous_score, 2),
        "coverage": {t(f"coverage.{k}"): t.percent(v, 0) for k, v in exp.coverage.items()},
        "dimensions": [{"label": n, "score": t.decimal(s, 2), "weight": t.percent(w, 0),
                        "contribution": t.decimal(ct, 2), "overridden": bool(o)}
                       for n, s, w, ct, o in zip(dim_names, dims["score"], dims["weight"], dims["contribution"],
                                                 dims["overridden"], strict=True)],
        "indicators": ind_rows, "notes": list(exp.notes),
        "charts": {"dimensions": dim_opt, "contributions": contrib_opt, "history": history_opt,
                   "indicator_history": ind_history_opt},
    }


__all__ = ["country_context", "domain_options", "map_context", "rank_intervals", "risk_index", "store_lock"]

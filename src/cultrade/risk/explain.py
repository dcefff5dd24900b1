"""Why a country scores what it scores: contributions, changes, coverage and staleness.

Contributions are computed top-down: the score is split between dimensions,
each dimension's part between its sub-dimensions, and so on, in proportion to
each item's weighted term. With arithmetic aggregation the term is
``w * v`` and the split is exact: an indicator's contribution equals its
effective weight times its 0-10 risk score, and contributions add up to the
score. With geometric aggregation the term is ``w * log(1 + 9 v)``: the
split is exact in log space and is carried to the score proportionally, an
approximation (the parts still add up to the score). The change since last
year is the difference of the contributions, so it adds up to the change of
the score.

>>> import numpy as np
>>> s = shares(np.array([0.2, 0.6]), np.array([True, True]), np.ones(2), np.array([0, 0]), 1, "arithmetic")
>>> np.round(s, 6).tolist()   # 0.2 / 0.8 and 0.6 / 0.8
[0.25, 0.75]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cultrade.errors import ConfigError
from cultrade.risk.options import BANDS
from cultrade.risk.status import (
    CARRIED,
    ESTIMATED,
    FORECAST,
    IMPUTED,
    MISSING,
    NOWCAST,
    OBSERVED,
    OVERRIDDEN,
    RULE,
    STATIC,
    STATUS_NAMES,
    SUBSTITUTE,
    UNINFORMATIVE,
)
from cultrade.risk.steps import GEO_HIGH, GEO_LOW, effective_weights

if TYPE_CHECKING:
    from cultrade.risk.index import RiskIndex

OBSERVED_LIKE = (OBSERVED, RULE, STATIC, SUBSTITUTE, ESTIMATED)


def shares(values: np.ndarray, avail: np.ndarray, weights: np.ndarray, groups: np.ndarray, n_groups: int,
           method: str) -> np.ndarray:
    """Each item's share of its group's aggregate (arithmetic: w v; geometric: w log(1 + 9 v))."""
    term = np.nan_to_num(values) if method == "arithmetic" else np.log(
        GEO_LOW + (GEO_HIGH - GEO_LOW) * np.nan_to_num(values))
    wa = np.where(avail, weights, 0.0)
    num = wa * term
    den = np.bincount(groups, num, n_groups)[groups]
    wsum = np.bincount(groups, wa, n_groups)[groups]
    with np.errstate(invalid="ignore", divide="ignore"):
        by_weight = np.where(wsum > 0, wa / wsum, 0.0)
        return np.where(den > 0, num / den, by_weight)


def contributions(idx: RiskIndex, t: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    """(indicator contributions (K,), dimension contributions (D,)) in score points for cell (t, c)."""
    st, w, p = idx.structure, idx.weights, idx.params
    score = idx.score[t, c]
    if np.isnan(score):
        return np.full(len(st.ind_ids), np.nan), np.full(len(st.dim_ids), np.nan)
    dims = idx.agg.dims[t, c]
    subs = idx.agg.subs[t, c]
    v = idx.norm[t, c]
    s3 = shares(dims, ~np.isnan(dims), w["dim"], np.zeros(len(dims), dtype=int), 1, p["aggregation"])
    s2 = shares(subs, ~np.isnan(subs), w["sub"], st.tree.sub_dim, st.tree.n_dim, p["aggregation_within"])
    s1 = shares(v, ~np.isnan(v), w["ind"], st.tree.ind_sub, st.tree.n_sub, p["aggregation_within"])
    dim_c = score * s3
    ind_c = dim_c[st.tree.ind_dim()] * s2[st.tree.ind_sub] * s1
    overridden = ~np.isnan(idx.dim_override[t, c])
    ind_c = np.where(overridden[st.tree.ind_dim()], np.nan, ind_c)
    return ind_c, dim_c


@dataclass
class Explanation:
    """Everything behind one country's score in one year."""

    iso3: str
    name: str
    year: int
    score: float
    band: str
    outlook: str
    trend: float
    rank: float
    insufficient: bool
    coverage: dict[str, float]
    dimensions: pd.DataFrame
    indicators: pd.DataFrame
    overrides: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    previous_year: int | None = None
    previous_score: float = float("nan")

    def to_frame(self) -> pd.DataFrame:
        """The indicator table (contributions, status, staleness)."""
        return self.indicators

    def __str__(self) -> str:
        head = (f"{self.name} ({self.iso3}) {self.year}: "
                + ("insufficient data, no score" if self.insufficient else
                   f"risk {self.score:.2f}/10, {self.band}, outlook {self.outlook}, rank {self.rank:.0f}"))
        cov = ", ".join(f"{k} {v:.0%}" for k, v in self.coverage.items())
        lines = [head, f"coverage by weight: {cov}", "", self.dimensions.to_string(index=False), "",
                 self.indicators[["indicator", "raw_value", "status", "source_year", "risk_score", "weight",
                                  "contribution", "change"]].to_string(index=False)]
        lines += [f"{ind}: {note}" for ind, note in zip(self.indicators["indicator"], self.indicators["note"],
                                                         strict=True) if note]
        if not self.overrides.empty:
            lines += ["", "overrides:", self.overrides.to_string(index=False)]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def explain(idx: RiskIndex, iso3: str, year: int | None = None) -> Explanation:
    """The :class:`Explanation` of ``iso3`` in ``year`` (default: the latest scored year)."""
    from cultrade.risk.index import country_name

    iso3 = iso3.upper()
    hit = np.flatnonzero(idx.countries == iso3)
    if hit.size == 0 and iso3 == idx.params["home"]:
        raise ConfigError(f"{iso3} is the home economy: it is not scored as a target of itself",
                          hint="pick another country, or another home country (--home)")
    if hit.size == 0:
        raise ConfigError(f"{iso3} is not in the index", hint="use an ISO3 code of a scored economy, e.g. IRN")
    c, t = int(hit[0]), idx._year_index(year)
    st, fw = idx.structure, idx.framework
    ind_c, dim_c = contributions(idx, t, c)
    if t > 0:
        prev_i, prev_d = contributions(idx, t - 1, c)
        prev_score = float(idx.score[t - 1, c])
    else:
        prev_i, prev_d = np.full_like(ind_c, np.nan), np.full_like(dim_c, np.nan)
        prev_score = float("nan")
    full = effective_weights(st.tree, idx.weights["ind"], idx.weights["sub"], idx.weights["dim"])
    status = idx.status[t, c]
    syear = idx.source_year[t, c]
    cells = idx.status[: t + 1, c]
    obs_years = np.where(np.isin(cells, (*OBSERVED_LIKE, FORECAST)), idx.source_year[: t + 1, c], np.nan)
    with np.errstate(invalid="ignore"):
        last_obs = np.where(np.isnan(obs_years).all(axis=0), np.nan, np.nanmax(np.nan_to_num(obs_years, nan=-1), 0))
    rows = []
    for k, ident in enumerate(st.ind_ids):
        ind = fw.indicator(ident)
        d = st.dim_ids[st.tree.ind_dim()[k]]
        stale = abs(idx.years[t] - syear[k]) if not np.isnan(syear[k]) else np.nan
        rows.append({
            "dimension": d, "subdimension": st.sub_ids[st.tree.ind_sub[k]], "indicator": ident,
            "label": ind.label.en, "label_zh": ind.label.zh, "raw_value": idx.raw[t, c, k],
            "status": STATUS_NAMES[status[k]], "source_year": syear[k], "staleness": stale,
            "last_observed": syear[k] if status[k] == STATIC else last_obs[k],
            "risk_score": 10.0 * idx.norm[t, c, k], "weight": full[k], "contribution": ind_c[k],
            "previous_contribution": prev_i[k], "change": ind_c[k] - prev_i[k],
            "is_proxy": ind.proxy.is_proxy, "proxy_note": ind.proxy.note,
            "note": idx.panel.cell_notes.get(ident, {}).get(iso3, ""),
        })
    indicators = pd.DataFrame(rows)
    dim_full = np.bincount(st.tree.ind_dim(), full, len(st.dim_ids))
    dims = pd.DataFrame({
        "dimension": st.dim_ids,
        "label": [next(x.label.en for x in fw.dimensions if x.id == d) for d in st.dim_ids],
        "weight": dim_full, "score": idx.dim_scores[t, c],
        "previous": idx.dim_scores[t - 1, c] if t > 0 else np.nan,
        "contribution": dim_c, "change": dim_c - prev_d,
        "overridden": ~np.isnan(idx.dim_override[t, c]),
    })
    coverage = {
        "observed": float(full[np.isin(status, OBSERVED_LIKE)].sum()),
        "carried": float(full[status == CARRIED].sum()),
        "nowcast": float(full[status == NOWCAST].sum()),
        "imputed": float(full[status == IMPUTED].sum()),
        "forecast": float(full[status == FORECAST].sum()),
        "override": float(full[status == OVERRIDDEN].sum()),
        "missing": float(full[np.isin(status, (MISSING, UNINFORMATIVE))].sum()),
    }
    notes = [f"{i}: {why}" for i, why in idx.log[1]["info"]["dropped"].items()]
    notes += [f"{i}: {why}" for i, why in idx.panel.notes.items() if i in st.ind_ids]
    if "geometric" in (idx.params["aggregation"], idx.params["aggregation_within"]):
        notes.append("geometric aggregation: contributions split log(1 + 9 v) terms and are scaled to the "
                     "score (exact in log space, approximate in points)")
    notes += [f"left out: {why}" for why in idx.left_out(t, c)]
    if idx.agg.insufficient[t, c]:
        notes.append(f"insufficient data: {idx.agg.coverage[t, c]:.0%} of the index weight available "
                     f"(minimum {idx.params['min_coverage']:.0%}"
                     + (", every dimension needed)" if idx.params["require_all_dimensions"] else ")"))
    ov = idx.overrides
    ov = ov[(ov["iso3"] == iso3) & (ov["year"] == int(idx.years[t]))] if not ov.empty else ov
    table = idx.scores(int(idx.years[t]))
    row = table[table["iso3"] == iso3].iloc[0]
    band = int(idx.band_pos[t, c])
    return Explanation(
        iso3=iso3, name=country_name(iso3), year=int(idx.years[t]), score=float(idx.score[t, c]),
        band=BANDS[band] if band >= 0 else "insufficient data", outlook=str(idx.outlook()[t, c]),
        trend=float(idx.slope[t, c]), rank=float(row["rank"]) if pd.notna(row["rank"]) else float("nan"),
        insufficient=bool(idx.agg.insufficient[t, c]), coverage=coverage, dimensions=dims, indicators=indicators,
        overrides=ov.reset_index(drop=True), notes=notes,
        previous_year=int(idx.years[t - 1]) if t > 0 else None, previous_score=prev_score)


def coverage_table(idx: RiskIndex, year: int | None = None) -> pd.DataFrame:
    """Per country: share of indicators observed, carried, forecast, missing, and the oldest value used."""
    t = idx._year_index(year)
    s = idx.status[t]
    age = np.abs(idx.years[t] - idx.source_year[t])
    return pd.DataFrame({
        "iso3": idx.countries.astype(str), "year": int(idx.years[t]),
        "observed": np.isin(s, OBSERVED_LIKE).mean(axis=1), "carried": (s == CARRIED).mean(axis=1),
        "nowcast": (s == NOWCAST).mean(axis=1), "imputed": (s == IMPUTED).mean(axis=1),
        "forecast": (s == FORECAST).mean(axis=1), "override": (s == OVERRIDDEN).mean(axis=1),
        "missing": np.isin(s, (MISSING, UNINFORMATIVE)).mean(axis=1), "coverage_weight": idx.agg.coverage[t],
        "max_staleness": np.where(np.isnan(age).all(axis=1), np.nan, np.nanmax(np.nan_to_num(age, nan=-1), axis=1)),
        "insufficient": idx.agg.insufficient[t],
    })


__all__ = ["Explanation", "contributions", "coverage_table", "explain", "shares"]

"""``RiskIndex``: a COINr-like object built from named, pure steps, each logged with its parameters.

Steps, in order: ``panel`` (what was read), ``select`` (indicators dropped for
low coverage, no variation or ``exclude``), ``transform`` (logs),
``impute`` (carry within country, flagged), ``outliers`` (winsorisation),
``normalise``, ``overrides`` (expert indicator overrides), ``weights``,
``aggregate`` (with dimension overrides and the insufficient-data rule),
``bands`` and ``outlook``. :meth:`RiskIndex.regenerate` replays them with
changed parameters, without reading the store again.

>>> from cultrade.risk.panel import Panel
>>> from cultrade.risk.framework import parse_framework
>>> fw = parse_framework({"dimensions": [{"id": "d", "label": {"en": "D"}, "subdimensions": [
...     {"id": "s", "label": {"en": "S"}, "indicators": [
...         {"id": "x", "label": {"en": "X"}, "source": "t", "code": "x", "higher_means": "more_risk"},
...         {"id": "y", "label": {"en": "Y"}, "source": "t", "code": "y", "higher_means": "less_risk"}]}]}],
...     "domains": {"general": {"label": {"en": "General"}}}, "defaults": {"min_indicator_coverage": 0}})
>>> cube = np.array([[[0.0, 10.0], [5.0, 5.0], [10.0, 0.0]]])    # 1 year, 3 countries, 2 indicators
>>> idx = RiskIndex(Panel.from_arrays(cube, years=[2023], countries=["A", "B", "C"], indicators=["x", "y"]),
...                 fw)
>>> idx.scores()[["iso3", "score", "band"]].to_dict("records")[0]
{'iso3': 'C', 'score': 10.0, 'band': 'very high'}
>>> [s["step"] for s in idx.log][:4]
['panel', 'select', 'transform', 'impute']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from cultrade.countries import get_countries
from cultrade.errors import ConfigError
from cultrade.risk import steps
from cultrade.risk.framework import Defaults, Framework
from cultrade.risk.options import BANDS
from cultrade.risk.overrides import Override, overrides_frame
from cultrade.risk.panel import Panel
from cultrade.risk.perspective import Structure, node_weights, structure
from cultrade.risk.status import CARRIED, EMPTY, MISSING, NOWCAST, OVERRIDDEN, is_observed

PERSPECTIVE_KEYS = ("home", "domain", "weights", "exclude")


def _validate(framework: Framework, params: Mapping[str, Any]) -> dict[str, Any]:
    known = set(Defaults.model_fields) | set(PERSPECTIVE_KEYS)
    unknown = sorted(set(params) - known)
    if unknown:
        raise ConfigError(f"unknown index parameter(s) {', '.join(unknown)}",
                          hint=f"use any of {', '.join(sorted(known))}")
    base = {k: v for k, v in params.items() if k in Defaults.model_fields}
    try:
        defaults = Defaults.model_validate({**framework.defaults.model_dump(), **base})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"invalid index parameter {'.'.join(map(str, err['loc']))}: {err['msg']}",
                          hint="see RiskIndex.log for the current value of each parameter") from exc
    out: dict[str, Any] = defaults.model_dump()
    home = str(params.get("home", "CHN")).upper()
    if home not in get_countries().table.index:
        raise ConfigError(f"unknown home country {home!r}", hint="use an ISO3 code such as CHN")
    out["home"] = home
    out["domain"] = str(params.get("domain", "general"))
    framework.domain(out["domain"])
    out["weights"] = dict(params.get("weights") or {})
    exclude = params.get("exclude") or ()
    out["exclude"] = tuple([exclude] if isinstance(exclude, str) else exclude)
    return out


def country_name(iso3: str) -> str:
    """English name from the country reference, or the code itself for unknown codes."""
    table = get_countries().table
    return str(table.at[iso3, "name"]) if iso3 in table.index else iso3


class RiskIndex:
    """A country risk index for one perspective (home country, cultural domain)."""

    def __init__(self, panel: Panel, framework: Framework, *, overrides: Sequence[Override] = (),
                 **params: Any) -> None:
        self.framework = framework
        self.params = _validate(framework, params)
        self.overrides_all = list(overrides)
        self._panel = panel
        self.log: list[dict[str, Any]] = []
        self._run()

    # -- replay ---------------------------------------------------------------------------
    def regenerate(self, changes: Mapping[str, Any] | None = None, **kw: Any) -> RiskIndex:
        """The same index with some parameters changed, e.g. ``regenerate(normalisation="zscore")``."""
        new = {**self.params, **(changes or {}), **kw}
        return RiskIndex(self._panel, self.framework, overrides=self.overrides_all, **new)

    def with_overrides(self, overrides: Sequence[Override]) -> RiskIndex:
        return RiskIndex(self._panel, self.framework, overrides=[*self.overrides_all, *overrides], **self.params)

    def _step(self, name: str, params: Mapping[str, Any], **info: Any) -> None:
        self.log.append({"step": name, "params": dict(params), "info": info})

    def steps(self) -> pd.DataFrame:
        """The log as a table: one row per step with its parameters."""
        return pd.DataFrame([{"step": s["step"], "params": s["params"], "info": s["info"]} for s in self.log])

    # -- the pipeline ---------------------------------------------------------------------
    def _run(self) -> None:
        p = self.params
        panel = self._panel if self._panel.home in (None, p["home"]) else self._panel.with_home(p["home"])
        panel = panel.without(p["home"])  # the home economy is never its own target
        self.panel = panel
        self._step("panel", {"home": p["home"], "years": [int(panel.years[0]), int(panel.years[-1])]},
                   countries=len(panel.countries), indicators=list(panel.indicators), notes=dict(panel.notes))
        ids = self._select(panel)
        self.structure = st = structure(self.framework, ids)
        cols = [panel.column(i) for i in st.ind_ids]
        years = panel.years
        self.years, self.countries = years, panel.countries
        self.raw = panel.values[..., cols]
        status = panel.status[..., cols].copy()
        syear = panel.source_year[..., cols].copy()
        inds = [self.framework.indicator(i) for i in st.ind_ids]
        # transform
        x = np.stack([steps.apply_log(self.raw[..., k], ind.transform.log) for k, ind in enumerate(inds)], axis=2)
        self._step("transform", {"log": {i.id: i.transform.log for i in inds if i.transform.log != "none"}})
        present = ~np.isin(status, EMPTY) & ~np.isnan(x)
        status[~present & (status != EMPTY[1])] = MISSING
        # impute: carry observations into missing cells (never into cells flagged uninformative)
        fwd = np.array([p["max_carry_years"] if i.carry.forward is None else i.carry.forward for i in inds])
        bwd = np.array([i.carry.backward for i in inds])
        x, carried, lag = steps.carry(x, present, fwd, bwd)
        carried &= status == MISSING
        x = np.where(present | carried, x, np.nan)
        status[carried] = CARRIED
        syear = np.where(carried, years[:, None, None] - lag, syear)
        src_t = np.clip(np.arange(len(years))[:, None, None] - lag.astype(int), 0, len(years) - 1)
        self.raw = np.where(carried, np.take_along_axis(self.raw, src_t, axis=0), self.raw)
        self._step("impute", {"method": "carry", "max_carry_years": p["max_carry_years"],
                              "forward": dict(zip(st.ind_ids, fwd.tolist(), strict=True)),
                              "backward": dict(zip(st.ind_ids, bwd.tolist(), strict=True))},
                   imputed_cells=dict(zip(st.ind_ids, carried.sum(axis=(0, 1)).tolist(), strict=True)))
        # outliers
        q = np.full((len(inds), 2), np.nan)
        for k, ind in enumerate(inds):
            if p["outliers"] == "winsorise":
                q[k] = p["winsor_quantiles"]
            elif p["outliers"] == "config" and ind.transform.winsorise is not None:
                q[k] = ind.transform.winsorise
        x, bounds = steps.winsorise(x, present, q)
        self._step("outliers", {"method": p["outliers"], "winsor_quantiles": list(p["winsor_quantiles"])},
                   bounds={i: b.tolist() for i, b in zip(st.ind_ids, bounds, strict=True) if not np.isnan(b).any()})
        self.treated, self.fit_mask = x, present
        self.more_risk = np.array([i.higher_means == "more_risk" for i in inds])
        self.goalposts = np.array([i.goalposts if i.goalposts else (np.nan, np.nan) for i in inds], dtype=float)
        # normalise
        norm, nparams = steps.normalise(x, p["normalisation"], self.more_risk, fit_mask=present,
                                        goalposts=self.goalposts, scope=p["normalisation_scope"])
        self._step("normalise", {"method": p["normalisation"], "scope": p["normalisation_scope"]},
                   fitted=nparams, direction={i.id: i.higher_means for i in inds})
        # expert overrides on indicators, and collected for dimensions
        self.applied: list[Override] = []
        dim_ov = np.full((len(years), len(self.countries), len(st.dim_ids)), np.nan)
        norm, status = self._apply_overrides(norm, status, dim_ov)
        self.norm, self.status, self.source_year = norm, status, syear
        # weights
        self.weights = node_weights(self.framework, st, p["weighting"], domain=p["domain"], weights=p["weights"],
                                    norm=norm)
        self._step("weights", {"scheme": p["weighting"], "domain": p["domain"], "explicit": p["weights"],
                               "multipliers": self.framework.domain(p["domain"]).multipliers},
                   **{lvl: dict(zip(getattr(st, f"{lvl}_ids"), w.tolist(), strict=True))
                      for lvl, w in self.weights.items()})
        # aggregate
        # dimensions with too little data drop out of a cell (and make it unscored if required)
        self.dim_mask, self.dim_share, self.dim_observed = steps.dimension_sufficiency(
            ~np.isnan(norm), is_observed(status), st.tree, self.weights["ind"], self.weights["sub"],
            min_share=p["min_dimension_coverage"], min_observed=p["min_observed_indicators"])
        self.required = np.array([self.framework.dimension(d).required for d in st.dim_ids])
        self.agg = agg = steps.aggregate(
            norm, st.tree, self.weights["ind"], self.weights["sub"], self.weights["dim"],
            within=p["aggregation_within"], between=p["aggregation"], min_coverage=p["min_coverage"],
            require_all_dimensions=p["require_all_dimensions"], dim_override=dim_ov / 10.0,
            dim_mask=self.dim_mask, required=self.required)
        self.dim_override = dim_ov
        self._step("aggregate", {"within": p["aggregation_within"], "between": p["aggregation"],
                                 "min_coverage": p["min_coverage"],
                                 "require_all_dimensions": p["require_all_dimensions"],
                                 "min_dimension_coverage": p["min_dimension_coverage"],
                                 "min_observed_indicators": p["min_observed_indicators"]},
                   insufficient_country_years=int(agg.insufficient.sum()),
                   scored_country_years=int((~np.isnan(agg.index)).sum()),
                   dimensions_left_out=dict(zip(st.dim_ids, (~self.dim_mask).sum(axis=(0, 1)).tolist(), strict=True)))
        self.score = 10.0 * agg.index
        self.dim_scores = 10.0 * agg.dims
        if p["band_method"] == "quantile":
            self.cuts = steps.calibrate_bands(self.score, p["band_quantiles"])
        else:
            self.cuts = tuple(float(c) for c in p["bands"])
        self.band_pos = steps.bands(self.score, self.cuts)
        self._step("bands", {"method": p["band_method"], "quantiles": list(p["band_quantiles"]),
                             "names": list(BANDS)}, cuts=list(self.cuts))
        self.slope = steps.trend(self.score, p["outlook_window"])
        self._step("outlook", {"window": p["outlook_window"], "dead_band": p["outlook_dead_band"]})

    def _select(self, panel: Panel) -> list[str]:
        p = self.params
        dropped: dict[str, str] = {}
        keep = []
        for ident in panel.indicators:
            ind = self.framework.indicator(ident)
            k = panel.column(ident)
            vals = panel.values[..., k]
            share = float((~np.isnan(vals)).any(axis=0).mean()) if vals.size else 0.0
            finite = vals[~np.isnan(vals)]
            if ident in p["exclude"] or ind.source in p["exclude"]:
                dropped[ident] = "excluded by parameter"
            elif share < p["min_indicator_coverage"]:
                dropped[ident] = f"data for {share:.0%} of countries < min_indicator_coverage"
            elif finite.size == 0 or np.all(finite == finite[0]):
                dropped[ident] = "no variation across countries and years"
            else:
                keep.append(ident)
        self._step("select", {"exclude": list(p["exclude"]), "min_indicator_coverage": p["min_indicator_coverage"]},
                   kept=keep, dropped=dropped)
        if not keep:
            raise ConfigError("no indicator is left to score", hint="load more sources or lower min_indicator_coverage")
        return keep

    def _apply_overrides(self, norm: np.ndarray, status: np.ndarray, dim_ov: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
        st = self.structure
        skipped: list[str] = []
        on = self.params["use_overrides"]
        norm, status = norm.copy(), status.copy()
        for o in self.overrides_all if on else []:
            if not o.active:
                continue
            yi = np.flatnonzero(self.years == o.year)
            ci = np.flatnonzero(self.countries == o.iso3)
            ids = st.ind_ids if o.kind == "indicator" else st.dim_ids
            if yi.size == 0 or ci.size == 0 or o.target not in ids:
                skipped.append(o.override_id)
                continue
            k = ids.index(o.target)
            if o.kind == "indicator":
                norm[yi[0], ci[0], k] = o.value / 10.0
                status[yi[0], ci[0], k] = OVERRIDDEN
            else:
                dim_ov[yi[0], ci[0], k] = o.value
            self.applied.append(o)
        self._step("overrides", {"use_overrides": on},
                   applied=[o.override_id for o in self.applied], skipped=skipped)
        return norm, status

    # -- results --------------------------------------------------------------------------
    def _year_index(self, year: int | None) -> int:
        if year is None:
            scored = np.flatnonzero((~np.isnan(self.score)).any(axis=1))
            return int(scored[-1]) if scored.size else len(self.years) - 1
        hit = np.flatnonzero(self.years == int(year))
        if hit.size == 0:
            raise ConfigError(f"year {year} is not in the index ({self.years[0]}-{self.years[-1]})",
                              hint="pick a year in that range, or build the index with years=...")
        return int(hit[0])

    def notes(self) -> list[str]:
        """Why indicators of the framework are not in this index: not loaded, unknown source, dropped."""
        panel = self.log[0]["info"]["notes"]
        dropped = self.log[1]["info"]["dropped"]
        return [f"{i}: {why}" for i, why in {**panel, **dropped}.items()]

    def left_out(self, t: int, c: int) -> list[str]:
        """The dimensions left out of cell (t, c) for too little data, each with the reason."""
        out = []
        for d, dim in enumerate(self.structure.dim_ids):
            if self.dim_mask[t, c, d]:
                continue
            share, n = float(self.dim_share[t, c, d]), int(self.dim_observed[t, c, d])
            why = (f"{share:.0%} of its weight has data (minimum {self.params['min_dimension_coverage']:.0%})"
                   if share < self.params["min_dimension_coverage"] else
                   f"{n} indicator(s) rest on observations (minimum {self.params['min_observed_indicators']}), "
                   "the rest are forecasts or imputations")
            out.append(f"{dim}: {why}")
        return out

    def outlook(self) -> np.ndarray:
        """'improving' / 'stable' / 'deteriorating' from the slope of the score, 'n/a' without a trend."""
        dead = self.params["outlook_dead_band"]
        s = self.slope
        out = np.where(s > dead, "deteriorating", np.where(s < -dead, "improving", "stable"))
        return np.where(np.isnan(s) | np.isnan(self.score), "n/a", out)

    def scores(self, year: int | None = None, *, all_years: bool = False) -> pd.DataFrame:
        """One row per country (and year): score 0-10, band, outlook, rank, dimensions, coverage, flags.

        ``year=None`` gives the latest scored year; ``all_years=True`` every year.
        ``rank`` is 1 for the highest risk among the countries scored that year.
        """
        rows = range(len(self.years)) if all_years else [self._year_index(year)]
        outlook = self.outlook()
        overridden = {(o.iso3, o.year) for o in self.applied}
        frames = []
        for t in rows:
            score = self.score[t]
            df = pd.DataFrame({
                "iso3": self.countries.astype(str), "year": int(self.years[t]),
                "score": np.round(score, 4),
                "band": [BANDS[b] if b >= 0 else "insufficient data" for b in self.band_pos[t]],
                "outlook": outlook[t], "trend": np.round(self.slope[t], 4),
                "rank": pd.Series(score).rank(ascending=False, method="min").astype("Int64").to_numpy(),
                "coverage": np.round(self.agg.coverage[t], 4), "insufficient": self.agg.insufficient[t],
                "left_out": [", ".join(self.left_out(t, c)) for c in range(len(self.countries))],
                "nowcast": (self.status[t] == NOWCAST).any(axis=1) & ~np.isnan(score),
                "overrides": [(c, int(self.years[t])) in overridden for c in self.countries],
            })
            for d, dim in enumerate(self.structure.dim_ids):
                df[f"dim_{dim}"] = np.round(self.dim_scores[t, :, d], 4)
            df.insert(1, "name", [country_name(c) for c in df["iso3"]])
            frames.append(df)
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values(["year", "score", "iso3"], ascending=[True, False, True],
                               na_position="last").reset_index(drop=True)

    @property
    def overrides(self) -> pd.DataFrame:
        """The audit trail of the overrides applied to this index."""
        return overrides_frame(self.applied)

    def explain(self, iso3: str, year: int | None = None) -> Any:
        """Contributions, coverage and staleness for one country (see :mod:`cultrade.risk.explain`)."""
        from cultrade.risk.explain import explain

        return explain(self, iso3, year)

    def to_csv(self, path: str | Path, *, all_years: bool = True) -> Path:
        out = Path(path)
        self.scores(all_years=all_years).to_csv(out, index=False)
        return out

    def to_parquet(self, path: str | Path, *, all_years: bool = True) -> Path:
        out = Path(path)
        self.scores(all_years=all_years).to_parquet(out, index=False)
        return out

    # -- hooks for uncertainty / sensitivity analysis ---------------------------------------
    def normalised(self, method: str | None = None, scope: str | None = None) -> np.ndarray:
        """The (Y, C, K) normalised cube for another method, fitted like the index's own (overrides applied)."""
        if method is None and scope is None:
            return self.norm
        norm, _ = steps.normalise(self.treated, method or self.params["normalisation"], self.more_risk,
                                  fit_mask=self.fit_mask, goalposts=self.goalposts,
                                  scope=scope or self.params["normalisation_scope"])
        over = self.status == OVERRIDDEN
        return np.where(over, self.norm, norm)

    def score_batch(self, w_ind: np.ndarray, w_sub: np.ndarray, w_dim: np.ndarray, *,
                    norm: np.ndarray | None = None, between: str | None = None,
                    within: str | None = None) -> np.ndarray:
        """Scores 0-10 with shape (B, Y, C) for a batch of weights (B, K), (B, S), (B, D)."""
        p = self.params
        return 10.0 * steps.score_batch(
            self.norm if norm is None else norm, self.structure.tree, w_ind, w_sub, w_dim,
            within=within or p["aggregation_within"], between=between or p["aggregation"],
            min_coverage=p["min_coverage"], require_all_dimensions=p["require_all_dimensions"],
            dim_override=self.dim_override / 10.0, dim_mask=self.dim_mask, required=self.required)

    def uncertainty(self, draws: int = 1000, *, seed: int | None = None, year: int | None = None,
                    **kw: Any) -> pd.DataFrame:
        """Monte Carlo median rank and 90% rank interval per country: see :mod:`cultrade.risk.uncertainty`."""
        from cultrade.risk.uncertainty import monte_carlo

        return monte_carlo(self, draws, seed=seed, year=year, **kw)

    def sensitivity(self, n: int = 512, *, seed: int | None = 0, year: int | None = None,
                    **kw: Any) -> pd.DataFrame:
        """Sobol first- and total-order indices of each assumption: see :mod:`cultrade.risk.sobol`."""
        from cultrade.risk.sobol import sensitivity

        return sensitivity(self, n, seed=seed, year=year, **kw)

    @property
    def ids(self) -> Structure:
        return self.structure


__all__ = ["PERSPECTIVE_KEYS", "RiskIndex", "country_name"]

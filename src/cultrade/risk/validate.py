"""Does the index agree with the outside world better than simple baselines? ``cultrade risk validate``.

Three checks, all computed in one run from the same store:

1. **Concurrent validity**: per data year, the Spearman correlation between the index (its total and
   each dimension) and every independent reference that is loaded: the Fragile States Index, the
   Global Peace Index, Freedom in the World, Transparency International's CPI and Polity5. Each
   reference year is aligned to the data year it describes (:data:`REFERENCES`), and the sign is
   set so that a positive correlation means agreement (more risk, more fragile / less free). Two
   baselines are computed the same way: the plain average of the six WGI estimates, and minus the
   log of GDP per head. Every measure is compared on the same country-years: those where the
   index's total and both baselines have a value.
2. **Predictive validity**: the score in year t against the adverse events that start in t + 1
   (:mod:`cultrade.risk.events`): the AUC, and the Brier score of a logistic calibration of the
   score fitted on earlier years only (so no forecast sees its own outcome), with its skill against
   the base rate.
3. **Ablation**: every figure again with each dimension dropped (its weight set to 0).

A reference that is an input of the configuration (FSI or Freedom House loaded into the store and
used by the index) is never used to validate it: the report says so. References may also be read
from files for validation only (:func:`read_reference`), so they never become inputs.

>>> REFERENCES["fsi"].year_offset, REFERENCES["ti_cpi"].higher_means
(-1, 'less_risk')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cultrade.errors import ConfigError
from cultrade.risk.events import ALL_EVENTS, EVENTS, load_event_data
from cultrade.risk.index import RiskIndex
from cultrade.risk.panel import _series
from cultrade.store import Store

BASELINES = ("baseline_wgi", "baseline_gdp")
WGI_CODES = ("va", "pv", "ge", "rq", "rl", "cc")
MIN_PAIRS = 30


@dataclass(frozen=True)
class Reference:
    """An independent reference: where it is stored, which year it describes and its direction."""

    source: str
    indicator: str
    year_offset: int
    higher_means: str
    label: str
    note: str = ""


REFERENCES: dict[str, Reference] = {
    "fsi": Reference("fsi", "Total", -1, "more_risk", "Fragile States Index (Fund for Peace)",
                     "report year N mostly describes year N-1"),
    "gpi": Reference("gpi", "overall", -1, "more_risk", "Global Peace Index (IEP)",
                     "the report of year N covers March N-1 to March N"),
    "freedom_house": Reference("freedom_house", "Total", -1, "less_risk", "Freedom in the World (Freedom House)",
                               "edition N describes year N-1"),
    "ti_cpi": Reference("ti_cpi", "cpi_score", 0, "less_risk", "Corruption Perceptions Index (TI)",
                        "the CPI of year N is published early in N+1 and describes N"),
    "polity": Reference("polity", "polity2", 0, "less_risk", "Polity5 polity2 (Center for Systemic Peace)",
                        "a regime score, -10 autocracy to 10 democracy"),
}


def read_reference(name: str, path: str | Path) -> pd.DataFrame:
    """A reference read from the publisher's file for validation only: iso3, year (data year), value.

    The file goes through the source's own adapter, so an unknown country name is refused with
    its line, close matches and the fix (:class:`~cultrade.errors.UnknownCountryError`).
    """
    from cultrade.sources import get_adapter

    ref = _reference(name)
    if not Path(path).exists():
        raise ConfigError(f"reference file not found: {path}", path=str(path),
                          hint=f"pass the {ref.label} file as NAME=FILE, e.g. --reference {name}=path/to/file")
    frames = get_adapter(ref.source).parse(Path(path))
    obs = next((f for f in frames.values() if "indicator" in getattr(f, "columns", ())), None)
    if obs is None:
        raise ConfigError(f"{path} holds no {ref.source} observations", path=str(path),
                          hint=f"pass the publisher's {ref.label} file")
    frame = obs if isinstance(obs, pd.DataFrame) else obs.to_pandas()
    frame = frame[frame["indicator"] == ref.indicator]
    return pd.DataFrame({"iso3": frame["iso3"].astype(str), "year": frame["year"].astype(int) + ref.year_offset,
                         "value": frame["value"].astype(float)}).dropna()


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub markdown table, numbers with three decimals (tabulate, through pandas).

    >>> print(markdown_table(pd.DataFrame({"measure": ["total"], "fsi": [0.91234]})))
    | measure   |   fsi |
    |:----------|------:|
    | total     | 0.912 |
    """
    return str(frame.to_markdown(index=False, floatfmt=".3f"))


def parse_reference_options(options: Sequence[str]) -> dict[str, str | Path | None]:
    """``["fsi=path.csv", "gpi"]`` -> ``{"fsi": "path.csv", "gpi": None}``, each name checked.

    >>> parse_reference_options(["fsi=fsi.csv", "gpi"])
    {'fsi': 'fsi.csv', 'gpi': None}
    """
    out: dict[str, str | Path | None] = {}
    for option in options:
        name, _, path = option.partition("=")
        _reference(name.strip())
        out[name.strip()] = path or None
    return out


def _reference(name: str) -> Reference:
    if name not in REFERENCES:
        raise ConfigError(f"unknown reference {name!r}", hint=f"use one of {', '.join(REFERENCES)}")
    return REFERENCES[name]


def stored_reference(store: Store, name: str) -> pd.DataFrame:
    """The reference as loaded in the store (empty when it is not): iso3, year (data year), value."""
    ref = _reference(name)
    data = _series(store, {(ref.source, ref.indicator)})
    return pd.DataFrame({"iso3": data["iso3"].astype(str), "year": data["year"].astype(int) + ref.year_offset,
                         "value": data["value"].astype(float)})


def baselines(store: Store) -> pd.DataFrame:
    """iso3, year, baseline_wgi (minus the mean of the six WGI estimates), baseline_gdp (minus log GDP per head)."""
    data = _series(store, {("wgi", c) for c in WGI_CODES} | {("wdi", "NY.GDP.MKTP.CD"), ("wdi", "SP.POP.TOTL")})
    stats = data[data["source"] == "wgi"].groupby(["iso3", "year"])["value"].agg(["mean", "count"])
    wgi = pd.Series(-stats["mean"].where(stats["count"] == len(WGI_CODES)), name="baseline_wgi")
    wdi = data[data["source"] == "wdi"].pivot_table(index=["iso3", "year"], columns="indicator", values="value")
    if {"NY.GDP.MKTP.CD", "SP.POP.TOTL"} <= set(wdi.columns):
        per_head = wdi["NY.GDP.MKTP.CD"] / wdi["SP.POP.TOTL"]
        gdp = pd.Series(-np.log(per_head.where(per_head > 0)), index=per_head.index, name="baseline_gdp")
    else:
        gdp = pd.Series(dtype=float, name="baseline_gdp")
    out = pd.concat([wgi, gdp], axis=1).reset_index()
    return out.rename(columns={"level_0": "iso3", "level_1": "year"})


def _measures(index: RiskIndex, base: pd.DataFrame | None) -> pd.DataFrame:
    scores = index.scores(all_years=True)
    cols = ["iso3", "year", "score", *[c for c in scores.columns if c.startswith("dim_")]]
    out = scores[cols].rename(columns={"score": "total"})
    if base is not None:
        out = out.merge(base, on=["iso3", "year"], how="left")
    return out


def correlations(measures: pd.DataFrame, refs: Mapping[str, pd.DataFrame], years: Sequence[int] | None = None
                 ) -> pd.DataFrame:
    """reference, year, measure, rho, n: Spearman correlations, signed so that positive = agreement."""
    rows = []
    cols = [c for c in measures.columns if c not in ("iso3", "year")]
    for name, ref in refs.items():
        sign = 1.0 if REFERENCES[name].higher_means == "more_risk" else -1.0
        merged = measures.merge(ref.rename(columns={"value": "_ref"}), on=["iso3", "year"])
        if years is not None:
            merged = merged[merged["year"].isin(list(years))]
        for year, g in merged.groupby("year"):
            for m in cols:
                pair = g[[m, "_ref"]].dropna()
                if len(pair) < MIN_PAIRS:
                    continue
                rho = pair[m].rank().corr(pair["_ref"].rank())
                rows.append({"reference": name, "year": int(str(year)), "measure": m, "rho": sign * float(rho),
                             "n": len(pair)})
    return pd.DataFrame(rows, columns=["reference", "year", "measure", "rho", "n"])


def predictive(measures: pd.DataFrame, events: pd.DataFrame, *, min_train_events: int = 5,
               calibrate: Sequence[str] | None = ("total", *BASELINES)) -> pd.DataFrame:
    """event, measure, n, events, auc, brier, brier_base, bss for each event and measure (score at t, event at t+1).

    The Brier score is that of a one-variable logistic calibration of the measure, refitted for each
    year t on the pairs whose outcome year is at most t; it is computed for the measures in ``calibrate``
    (the total and the baselines by default; None: every measure) and left empty for the others.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    rows = []
    cols = [c for c in measures.columns if c not in ("iso3", "year")]
    for event, lab in events.groupby("event"):
        merged = lab.merge(measures, on=["iso3", "year"])
        for m in cols:
            d = merged[["year", "y", m]].dropna()
            if d["y"].nunique() < 2:
                continue
            auc = float(roc_auc_score(d["y"], d[m]))
            probs, base, truth = [], [], []
            x_all = d[m].to_numpy(dtype=float)
            x_all = (x_all - x_all.mean()) / (x_all.std() or 1.0)   # well-conditioned fits (ranks unchanged)
            years_d, y_all = d["year"].to_numpy(), d["y"].to_numpy()
            for year in sorted(set(years_d.tolist())) if calibrate is None or m in calibrate else []:
                train = years_d + 1 <= year
                if y_all[train].sum() < min_train_events or len(set(y_all[train].tolist())) < 2:
                    continue
                test = years_d == year
                model = LogisticRegression(C=1e6, solver="newton-cholesky", max_iter=100)
                model.fit(x_all[train, None], y_all[train])
                probs.append(model.predict_proba(x_all[test, None])[:, 1])
                base.append(np.full(int(test.sum()), y_all[train].mean()))
                truth.append(y_all[test])
            if probs:
                p, b, y = np.concatenate(probs), np.concatenate(base), np.concatenate(truth)
                brier, brier_base = float(np.mean((p - y) ** 2)), float(np.mean((b - y) ** 2))
            else:
                brier = brier_base = float("nan")
            rows.append({"event": event, "measure": m, "n": len(d), "events": int(d["y"].sum()), "auc": auc,
                         "brier": brier, "brier_base": brier_base,
                         "bss": 1.0 - brier / brier_base if brier_base > 0 else float("nan")})
    return pd.DataFrame(rows, columns=["event", "measure", "n", "events", "auc", "brier", "brier_base", "bss"])


@dataclass
class ValidationReport:
    """The three checks of one configuration; see the module docstring."""

    home: str
    domain: str
    years: tuple[int, int]
    correlations: pd.DataFrame
    predictive: pd.DataFrame
    ablation: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)  # name -> where it was read from

    def summary(self) -> pd.DataFrame:
        """Mean Spearman rho over the years, reference x measure (with the years and mean n)."""
        if self.correlations.empty:
            return pd.DataFrame(columns=["reference", "measure", "rho", "years", "n"])
        g = self.correlations.groupby(["reference", "measure"])
        out = g.agg(rho=("rho", "mean"), years=("year", "nunique"), first=("year", "min"), last=("year", "max"),
                    n=("n", "mean")).reset_index()
        return out

    def beats_baseline(self, baseline: str = "baseline_wgi") -> dict[str, bool]:
        """Does the total beat ``baseline``: per reference (mean rho), on the mean AUC over the four event
        types (each type counts once), and on the AUC of ``any_adverse`` (pooled, so the most frequent
        event type dominates)?"""
        out: dict[str, bool] = {}
        s = self.summary().pivot(index="reference", columns="measure", values="rho")
        if "total" in s.columns and baseline in s.columns:
            out = {str(ref): bool(s.loc[ref, "total"] > s.loc[ref, baseline]) for ref in s.index}
        p = self.predictive.pivot(index="event", columns="measure", values="auc")
        if "total" in p.columns and baseline in p.columns:
            kinds = [e for e in EVENTS if e in p.index]
            if kinds:
                out["auc, mean over event types"] = bool(p.loc[kinds, "total"].mean() > p.loc[kinds, baseline].mean())
            if "any_adverse" in p.index:
                pooled = self.predictive[self.predictive["event"] == "any_adverse"].set_index("measure")["auc"]
                out["auc, any adverse event"] = bool(pooled.get("total", np.nan) > pooled.get(baseline, np.nan))
        return out

    def summary_table(self) -> pd.DataFrame:
        """Mean rho, one row per measure, one column per reference (total and baselines first)."""
        s = self.summary()
        if s.empty:
            return pd.DataFrame(columns=["measure"])
        wide = s.pivot(index="measure", columns="reference", values="rho")
        order = ["total", *BASELINES, *sorted(m for m in wide.index if m.startswith("dim_"))]
        return wide.reindex([m for m in order if m in wide.index]).round(3).reset_index()

    def predictive_table(self) -> pd.DataFrame:
        """AUC per event and measure, plus the mean over the event types; Brier skill of the calibrated total."""
        p = self.predictive
        if p.empty:
            return pd.DataFrame(columns=["measure"])
        auc = p.pivot(index="measure", columns="event", values="auc")
        kinds = [e for e in EVENTS if e in auc.columns]
        auc["mean over event types"] = auc[kinds].mean(axis=1)
        order = ["total", *BASELINES, *sorted(m for m in auc.index if m.startswith("dim_"))]
        cols = [*kinds, "mean over event types", *[c for c in ("any_adverse",) if c in auc.columns]]
        return auc.reindex([m for m in order if m in auc.index])[cols].round(3).reset_index()

    def ablation_table(self) -> pd.DataFrame:
        """The change in each figure (rho per reference, AUC per event) when one dimension is dropped."""
        if self.ablation.empty:
            return pd.DataFrame(columns=["dropped"])
        wide = self.ablation.pivot_table(index="dropped", columns="subject", values="change")
        return wide.round(3).reset_index()

    def to_markdown(self) -> str:
        """The report as markdown tables (the command's output, for docs)."""
        lines = [f"Home {self.home}, domain {self.domain}, data years {self.years[0]}-{self.years[1]}.", "",
                 "**Concurrent validity** (mean Spearman rho over the years; positive = agreement):", "",
                 markdown_table(self.summary_table()), "",
                 "**Predictive validity** (AUC of the score at t for events starting at t+1):", "",
                 markdown_table(self.predictive_table()), ""]
        brier = self.predictive[self.predictive["measure"].isin(["total", *BASELINES])]
        if not brier.empty:
            lines += ["Brier score of a logistic calibration refitted each year on earlier years, and its skill "
                      "against the base rate:", "",
                      markdown_table(brier[["event", "measure", "n", "events", "brier", "brier_base", "bss"]]), ""]
        if not self.ablation.empty:
            lines += ["**Ablation** (change when the dimension's weight is set to 0):", "",
                      markdown_table(self.ablation_table()), ""]
        verdict = self.beats_baseline()
        if verdict:
            lines += ["**Against the plain WGI average**: " + "; ".join(
                f"{k}: {'better' if v else 'not better'}" for k, v in verdict.items()), ""]
        lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines).rstrip() + "\n"

    def table(self) -> pd.DataFrame:
        """Everything in one long table (for ``--out``): kind, reference or event, year, measure, metric, value."""
        parts = [self.correlations.assign(kind="correlation", subject=self.correlations["reference"])
                 .melt(id_vars=["kind", "subject", "year", "measure"], value_vars=["rho", "n"], var_name="metric"),
                 self.predictive.assign(kind="predictive", subject=self.predictive["event"], year=np.nan)
                 .melt(id_vars=["kind", "subject", "year", "measure"],
                       value_vars=["n", "events", "auc", "brier", "brier_base", "bss"], var_name="metric"),
                 self.ablation.assign(kind="ablation", year=np.nan)
                 .rename(columns={"dropped": "measure"})[["kind", "subject", "year", "measure", "metric", "value"]]]
        return pd.concat(parts, ignore_index=True)


def validate(store: Store, home: str = "CHN", domain: str = "general", *,
             references: Mapping[str, str | Path | None] | Sequence[str] | None = None,
             years: Sequence[int] | None = None, events: Sequence[str] = ALL_EVENTS,
             ablation: bool = True, index: RiskIndex | None = None, **build: Any) -> ValidationReport:
    """Validate the index for ``home`` and ``domain`` (see the module docstring).

    ``references``: names of references loaded in the store, or a mapping name -> file read for
    validation only (None: every reference the store holds). ``build`` goes to
    :func:`cultrade.risk.build_index` (``framework``, ``exclude``, step parameters).
    """
    from cultrade.risk import build_index

    idx = index if index is not None else build_index(store, home, domain, **build)
    wanted: Mapping[str, str | Path | None] = (
        dict.fromkeys(REFERENCES) if references is None else
        dict.fromkeys(references) if not isinstance(references, Mapping) else references)
    inputs = {(idx.framework.indicator(i).source, idx.framework.indicator(i).code) for i in idx.structure.ind_ids}
    refs: dict[str, pd.DataFrame] = {}
    where: dict[str, str] = {}
    notes: list[str] = []
    for name, path in wanted.items():
        ref = _reference(name)
        if (ref.source, ref.indicator) in inputs:
            notes.append(f"{name}: not used to validate, because it is an input of this configuration "
                         f"(exclude it with --exclude {ref.source}, or pass it with --reference {name}=FILE "
                         "without loading it into the store)")
            continue
        frame = read_reference(name, path) if path is not None else stored_reference(store, name)
        if frame.empty:
            if references is not None:
                notes.append(f"{name}: not loaded (load it with `cultrade ingest {ref.source} FILE`, "
                             f"or pass --reference {name}=FILE)")
            continue
        refs[name], where[name] = frame, str(path) if path is not None else "store"
    if not refs:
        notes.append("no independent reference is available: only predictive validity is reported")
    base = baselines(store)
    # every measure is compared on the same country-years: those where the index and both baselines exist
    measures = _measures(idx, base).dropna(subset=["total", *BASELINES]).reset_index(drop=True)
    yrs = sorted(int(y) for y in (years if years is not None else idx.years))
    ev = load_event_data(store, idx.years.tolist(), idx.countries.astype(str).tolist()).frame(events)
    ev = ev[ev["year"].isin(yrs)]
    corr = correlations(measures, refs, yrs)
    pred = predictive(measures, ev)
    abl = _ablation(idx, refs, ev, yrs, corr, pred, measures[["iso3", "year"]]) if ablation else pd.DataFrame(
        columns=["dropped", "subject", "metric", "value", "change"])
    return ValidationReport(idx.params["home"], idx.params["domain"], (yrs[0], yrs[-1]) if yrs else (0, 0),
                            corr, pred, abl, notes, where)


def _ablation(idx: RiskIndex, refs: Mapping[str, pd.DataFrame], events: pd.DataFrame, years: Sequence[int],
              corr: pd.DataFrame, pred: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Total-score figures with each dimension's weight set to 0, and their change from the full index."""
    full_rho = corr[corr["measure"] == "total"].groupby("reference")["rho"].mean()
    full_auc = pred[pred["measure"] == "total"].set_index("event")["auc"]
    rows = []
    for dim in idx.structure.dim_ids:
        other = idx.regenerate(weights={**idx.params["weights"], dim: 0.0})
        m = keys.merge(_measures(other, None)[["iso3", "year", "total"]], on=["iso3", "year"], how="left")
        rho = correlations(m, refs, years).groupby("reference")["rho"].mean()
        auc = predictive(m, events, calibrate=()).set_index("event")["auc"]
        for ref, value in rho.items():
            rows.append({"dropped": dim, "subject": ref, "metric": "rho", "value": float(value),
                         "change": float(value - full_rho.get(ref, np.nan))})
        for event, value in auc.items():
            rows.append({"dropped": dim, "subject": event, "metric": "auc", "value": float(value),
                         "change": float(value - full_auc.get(event, np.nan))})
    return pd.DataFrame(rows, columns=["dropped", "subject", "metric", "value", "change"])


__all__ = ["BASELINES", "REFERENCES", "Reference", "ValidationReport", "baselines", "correlations",
           "parse_reference_options", "predictive", "read_reference", "stored_reference", "validate"]

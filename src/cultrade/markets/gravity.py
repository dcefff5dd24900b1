"""Structural gravity by PPML with exporter-year and importer-year fixed effects (pyfixest).

The model (Yotov, Piermartini, Monteiro and Larch 2016, *An Advanced Guide to Trade Policy Analysis*,
chapter 1):

    X_ij,t = exp(pi_i,t + chi_j,t + b1 ln DIST_ij + b2 CNTG_ij + b3 LANG_ij + b4 CLNY_ij + ...) * e_ij,t

estimated by Poisson pseudo-maximum likelihood, standard errors clustered by country pair. The fixed
effects absorb the multilateral resistance terms and every country-year variable, so only dyadic
covariates are estimated. :func:`estimate_gravity` takes any flows table (``exporter, importer, year,
value`` plus covariate columns); :func:`cultrade.markets.data.gravity_frame` builds one from the store
(AGTPA, or BACI aggregated by cultural domain, with GeoDist, Kogut-Singh cultural distance and any extra
dyadic covariates passed through its one hook).

Fixed effects that cannot be estimated are never a silent NaN. An exporter-year or importer-year whose
flows are all zero is separated (its fixed effect runs to minus infinity): its observations are dropped
before the fit and listed in :attr:`GravityResult.dropped` with the reason, as are any observations
pyfixest drops by its own separation check. A covariate collinear with the fixed effects (singular
design) raises :class:`~cultrade.errors.ConfigError` naming it.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(7)
>>> pairs = [(e, i) for e in "ABCDEFGH" for i in "ABCDEFGH" if e != i]
>>> df = pd.DataFrame(pairs, columns=["exporter", "importer"]).assign(year=2000)
>>> df["log_dist"] = rng.uniform(5, 9, len(df))
>>> df["value"] = rng.poisson(np.exp(12 - 0.9 * df["log_dist"]))
>>> fit = estimate_gravity(df, ["log_dist"])
>>> round(float(fit.coefficients.set_index("term").loc["log_dist", "estimate"]), 1)
-0.9
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cultrade.errors import ConfigError

#: Columns every flows table needs.
KEYS = ("exporter", "importer", "year")


@dataclass
class GravityResult:
    """Coefficients (term, estimate, std_error, z, p_value), the sample, and what was dropped and why."""

    coefficients: pd.DataFrame
    nobs: int
    dropped: pd.DataFrame
    covariates: tuple[str, ...]
    source: str = ""
    notes: list[str] = field(default_factory=list)
    model: Any = None

    def estimate(self, term: str) -> float:
        row = self.coefficients[self.coefficients["term"] == term]
        if row.empty:
            raise ConfigError(f"no term {term!r} in the model", hint=f"terms: {', '.join(self.coefficients['term'])}")
        return float(row["estimate"].iloc[0])

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted flows for ``frame`` (same columns as the fit); NaN where a fixed effect is unknown."""
        try:
            return np.asarray(self.model.predict(newdata=_with_fe(frame), type="response"), dtype=float)
        except Exception as exc:  # pyfixest raises on unseen levels in some versions
            raise ConfigError(f"cannot predict from the gravity model: {exc}",
                              hint="predict only exporter-years and importer-years that were in the fit") from exc


def _ids(codes: pd.Series) -> np.ndarray:
    """A stable integer per country code (CRC-32 of the code): the same code gets the same id in any frame."""
    text = codes.astype(str)
    lookup = {c: zlib.crc32(c.encode("utf-8")) & 0x7FFFFFFF for c in text.unique()}
    if len(set(lookup.values())) < len(lookup):  # pragma: no cover - never seen for country codes
        raise ConfigError("two country codes share an id", hint="report this: the codes are " + ", ".join(lookup))
    return text.map(lookup).to_numpy(dtype=np.int64)


def _with_fe(frame: pd.DataFrame) -> pd.DataFrame:
    """Add exp_year, imp_year and pair (country pairs in either direction, as the AGTPA guide's pair_id) as
    integer keys, stable across frames so that a fitted model predicts any frame."""
    if {"exp_year", "imp_year", "pair"} <= set(frame.columns):
        return frame
    year = frame["year"].to_numpy(dtype=np.int64)
    e, i = _ids(frame["exporter"]), _ids(frame["importer"])
    return frame.assign(exp_year=e * 10_000 + year, imp_year=i * 10_000 + year,
                        pair=np.minimum(e, i) * (1 << 31) + np.maximum(e, i))


def separated(frame: pd.DataFrame, value: str = "value") -> pd.Series:
    """True for observations in an exporter-year or importer-year whose flows are all zero.

    >>> df = pd.DataFrame({"exporter": ["A", "A", "B"], "importer": ["B", "C", "A"], "year": 2000,
    ...                    "value": [0.0, 0.0, 5.0]})
    >>> separated(df).tolist()
    [True, True, False]
    """
    data = _with_fe(frame)
    out = pd.Series(False, index=frame.index)
    for fe in ("exp_year", "imp_year"):
        total = data.groupby(fe)[value].transform("sum")
        out |= total <= 0
    return out


def singletons(frame: pd.DataFrame, keep: pd.Series) -> pd.Series:
    """True for observations alone in their exporter-year or importer-year (after dropping others, repeated):
    their fixed effect fits them exactly, so they say nothing about the slopes.

    >>> df = pd.DataFrame({"exporter": ["A", "A", "B"], "importer": ["B", "C", "C"], "year": 2000})
    >>> singletons(df, pd.Series(True, index=df.index)).tolist()
    [True, True, True]
    """
    data = _with_fe(frame)
    alone = pd.Series(False, index=frame.index)
    while True:
        live = keep & ~alone
        found = pd.Series(False, index=frame.index)
        for fe in ("exp_year", "imp_year"):
            counts = data.loc[live, fe].map(data.loc[live, fe].value_counts())
            found.loc[counts.index] |= counts == 1
        if not found.any():
            return alone
        alone |= found


def _check(frame: pd.DataFrame, covariates: Sequence[str], value: str) -> None:
    missing = [c for c in (*KEYS, value, *covariates) if c not in frame.columns]
    if missing:
        raise ConfigError(f"the flows table lacks columns {missing}; it has {list(frame.columns)}",
                          hint="give exporter, importer, year, value and every covariate")
    if (frame[value] < 0).any():
        raise ConfigError("negative trade flows", hint="flows are values >= 0 (0 for no trade)")
    if frame.duplicated(list(KEYS)).any():
        row = frame[frame.duplicated(list(KEYS))].iloc[0]
        raise ConfigError(f"duplicate flow {row['exporter']}->{row['importer']} {row['year']}",
                          hint="aggregate to one row per exporter, importer and year first")


def estimate_gravity(frame: pd.DataFrame, covariates: Sequence[str], *, value: str = "value",
                     source: str = "", cluster: str = "pair") -> GravityResult:
    """PPML of ``value`` on ``covariates`` with exporter-year and importer-year fixed effects."""
    import pyfixest as pf

    covariates = tuple(covariates)
    if not covariates:
        raise ConfigError("no covariates to estimate", hint="give at least one dyadic covariate, e.g. log_dist")
    _check(frame, covariates, value)
    data = _with_fe(frame.reset_index(drop=True))
    incomplete = data[list(covariates)].isna().any(axis=1) | data[value].isna()
    sep = separated(data, value) & ~incomplete
    reasons = pd.Series("", index=data.index)
    reasons[incomplete] = "a covariate or the flow is missing (no data)"
    reasons[sep] = "separated: its exporter-year or importer-year trades nothing (all flows zero)"
    alone = singletons(data, reasons == "")
    reasons[alone] = "singleton: alone in its exporter-year or importer-year (fitted exactly, no information)"
    keep = reasons == ""
    sample = data[keep]
    if sample.empty or sample[value].sum() <= 0 or sample["exp_year"].nunique() < 2 or sample["imp_year"].nunique() < 2:
        counts = ", ".join(f"{n} {str(r).split(':')[0]}" for r, n in reasons[reasons != ""].value_counts().items())
        raise ConfigError(f"no observation is left to estimate the gravity model ({len(data)} flows; dropped: "
                          f"{counts or 'none'})",
                          hint="gravity needs several exporters per importer-year: load a full BACI year, or "
                               "drop covariates that are missing for many countries (e.g. --cultural)")
    formula = f"{value} ~ {' + '.join(covariates)} | exp_year + imp_year"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = pf.fepois(formula, data=sample, vcov={"CRV1": cluster})
    collinear = list(getattr(fit, "_collin_vars", []) or [])
    if collinear:
        raise ConfigError(f"singular design: {', '.join(collinear)} is collinear with the fixed effects "
                          "(it does not vary within exporter-year and importer-year)",
                          hint="drop it: country-year variables are absorbed by the fixed effects")
    extra = sorted(int(i) for i in (getattr(fit, "_na_index", None) or []))
    if extra:  # pyfixest's own separation check dropped these (positions in the sample it was given)
        where = sample.index[extra] if max(extra) < len(sample) else pd.Index(extra)
        reasons.loc[where] = "separated (pyfixest's check): perfectly predicted, dropped"
    tidy = fit.tidy()
    coefs = pd.DataFrame({"term": tidy.index.astype(str), "estimate": tidy["Estimate"].to_numpy(),
                          "std_error": tidy["Std. Error"].to_numpy(), "z": tidy["t value"].to_numpy(),
                          "p_value": tidy["Pr(>|t|)"].to_numpy()})
    if coefs[["estimate", "std_error"]].isna().any().any():
        bad = coefs.loc[coefs[["estimate", "std_error"]].isna().any(axis=1), "term"].tolist()
        raise ConfigError(f"the estimate of {', '.join(bad)} is undefined", hint="the design is singular: drop them")
    dropped = data.loc[reasons != "", list(KEYS)].assign(reason=reasons[reasons != ""]).reset_index(drop=True)
    notes = [str(w.message).strip() for w in caught if "separation" in str(w.message)]
    return GravityResult(coefs, int(fit._N), dropped, covariates, source, notes, fit)


def describe_dropped(result: GravityResult, limit: int = 10) -> str:
    """One sentence naming the dropped observations (the first ``limit``) and why; empty when none."""
    d = result.dropped
    if d.empty:
        return ""
    shown = ", ".join(f"{r.exporter}->{r.importer} {r.year}" for r in d.head(limit).itertuples())
    more = f" and {len(d) - limit} more" if len(d) > limit else ""
    kinds = "; ".join(f"{n} {reason}" for reason, n in d["reason"].value_counts().items())
    return f"{len(d)} observations dropped ({kinds}): {shown}{more}"


__all__ = ["KEYS", "GravityResult", "describe_dropped", "estimate_gravity", "separated"]

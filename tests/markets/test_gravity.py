"""Structural gravity by PPML: the AGTPA guide's published results, a GLM cross-check, and bad designs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cultrade.errors import ConfigError
from cultrade.markets import gravity
from cultrade.markets.data import AGTPA_REFERENCE, agtpa_frame
from cultrade.markets.gravity import describe_dropped, estimate_gravity
from cultrade.store import Store

#: Yotov, Piermartini, Monteiro and Larch (2016), chapter 1, application 1, Table 1, column PPML
#: (exporter-year and importer-year fixed effects, 1986-2006 every four years, international flows,
#: standard errors clustered by pair): coefficient and standard error, as published to three decimals
#: and reproduced by the tradepolicy R package (fixest/capybara).
PUBLISHED = {"log_dist": (-0.841, 0.032), "cntg": (0.437, 0.084), "lang": (0.247, 0.077), "clny": (-0.222, 0.118)}


def test_reproduces_the_agtpa_guide_ppml_to_three_decimals(bundled: Store) -> None:
    result = gravity(bundled, "agtpa")
    table = result.coefficients.set_index("term")
    assert result.nobs == 28152 and result.dropped.empty
    for term, (estimate, se) in PUBLISHED.items():
        assert round(table.loc[term, "estimate"], 3) == estimate, term
        # clustered standard errors differ in the third decimal between Stata, fixest and pyfixest
        # (small-sample corrections): within 0.002 of the published value
        assert abs(table.loc[term, "std_error"] - se) <= 0.002, term


def test_matches_a_poisson_glm_with_dummies(bundled: Store) -> None:
    """statsmodels' GLM with explicit exporter and importer dummies gives the same slopes (one year)."""
    sm = pytest.importorskip("statsmodels.api")
    frame = agtpa_frame(bundled, [1994])
    ours = estimate_gravity(frame, AGTPA_REFERENCE).coefficients.set_index("term")["estimate"]
    dummies = pd.get_dummies(frame[["exporter", "importer"]], drop_first=True, dtype=float)
    x = pd.concat([frame[list(AGTPA_REFERENCE)], dummies], axis=1).assign(const=1.0)
    glm = sm.GLM(frame["value"] / 1e6, x, family=sm.families.Poisson()).fit(tol=1e-12, maxiter=200)
    for term in AGTPA_REFERENCE:
        assert ours[term] == pytest.approx(glm.params[term], abs=1e-6), term


def _toy() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    pairs = [(e, i) for e in "ABCDEF" for i in "ABCDEF" if e != i]
    df = pd.DataFrame(pairs, columns=["exporter", "importer"]).assign(year=2000)
    df["log_dist"] = rng.uniform(5, 9, len(df))
    df["value"] = rng.poisson(np.exp(10 - 0.8 * df["log_dist"])).astype(float)
    return df


def test_separated_fixed_effects_are_named_not_nan() -> None:
    df = _toy()
    df.loc[df["exporter"] == "F", "value"] = 0.0  # F exports nothing: its exporter-year effect is -infinity
    result = estimate_gravity(df, ["log_dist"])
    assert set(result.dropped["exporter"]) == {"F"} and len(result.dropped) == 5
    assert result.dropped["reason"].str.contains("separated").all()
    note = describe_dropped(result)
    assert note.startswith("5 observations dropped") and "F->A 2000" in note
    assert np.isfinite(result.coefficients["estimate"]).all()


def test_a_covariate_collinear_with_the_fixed_effects_is_refused() -> None:
    df = _toy()
    df["exporter_size"] = df["exporter"].map({c: float(i) for i, c in enumerate("ABCDEF")})
    with pytest.raises(ConfigError, match="exporter_size is collinear with the fixed effects"):
        estimate_gravity(df, ["log_dist", "exporter_size"])


def test_extra_covariates_come_through_the_hook(bundled: Store) -> None:
    frame = agtpa_frame(bundled, [2006])
    pairs = frame[["exporter", "importer"]].rename(columns={"exporter": "iso_o", "importer": "iso_d"})
    rng = np.random.default_rng(0)
    relations = pairs.assign(relations=rng.normal(size=len(pairs)))
    relations = relations[relations["iso_o"] != "USA"]  # no data for the USA's exports: dropped, not 0
    result = gravity(bundled, "agtpa", years=[2006], extra=relations)
    assert "relations" in set(result.coefficients["term"])
    missing = result.dropped[result.dropped["reason"].str.contains("missing")]
    assert set(missing["exporter"]) == {"USA"}


def test_baci_gravity_by_product_type(bundled: Store) -> None:
    result = gravity(bundled, "baci", domain="publishing")
    assert {"log_dist", "contig", "comlang_off", "comlang_ethno", "colony"} == set(result.coefficients["term"])
    assert result.estimate("log_dist") < 0 and "publishing" in result.source
    with pytest.raises(ConfigError, match="no goods"):
        gravity(bundled, "baci", domain="online_literature")

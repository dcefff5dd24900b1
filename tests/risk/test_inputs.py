"""The index's derived inputs on hand-made cases: exchange rates, economy, culture, relations, events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cultrade.risk import culture, economy, fx, relations
from cultrade.risk.events import EventData, onsets
from cultrade.risk.home import HomeInputs, home_measures
from cultrade.risk.nowcast import conflict_shares
from cultrade.risk.status import FORECAST, IMPUTED, NOWCAST, OBSERVED, SUBSTITUTE, UNINFORMATIVE
from cultrade.risk.steps import Tree, calibrate_bands, dimension_sufficiency

YEARS = np.array([2012, 2013, 2014, 2015])


def test_a_euro_changeover_is_converted_not_read_as_an_appreciation() -> None:
    # Latvia: 0.5294 lats per USD in 2013, 0.7529 euro in 2014 (0.702804 lats per euro)
    rates = np.array([[0.5469], [0.5294], [0.7529], [0.9013]])
    fixed, breaks = fx.wdi_rates(rates, YEARS, np.array(["LVA"]))
    dep = fx.depreciation_from(fixed, breaks)
    assert dep[2, 0] == pytest.approx(100 * (0.7529 / (0.5294 / 0.702804) - 1), abs=1e-9)
    assert -5 < dep[2, 0] < 5


def test_an_unlisted_unit_change_breaks_the_series() -> None:
    fixed, breaks = fx.wdi_rates(np.array([[1000.0], [1200.0], [1.3], [1.4]]), YEARS, np.array(["XXX"]))
    dep = fx.depreciation_from(fixed, breaks)
    assert np.isnan(dep[2, 0]) and dep[3, 0] == pytest.approx(100 * (1.4 / 1.3 - 1))


def test_h10_quotes_follow_the_chain_of_redenominations() -> None:
    months = pd.date_range("2018-01-01", "2021-12-01", freq="MS")
    codes = ["VEF" if d < pd.Timestamp("2018-09-01") else "VES" if d < pd.Timestamp("2021-10-01") else "VED"
             for d in months]
    # a constant price in the newest unit, quoted in each unit of its time
    scale = {"VEF": 1e11, "VES": 1e6, "VED": 1.0}
    frame = pd.DataFrame({"iso3": "VEN", "date": months, "currency": codes, "rate": [2.0 * scale[c] for c in codes]})
    annual = fx.h10_annual(frame).set_index("year")["value"]
    assert annual.round(6).to_dict() == {2018: 2.0, 2019: 2.0, 2020: 2.0, 2021: 2.0}


def test_an_unknown_change_of_currency_code_keeps_only_the_later_quotes() -> None:
    months = pd.date_range("2020-01-01", periods=24, freq="MS")
    frame = pd.DataFrame({"iso3": "ZZZ", "date": months, "currency": ["OLD"] * 12 + ["NEW"] * 12,
                          "rate": [1000.0] * 12 + [1.0] * 12})
    assert fx.h10_annual(frame)["year"].tolist() == [2021]


def test_a_peg_under_high_inflation_is_replaced_by_the_ppp_implied_depreciation() -> None:
    wdi = np.array([[1507.5, 2.0], [1507.5, 2.1], [1507.5, 2.2]])
    infl = np.array([[3.0, 2.0], [84.9, 2.0], [154.8, 2.0]])
    us = np.array([2.0, 1.2, 4.7])
    out = economy.exchange_rate(wdi, np.full(wdi.shape, np.nan), infl, us, years=np.array([2019, 2020, 2021]),
                                countries=np.array(["LBN", "AAA"]))
    dep, status = out["fx_depreciation"]
    assert status[1:, 0].tolist() == [IMPUTED, IMPUTED] and status[1:, 1].tolist() == [OBSERVED, OBSERVED]
    assert dep[2, 0] == pytest.approx(100 * (2.548 / 1.047 - 1), rel=1e-6)
    # a currency at par with the dollar (dollarised) is not a peg, whatever its inflation
    par = economy.exchange_rate(np.ones((3, 1)), np.full((3, 1), np.nan), np.array([[2.0], [37.7], [5.0]]), us,
                                years=np.array([2000, 2001, 2002]), countries=np.array(["ECU"]))
    assert par["fx_depreciation"][1][1, 0] == OBSERVED and par["fx_depreciation"][0][1, 0] == 0.0


def test_h10_fills_the_years_wdi_stopped_and_says_so() -> None:
    wdi = np.array([[9.3], [9.975], [np.nan], [np.nan]])
    h10 = np.array([[9.3], [9.975], [20.0], [50.0]])
    out = economy.exchange_rate(wdi, h10, np.full((4, 1), np.nan), np.full(4, np.nan), years=YEARS,
                                countries=np.array(["VEN"]))
    dep, status = out["fx_depreciation"]
    assert status[:, 0].tolist()[1:] == [OBSERVED, SUBSTITUTE, SUBSTITUTE] and dep[3, 0] == pytest.approx(150.0)


def test_negative_fdi_is_uninformative_and_growth_falls_back_to_the_forecast_flagged() -> None:
    v, s = economy.fdi(np.array([[-12.0, 3.0]]))
    assert np.isnan(v[0, 0]) and s[0].tolist() == [UNINFORMATIVE, OBSERVED]
    v, s = economy.growth(np.array([[np.nan, 2.0]]), np.array([[8.0, 9.0]]))
    assert v[0].tolist() == [8.0, 2.0] and s[0].tolist() == [FORECAST, OBSERVED]


def test_hofstede_layers_official_then_insights_then_regional() -> None:
    table = pd.DataFrame({
        "iso3": ["EGY", "QAT", "CHN", "QAT"], "pdi": [np.nan, 93.0, 80.0, np.nan], "idv": [np.nan, 25.0, 20, 1.0],
        "mas": [np.nan, 55.0, 66, np.nan], "uai": [np.nan, 80.0, 30, np.nan], "lto": [7.0, np.nan, 87, np.nan],
        "ivr": [4.0, np.nan, 24, np.nan], "estimated": [None, True, None, None],
        "dataset": ["official", "insights", "official", "official"]})
    regions = pd.DataFrame({"hofstede_code": ["ARA"], "pdi": [80.0], "idv": [38.0], "mas": [53.0], "uai": [68.0],
                            "lto": [23.0], "ivr": [34.0]})
    members = pd.DataFrame({"hofstede_code": ["ARA"], "iso3": ["EGY"]})
    scores, origin = culture.hofstede_scores(table, regions, members)
    assert origin.loc["EGY"].tolist() == ["regional"] * 4 + ["official"] * 2
    assert scores.loc["QAT", "idv"] == 1.0 and origin.loc["QAT", "idv"] == "official"
    assert origin.loc["QAT", "pdi"] == "insights estimate"
    ks = culture.kogut_singh(scores, "CHN")
    assert not np.isnan(ks["EGY"]) and not np.isnan(ks["QAT"])
    assert np.isnan(culture.kogut_singh(scores.assign(pdi=np.nan, idv=np.nan, mas=np.nan), "CHN")["EGY"])


def test_home_measures_leave_unknown_pairs_missing_not_zero() -> None:
    pairs = pd.DataFrame({"iso_o": ["CHN"], "iso_d": ["SGP"], "comlang_off": [1.0], "colony": [0.0],
                          "comcol": [0.0], "contig": [0.0], "dist": [4484.7]})
    years, countries = np.array([2022]), np.array(["SGP", "MNE"], dtype=object)
    m = home_measures(HomeInputs(pairs=pairs), "CHN", years, countries, {"distance", "colonial_tie", "kogut_singh"})
    assert m["distance"].values[0].tolist()[0] == 4484.7 and np.isnan(m["distance"].values[0, 1])
    assert np.isnan(m["kogut_singh"].values).all() and "not loaded" in m["kogut_singh"].note


def test_tension_is_measured_against_the_dyads_own_share() -> None:
    months = pd.date_range("2015-01-01", "2020-12-01", freq="YS")
    rows = []
    for m in months:
        rows += [{"month": m, "actor1_iso3": "CHN", "actor2_iso3": "AAA", "quad_class": 3,
                  "events": 300 if m.year == 2020 else 30},
                 {"month": m, "actor1_iso3": "CHN", "actor2_iso3": "BBB", "quad_class": 4, "events": 900},
                 {"month": m, "actor1_iso3": "BBB", "actor2_iso3": "CHN", "quad_class": 1, "events": 5000}]
    t = relations.tension(relations.yearly_conflicts(pd.DataFrame(rows), "CHN")).set_index(["year", "partner"])
    assert t.loc[(2020, "AAA"), "value"] > 1.5 > abs(t.loc[(2019, "AAA"), "value"])
    assert t.loc[(2020, "BBB"), "value"] < 0                      # its share fell as AAA's rose
    assert (2017, "AAA") not in t.index                            # fewer than three baseline years


def test_stream_relations_and_sanctions_are_nowcasts() -> None:
    stream = pd.DataFrame({"ts": pd.to_datetime(["2025-05-20", "2025-05-21", "2025-05-21"]),
                           "actor1_iso3": ["CHN", "AAA", "CHN"], "actor2_iso3": ["AAA", "CHN", "BBB"],
                           "events": [100, 50, 400], "verbal_conflict": [20, 10, 10], "material_conflict": [5, 5, 2],
                           "sanctions": [1, 2, 0]})
    counts = relations.stream_counts(stream, "CHN").set_index("partner")
    assert counts.loc["AAA", ["conflict", "sanctions", "events"]].tolist() == [40, 3, 150]
    inputs = HomeInputs(stream=stream)
    m = home_measures(inputs, "CHN", np.array([2025]), np.array(["AAA", "BBB"], dtype=object),
                      {"bilateral_tension", "sanctions"})
    assert m["sanctions"].values[0].tolist() == [3.0, 0.0] and (m["sanctions"].status == NOWCAST).all()
    tension = m["bilateral_tension"].values[0]
    assert tension[0] > 0 > tension[1] and "live event stream only" in m["bilateral_tension"].note


def test_event_shares_need_enough_events() -> None:
    signals = pd.DataFrame({"iso3": ["AAA", "AAA", "BBB", "BBB"], "ts": pd.to_datetime(["2025-06-01"] * 4),
                            "metric": ["events", "quad4"] * 2, "value": [200.0, 50.0, 10.0, 9.0]})
    assert conflict_shares(signals)[["iso3", "value"]].to_dict("records") == [{"iso3": "AAA", "value": 0.25}]


def test_onsets_leave_countries_already_in_crisis_out_of_the_risk_set() -> None:
    growth = np.array([[1.0, -6.0], [-7.0, -6.0], [2.0, 3.0]])
    labels = onsets(growth, -5.0, above=False)
    assert labels[0].tolist()[0] == 1.0 and np.isnan(labels[0, 1])    # B is already in a collapse
    assert np.isnan(labels[1]).all() and np.isnan(labels[2]).all()     # both in one at t; no t + 1
    data = EventData(np.array([2020, 2021, 2022]), np.array(["A", "B"]), np.zeros((3, 2)), np.zeros((3, 2)),
                     np.zeros((3, 2)), growth)
    anyl = data.labels("any_adverse")
    assert anyl[0].tolist() == [1.0, 0.0]
    frame = data.frame(["output_collapse"])
    assert frame["y"].sum() == 1 and set(frame["year"]) == {2020}


def test_dimension_sufficiency_counts_observations_and_weight() -> None:
    tree = Tree(np.array([0, 0, 1, 2]), np.array([0, 0, 1]))          # dim 0: subs 0, 1; dim 1: sub 2
    avail = np.array([[[True, False, False, True]]])
    observed = np.array([[[True, False, False, True]]])
    ok, share, n = dimension_sufficiency(avail, observed, tree, np.ones(4), np.ones(3), min_share=1 / 3,
                                         min_observed=2)
    # dim 0 has one observed indicator of three (a quarter of its weight): insufficient
    assert share[0, 0].round(3).tolist() == [0.25, 1.0] and n[0, 0].tolist() == [1, 1]
    assert ok[0, 0].tolist() == [False, True]                      # dim 1 has a single indicator: one suffices


def test_band_cuts_are_pooled_quantiles_and_survive_a_uniform_shift() -> None:
    rng = np.random.default_rng(0)
    score = rng.uniform(0, 10, (5, 200))
    cuts = calibrate_bands(score, (0.25, 0.5, 0.75, 0.9))
    shifted = calibrate_bands(score + 0.5, (0.25, 0.5, 0.75, 0.9))
    assert np.allclose(np.asarray(shifted) - np.asarray(cuts), 0.5, atol=1e-3)

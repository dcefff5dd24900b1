"""Export potential, ranking and matching on the real bundled data (BACI sample, AGTPA, WDI)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cultrade.errors import ConfigError, StoreError
from cultrade.markets import choice, default_ranking, match_markets, potential, rank_markets
from cultrade.markets.backtest_record import RECORD
from cultrade.markets.potential import ease_table
from cultrade.markets.rank import frontier
from cultrade.store import Store


def test_potential_decomposes_into_supply_demand_and_ease(bundled: Store) -> None:
    p = potential(bundled, year=2020, exporter="ZAF")
    assert set(p["exporter"]) == {"ZAF"} and "ZAF" not in set(p["importer"])
    ok = p["potential"].notna()
    raw = p.loc[ok, "supply"] * p.loc[ok, "demand"] * p.loc[ok, "ease"]
    assert np.allclose(p.loc[ok, "potential"], np.minimum(raw, p.loc[ok, "demand"]))
    assert (p.loc[ok, "untapped"] == np.maximum(p.loc[ok, "potential"] - p.loc[ok, "actual"], 0)).all()
    # a market without a GDP projection keeps its imports, flagged by an empty growth factor
    assert (p.loc[p["growth_factor"].isna(), "demand"] == p.loc[p["growth_factor"].isna(), "imports"]).all()


def test_ease_is_actual_over_the_gravity_prediction(bundled: Store) -> None:
    e = ease_table(bundled, 2020)
    e = e[e["predicted"].notna()]  # an importer whose fixed effect could not be estimated has no ease
    assert (e["predicted"] > 0).all()
    assert np.allclose(e["ease"], e["actual"] / e["predicted"])
    # PPML with exporter fixed effects reproduces each exporter's total: predictions sum to the actual
    by = e.groupby("exporter")[["actual", "predicted"]].sum()
    assert np.allclose(by["actual"], by["predicted"], rtol=1e-3)


def test_potential_asks_for_a_year_that_is_loaded(bundled: Store) -> None:
    with pytest.raises(ConfigError, match=r"no BACI flows for 2019.*ingest baci"):
        potential(bundled, year=2019)


def test_ranking_for_a_digital_product_uses_market_size_proxies(bundled: Store) -> None:
    r = rank_markets(bundled, "CHN", "games")
    choice = default_ranking("digital")
    assert r.basis == "proxies" and "CHN" not in set(r.table["iso3"])
    assert r.method == choice.ranking and r.validated == choice.beats_baseline
    assert r.inputs[0] == choice.verdict() and "tested on goods trade only" in r.inputs[0]
    # China's own backtest cases are shown beside the pooled verdict
    assert r.inputs[1].startswith("For CHN as home, the order beat 'largest markets' in ")
    assert any("risk index" in line for line in r.inputs) and "internet" in r.table.columns
    ranked = r.ranked
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    # the order is the recorded one: risk-adjusted only when the backtest kept the adjustment
    assert ranked["adjusted" if r.risk_adjusted else "opportunity"].is_monotonic_decreasing
    assert np.allclose(ranked["adjusted"], ranked["opportunity"] * (1 - ranked["risk"] / 10))
    assert ranked["opportunity"].sum() <= 100.0 + 1e-9 and ranked["frontier"].any()
    unranked = r.table[r.table["rank"].isna()]
    assert unranked["adjusted"].isna().all() and (unranked["reason"] != "").all()
    top = ranked.iloc[0]
    assert top["explanation"].startswith(f"#1 of {len(ranked)}, {top['name']}")


def test_the_order_follows_the_recorded_decision(bundled: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Flip the record: the same data is ordered by the risk-adjusted opportunity, and the views say a ranking
    that does not beat the baselines is not validated."""
    flipped = copy.deepcopy(RECORD)
    entry = flipped["situations"]["goods"]
    entry.update(risk_adjusted=True, beats_baseline=False, risk_worse=[])
    monkeypatch.setattr(choice, "RECORD", flipped)
    r = rank_markets(bundled, "CHN", "crafts")
    assert r.risk_adjusted and not r.validated
    assert r.ranked["adjusted"].is_monotonic_decreasing
    assert r.inputs[0].startswith("NOT VALIDATED: no ranking available here beats the simple baseline")
    assert any(line.startswith("Risk-adjusted order") for line in r.inputs[1:3])
    assert "-> risk-adjusted" in r.ranked["explanation"].iloc[0]


def test_ranking_on_bilateral_flows_says_it_is_the_sample(bundled: Store) -> None:
    r = rank_markets(bundled, "ZAF", "publishing")
    assert r.method == default_ranking("bilateral").ranking
    assert any("sample" in line for line in r.inputs)
    assert r.ranked["untapped"].dropna().ge(0).all()  # the ITC concept stays visible, whatever the order
    if r.method == "untapped":
        assert r.basis == "sample" and "untapped potential" in r.ranked["explanation"].iloc[0]
    else:
        assert r.basis == "proxies" and "(a column, not the order)" in r.ranked["explanation"].iloc[0]


def test_bad_product_type_or_home_lists_the_valid_ones(bundled: Store) -> None:
    with pytest.raises(ConfigError, match="use one of: general, games, publishing"):
        rank_markets(bundled, "CHN", "anime")
    with pytest.raises(ConfigError, match="unknown home country 'XYZ'") as info:
        rank_markets(bundled, "XYZ", "games")
    assert "CHN" in (info.value.hint or "")


def test_frontier_is_the_set_of_undominated_markets() -> None:
    import pandas as pd

    rng = np.random.default_rng(1)
    o, r = pd.Series(rng.uniform(size=50)), pd.Series(rng.uniform(size=50))
    on = frontier(o, r)
    for i in range(50):
        dominated = ((o >= o[i]) & (r <= r[i]) & ((o > o[i]) | (r < r[i]))).any()
        assert on[i] == (not dominated)


def test_matching_learns_from_the_homes_successes(bundled: Store) -> None:
    table, note = match_markets(bundled, "ZAF", "publishing", top=3)
    assert not table.empty and "sample" in note
    assert table.groupby("product").size().max() <= 3 and "ZAF" not in set(table["market"])
    assert table["score"].between(0, 1 + 1e-9).all()
    with pytest.raises(StoreError, match="CHN as exporter"):
        match_markets(bundled, "CHN", "publishing")

"""Trade profiles from the real OTS 2017 exports and the BACI sample files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cultrade.errors import ConfigError, StoreError
from cultrade.sources import get_adapter
from cultrade.store import Store
from cultrade.trade.headings import heading_map
from cultrade.trade.profile import latest_year, trade_profile


@pytest.fixture(scope="module")
def trade_store(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("trade") / "t.duckdb")
    t = shared / "trade"
    store.ingest(get_adapter("ots"), t / "ots/ots_exports_hs4_2017.csv")
    store.ingest(get_adapter("hs_descriptions"), t / "hs_concordance/hs5_desc.csv")
    for f in sorted((t / "hs_concordance").glob("hs*_hs*.csv")):
        store.ingest(get_adapter("hs_concordance"), f)
    for f in sorted((t / "baci_sample").glob("BACI_*.csv")):
        store.ingest(get_adapter("baci"), f)
    return store


def test_hs4_headings_are_whole_only_when_wholly_cultural(trade_store: Store) -> None:
    hmap = heading_map(trade_store, "unctad")
    full, partial = hmap.full, hmap.partial
    assert {"4901", "9701", "9503"} <= set(full["hs4"])
    # 8523 mixes recorded media with blank media and smart cards: partial, at a share measured on HS6 flows
    assert "8523" not in set(full["hs4"]) and "8523" in set(partial["hs4"])
    # every one of the nine partly cultural headings of the issue is carried, none dropped
    assert {"9403", "9504", "8523", "8306", "4911", "4802", "7018"} <= set(partial["hs4"])
    assert partial["share"].between(0, 1).all() and partial["share_basis"].str.len().gt(0).all()
    # the sample has HS17 flows in these headings: shares are measured, not counted
    assert set(partial.loc[partial.hs4.isin(["9403", "8523"]), "share_source"]) == {"baci"}


def test_partial_heading_share_is_the_hs6_value_share(trade_store: Store) -> None:
    flows = trade_store.con.execute(
        "SELECT hs6, sum(value_kusd) v FROM baci_flows WHERE hs_edition = 'HS17' AND hs6 LIKE '9403%' GROUP BY 1"
    ).df().set_index("hs6")["v"]
    expected = flows.drop("940390").sum() / flows.sum()  # parts of furniture are not design goods
    share = heading_map(trade_store, "unctad").partial.set_index(["hs4", "domain"]).loc[("9403", "design"), "share"]
    assert share == pytest.approx(expected, rel=1e-9)


def test_china_publishing_2017_matches_a_hand_computation(trade_store: Store, shared: Path) -> None:
    p = trade_profile(trade_store, "CHN", year=2017, domain="publishing")
    raw = pd.read_csv(shared / "trade/ots/ots_exports_hs4_2017.csv", dtype={"product_code": str})
    # UNCTAD publishing headings that are wholly cultural, plus 4911 at its publishing share (491110, 491199)
    pub = raw[raw["product_code"].isin(["4901", "4902", "4903", "4905", "4909", "4910"])]
    china = pub.loc[pub["reporter_iso"] == "chn", "export_value_usd"].sum()
    world = pub["export_value_usd"].sum()
    share = heading_map(trade_store, "unctad").partial.set_index(["hs4", "domain"]).loc[("4911", "publishing"), "share"]
    h4911 = raw[raw["product_code"] == "4911"]
    row = p.summary.iloc[0]
    assert p.source == "ots" and row["domain"] == "publishing"
    assert row["exports_core"] == pytest.approx(china, rel=1e-9)
    china_4911 = h4911.loc[h4911["reporter_iso"] == "chn", "export_value_usd"].sum()
    assert row["exports_partial"] == pytest.approx(share * china_4911, rel=1e-9)
    assert row["partial_upper"] == pytest.approx(china_4911, rel=1e-9)
    assert row["exports"] == pytest.approx(china + share * china_4911, rel=1e-9)
    assert row["world_exports"] == pytest.approx(world + share * h4911["export_value_usd"].sum(), rel=1e-9)
    assert row["world_share"] == pytest.approx(row["exports"] / row["world_exports"])
    assert 0 < row["world_share"] < 1 and row["rca"] > 0
    assert any("no partners" in n for n in p.notes)


def test_china_is_specialised_in_design_and_crafts_2017(trade_store: Store) -> None:
    p = trade_profile(trade_store, "CHN", year=2017).summary.set_index("domain")
    # toys (9503), jewellery and crafts: China's revealed comparative advantage is well above 1
    assert p.loc["design", "rca"] > 1.5 and p.loc["art_crafts", "rca"] > 1.5
    assert p.loc["design", "world_share"] > p.loc["visual_arts", "world_share"]


def test_default_year_is_the_countrys_latest_with_exports(trade_store: Store) -> None:
    # The BACI sample (2020, 2021) holds two exporters: China's latest year with export data is OTS 2017.
    assert latest_year(trade_store, "CHN") == 2017 and latest_year(trade_store, "ZAF") == 2021
    p = trade_profile(trade_store, "CHN")
    assert p.year == 2017 and p.source == "ots" and p.summary["exports"].gt(0).all()


def test_missing_exports_read_no_data_not_zero(trade_store: Store) -> None:
    # China is only an importer in the 2021 sample: its exports are unknown there, never $0.
    p = trade_profile(trade_store, "CHN", year=2021)
    assert p.summary["exports"].isna().all() and p.summary["imports"].gt(0).any()


def test_product_types_filter_trade_domains(trade_store: Store) -> None:
    games = trade_profile(trade_store, "CHN", year=2017, domain="games")
    assert set(games.summary["domain"]) == {"new_media"} and games.domain == "games"
    film = trade_profile(trade_store, "CHN", year=2017, domain="film_tv")
    assert set(film.summary["domain"]) <= {"audiovisuals", "new_media"}
    lit = trade_profile(trade_store, "CHN", year=2017, domain="online_literature")
    assert lit.summary.empty and any("no goods" in n for n in lit.notes)
    with pytest.raises(ConfigError, match="product type"):
        trade_profile(trade_store, "CHN", domain="anime")


def test_bilateral_profile_from_baci_sample(trade_store: Store) -> None:
    p = trade_profile(trade_store, "ZAF", year=2021, domain="publishing")
    assert p.source == "baci" and p.partners is not None and p.concentration is not None
    assert p.partners["share"].between(0, 1).all()
    assert list(p.partners["rank"]) == sorted(p.partners["rank"])
    assert p.concentration["hhi"].between(0, 1).all()
    assert any("samples" in n for n in p.notes)
    specs = p.chart_specs()
    assert {"time_series", "composition", "partner_map"} <= set(specs)


def test_profile_errors_say_what_is_loaded(trade_store: Store) -> None:
    with pytest.raises(ConfigError, match="no trade data for 1999"):
        trade_profile(trade_store, "CHN", year=1999)
    with pytest.raises(StoreError, match="no trade data"):
        trade_profile(Store(":memory:"), "CHN")


def test_services_profile_and_partner_groups(trade_store: Store, shared: Path) -> None:
    trade_store.ingest(get_adapter("services"), shared / "trade/services/comtrade_services_exports_ebops2002_2016.csv")
    p = trade_profile(trade_store, "ZAF", year=2021)
    assert p.services is not None and set(p.services["ebops_code"]) == {"262", "266", "287"}
    assert p.services["world_share"].between(0, 1).all()
    assert p.regions is not None
    africa = p.regions[(p.regions.group == "Sub-Saharan Africa") & (p.regions.domain == "design")]
    assert len(africa) == 1 and 0 < africa["share"].iloc[0] <= 1

"""Trade profiles from the real OTS 2017 exports and the BACI sample files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cultrade.errors import ConfigError, StoreError
from cultrade.sources import get_adapter
from cultrade.store import Store
from cultrade.trade.profile import hs4_mapping, trade_profile


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


def test_hs4_headings_are_cultural_only_when_wholly_cultural(trade_store: Store) -> None:
    full, partial = hs4_mapping(trade_store, "unctad")
    assert {"4901", "9701", "9503"} <= set(full["hs4"])
    # 8523 mixes recorded media with blank media and smart cards: left out, listed as partial
    assert "8523" not in set(full["hs4"]) and "8523" in set(partial["hs4"])


def test_china_publishing_2017_matches_a_hand_computation(trade_store: Store, shared: Path) -> None:
    p = trade_profile(trade_store, "CHN", year=2017, domain="publishing")
    raw = pd.read_csv(shared / "trade/ots/ots_exports_hs4_2017.csv", dtype={"product_code": str})
    # UNCTAD publishing headings that are wholly cultural (4911 is only partly, so it stays out)
    pub = raw[raw["product_code"].isin(["4901", "4902", "4903", "4905", "4909", "4910"])]
    china = pub.loc[pub["reporter_iso"] == "chn", "export_value_usd"].sum()
    world = pub["export_value_usd"].sum()
    row = p.summary.iloc[0]
    assert p.source == "ots" and row["domain"] == "publishing"
    assert row["exports"] == pytest.approx(china, rel=1e-9)
    assert row["world_exports"] == pytest.approx(world, rel=1e-9)
    assert row["world_share"] == pytest.approx(row["exports"] / row["world_exports"])
    assert 0 < row["world_share"] < 1 and row["rca"] > 0
    assert any("no partners" in n for n in p.notes)


def test_china_is_specialised_in_design_and_crafts_2017(trade_store: Store) -> None:
    p = trade_profile(trade_store, "CHN", year=2017).summary.set_index("domain")
    # toys (9503), jewellery and crafts: China's revealed comparative advantage is well above 1
    assert p.loc["design", "rca"] > 1.5 and p.loc["art_crafts", "rca"] > 1.5
    assert p.loc["design", "world_share"] > p.loc["visual_arts", "world_share"]


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

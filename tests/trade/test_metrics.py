"""Trade metrics against small cases computed by hand, and RCA against the ecomplexity package."""

from __future__ import annotations

import warnings

import ibis
import numpy as np
import pandas as pd
import pytest

from cultrade.errors import ConfigError
from cultrade.trade import metrics as m

# Books (D) and paintings (C) between four countries; values in USD.
FLOWS = pd.DataFrame(
    [
        (2020, "CHN", "USA", "490199", 60.0),
        (2020, "CHN", "JPN", "490199", 40.0),
        (2020, "USA", "CHN", "970110", 10.0),
        (2020, "JPN", "USA", "490199", 50.0),
        (2021, "CHN", "USA", "490199", 90.0),
        (2021, "CHN", "DEU", "490199", 30.0),
        (2021, "USA", "CHN", "970110", 15.0),
        (2021, "JPN", "USA", "490199", 40.0),
        (2021, "CHN", "USA", "852349", 20.0),  # recorded media: digital, domain E
        (2021, "CHN", "USA", "010121", 99.0),  # live horses: not cultural, must drop out
    ],
    columns=["year", "exporter", "importer", "hs6", "value"],
)
MAPPING = pd.DataFrame({"hs6": ["490199", "970110", "852349"], "domain": ["D", "C", "E"],
                        "digital": [False, False, True]})


@pytest.fixture
def agg() -> ibis.Table:
    return m.aggregate(m.classify(ibis.memtable(FLOWS), ibis.memtable(MAPPING)))


def rows(expr: ibis.Table, sort: list[str]) -> list[dict[str, object]]:
    return expr.execute().sort_values(sort).reset_index(drop=True).to_dict("records")


def test_classify_keeps_only_cultural_codes(agg: ibis.Table) -> None:
    total = agg.value.sum().execute()
    assert total == pytest.approx(FLOWS.value.sum() - 99.0)


def test_balance_exports_imports_total(agg: ibis.Table) -> None:
    b = m.balance(agg).execute().set_index(["year", "iso3", "domain"])
    # CHN books 2021: exports 90 + 30 = 120, imports 0
    assert b.loc[(2021, "CHN", "D"), ["exports", "imports", "total", "balance"]].tolist() == [120, 0, 120, 120]
    # USA books 2020: imports 60 (CHN) + 50 (JPN) = 110, exports 0 -> balance -110
    assert b.loc[(2020, "USA", "D"), ["exports", "imports", "total", "balance"]].tolist() == [0, 110, 110, -110]
    # CHN paintings 2021: imports 15
    assert b.loc[(2021, "CHN", "C"), "balance"] == -15


def test_year_on_year_growth_and_cagr(agg: ibis.Table) -> None:
    b = m.balance(agg)
    g = m.growth(b, "exports", ["iso3", "domain"]).execute().set_index(["year", "iso3", "domain"])
    assert g.loc[(2021, "CHN", "D"), "yoy"] == pytest.approx(120 / 100 - 1)  # 0.2
    assert g.loc[(2021, "JPN", "D"), "yoy"] == pytest.approx(40 / 50 - 1)  # -0.2
    assert pd.isna(g.loc[(2020, "CHN", "D"), "yoy"])  # no 2019: unknown, not zero
    c = m.cagr(b, "exports", ["iso3", "domain"], 2020, 2021).execute().set_index(["iso3", "domain"])
    assert c.loc[("CHN", "D"), "cagr"] == pytest.approx(0.2)


def test_cagr_over_a_longer_span() -> None:
    t = ibis.memtable(pd.DataFrame({"year": [2010, 2015, 2020], "iso3": ["CHN"] * 3, "v": [100.0, 150.0, 200.0]}))
    c = m.cagr(t, "v", ["iso3"], 2010, 2020).execute()
    assert c.cagr.iloc[0] == pytest.approx(2 ** (1 / 10) - 1)  # 7.177 % a year
    with pytest.raises(ConfigError, match="end > start"):
        m.cagr(t, "v", ["iso3"], 2020, 2010)


def test_gap_years_do_not_fake_growth() -> None:
    t = ibis.memtable(pd.DataFrame({"year": [2018, 2020], "iso3": ["CHN", "CHN"], "v": [1.0, 2.0]}))
    g = m.growth(t, "v", ["iso3"]).execute()
    assert g.yoy.isna().all()


def test_world_market_share(agg: ibis.Table) -> None:
    s = m.world_share(agg).execute().set_index(["year", "iso3", "domain"])
    # world book exports 2020: 60 + 40 + 50 = 150; China 100/150
    assert s.loc[(2020, "CHN", "D"), "share"] == pytest.approx(100 / 150)
    assert s.loc[(2020, "JPN", "D"), "share"] == pytest.approx(50 / 150)


def test_partner_shares_hhi_and_top_n(agg: ibis.Table) -> None:
    c = m.concentration(agg, "exports", top_n=1).execute().set_index(["year", "iso3", "domain"])
    # 2020: USA 60 %, JPN 40 % -> HHI 0.36 + 0.16 = 0.52, top-1 0.6
    assert c.loc[(2020, "CHN", "D"), ["hhi", "top_n_share", "partners"]].tolist() == pytest.approx([0.52, 0.6, 2])
    # 2021: USA 90/120, DEU 30/120 -> HHI 0.5625 + 0.0625 = 0.625
    assert c.loc[(2021, "CHN", "D"), "hhi"] == pytest.approx(0.625)
    t = m.trend(m.concentration(agg), "hhi", ["iso3", "domain"]).execute().set_index(["iso3", "domain"])
    assert t.loc[("CHN", "D"), "slope"] == pytest.approx(0.625 - 0.52)  # rising dependence


def test_dependence_on_a_set_of_markets(agg: ibis.Table) -> None:
    d = m.dependence(agg, ["USA", "JPN"]).execute().set_index(["year", "iso3", "domain"])
    assert d.loc[(2020, "CHN", "D"), "share"] == pytest.approx(1.0)
    assert d.loc[(2021, "CHN", "D"), "share"] == pytest.approx(90 / 120)


def test_import_side_partner_shares(agg: ibis.Table) -> None:
    s = m.partner_shares(agg, "imports").execute().set_index(["year", "iso3", "domain", "partner"])
    assert s.loc[(2020, "USA", "D", "CHN"), "share"] == pytest.approx(60 / 110)
    assert s.loc[(2020, "USA", "D", "CHN"), "rank"] == 1


def test_group_growth_with_custom_groups(agg: ibis.Table) -> None:
    groups = ibis.memtable(pd.DataFrame({"group": ["East Asia", "East Asia", "Americas"],
                                         "iso3": ["CHN", "JPN", "USA"]}))
    g = m.group_growth(m.balance(agg), groups).execute().set_index(["group", "year", "domain"])
    # East Asia book exports: 2020 100 + 50 = 150; 2021 120 + 40 = 160
    assert g.loc[("East Asia", 2021, "D"), "value"] == 160
    assert g.loc[("East Asia", 2021, "D"), "yoy"] == pytest.approx(160 / 150 - 1)


def test_digital_split(agg: ibis.Table) -> None:
    classified = m.classify(ibis.memtable(FLOWS), ibis.memtable(MAPPING))
    d = m.digital_split(classified).execute().set_index(["year", "iso3"])
    assert d.loc[(2021, "CHN"), ["digital", "traditional"]].tolist() == [20, 120]
    assert d.loc[(2021, "CHN"), "digital_share"] == pytest.approx(20 / 140)


def test_rca_hand_computed() -> None:
    t = ibis.memtable(pd.DataFrame({"year": [2020] * 4, "iso3": ["A", "A", "B", "B"], "domain": ["x", "y", "x", "y"],
                                    "exports": [30.0, 10.0, 20.0, 40.0]}))
    r = m.rca(t).execute().set_index(["iso3", "domain"])
    # A in x: (30/40) / (50/100) = 1.5
    assert r.loc[("A", "x"), "rca"] == pytest.approx(1.5)
    assert r.loc[("B", "y"), "rca"] == pytest.approx((40 / 60) / (50 / 100))


def test_rca_matches_ecomplexity_to_1e_9() -> None:
    ecomplexity = pytest.importorskip("ecomplexity")
    rng = np.random.default_rng(7)
    countries = [f"C{i:02d}" for i in range(25)]
    products = [f"P{j:02d}" for j in range(12)]
    data = pd.DataFrame([(y, c, p, float(rng.lognormal(3, 2))) for y in (2019, 2020) for c in countries
                         for p in products], columns=["year", "iso3", "domain", "exports"])
    ours = m.rca(ibis.memtable(data)).execute().set_index(["year", "iso3", "domain"])["rca"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ecomplexity.ecomplexity(data, {"time": "year", "loc": "iso3", "prod": "domain", "val": "exports"})
    ref = ref.set_index(["year", "iso3", "domain"])["rca"]
    joined = pd.concat([ours, ref.rename("ref")], axis=1, join="inner")
    assert len(joined) == len(data)
    np.testing.assert_allclose(joined["rca"], joined["ref"], rtol=0, atol=1e-9)


def test_missing_columns_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="lacks columns"):
        m.classify(ibis.memtable(FLOWS.drop(columns="hs6")), ibis.memtable(MAPPING))
    with pytest.raises(ConfigError, match="top_n"):
        m.concentration(ibis.memtable(FLOWS.assign(domain="D")), top_n=0)


def test_partner_group_growth(agg: ibis.Table) -> None:
    groups = ibis.memtable(pd.DataFrame({"group": ["Americas", "Asia", "Europe"], "iso3": ["USA", "JPN", "DEU"]}))
    g = m.partner_group_growth(agg, groups).execute().set_index(["iso3", "group", "year", "domain"])
    # China's book exports to the Americas: 60 of 100 in 2020, 90 of 120 in 2021 (+50 %)
    assert g.loc[("CHN", "Americas", 2021, "D"), "share"] == pytest.approx(90 / 120)
    assert g.loc[("CHN", "Americas", 2021, "D"), "yoy"] == pytest.approx(90 / 60 - 1)
    assert g.loc[("CHN", "Asia", 2020, "D"), "value"] == 40

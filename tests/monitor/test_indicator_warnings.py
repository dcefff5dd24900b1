"""The shipped indicator warnings on the real panel (the bundled open-data snapshot; no ../shared needed).

Expected hits were checked by hand against the stored values:

* PA.NUS.FCRF (local currency per US$): ARG 2017 16.56 -> 2018 28.09 (+69.6 %), 2022 130.62 -> 2023
  296.26 (+126.8 %); TUR 2017 3.648 -> 2018 4.828 (+32.3 %), 2021 8.85 -> 2022 16.55 (+87.0 %) but
  2020 7.01 -> 2021 8.85 is only +26.3 %; LKA 2021 198.76 -> 2022 322.63 (+62.3 %), 2023 +1.5 %.
* fx_rates monthly LKR per US$: 2022-02 202.01 -> 2022-03 252.64 (+25.1 %) -> 2022-04 320.33 (+26.8 %);
  2022-06 356.62 (+0.1 %).
* FP.CPI.TOTL.ZG: TUR 2022 72.3 % (high, not hyper), VEN 2016 254.9 %, ZWE 2020 557.2 % (hyper).
* WGI pv: UKR 2013 -0.777 -> 2014 -2.021 (a drop of 1.24, and below -1.5).
* UCDP/PRIO n_conflicts: UKR has no row before 2014 (= 0) and 4 in 2014; RUS none in 2021, 1 in 2022.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from cultrade.monitor.alerts import load_alerts, snapshot_risk
from cultrade.monitor.conditions import scan_rule
from cultrade.monitor.engine import evaluate
from cultrade.monitor.rules import RuleSet, load_rules
from cultrade.settings import Settings
from cultrade.sources.snapshot import load_snapshot
from cultrade.store import Store


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    home: Path = tmp_path_factory.mktemp("panel")
    with Store(home / "panel.duckdb", settings=Settings(home=home)) as store:
        load_snapshot(store)
        yield store


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def hits(store: Store, rules: RuleSet, name: str, monthly: bool = False) -> pd.DataFrame:
    df = scan_rule(store, rules.rule(name))
    df = df[df["enter"]]
    return df.assign(period=df["ts"].dt.strftime("%Y-%m") if monthly else df["ts"].dt.year)


def keys(df: pd.DataFrame) -> set[tuple[str, object]]:
    return set(zip(df["iso3"], df["period"], strict=True))


def test_currency_depreciation_year_on_year(panel: Store, rules: RuleSet) -> None:
    df = hits(panel, rules, "fx_depreciation_yoy")
    found = keys(df)
    assert {("ARG", 2018), ("ARG", 2019), ("ARG", 2023), ("TUR", 2018), ("TUR", 2022), ("LKA", 2022)} <= found
    assert ("TUR", 2021) not in found and ("LKA", 2023) not in found
    arg = df[(df["iso3"] == "ARG") & (df["period"] == 2023)]["derived"].iloc[0]
    assert arg == pytest.approx(126.8, abs=0.1)


def test_currency_depreciation_month_on_month(panel: Store, rules: RuleSet) -> None:
    df = hits(panel, rules, "fx_depreciation_mom", monthly=True)
    found = keys(df)
    assert {("LKA", "2022-03"), ("LKA", "2022-04")} <= found
    assert ("LKA", "2022-06") not in found
    lka = df[(df["iso3"] == "LKA") & (df["period"] == "2022-03")]["derived"].iloc[0]
    assert lka == pytest.approx(25.06, abs=0.05)


def test_inflation(panel: Store, rules: RuleSet) -> None:
    high = keys(hits(panel, rules, "inflation_high"))
    hyper = keys(hits(panel, rules, "hyperinflation"))
    assert {("TUR", 2022), ("VEN", 2016), ("ZWE", 2020)} <= high
    assert {("VEN", 2016), ("ZWE", 2020)} <= hyper and ("TUR", 2022) not in hyper


def test_political_stability(panel: Store, rules: RuleSet) -> None:
    drop = hits(panel, rules, "stability_drop")
    assert ("UKR", 2014) in keys(drop) and ("UKR", 2015) not in keys(drop)
    ukr = drop[(drop["iso3"] == "UKR") & (drop["period"] == 2014)]["derived"].iloc[0]
    assert ukr == pytest.approx(-1.2435, abs=1e-3)
    assert ("UKR", 2014) in keys(hits(panel, rules, "stability_low"))


def test_conflict_onset_counts_a_missing_row_as_zero(panel: Store, rules: RuleSet) -> None:
    onsets = keys(hits(panel, rules, "conflict_onset"))
    assert {("UKR", 2014), ("RUS", 2022)} <= onsets
    assert ("UKR", 2015) not in onsets and ("RUS", 2023) not in onsets


def test_risk_band_deterioration(panel: Store, rules: RuleSet) -> None:
    assert snapshot_risk(panel, "CHN", "general") > 1000
    df = hits(panel, rules, "risk_band_worsens")
    assert ("MMR", 2021) in keys(df)  # the coup year: into "very high"
    assert set(df["band"]) <= {"high", "very high"}


def test_annual_replay_fires_and_resolves_onsets(panel: Store, rules: RuleSet) -> None:
    only = RuleSet(rules=[rules.rule("conflict_onset"), rules.rule("fx_depreciation_yoy")])
    seen = {}
    for year in (2021, 2022, 2023):
        for t in evaluate(panel, datetime(year, 12, 31), rules=only):
            seen[(t.rule, t.labels["iso3"], year)] = t.to_state
    assert seen[("conflict_onset", "RUS", 2022)] == "firing"
    assert seen[("conflict_onset", "RUS", 2023)] == "resolved"
    assert seen[("fx_depreciation_yoy", "TUR", 2022)] == "firing"
    alerts = {(a.rule, a.iso3): a for a in load_alerts(panel).values()}
    assert alerts[("fx_depreciation_yoy", "LKA")].state == "resolved"  # 2022 crisis, calm 2023

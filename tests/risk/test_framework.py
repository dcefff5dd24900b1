"""The framework is data: the shipped YAML, user files merged on top or replacing it, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.errors import ConfigError
from cultrade.risk.framework import load_framework


def test_shipped_framework_has_the_five_dimensions_and_the_required_indicators() -> None:
    fw = load_framework()
    assert [d.id for d in fw.dimensions] == ["political", "economic", "social", "home", "barriers"]
    ids = {i.id for _, _, i in fw.indicators()}
    assert {"wgi_pv", "wgi_va", "wgi_rl", "wgi_cc", "wgi_ge", "conflict_intensity", "fh_total", "gdp_growth",
            "gdp_growth_3y", "gdp_per_head", "inflation", "fx_depreciation", "fx_volatility", "reserves_gdp",
            "fdi_inflows", "conflict_count", "neighbour_conflict", "fsi_total", "gdelt_conflict_share",
            "kogut_singh", "language_proximity", "colonial_tie", "bilateral_tension", "sanctions", "wgi_rq",
            "internet_censorship", "internet_filtering", "internet_shutdowns", "internet_users", "trade_openness",
            "distance"} <= ids
    # the home perspective may drop out of a country-year; political risk and social stability may not
    assert [d.id for d in fw.dimensions if d.required] == ["political", "social"]


def test_every_indicator_has_both_labels_a_direction_and_proxies_say_why() -> None:
    for _, _, ind in load_framework().indicators(enabled_only=False):
        assert ind.label.en and ind.label.zh, ind.id
        assert ind.higher_means in ("more_risk", "less_risk")
        if ind.proxy.is_proxy:
            assert ind.proxy.note, ind.id


def test_semantics_that_matter_are_encoded() -> None:
    fw = load_framework()
    assert fw.indicator("conflict_count").missing_means == 0  # UCDP: no row = no conflict
    assert fw.indicator("fsi_total").year_offset == -1 and fw.indicator("fsi_total").optional
    assert fw.indicator("fh_total").year_offset == -1 and fw.indicator("fh_total").optional
    assert fw.indicator("internet_censorship").carry.backward > 0  # V-Dem 2021 cross-section, carried
    assert fw.indicator("reserves_gdp").proxy.is_proxy
    assert fw.indicator("gdelt_conflict_share").optional  # nowcast from the event stream, when replayed
    assert fw.indicator("fx_depreciation").goalposts == (0, 30)  # 30% a year: a currency crisis


def test_domain_profiles_weigh_digital_for_games_and_logistics_for_crafts() -> None:
    fw = load_framework()
    assert {"general", "publishing", "games", "online_literature", "film_tv", "music", "visual_arts",
            "crafts"} <= set(fw.domains)
    assert fw.domain("games").multipliers["digital"] > 1
    assert fw.domain("online_literature").multipliers["digital"] > 1
    assert fw.domain("crafts").multipliers["trade_logistics"] > 1


def test_user_file_merges_by_id(tmp_path: Path) -> None:
    user = tmp_path / "mine.yaml"
    user.write_text("""
defaults: {normalisation: zscore}
dimensions:
  - id: political
    subdimensions:
      - id: institutions
        indicators:
          - {id: wgi_rl, weight: 3.0}
          - {id: wgi_ge, remove: true}
domains:
  archives: {label: {en: Archives}, multipliers: {home: 2.0}}
""", encoding="utf-8")
    fw = load_framework(user)
    assert fw.defaults.normalisation == "zscore"
    assert fw.indicator("wgi_rl").weight == 3.0
    assert fw.indicator("wgi_rl").label.en.startswith("Rule of law")  # untouched keys kept
    with pytest.raises(ConfigError):
        fw.indicator("wgi_ge")
    assert "archives" in fw.domains and "games" in fw.domains


def test_user_file_can_replace_the_framework(tmp_path: Path) -> None:
    user = tmp_path / "own.yaml"
    user.write_text("""
dimensions:
  - id: gov
    label: {en: Governance}
    subdimensions:
      - id: gov_all
        label: {en: All}
        indicators:
          - {id: rq, label: {en: RQ}, source: wgi, code: rq, higher_means: less_risk}
domains: {general: {label: {en: General}}}
""", encoding="utf-8")
    fw = load_framework(user, mode="replace")
    assert [i.id for _, _, i in fw.indicators()] == ["rq"]


@pytest.mark.parametrize(("text", "where", "fix"), [
    ("dimensions:\n  - id: political\n    weight: -1\n", "dimensions.political.weight", "correct the value"),
    ("dimensions:\n  - id: economic\n    subdimensions:\n      - id: prices\n        indicators:\n"
     "          - {id: inflation, higher_means: sideways}\n",
     "dimensions.economic.subdimensions.prices.indicators.inflation.higher_means", "use one of"),
    ("defaults: {normalization: minmax}\n", "defaults.normalization", "remove the key"),
    ("domains:\n  games: {label: {en: G}, multipliers: {nowhere: 2}}\n", "top level", "correct the value"),
])
def test_bad_user_files_name_the_file_the_key_path_and_the_fix(tmp_path: Path, text: str, where: str,
                                                                fix: str) -> None:
    user = tmp_path / "bad.yaml"
    user.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_framework(user)
    msg = str(err.value)
    assert str(user) in msg and where in msg and "Fix:" in msg and fix in msg


def test_yaml_syntax_errors_and_missing_files_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("dimensions: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_framework(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_framework(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="unknown mode"):
        load_framework(bad, mode="append")  # type: ignore[arg-type]

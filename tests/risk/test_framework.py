"""The framework is data: the shipped YAML, user files merged on top or replacing it, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.errors import ConfigError
from cultrade.risk.framework import load_framework


def test_shipped_framework_has_the_five_dimensions_and_the_required_indicators() -> None:
    fw = load_framework()
    assert [d.id for d in fw.dimensions] == ["political", "economic", "social", "cultural", "barriers"]
    ids = {i.id for _, _, i in fw.indicators()}
    assert {"wgi_pv", "wgi_va", "wgi_rl", "wgi_cc", "conflict_intensity", "fh_total", "gdp_growth", "inflation",
            "fx_depreciation", "fx_volatility", "reserves_gdp", "fdi_inflows", "conflict_count", "fsi_total",
            "kogut_singh", "common_language", "colonial_tie", "wgi_rq", "internet_censorship",
            "internet_filtering", "internet_shutdowns", "internet_users", "trade_openness", "distance"} <= ids


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
    assert not fw.indicator("gdelt_conflict_share").enabled  # documented slot for event signals


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
      - id: stability
        indicators:
          - {id: wgi_pv, weight: 3.0}
          - {id: conflict_intensity, remove: true}
domains:
  archives: {label: {en: Archives}, multipliers: {cultural: 2.0}}
""", encoding="utf-8")
    fw = load_framework(user)
    assert fw.defaults.normalisation == "zscore"
    assert fw.indicator("wgi_pv").weight == 3.0
    assert fw.indicator("wgi_pv").label.en.startswith("Political stability")  # untouched keys kept
    with pytest.raises(ConfigError):
        fw.indicator("conflict_intensity")
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

"""Country groups: World Bank regions, bundled ASEAN/GCC/EU27 lists and the user's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.errors import SourceFormatError, UnknownCountryError
from cultrade.trade.groups import load_groups


def test_bundled_groups_and_regions() -> None:
    g = load_groups()
    assert len(g[g.group == "ASEAN"]) == 10 and len(g[g.group == "EU27"]) == 27
    assert {"USA", "JPN", "DEU"} <= set(g[g.group == "US-EU-Japan"].iso3)
    assert "CHN" in set(g[g.group == "East Asia & Pacific"].iso3)
    assert not load_groups(regions=False)["group"].isin(["South Asia"]).any()


def test_user_list_adds_and_replaces_groups(tmp_path: Path) -> None:
    f = tmp_path / "mine.csv"
    f.write_text("group,iso3\nBelt and Road core,Kazakhstan\nBelt and Road core,PAK\nGCC,SAU\n")
    g = load_groups(f)
    assert sorted(g[g.group == "Belt and Road core"].iso3) == ["KAZ", "PAK"]
    assert list(g[g.group == "GCC"].iso3) == ["SAU"]  # the user's GCC replaces the bundled one


def test_user_list_errors_name_the_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text("group,iso3\nMine,FRA\nMine,Atlantisia\n")
    with pytest.raises(UnknownCountryError) as err:
        load_groups(f)
    assert err.value.row == 3
    dup = tmp_path / "dup.csv"
    dup.write_text("group,iso3\nMine,FRA\nMine,France\n")
    with pytest.raises(SourceFormatError, match="duplicate key"):
        load_groups(dup)
    (tmp_path / "cols.csv").write_text("name,code\nMine,FRA\n")
    with pytest.raises(SourceFormatError, match="missing columns"):
        load_groups(tmp_path / "cols.csv")

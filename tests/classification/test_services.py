"""Cultural services by EBOPS 2002 and EBOPS 2010, and the Comtrade summary labels."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cultrade.classification import classify_service, ebops2002_code, map_service_labels, services_table
from cultrade.errors import ConfigError, SourceFormatError


def test_audiovisual_services_are_core_in_both_editions() -> None:
    for code, edition in (("288", "EBOPS2002"), ("SK1", "EBOPS2010")):
        service = classify_service(code, edition)
        assert service is not None
        assert (service.unesco_domain, service.role, service.coverage) == ("E", "core", "full")


def test_royalties_are_transversal_but_audiovisual_licences_have_a_domain() -> None:
    royalties = classify_service("266")
    assert royalties is not None and (royalties.unesco_domain, royalties.role) == ("", "related")
    licences = classify_service("SH41", "2010")
    assert licences is not None and licences.unesco_domain == "E"


def test_aggregates_holding_non_cultural_services_are_partial() -> None:
    for code in ("287", "289", "262", "280"):
        service = classify_service(code)
        assert service is not None and service.coverage == "partial", code
    assert classify_service("205") is None  # transportation


def test_both_editions_are_listed_with_a_basis() -> None:
    table = services_table()
    assert set(table["ebops_edition"]) == {"EBOPS2002", "EBOPS2010"}
    assert {"SI2", "SI3", "SK2", "SH4"} <= set(services_table("EBOPS2010")["code"])
    assert (table["basis"].str.startswith("UNESCO FCS 2009")).all()
    assert set(table["role"]) == {"core", "related"}
    with pytest.raises(ConfigError, match="EBOPS2002, EBOPS2010"):
        services_table("BPM5")


def test_comtrade_summary_labels() -> None:
    assert ebops2002_code("7 Computer and information services") == "262"
    assert ebops2002_code("287 Personal, cultural, and recreational services") == "287"
    with pytest.raises(SourceFormatError):
        ebops2002_code("12 Mystery services")
    with pytest.raises(SourceFormatError):
        ebops2002_code("7 Transportation")  # number and name disagree


def test_real_comtrade_services_file(shared: Path) -> None:
    path = shared / "trade" / "services" / "comtrade_services_exports_ebops2002_2016.csv"
    raw = pd.read_csv(path)
    mapped = map_service_labels(raw["product"].unique())
    assert len(mapped) == 11
    cultural = mapped[mapped["cultural"]].set_index("ebops_code")
    assert sorted(cultural.index) == ["262", "266", "287"]
    assert cultural.loc["287", "component"] == "Personal, cultural, and recreational services"
    # Joined back to the data, cultural exports can be summed per country.
    joined = raw.merge(mapped, left_on="product", right_on="label")
    assert joined["cultural"].sum() == raw["product"].str.match(r"^(7|8|10) ").sum()

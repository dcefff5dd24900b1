"""The cultural goods table, read as documentation: what a code maps to, and why."""

from __future__ import annotations

import pytest

from cultrade.classification import (
    DOMAINS,
    ROLES,
    classify,
    domain_codes,
    goods_table,
    is_cultural,
    metadata,
    reference_table,
)
from cultrade.errors import ConfigError, CultradeError, SourceFormatError


def mapping(code: str, scheme: str, edition: str = "HS17") -> tuple[str, str, str]:
    """(domain, role, medium) of one code in one scheme."""
    [hit] = classify(code, edition, scheme)  # type: ignore[arg-type]
    return hit.domain, hit.role, hit.medium


# -- spot checks: the well-known codes --------------------------------------------------------
@pytest.mark.parametrize("edition", ["HS17", "HS22"])
def test_books_are_core_traditional_publishing(edition: str) -> None:
    assert mapping("490199", "unesco", edition) == ("D", "core", "traditional")
    assert mapping("490199", "unctad", edition) == ("publishing", "core", "traditional")


def test_paintings_are_visual_arts_in_both_schemes() -> None:
    assert mapping("970110", "unesco") == ("C", "core", "traditional")
    assert mapping("970110", "unctad") == ("visual_arts", "core", "traditional")
    # HS 2022 split paintings by age (more or less than 100 years); both halves stay visual arts.
    assert {c.domain for c in classify("9701", "HS22", "unesco")} == {"C"}
    assert len(classify("9701", "HS22", "unesco")) == 6


def test_recorded_media_are_digital_new_media() -> None:
    assert mapping("852349", "unesco") == ("E", "core", "digital")
    assert mapping("852349", "unctad") == ("new_media", "core", "digital")
    # Blank optical media and smart cards carry no content: not cultural.
    assert classify("852341") == []
    assert classify("852352") == []


def test_video_game_consoles_are_digital_interactive_media() -> None:
    assert mapping("950450", "unesco", "HS22") == ("E", "core", "digital")
    assert mapping("950450", "unctad", "HS22") == ("new_media", "core", "digital")


def test_electric_instruments_are_performing_arts() -> None:
    assert mapping("920710", "unesco") == ("B", "core", "traditional")
    assert mapping("920710", "unctad") == ("performing_arts", "core", "traditional")
    # Parts and accessories support the domain.
    assert mapping("920991", "unesco")[1] == "equipment"


def test_equipment_is_flagged_apart_from_core_goods() -> None:
    [tv] = classify("852872", scheme="unesco")
    assert (tv.domain, tv.role, tv.medium, tv.is_core) == ("E", "equipment", "digital", False)
    assert "equipment and supporting materials" in tv.basis


def test_schemes_disagree_and_both_mappings_are_kept() -> None:
    # Jewellery: UNESCO visual arts and crafts, UNCTAD design.
    assert [(c.scheme, c.domain) for c in classify("711319")] == [("unesco", "C"), ("unctad", "design")]
    # Carpets, basketwork, furniture and handbags are UNCTAD creative goods only.
    for code in ("570110", "460211", "940360", "420221", "691310", "950300"):
        assert [c.scheme for c in classify(code)] == ["unctad"], code
    # Architectural plans: UNESCO design (F), UNCTAD design too.
    assert [(c.scheme, c.domain) for c in classify("490600")] == [("unesco", "F"), ("unctad", "design")]


def test_a_heading_returns_all_its_cultural_subheadings() -> None:
    assert [c.hs_code for c in classify("4901", scheme="unctad")] == ["490110", "490191", "490199"]
    assert [c.hs_code for c in classify("9403", scheme="unctad")][-1] == "940389"  # parts left out


def test_labels_are_bilingual() -> None:
    [hit] = classify("970300", scheme="unesco")
    assert (hit.domain_label, hit.domain_label_zh) == ("Visual arts and crafts", "视觉艺术和手工艺")
    assert all(d.label_zh for scheme in DOMAINS.values() for d in scheme.values())


# -- unknown and malformed codes ---------------------------------------------------------------
def test_a_code_that_is_not_cultural_gives_an_empty_list() -> None:
    assert classify("847130") == []
    assert not is_cultural("847130")


def test_lost_leading_zero_is_restored_not_misread() -> None:
    # "49011" is 049011 (chapter 04), not 490110 (books): no mapping.
    assert classify("49011") == []
    assert classify(490110)[0].hs_code == "490110"


@pytest.mark.parametrize("bad", ["", "49A110", "4901101000", "97", 4901.5, None])
def test_malformed_codes_raise_a_clear_error(bad: object) -> None:
    with pytest.raises(SourceFormatError) as err:
        classify(bad)
    assert isinstance(err.value, CultradeError)
    assert "Fix:" in str(err.value)


# -- options are checked in one place ----------------------------------------------------------
def test_bad_options_raise_config_error_listing_valid_values() -> None:
    with pytest.raises(ConfigError, match="unesco, unctad"):
        goods_table(scheme="unesko")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="HS92, HS96, HS02, HS07, HS12, HS17, HS22"):
        goods_table("HS2030")
    with pytest.raises(ConfigError, match="core, equipment"):
        goods_table(role="supporting")
    with pytest.raises(ConfigError, match="A \\(Cultural and natural heritage\\)"):
        domain_codes("Z", scheme="unesco")
    with pytest.raises(ConfigError, match="concordance"):
        classify("970110", edition="HS12")


def test_domain_codes_accept_codes_and_english_labels() -> None:
    assert domain_codes("performing arts", scheme="unctad") == domain_codes("performing_arts", scheme="unctad")
    assert "490400" in domain_codes("performing_arts", scheme="unctad")
    assert domain_codes("B", scheme="unesco", role="equipment") == ["920930", "920991", "920992", "920994",
                                                                    "920999"]


# -- the table itself --------------------------------------------------------------------------
def test_every_mapping_cites_its_basis_and_uses_known_flags() -> None:
    table = goods_table("HS17")
    assert (table["basis"].str.len() > 10).all()
    assert set(table["role"]) <= set(ROLES)
    assert set(table["medium"]) == {"digital", "traditional"}
    assert table.groupby(["hs_code", "scheme"]).size().max() == 1


def test_table_has_both_editions_and_a_version() -> None:
    wide = reference_table()
    assert set(wide["hs_edition"]) == {"HS17", "HS22"}
    assert not wide.duplicated(["hs_edition", "hs_code"]).any()
    assert metadata()["editions"] == ["HS17", "HS22"]
    assert metadata()["version"]


def test_digital_filter() -> None:
    digital = goods_table("HS22", "unctad", medium="digital", role="core")
    assert sorted(digital["hs_code"]) == ["852329", "852349", "852359", "852380", "950450"]

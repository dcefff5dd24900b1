"""One ISO3 normaliser for every scheme the sources use."""

from __future__ import annotations

import pytest

from cultrade.countries import get_countries
from cultrade.errors import ConfigError, UnknownCountryError

C = get_countries()


@pytest.mark.parametrize(
    ("value", "scheme", "iso3"),
    [
        ("NOR", "iso3", "NOR"), ("no", "iso2", "NOR"), ("578", "m49", "NOR"), ("056", "m49", "BEL"),
        # BACI's numeric codes that are not ISO numeric
        ("842", "baci", "USA"), ("251", "baci", "FRA"), ("699", "baci", "IND"), ("757", "baci", "CHE"),
        ("490", "baci", "TWN"),
        # legacy World Bank codes still used by WGI
        ("ADO", "wb", "AND"), ("ZAR", "wb", "COD"), ("ROM", "wb", "ROU"), ("TMP", "wb", "TLS"),
        ("WBG", "wb", "PSE"), ("KSV", "wb", "XKX"),
        # FIPS 10-4 (GDELT ActionGeo) collides with ISO2
        ("AS", "fips", "AUS"), ("AU", "fips", "AUT"), ("CH", "fips", "CHN"), ("UK", "fips", "GBR"),
        ("GM", "fips", "DEU"), ("IR", "fips", "IRN"), ("RS", "fips", "RUS"),
        # CAMEO (GDELT actors)
        ("ROM", "cameo", "ROU"), ("CHN", "cameo", "CHN"), ("KSV", "cameo", "XKX"),
        # Gleditsch–Ward (UCDP)
        ("2", "gw", "USA"), ("710", "gw", "CHN"), ("750", "gw", "IND"), ("365", "gw", "RUS"), ("630", "gw", "IRN"),
        ("345", "gw", "SRB"), ("816", "gw", "VNM"),
        # names and spellings
        ("Côte d'Ivoire", "name", "CIV"), ("Congo Democratic Republic", "name", "COD"),
        ("Congo Republic", "name", "COG"), ("Kyrgyz Republic", "name", "KGZ"), ("Korea, Rep.", "name", "KOR"),
        ("United States", "name", "USA"), ("Türkiye", "name", "TUR"), ("Viet Nam", "name", "VNM"),
    ],
)
def test_codes_map_to_iso3(value: str, scheme: str, iso3: str) -> None:
    assert C.to_iso3(value, scheme) == iso3  # type: ignore[arg-type]


def test_aggregates_are_recognised_not_mapped() -> None:
    for code in ["WLD", "EUU", "HIC", "LMC", "SSF", "OWID_WRL"]:
        assert C.is_aggregate(code, "wb"), code
    assert C.is_aggregate("AFR", "cameo") and C.is_aggregate("EUR", "cameo")
    assert not C.is_aggregate("FRA", "wb") and not C.is_aggregate("CHI", "wb")
    assert "WLD" not in C.codes()


def test_unknown_code_names_close_matches() -> None:
    with pytest.raises(UnknownCountryError) as err:
        C.to_iso3("Nigerai", "name")
    assert "Nigeria (NGA)" in err.value.suggestions
    with pytest.raises(UnknownCountryError, match="close matches"):
        C.to_iso3("NORR", "iso3")


def test_unknown_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown country scheme"):
        C.to_iso3("NOR", "isoX")  # type: ignore[arg-type]


def test_country_details_are_bilingual() -> None:
    china = C.country("CHN")
    assert (china.name, china.name_zh, china.region) == ("China", "中国", "East Asia & Pacific")
    assert C.region("NOR") == "Europe & Central Asia"


def test_every_current_country_has_iso2_or_is_a_world_bank_economy() -> None:
    table = C.table
    current = table[~table["historical"]]
    odd = current[(current["iso2"] == "") & (current["region"] == "")]
    assert odd.empty, odd["iso3"].tolist()

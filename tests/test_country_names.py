"""Every country name in the FSI, Freedom House, GPI, TI CPI and SIPRI files resolves to ISO3.

A name either maps through :mod:`cultrade.countries` (scheme ``name``) or is on
the documented non-country list of its adapter: Freedom House territories
without an ISO3 code, SIPRI region headers and non-countries.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cultrade.countries import get_countries
from cultrade.sources.freedom_house import TERRITORIES
from cultrade.sources.sipri import NOT_COUNTRIES, REGIONS

IND = "indicators"
FILES = {
    "fsi": (f"{IND}/fsi/fsi_2006-2023_long.csv", "Country", "utf-8", ()),
    "freedom_house": (f"{IND}/freedom_house/fiw_2013-2025_long.csv", "Country/Territory", "utf-8", TERRITORIES),
    "gpi": (f"{IND}/gpi/gpi_2008-2019_long.csv", "Country", "utf-8", ()),
    "ti_cpi": (f"{IND}/cpi_ti/ti_cpi_historical.csv", "Country / Territory", "utf-8-sig", ()),
    "ti_cpi_2024": (f"{IND}/cpi_ti/ti_cpi_2024.csv", "Country / Territory", "utf-8-sig", ()),
    "sipri": (f"{IND}/conflict/sipri_milex_1949-2024_extract.csv", "Country", "cp1252",
              (*REGIONS, *NOT_COUNTRIES)),
}


@pytest.mark.parametrize("source", sorted(FILES))
def test_every_name_resolves_or_is_listed(shared: Path, source: str) -> None:
    path, column, encoding, listed = FILES[source]
    names = pd.read_csv(shared / path, dtype=str, keep_default_na=False, encoding=encoding)[column]
    countries = get_countries()
    distinct = {n.strip() for n in names if n.strip()}
    unresolved = sorted(n for n in distinct if n not in listed and countries.try_iso3(n, "name") is None)
    assert unresolved == []
    assert len(distinct) > 150  # every file covers at least 160 countries


def test_fsi_workbook_names_resolve(shared: Path) -> None:
    from cultrade.sources.base import read_xlsx

    countries = get_countries()
    unresolved = set()
    for path in sorted((shared / IND / "fsi").glob("fsi-*.xlsx")):
        for name in read_xlsx(path)["Country"].str.strip():
            if name and countries.try_iso3(name, "name") is None:
                unresolved.add(name)
    assert unresolved == set()


def test_spellings_that_needed_aliases() -> None:
    countries = get_countries()
    # FSI labels Israel's entry "Israel and West Bank"; SIPRI writes "Congo, DR" and "Türkiye".
    assert countries.to_iso3("Israel and West Bank", "name") == "ISR"
    assert countries.to_iso3("Congo, DR", "name") == "COD"
    assert countries.to_iso3("Türkiye", "name") == "TUR"

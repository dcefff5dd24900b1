"""Comtrade services exports 2016 by EBOPS 2002: Comtrade's country spellings become ISO3."""

from __future__ import annotations

from pathlib import Path

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

FILE = "trade/services/comtrade_services_exports_ebops2002_2016.csv"


def test_services_exports_load_with_categories(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("services"), shared / FILE)
    assert result.rows == {"services_exports": 736}
    countries, categories, year = store.con.execute(
        "SELECT count(DISTINCT iso3), count(DISTINCT ebops), max(year) FROM services_exports").fetchone()
    assert (countries, categories, year) == (80, 11, 2016)
    row = store.con.execute("SELECT value_usd FROM services_exports WHERE iso3 = 'ALB' AND ebops = 1").fetchone()
    assert row == (200490000.0,)


def test_abbreviated_names_are_mapped(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("services"), shared / FILE)
    codes = {r[0] for r in store.con.execute("SELECT DISTINCT iso3 FROM services_exports").fetchall()}
    assert {"KOR", "MAC", "MDA", "MKD", "TZA", "BIH"} <= codes
    cultural = store.con.execute("SELECT count(*) FROM services_exports WHERE ebops = 10").fetchone()
    assert cultural is not None and cultural[0] > 40
    assert store.ingest(get_adapter("services"), shared / FILE).status == "unchanged"


def test_bad_services_files_are_refused(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("services", "comtrade_services_exports_ebops2002_2016.csv", [
        "country,product,value", "Albania,1 Transportation,200490000.0", "Algeria,2 Travel,672372922.0",
        "Rep. of Korea,10 Personal,1000.0",
    ], numeric_column="value", country_column="country", unknown_country="Qqqq Zzzz")
    check_bad_inputs(case, store, tmp_path)

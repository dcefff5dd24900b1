"""UN Comtrade bilateral totals: M49 and Comtrade codes become ISO3, zero padding becomes 'not reported'."""

from __future__ import annotations

from pathlib import Path

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

FOLDER = "trade/comtrade_bilateral_totals"


def test_usa_imports_from_china_2019(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("comtrade"), shared / FOLDER / "comtrade_imports_total_bilateral_zero_padded.csv")
    assert result.rows == {"comtrade_imports": 184900}  # 86 x 86 x 25 years
    row = store.con.execute("SELECT value_usd FROM comtrade_imports WHERE importer = 'USA' AND exporter = 'CHN' "
                            "AND year = 2019").fetchone()
    assert row == (472464913744.0,)


def test_zero_means_not_reported_and_the_panel_is_complete(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("comtrade"), shared / FOLDER / "comtrade_imports_total_bilateral_zero_padded.csv")
    countries, years = store.con.execute(
        "SELECT count(DISTINCT importer), count(DISTINCT year) FROM comtrade_imports").fetchone()
    assert (countries, years) == (86, 25)
    missing = store.con.execute("SELECT count(*) FROM comtrade_imports WHERE NOT reported").fetchone()
    assert missing == (25186,)
    assert not get_adapter("comtrade").bundle  # Comtrade terms: tests and demo only


def test_country_names_file(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("comtrade_countries"),
                          shared / FOLDER / "country_names_with_annual_trade_data.csv")
    assert result.rows == {"comtrade_countries": 86}
    assert store.con.execute("SELECT iso3 FROM comtrade_countries WHERE code = 842").fetchone() == ("USA",)


def test_bad_comtrade_files_are_refused(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("comtrade", "comtrade_imports_total_bilateral_zero_padded.csv", [
        "Reporter,Partner,Period,Value", "842,156,2019,472464913744", "156,842,2019,122000000000",
        "251,276,2019,0",
    ], numeric_column="Value", country_column="Reporter", unknown_country="999")
    check_bad_inputs(case, store, tmp_path)

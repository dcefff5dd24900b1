"""Open Trade Statistics 2017: lower-case ISO3 reporters, HS4 products, values in USD."""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

EXPORTS = "trade/ots/ots_exports_hs4_2017.csv"


@pytest.fixture
def loaded(shared: Path, store: Store) -> Store:
    result = store.ingest(get_adapter("ots"), shared / EXPORTS)
    # 233,432 lines; the 56,461 with an empty value (no recorded exports) are dropped.
    assert result.rows == {"ots_exports": 176971} and result.partition == "2017"
    return store


def _leaders(store: Store, hs4: str, n: int) -> list[str]:
    rows = store.con.execute("SELECT iso3 FROM ots_exports WHERE hs4 = ? ORDER BY value_usd DESC LIMIT ?",
                             [hs4, n]).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize(("hs4", "leader"), [("9503", "CHN"), ("9504", "CHN"), ("9701", "USA")])
def test_top_exporter_2017(loaded: Store, hs4: str, leader: str) -> None:
    """Toys and games come from China; paintings are led by the USA (auction trade)."""
    assert _leaders(loaded, hs4, 1) == [leader]


def test_printed_books_are_led_by_gbr_usa_chn(loaded: Store) -> None:
    assert set(_leaders(loaded, "4901", 3)) == {"GBR", "USA", "CHN"}


def test_sanity_codes_and_values(loaded: Store, shared: Path) -> None:
    n_codes, short, negative, world = loaded.con.execute(
        "SELECT count(DISTINCT iso3), count(*) FILTER (length(hs4) <> 4), count(*) FILTER (value_usd < 0), "
        "sum(value_usd) FROM ots_exports").fetchone()
    assert 200 < n_codes < 260 and short == 0 and negative == 0
    assert world > 1.5e13 and world < 2.2e13  # world merchandise exports 2017: about 17.7 trillion USD (WTO), 20 in OTS
    assert loaded.ingest(get_adapter("ots"), shared / EXPORTS).status == "unchanged"


def test_commodity_table(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("ots_commodities"), shared / "trade/ots/ots_commodities.csv")
    assert result.rows == {"ots_commodities": 5301}
    row = store.con.execute("SELECT hs4, section FROM ots_commodities WHERE code = '950300'").fetchone()
    assert row == ("9503", "20")


def test_bad_ots_files_are_refused(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("ots", "ots_exports_hs4_2017.csv", [
        "reporter_iso,product_code,export_value_usd", "chn,9503,56000000000.0", "usa,9701,5600000000.0",
        "afg,0102,387017.0",
    ], numeric_column="export_value_usd", country_column="reporter_iso", unknown_country="zzq")
    check_bad_inputs(case, store, tmp_path)

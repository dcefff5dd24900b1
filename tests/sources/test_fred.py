"""FRED H.10: yearly and monthly rates in LCU per USD; the euro stays a currency, not a country."""

from __future__ import annotations

from pathlib import Path

import pytest

from cultrade.errors import SourceFormatError
from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

FX = "indicators/fx"
YEARLY = "fred_h10_fx_yearly.csv"
MONTHLY = "fred_h10_fx_monthly.csv"


def rate(store: Store, currency: str, date: str, frequency: str) -> float:
    row = store.con.execute("SELECT rate FROM fx_rates WHERE currency=? AND date=?::DATE AND frequency=?",
                            [currency, date, frequency]).fetchone()
    assert row is not None, f"no {frequency} {currency} rate on {date}"
    return float(row[0])


def test_yearly_and_monthly_coexist(shared: Path, store: Store) -> None:
    adapter = get_adapter("fred")
    yearly = store.ingest(adapter, shared / FX / YEARLY)
    monthly = store.ingest(adapter, shared / FX / MONTHLY)
    # 993 yearly rows less Venezuela 2018 and 2021, which average across a redenomination.
    assert (yearly.partition, yearly.rows) == ("annual", {"fx_rates": 991})
    assert (monthly.partition, monthly.rows) == ("monthly", {"fx_rates": 17237})
    spans = {r[0]: r[1:] for r in store.con.execute(
        "SELECT frequency, count(DISTINCT country), min(date)::VARCHAR, max(date)::VARCHAR FROM fx_rates GROUP BY 1"
    ).fetchall()}
    assert spans == {"annual": (21, "1971-01-01", "2025-01-01"), "monthly": (34, "1971-01-01", "2026-06-01")}
    assert store.con.execute("SELECT min(rate) > 0 FROM fx_rates").fetchone() == (True,)


def test_published_2024_averages_in_local_currency_per_dollar(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("fred"), shared / FX / YEARLY)
    # Fed G.5A annual averages for 2024: 151.46 yen per dollar; 1.0824 dollars per euro (0.924 EUR/USD).
    assert round(rate(store, "JPY", "2024-01-01", "annual"), 2) == 151.46
    assert round(1 / rate(store, "EUR", "2024-01-01", "annual"), 3) == 1.082


def test_the_euro_has_no_country_and_legacy_currencies_keep_theirs(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("fred"), shared / FX / MONTHLY)
    euro = store.con.execute("SELECT DISTINCT iso3, country FROM fx_rates WHERE currency='EUR'").fetchall()
    assert euro == [(None, "Euro")]
    legacy = store.con.execute(
        "SELECT iso3, max(date)::VARCHAR FROM fx_rates WHERE currency='DEM' GROUP BY 1").fetchall()
    assert legacy == [("DEU", "2001-12-01")]
    codes = {r[0] for r in store.con.execute("SELECT DISTINCT iso3 FROM fx_rates WHERE iso3 IS NOT NULL").fetchall()}
    assert {"HKG", "TWN", "KOR", "GBR", "VEN"} <= codes and len(codes) == 33


def test_venezuela_changes_currency_code_at_each_redenomination(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("fred"), shared / FX / MONTHLY)
    spans = store.con.execute(
        "SELECT currency, min(date)::VARCHAR, max(date)::VARCHAR FROM fx_rates WHERE country='Venezuela' "
        "GROUP BY 1 ORDER BY 2").fetchall()
    assert [s[0] for s in spans] == ["VEF", "VES", "VED"]
    assert spans[1][1] == "2018-09-01" and spans[2][1] == "2021-11-01"


def test_reingest_is_a_no_op(shared: Path, store: Store) -> None:
    adapter = get_adapter("fred")
    store.ingest(adapter, shared / FX / YEARLY)
    assert store.ingest(adapter, shared / FX / YEARLY).status == "unchanged"
    assert store.row_count("fx_rates") == 991


def test_zero_rate_and_mid_month_dates_are_refused(tmp_path: Path, store: Store) -> None:
    zero = tmp_path / "fred_h10_fx_monthly.csv"
    zero.write_text("Date,Country,Exchange rate\n2024-01-01,Japan,0\n")
    with pytest.raises(SourceFormatError, match="outside the valid range"):
        store.ingest(get_adapter("fred"), zero)
    mid = tmp_path / "fred_h10_fx_yearly.csv"
    mid.write_text("Date,Country,Value\n2024-06-15,Japan,151.46\n")
    with pytest.raises(SourceFormatError, match="not a annual period start"):
        store.ingest(get_adapter("fred"), mid)
    assert store.catalog().empty


FRED_SAMPLE = [
    "Date,Country,Exchange rate",
    "2024-01-01,Japan,146.2943",
    "2024-01-01,Euro,0.9175",
    "2024-01-01,United Kingdom,0.7873",
    "2024-02-01,Japan,149.5000",
]


def test_bad_fred_files_are_refused(store: Store, tmp_path: Path) -> None:
    # unknown_country: an unknown series name is refused with the list of H.10 names.
    case = BadInputCase("fred", "fred_h10_fx_monthly.csv", FRED_SAMPLE, numeric_column="Exchange rate",
                        country_column="Country")
    check_bad_inputs(case, store, tmp_path)

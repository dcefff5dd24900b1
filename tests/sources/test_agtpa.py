"""AGTPA gravity dataset: 69 countries, 1986-2006, million USD, domestic flows included."""

from __future__ import annotations

from pathlib import Path

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

FILE = "trade/gravity_agtpa/agtpa_applications.csv"


def test_agtpa_panel_shape_and_a_known_value(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("agtpa"), shared / FILE)
    assert result.rows == {"agtpa_gravity": 99981}
    countries, first, last = store.con.execute(
        "SELECT count(DISTINCT exporter), min(year), max(year) FROM agtpa_gravity").fetchone()
    assert (countries, first, last) == (69, 1986, 2006)
    row = store.con.execute("SELECT trade_musd, dist_km FROM agtpa_gravity WHERE exporter = 'ARG' "
                            "AND importer = 'AUS' AND year = 1986").fetchone()
    assert row is not None and round(row[0], 2) == 27.76 and round(row[1]) == 12045


def test_domestic_flows_dominate(shared: Path, store: Store) -> None:
    """Domestic sales are far larger than any import flow: the reason the guide includes them."""
    store.ingest(get_adapter("agtpa"), shared / FILE)
    share = store.con.execute(
        "SELECT sum(trade_musd) FILTER (exporter = importer) / sum(trade_musd) FROM agtpa_gravity "
        "WHERE importer = 'USA' AND year = 2006").fetchone()
    assert share is not None and 0.5 < share[0] < 1
    assert store.ingest(get_adapter("agtpa"), shared / FILE).status == "unchanged"


def test_bad_agtpa_files_are_refused(store: Store, tmp_path: Path) -> None:
    header = "exporter,importer,pair_id,year,trade,dist,cntg,lang,clny,rta,rta_lag3,rta_lag4,rta_lag6,rta_lag8," \
             "rta_lag9,rta_lag12,rta_lead4"
    zeros = ",".join(["0.0"] * 11)
    case = BadInputCase("agtpa", "agtpa_applications.csv", [
        header, f"ARG,ARG,12339.0,1986.0,61288.59,533.9,{zeros}", f"ARG,AUS,1.0,1986.0,27.76,12044.57,{zeros}",
        f"ARG,AUT,2.0,1986.0,3.55,11751.14,{zeros}",
    ], numeric_column="trade", country_column="exporter")
    check_bad_inputs(case, store, tmp_path)

"""Polity5: COW codes become ISO3, special codes become flags, historical polities are skipped by list."""

from __future__ import annotations

from pathlib import Path

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

FILE = "indicators/conflict/polity5_p5v2018.csv"


def test_polity_scores_flags_and_codes(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("polity"), shared / FILE)
    assert result.rows == {"obs_polity": 82628}
    # p5v2018: United States 2018 democ 8, autoc 0, polity 8; Norway polity 10.
    usa = dict(store.con.execute(
        "SELECT indicator, value FROM obs_polity WHERE iso3 = 'USA' AND year = 2018 AND indicator IN "
        "('democ', 'autoc', 'polity')").fetchall())
    assert usa == {"democ": 8.0, "autoc": 0.0, "polity": 8.0}
    assert store.con.execute(
        "SELECT value FROM obs_polity WHERE iso3 = 'NOR' AND year = 2018 AND indicator = 'polity'"
    ).fetchone() == (10.0,)
    # Afghanistan 2001 is coded -66 (foreign interruption): a flag, not a score of -66.
    afg = store.con.execute(
        "SELECT value, special FROM obs_polity WHERE iso3 = 'AFG' AND year = 2001 AND indicator = 'polity'"
    ).fetchone()
    assert afg is not None and afg[0] is None and afg[1] == "interruption"
    assert store.con.execute("SELECT min(value) FROM obs_polity").fetchone() == (-10.0,)
    # COW 365 Russia and 364 USSR; 260 West Germany is DEU, 265 East Germany DDR.
    codes = dict(store.con.execute(
        "SELECT DISTINCT ccode, iso3 FROM obs_polity WHERE ccode IN (260, 265, 364, 365)").fetchall())
    assert codes == {260: "DEU", 265: "DDR", 364: "SUN", 365: "RUS"}
    assert store.ingest(get_adapter("polity"), shared / FILE).status == "unchanged"


SAMPLE = [
    "p5,cyear,ccode,scode,country,year,flag,fragment,democ,autoc,polity,polity2,durable",
    "0,7002016,700,AFG,Afghanistan,2016,0,0,1,2,-1,-1,2",
    "0,7002017,700,AFG,Afghanistan,2017,0,0,1,2,-1,-1,3",
    "0,3852018,385,NOR,Norway,2018,0,0,10,0,10,10,73",
]


def test_polity_bad_inputs(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("polity", "polity5_p5v2018.csv", SAMPLE, numeric_column="polity",
                        country_column="ccode", unknown_country="999")
    check_bad_inputs(case, store, tmp_path)

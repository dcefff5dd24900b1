"""UCDP: the Armed Conflict Dataset explodes to location countries and matches UCDP's own summary; GED loads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cultrade.sources import get_adapter
from cultrade.store import Store
from tests.sources.badinput import BadInputCase, check_bad_inputs

ACD = "indicators/conflict/ucdp_prio_acd_v25_1.csv"
SUMMARY = "indicators/conflict/ucdp_acd_v25_1_country_year_summary.csv"


def test_acd_matches_the_published_country_year_summary(shared: Path, store: Store) -> None:
    result = store.ingest(get_adapter("ucdp"), shared / ACD)
    assert result.rows["ucdp_conflicts"] == 2917  # 2752 conflict-years, interstate ones on several countries
    mine = store.con.execute(
        "SELECT gwno, year, count(DISTINCT conflict_id) AS n, max(intensity_level) AS m, "
        "sum(CASE WHEN intensity_level = 2 THEN 1 ELSE 0 END) AS w FROM ucdp_conflicts GROUP BY ALL"
    ).df()
    summary = pd.read_csv(shared / SUMMARY)
    both = summary.merge(mine, on=["gwno", "year"], how="outer", indicator=True)
    assert (both["_merge"] == "both").all() and len(both) == 2074
    assert (both["n_conflicts"] == both["n"]).all()
    assert (both["max_intensity"] == both["m"]).all()
    assert (both["n_war_level"] == both["w"]).all()


def test_interstate_war_is_placed_in_every_location_country(shared: Path, store: Store) -> None:
    store.ingest(get_adapter("ucdp"), shared / ACD)
    # Conflict 11343, the 1967 Six-Day War: gwno_loc "651, 666" (Egypt, Israel), intensity 2.
    places = store.con.execute(
        "SELECT iso3, intensity_level FROM ucdp_conflicts WHERE conflict_id = 11343 AND year = 1967 ORDER BY 1"
    ).fetchall()
    assert places == [("EGY", 2), ("ISR", 2)]
    # USA 2001: Afghanistan and al-Qaida conflicts, both war-level (the UCDP summary file says 2, 2, 2).
    usa = dict(store.con.execute(
        "SELECT indicator, value FROM indicators WHERE source = 'ucdp' AND iso3 = 'USA' AND year = 2001"
    ).fetchall())
    assert usa == {"n_conflicts": 2.0, "max_intensity": 2.0, "war": 1.0, "n_war_level": 2.0}
    years = store.con.execute("SELECT min(year), max(year), count(DISTINCT iso3) FROM obs_ucdp").fetchone()
    assert years is not None and years[:2] == (1946, 2024) and years[2] > 110
    assert store.ingest(get_adapter("ucdp"), shared / ACD).status == "unchanged"


def test_ged_country_extracts_coexist_as_partitions(shared: Path, store: Store) -> None:
    adapter = get_adapter("ucdp_ged")
    rows = {f.name: store.ingest(adapter, f).rows["ucdp_ged_events"]
            for f in sorted((shared / "events/ucdp_ged").glob("*.csv.gz"))}
    # Event counts stated in events/SOURCES.md.
    assert rows == {"ged191_syria.csv.gz": 16566, "ged231_mexico.csv.gz": 18957, "ged231_myanmar.csv.gz": 7374}
    countries = dict(store.con.execute("SELECT iso3, count(*) FROM ucdp_ged_events GROUP BY 1").fetchall())
    assert countries == {"SYR": 16566, "MEX": 18957, "MMR": 7374}
    # Event 48528 (Rakhine, 29 Feb 1992): best estimate 34 civilian deaths.
    best = store.con.execute("SELECT best, deaths_civilians FROM ucdp_ged_events WHERE id = 48528").fetchone()
    assert best == (34, 34)
    events = store.con.execute(
        "SELECT sum(value) FROM obs_ucdp_ged WHERE iso3 = 'MMR' AND indicator = 'events'").fetchone()
    assert events == (7374.0,)
    again = store.ingest(adapter, shared / "events/ucdp_ged/ged231_myanmar.csv.gz")
    assert again.status == "unchanged"


ACD_SAMPLE = [
    "conflict_id,location,side_a,side_a_id,side_a_2nd,side_b,side_b_id,side_b_2nd,incompatibility,territory_name,"
    "year,intensity_level,cumulative_intensity,type_of_conflict,start_date,start_prec,start_date2,start_prec2,"
    "ep_end,ep_end_date,ep_end_prec,gwno_a,gwno_a_2nd,gwno_b,gwno_b_2nd,gwno_loc,region,version",
    '11342,India,Government of India,141,"",GNLA,1163,"",1,Garoland,2012,1,0,3,1997-05-29,1,2012-11-15,1,1,'
    '2012-12-21,"",750,"","","",750,3,25.1',
    '11342,India,Government of India,141,"",GNLA,1163,"",1,Garoland,2014,1,0,3,1997-05-29,1,2014-07-01,1,1,'
    '2014-11-27,"",750,"","","",750,3,25.1',
    '11343,"Egypt, Israel",Government of Egypt,117,"",Government of Israel,121,"",1,Suez/Sinai,1967,2,1,2,'
    '1967-06-05,1,1967-06-05,1,1,1967-06-10,"",651,"",666,"","651, 666",2,25.1',
]

GED_SAMPLE = [
    "id,year,type_of_violence,conflict_new_id,conflict_name,dyad_new_id,side_a,side_b,country,country_id,region,"
    "where_prec,latitude,longitude,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,"
    "deaths_civilians,deaths_unknown,best,low,high",
    "48528,1992,3,488,Government of Myanmar (Burma) - Civilians,955,Government of Myanmar (Burma),Civilians,"
    "Myanmar (Burma),775,Asia,4,19.0,94.25,1,1,1992-02-29,1992-02-29,0,0,34,0,34,34,34",
    "48616,1992,3,488,Government of Myanmar (Burma) - Civilians,955,Government of Myanmar (Burma),Civilians,"
    "Myanmar (Burma),775,Asia,7,20.630564,92.367972,1,1,1992-04-02,1992-04-02,0,0,1,0,1,1,1",
    "48628,1992,1,221,Myanmar (Burma): Karen,428,Government of Myanmar (Burma),KNU,Myanmar (Burma),775,Asia,"
    "2,15.958194,98.427594,1,1,1992-01-09,1992-01-09,0,4,100,0,104,104,104",
]


def test_acd_bad_inputs(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("ucdp", "ucdp_prio_acd_v25_1.csv", ACD_SAMPLE, numeric_column="intensity_level",
                        country_column="gwno_loc", unknown_country="9999")
    check_bad_inputs(case, store, tmp_path)


def test_ged_bad_inputs(store: Store, tmp_path: Path) -> None:
    case = BadInputCase("ucdp_ged", "ged231_myanmar.csv", GED_SAMPLE, numeric_column="best",
                        country_column="country_id", unknown_country="9999")
    check_bad_inputs(case, store, tmp_path)

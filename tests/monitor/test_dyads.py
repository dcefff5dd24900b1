"""Dyad counts (``monitor_dyads`` and :func:`dyad_counts`): exact on invented slices, and on the real 2025 slices
against DuckDB SQL written from the definitions in :mod:`cultrade.monitor.dyads`."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cultrade.errors import ConfigError, UnknownCountryError
from cultrade.monitor.codes import CodeMapper, country_index
from cultrade.monitor.dyads import COLUMNS, dyad_counts
from cultrade.monitor.feeds import replay
from cultrade.monitor.slices import list_slices
from cultrade.sources.gdelt import V2_COLUMNS
from cultrade.store import Store

T0 = datetime(2025, 3, 1, 10, 15)


def row(gid: int, ts: datetime, a1: str, a2: str, *, code: str = "190", quad: int = 4, t1: str = "", t2: str = "",
        c1: str | None = None, c2: str | None = None, gold: float = -10.0, mentions: int = 2,
        url: str = "https://example.org/a") -> str:
    """One INVENTED GDELT 2.0 row: actor codes c1/c2 (default: the bare country), types t1/t2."""
    f = dict.fromkeys(V2_COLUMNS, "")
    f.update(GLOBALEVENTID=str(gid), SQLDATE=ts.strftime("%Y%m%d"), Actor1Code=c1 if c1 is not None else a1,
             Actor1CountryCode=a1, Actor1Type1Code=t1, Actor2Code=c2 if c2 is not None else a2,
             Actor2CountryCode=a2, Actor2Type1Code=t2, EventCode=code, EventBaseCode=code[:3],
             EventRootCode=code[:2], QuadClass=str(quad), GoldsteinScale=str(gold), NumMentions=str(mentions),
             AvgTone="-2", DATEADDED=ts.strftime("%Y%m%d%H%M%S"), SOURCEURL=url)
    return "\t".join(f[c] for c in V2_COLUMNS)


def write(folder: Path, ts: datetime, rows: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ts:%Y%m%d%H%M%S}.export.CSV.gz").write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))


def test_counts_follow_the_definitions(tmp_path: Path, store: Store) -> None:
    t1 = T0 + timedelta(minutes=15)
    write(tmp_path, T0, [
        row(1, T0, "THA", "KHM", t1="MIL", c1="THAMIL"),                   # state → state fight: counts everywhere
        row(2, T0, "KHM", "THA", c2="THAREB", t2="REB"),                   # rebels are not a state actor
        row(3, T0, "THA", "KHM", code="163", quad=4, gold=-8.0, url="https://example.org/b"),  # sanctions
        row(4, T0, "THA", "KHM", code="172", quad=4, gold=-5.0, url="https://example.org/b"),  # restrictions
        row(5, T0, "THA", "THA"),                                          # one country: not a dyad
        row(6, T0, "THA", "AFR"),                                          # a region: not a dyad
        row(7, T0, "USA", "CHN", code="040", quad=1, gold=1.0, mentions=5, url="https://example.org/c"),
    ])
    write(tmp_path, t1, [
        row(1, t1, "THA", "KHM", t1="MIL", c1="THAMIL"),                   # a repeat: counted once
        row(8, t1, "CHN", "USA", code="111", quad=3, gold=-2.0, t1="GOV", c1="CHNGOV", url="https://example.org/d"),
        row(9, t1, "USA", "CHN", code="190", quad=4, t1="GOV", c1="USAGOV", c2="CHN", url="https://example.org/d"),
    ])
    replay(store, tmp_path)
    day = dyad_counts(store, start="2025-03-01", end="2025-03-02").set_index(["actor1_iso3", "actor2_iso3"])
    assert list(dyad_counts(store).columns) == ["ts", "granularity", "actor1_iso3", "actor2_iso3", *COLUMNS]
    assert sorted(day.index) == [("CHN", "USA"), ("KHM", "THA"), ("THA", "KHM"), ("USA", "CHN")]
    tk = day.loc[("THA", "KHM")]
    assert (tk["events"], tk["material_conflict"], tk["material_conflict_state"], tk["sanctions"],
            tk["restrictions"], tk["mentions"], tk["goldstein_sum"]) == (3, 3, 1, 1, 1, 6, -23.0)
    assert (tk["articles"], tk["conflict_articles"], tk["material_conflict_state_articles"],
            tk["sanctions_articles"], tk["restrictions_articles"]) == (2, 2, 1, 1, 1)
    kt = day.loc[("KHM", "THA")]
    assert (kt["events"], kt["material_conflict_state"]) == (1, 0)  # rebels
    uc = day.loc[("USA", "CHN")]
    assert (uc["events"], uc["verbal_cooperation"], uc["material_conflict_state"], uc["articles"]) == (2, 1, 1, 2)
    assert day.loc[("CHN", "USA")]["verbal_conflict"] == 1
    hours = dyad_counts(store, granularity="hour", country="chn")
    assert set(hours["ts"]) == {pd.Timestamp("2025-03-01 10:00")} and len(hours) == 2  # USA→CHN and CHN→USA
    assert (hours["events"].sum(), hours["conflict_articles"].sum()) == (3, 2)
    # a second replay changes nothing (every slice is done)
    before = dyad_counts(store, granularity="hour")
    replay(store, tmp_path)
    pd.testing.assert_frame_equal(before, dyad_counts(store, granularity="hour"))


def test_query_errors(store: Store) -> None:
    assert dyad_counts(store).empty
    with pytest.raises(ConfigError, match="granularity"):
        dyad_counts(store, granularity="week")
    with pytest.raises(UnknownCountryError):
        dyad_counts(store, country="Chinaa")
    assert dyad_counts(store, country="China").empty


ORACLE = """
WITH raw AS (
    SELECT column00::BIGINT AS id, column05 AS c1, column07 AS cc1, column12 AS t1, column15 AS c2, column17 AS cc2,
           column22 AS t2, column27 AS base, column28::INTEGER AS root, column29::INTEGER AS quad,
           column30::DOUBLE AS gold, column31::BIGINT AS mentions, column59 AS added, column60 AS url, filename
    FROM read_csv(?, delim='\t', header=false, quote='', escape='', all_varchar=true, filename=true)),
first AS (SELECT * FROM raw QUALIFY row_number() OVER (PARTITION BY id ORDER BY added) = 1),
ev AS (
    SELECT f.*, m1.iso3 AS a1, m2.iso3 AS a2, strptime(added, '%Y%m%d%H%M%S') AS ts,
           (coalesce(c1 = cc1, false) OR coalesce(t1 IN ('GOV', 'MIL', 'COP', 'SPY'), false))
           AND (coalesce(c2 = cc2, false) OR coalesce(t2 IN ('GOV', 'MIL', 'COP', 'SPY'), false)) AS state
    FROM first f JOIN cmap m1 ON m1.code = f.cc1 JOIN cmap m2 ON m2.code = f.cc2 WHERE m1.iso3 <> m2.iso3)
SELECT date_trunc('hour', ts) AS ts, a1 AS actor1_iso3, a2 AS actor2_iso3, count(*) AS events,
       count(*) FILTER (quad = 1) AS verbal_cooperation, count(*) FILTER (quad = 2) AS material_cooperation,
       count(*) FILTER (quad = 3) AS verbal_conflict, count(*) FILTER (quad = 4) AS material_conflict,
       count(*) FILTER (root BETWEEN 18 AND 20 AND state) AS material_conflict_state,
       count(*) FILTER (base = '163') AS sanctions, count(*) FILTER (base = '172') AS restrictions,
       sum(mentions) AS mentions, sum(gold) AS goldstein_sum, count(DISTINCT url) AS articles,
       count(DISTINCT url) FILTER (quad IN (3, 4)) AS conflict_articles,
       count(DISTINCT url) FILTER (root BETWEEN 18 AND 20 AND state) AS material_conflict_state_articles,
       count(DISTINCT url) FILTER (base = '163') AS sanctions_articles,
       count(DISTINCT url) FILTER (base = '172') AS restrictions_articles
FROM ev GROUP BY ALL ORDER BY ts, actor1_iso3, actor2_iso3
"""


@pytest.mark.shared
@pytest.mark.slow
def test_real_slices_match_sql_from_the_definitions(shared: Path, store: Store) -> None:
    """Two days of the real 2025 export (about 80 slices): every hourly dyad row, every column, exactly."""
    folder = shared / "events" / "gdelt_v2_2025" / "export"
    lo, hi = datetime(2025, 5, 27), datetime(2025, 5, 29)
    replay(store, folder, lo, hi, workers=0)
    got = dyad_counts(store, granularity="hour").drop(columns="granularity")
    files = [str(p) for _, p in list_slices(folder, lo, hi)]
    con = duckdb.connect()
    mapper, iso = CodeMapper(), country_index()
    codes = con.execute("SELECT DISTINCT column07 FROM read_csv(?, delim='\t', header=false, quote='', escape='', "
                        "all_varchar=true) UNION SELECT DISTINCT column17 FROM read_csv(?, delim='\t', header=false, "
                        "quote='', escape='', all_varchar=true)", [files, files]).fetchall()
    cmap = pd.DataFrame([(c, iso[p]) for (c,) in codes if c and (p := mapper.code(c, "cameo")) >= 0],
                        columns=["code", "iso3"])
    con.register("cmap", cmap)
    want = con.execute(ORACLE, [files]).df()
    assert len(want) > 2000  # thousands of dyad-hours, including THA→KHM on the 28th
    assert ((want["actor1_iso3"] == "THA") & (want["actor2_iso3"] == "KHM")
            & (want["material_conflict_state"] > 0)).any()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)
    # the day rows are the sums of the hour rows
    days = dyad_counts(store, granularity="day").drop(columns=["granularity", "ts"])
    summed = got.drop(columns="ts").groupby(["actor1_iso3", "actor2_iso3"], as_index=False).sum()
    daily = days.groupby(["actor1_iso3", "actor2_iso3"], as_index=False).sum()
    pd.testing.assert_frame_equal(daily, summed, check_dtype=False)

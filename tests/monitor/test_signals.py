"""Signals from synthetic slices: every event below is INVENTED by the test (ids, codes, tones), not real."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cultrade.errors import ConfigError
from cultrade.monitor import codes
from cultrade.monitor import signals as sig
from cultrade.monitor.slices import read_slice
from cultrade.monitor.stream import EventStream
from cultrade.sources.gdelt import V2_COLUMNS
from cultrade.store import Store

T0 = datetime(2025, 3, 1, 10, 15)


def event(gid: int, ts: datetime, *, geo: str = "", a1: str = "", a2: str = "", code: str = "010", quad: int = 1,
          gold: float = 0.0, mentions: int = 1, tone: float = 0.0) -> str:
    """One invented GDELT 2.0 row (61 tab-separated fields)."""
    f = dict.fromkeys(V2_COLUMNS, "")
    f.update(GLOBALEVENTID=str(gid), SQLDATE=ts.strftime("%Y%m%d"), Actor1CountryCode=a1, Actor2CountryCode=a2,
             IsRootEvent="1", EventCode=code, EventBaseCode=code[:3], EventRootCode=code[:2], QuadClass=str(quad),
             GoldsteinScale=str(gold), NumMentions=str(mentions), NumSources="1", NumArticles=str(mentions),
             AvgTone=str(tone), ActionGeo_CountryCode=geo, ActionGeo_Type="1" if geo else "0",
             DATEADDED=ts.strftime("%Y%m%d%H%M%S"), SOURCEURL="https://example.org/invented")
    return "\t".join(f[c] for c in V2_COLUMNS)


def write_slice(folder: Path, ts: datetime, rows: list[str]) -> Path:
    path = folder / f"{ts:%Y%m%d%H%M%S}.export.CSV.gz"
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    return path


def value(store: Store, iso3: str, metric: str, granularity: str = "day") -> float:
    df = sig.signals(store, iso3=iso3, metric=metric, granularity=granularity)  # type: ignore[arg-type]
    return float(df["value"].sum()) if not df.empty else 0.0


def test_exact_counts_per_country_and_group(tmp_path: Path, store: Store) -> None:
    rows = [
        # Iranian protest in Iran against the US: IRN once (place and actor agree), USA once.
        event(1, T0, geo="IR", a1="IRN", a2="USA", code="145", quad=3, gold=-6.5, mentions=4, tone=-2.0),
        # France imposes sanctions (163); the sub-codes 1631.. do not exist in CAMEO, the base code is what counts.
        event(2, T0, geo="FR", code="163", quad=4, gold=-8.0, mentions=2, tone=-4.0),
        # UK expels aid agencies (1663 -> base 166); AFR is a region, no country.
        event(3, T0, geo="UK", a1="AFR", code="1663", quad=4, gold=-5.0, mentions=1, tone=1.0),
        # A fight at sea (ocean code OS: no country) by Chinese forces: CHN only.
        event(4, T0, geo="OS", a1="CHN", code="190", quad=4, gold=-10.0, mentions=3, tone=-6.0),
        # Iran deports individuals (174); actor2 is Iran again: counted once.
        event(5, T0, geo="IR", a2="IRN", code="174", quad=4, gold=-5.0, mentions=1, tone=-1.0),
        # Verbal cooperation, positive Goldstein: no intensity.
        event(6, T0, geo="US", a1="USA", a2="CHN", code="042", quad=1, gold=1.9, mentions=10, tone=3.0),
        # An unknown actor code is skipped (counted as unmapped), the place still counts.
        event(7, T0, geo="KE", a1="ZZZ", code="130", quad=3, gold=-4.4, mentions=2, tone=0.5),
    ]
    path = write_slice(tmp_path, T0, rows)
    stream = EventStream(store)
    s = stream.process(read_slice(path))
    assert (s.events, s.new_events, s.unmapped) == (7, 7, 1)
    assert set(s.touched) == {"IRN", "USA", "FRA", "GBR", "CHN", "KEN"}
    assert value(store, "IRN", "events") == 2
    assert value(store, "IRN", "protest") == 1
    assert value(store, "IRN", "expel") == 1
    assert value(store, "IRN", "quad3") == 1 and value(store, "IRN", "quad4") == 1
    assert value(store, "IRN", "conflict_intensity") == pytest.approx(6.5 * 4 + 5.0 * 1)
    assert value(store, "IRN", "tone") == pytest.approx((-2.0 * 4 + -1.0 * 1) / 5)
    assert value(store, "USA", "events") == 2 and value(store, "USA", "protest") == 1
    assert value(store, "USA", "quad1") == 1
    assert value(store, "FRA", "sanctions") == 1 and value(store, "FRA", "quad4") == 1
    assert value(store, "GBR", "expel") == 1
    assert value(store, "CHN", "fight") == 1 and value(store, "CHN", "events") == 2
    assert value(store, "CHN", "conflict_intensity") == pytest.approx(30.0)
    assert value(store, "KEN", "threaten") == 1
    assert value(store, "FRA", "protest") == 0  # absent row = 0
    # Hour and day buckets hold the same values for one slice, at the bucket starts.
    hour = sig.signals(store, iso3="IRN", metric="events", granularity="hour")
    day = sig.signals(store, iso3="IRN", metric="events", granularity="day")
    assert hour["ts"].tolist() == [pd.Timestamp("2025-03-01 10:00")]
    assert day["ts"].tolist() == [pd.Timestamp("2025-03-01")]
    # No history yet: no baseline and no anomaly.
    assert day["baseline"].isna().all() and day["anomaly"].isna().all()


def test_baseline_and_anomaly_daily(tmp_path: Path, store: Store) -> None:
    """Five days of 10 protests in Kenya, then 30: baseline 10, MAD 0 → floor 1 → z = 20 / 1.4826."""
    stream = EventStream(store)
    gid = 0
    for day in range(6):
        ts = T0 + timedelta(days=day)
        n = 30 if day == 5 else 10
        rows = []
        for _ in range(n):
            gid += 1
            rows.append(event(gid, ts, geo="KE", code="141", quad=3, gold=-6.5))
        stream.process(read_slice(write_slice(tmp_path, ts, rows)))
    df = sig.signals(store, iso3="KEN", metric="protest")
    assert df["value"].tolist() == [10, 10, 10, 10, 10, 30]
    assert df["baseline"].isna().tolist() == [True, True, True, False, False, False]  # 3 days of history needed
    last = df.iloc[-1]
    assert (last["baseline"], last["mad"]) == (10.0, 0.0)
    assert last["anomaly"] == pytest.approx(20 / 1.4826)
    assert df.iloc[3]["anomaly"] == 0.0
    top = sig.top_anomalies(store, n=1)
    assert top.iloc[0]["iso3"] == "KEN" and top.iloc[0]["ts"] == pd.Timestamp("2025-03-06")


def test_hourly_zero_fill_over_covered_hours(tmp_path: Path, store: Store) -> None:
    """Hourly baselines use the covered hours of the 7 previous days; hours without a Kenyan event count as 0."""
    stream = EventStream(store)
    gid = 0
    for hour in range(30):  # 30 covered hours on day 1; Kenya appears in every third one
        ts = T0.replace(hour=0, minute=0) + timedelta(hours=hour)
        rows = [event(gid := gid + 1, ts, geo="US", code="010")]
        if hour % 3 == 0:
            rows.append(event(gid := gid + 1, ts, geo="KE", code="010"))
        stream.process(read_slice(write_slice(tmp_path, ts, rows)))
    ts = datetime(2025, 3, 3, 12)
    stream.process(read_slice(write_slice(tmp_path, ts, [event(gid + 1, ts, geo="KE", code="010")] * 1)))
    row = sig.signals(store, iso3="KEN", metric="events", granularity="hour", start=ts).iloc[0]
    # 30 covered hours, 10 with one event, 20 with none: median 0, MAD 0.
    assert (row["value"], row["baseline"], row["mad"]) == (1.0, 0.0, 0.0)
    assert row["anomaly"] == pytest.approx(1 / 1.4826)


def test_robust_helpers() -> None:
    window = np.zeros((5, len(codes.country_index()), len(sig.METRICS)))
    window[:, 0, 0] = [1, 2, 3, 4, 100]
    window[..., sig.I_TONE] = np.nan
    window[:3, 0, sig.I_TONE] = [-1.0, 0.0, 2.0]
    med, mad = sig.baselines(window, "day")
    assert (med[0, 0], mad[0, 0]) == (3.0, 1.0)
    assert (med[0, sig.I_TONE], mad[0, sig.I_TONE]) == (0.0, 1.0)  # tone: only the 3 buckets with events
    assert sig.robust_z(10.0, 2.0, 0.0, floor=1.0) == pytest.approx(8 / 1.4826)
    short = sig.baselines(window[:2], "day")[0]
    assert np.isnan(short).all()


def test_signals_query_validates(store: Store) -> None:
    assert sig.signals(store).empty
    with pytest.raises(ConfigError, match="unknown signal metric"):
        sig.signals(store, metric="riots")
    with pytest.raises(ConfigError, match="granularity"):
        sig.signals(store, granularity="week")  # type: ignore[arg-type]

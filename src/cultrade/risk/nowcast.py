"""What the live event stream adds to the yearly index: country shares of conflict and dyad counts.

The monitor (:mod:`cultrade.monitor`) stores per-country daily signals and per-dyad daily counts of
the GDELT 2.0 events it has processed. The index reads them as yearly aggregates over the days the
stream covered, and flags every such cell ``nowcast``: they move the latest year of the index with
the news, and they cover a few weeks, not a year.

* :func:`conflict_shares`: per country and year, material-conflict events (QuadClass 4) as a share of
  all events involving the country, over the covered days; countries with fewer than
  :data:`MIN_EVENTS` events are left out (a share of a handful of events is noise).
* :func:`stream_dyads`: the daily dyad counts, as the monitor stores them
  (empty when the monitor has not stored dyads).

>>> frame = pd.DataFrame({"iso3": ["IRN"] * 2 + ["NOR"] * 2, "ts": pd.to_datetime(["2025-06-01"] * 4),
...                       "metric": ["events", "quad4"] * 2, "value": [400.0, 100.0, 20.0, 1.0]})
>>> conflict_shares(frame).to_dict("records")
[{'iso3': 'IRN', 'year': 2025, 'value': 0.25, 'events': 400.0}]
"""

from __future__ import annotations

import pandas as pd

from cultrade.store import Store

MIN_EVENTS = 50


def conflict_shares(signals: pd.DataFrame, *, min_events: float = MIN_EVENTS) -> pd.DataFrame:
    """iso3, year, value (share of material conflict), events, from daily ``monitor_signals`` rows."""
    cols = ["iso3", "year", "value", "events"]
    if signals.empty:
        return pd.DataFrame(columns=cols)
    s = signals[signals["metric"].isin(["events", "quad4"])]
    s = s.assign(year=pd.to_datetime(s["ts"]).dt.year)
    wide = s.pivot_table(index=["iso3", "year"], columns="metric", values="value", aggfunc="sum").fillna(0.0)
    if "events" not in wide.columns:
        return pd.DataFrame(columns=cols)
    wide = wide[wide["events"] >= min_events]
    quad4 = wide["quad4"] if "quad4" in wide.columns else 0.0
    out = pd.DataFrame({"value": quad4 / wide["events"], "events": wide["events"]}).reset_index()
    return out[cols]


def daily_signals(store: Store) -> pd.DataFrame:
    """The monitor's daily ``events`` and ``quad4`` rows (empty before any replay)."""
    from cultrade.monitor.signals import signals

    return signals(store, metric=["events", "quad4"], granularity="day")


def stream_dyads(store: Store) -> pd.DataFrame:
    """The monitor's daily dyad counts (empty when none are stored)."""
    try:
        from cultrade.monitor.dyads import dyad_counts
    except ImportError:
        return pd.DataFrame()
    frame: pd.DataFrame = dyad_counts(store, granularity="day")
    return frame


__all__ = ["MIN_EVENTS", "conflict_shares", "daily_signals", "stream_dyads"]

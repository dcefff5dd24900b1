"""Relations with the home country: bilateral tension against the dyad's own baseline, and sanctions.

**Tension** (:func:`tension`). For a home country h and a partner p, let ``c`` be the conflict events
(CAMEO QuadClass 3 verbal and 4 material conflict, both directions) between them in year t, and
``T`` the home's conflict events with every partner that year. The partner's share of the home's
conflicts, ``c / T``, is compared with its own median share over the previous five years (at least
three): the expected count is ``E = T * median share``, and

    tension = log((c + k) / (E + k)),   k = :data:`PSEUDO_COUNT` events.

Using the share of the home's conflict events, not raw counts, removes the growth and the swings of
news volume that move every dyad at once (GDELT's coverage tripled between 2005 and 2015). The
pseudo-count keeps a dyad with a handful of events from swinging on noise: half of all China-partner
dyad-years hold fewer than 30 conflict events and a quarter fewer than 6. Positive values mean more
conflict than the dyad's own usual; 0 means as usual. Among the highest values in the 2003-2023
China data are Norway 2010 (the Nobel Peace Prize to Liu Xiaobo), Mexico 2009 (the quarantine of
Mexican citizens during H1N1), Lithuania 2021-22 (the Taiwanese Representative Office) and Canada
2019 (the detentions after the Huawei arrest): these are the kind of shifts the measure is for,
not events it was fitted to.

**Sanctions** (:func:`sanctions_counts`): CAMEO base code 163 (impose embargo, boycott or sanctions)
between the home and the partner, either direction, in the live event stream.

>>> counts = pd.DataFrame({"year": [2018, 2019, 2020, 2021] * 2, "partner": ["A"] * 4 + ["B"] * 4,
...                        "conflict": [10, 10, 10, 100, 90, 90, 90, 90]})
>>> t = tension(counts, min_years=3)
>>> round(float(t.loc[(t.partner == "A") & (t.year == 2021), "value"].iloc[0]), 2)
1.33
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cultrade.store import Store

PSEUDO_COUNT = 10.0
BASELINE_YEARS = 5
MIN_BASELINE_YEARS = 3


def yearly_conflicts(dyads: pd.DataFrame, home: str) -> pd.DataFrame:
    """year, partner, conflict: the home's conflict events (QuadClass 3 and 4) per partner and year.

    ``dyads`` has month, actor1_iso3, actor2_iso3, quad_class, events (table ``event_dyad_months``), one
    extract per home country (``actor1_iso3``), covering all of that home's partners. Only a home's own
    extract is its history: the USA row of China's extract is one dyad, not the USA's history (a share of
    the home's conflicts needs all its partners).
    """
    if dyads.empty:
        return pd.DataFrame(columns=["year", "partner", "conflict"])
    d = dyads[dyads["quad_class"].isin([3, 4]) & (dyads["actor1_iso3"] == home)]
    both = d.assign(partner=d["actor2_iso3"])
    both = both[both["partner"] != home]
    both = both.assign(year=pd.to_datetime(both["month"]).dt.year)
    out: pd.DataFrame = both.groupby(["year", "partner"], as_index=False)[["events"]].sum()
    return out.rename(columns={"events": "conflict"})


def tension(counts: pd.DataFrame, *, pseudo_count: float = PSEUDO_COUNT, window: int = BASELINE_YEARS,
            min_years: int = MIN_BASELINE_YEARS) -> pd.DataFrame:
    """year, partner, value (tension), conflict, expected: see the module docstring.

    ``counts`` holds year, partner, conflict for one home country; a partner absent in a year
    of the data counts 0 that year.
    """
    if counts.empty:
        return pd.DataFrame(columns=["year", "partner", "value", "conflict", "expected"])
    wide = counts.pivot_table(index="year", columns="partner", values="conflict", aggfunc="sum").fillna(0.0)
    wide = wide.reindex(range(int(wide.index.min()), int(wide.index.max()) + 1)).fillna(0.0)
    total = wide.sum(axis=1)
    share = wide.div(total.where(total > 0), axis=0)
    baseline = share.shift(1).rolling(window, min_periods=min_years).median()
    expected = baseline.mul(total, axis=0)
    value = pd.DataFrame(np.log((wide + pseudo_count) / (expected + pseudo_count)), index=wide.index,
                         columns=wide.columns)
    out = pd.DataFrame({"value": value.stack(), "conflict": wide.stack(), "expected": expected.stack()})
    out = out.dropna(subset=["value"]).reset_index()
    return out.rename(columns={"level_1": "partner"})[["year", "partner", "value", "conflict", "expected"]]


def dyad_table(store: Store) -> pd.DataFrame:
    """iso_o, iso_d, year, relations: the tension of every dyad with a home in the stored GDELT history.

    Tension is symmetric, so each pair appears in both directions (home as exporter and as importer).
    Empty when ``event_dyad_months`` is not loaded.
    """
    cols = ["iso_o", "iso_d", "year", "relations"]
    if not store.has_table("event_dyad_months"):
        return pd.DataFrame(columns=cols)
    history = store.frame("event_dyad_months")
    parts = []
    for home in sorted(history["actor1_iso3"].unique()):
        t = tension(yearly_conflicts(history, str(home)))
        parts += [pd.DataFrame({"iso_o": str(home), "iso_d": t["partner"], "year": t["year"], "relations": t["value"]}),
                  pd.DataFrame({"iso_o": t["partner"], "iso_d": str(home), "year": t["year"], "relations": t["value"]})]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def stream_counts(dyads: pd.DataFrame, home: str) -> pd.DataFrame:
    """year, partner, conflict, sanctions, events from the monitor's daily dyad counts for ``home``.

    ``dyads`` has ts, actor1_iso3, actor2_iso3, events, verbal_conflict, material_conflict, sanctions
    (see :func:`cultrade.monitor.dyads.dyad_counts`).
    """
    cols = ["year", "partner", "conflict", "sanctions", "events"]
    if dyads.empty:
        return pd.DataFrame(columns=cols)
    a = dyads[dyads["actor1_iso3"] == home].assign(partner=lambda f: f["actor2_iso3"])
    b = dyads[dyads["actor2_iso3"] == home].assign(partner=lambda f: f["actor1_iso3"])
    both = pd.concat([a, b], ignore_index=True)
    both = both[both["partner"] != home].assign(
        year=pd.to_datetime(both["ts"]).dt.year,
        conflict=both["verbal_conflict"] + both["material_conflict"])
    return both.groupby(["year", "partner"], as_index=False)[["conflict", "sanctions", "events"]].sum()[cols]


def stream_tension(stream: pd.DataFrame, history: pd.DataFrame | None, *,
                   pseudo_count: float = PSEUDO_COUNT) -> pd.DataFrame:
    """year, partner, value: tension in the stream's years.

    With a history of yearly conflict counts for the same home (``history``: year, partner,
    conflict), the baseline is the partner's median share of the home's conflicts over the last
    :data:`BASELINE_YEARS` historical years. Without one (homes other than those of the bundled
    aggregates), the baseline is the home's conflict rate over all its dyadic events in the stream,
    applied to the partner's event volume: a weaker baseline (the dyad's own history is not
    known), which the index notes.
    """
    if stream.empty:
        return pd.DataFrame(columns=["year", "partner", "value"])
    rows = []
    for year, g in stream.groupby("year"):
        total = float(g["conflict"].sum())
        if history is not None and not history.empty:
            past = history[history["year"] < year]
            wide = past.pivot_table(index="year", columns="partner", values="conflict", aggfunc="sum").fillna(0.0)
            wide = wide.tail(BASELINE_YEARS)
            if len(wide) >= MIN_BASELINE_YEARS:
                share = wide.div(wide.sum(axis=1), axis=0).median()
                expected = share.reindex(g["partner"]).to_numpy() * total
            else:
                expected = np.full(len(g), np.nan)
        else:
            events = float(g["events"].sum())
            expected = g["events"].to_numpy() * (total / events if events > 0 else np.nan)
        value = np.log((g["conflict"].to_numpy() + pseudo_count) / (expected + pseudo_count))
        rows.append(pd.DataFrame({"year": year, "partner": g["partner"].to_numpy(), "value": value}))
    out = pd.concat(rows, ignore_index=True)
    return out.dropna(subset=["value"]).reset_index(drop=True)


def sanctions_counts(stream: pd.DataFrame) -> pd.DataFrame:
    """year, partner, value: sanction events (CAMEO 163) between the home and each partner."""
    if stream.empty:
        return pd.DataFrame(columns=["year", "partner", "value"])
    return stream.rename(columns={"sanctions": "value"})[["year", "partner", "value"]].reset_index(drop=True)


__all__ = ["BASELINE_YEARS", "MIN_BASELINE_YEARS", "PSEUDO_COUNT", "dyad_table", "sanctions_counts", "stream_counts",
           "stream_tension", "tension", "yearly_conflicts"]

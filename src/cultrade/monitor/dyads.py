"""Dyad counts: GDELT events between two countries, per UTC hour and day, from actor 1 to actor 2.

The table ``monitor_dyads`` holds one row per (granularity, bucket, actor1_iso3, actor2_iso3) with at least one
event, for the granularities ``hour`` and ``day``. It is a public interface: the risk index (issue 10) reads it
through :func:`dyad_counts` to measure relations with the home country, and the dyad rules of
:mod:`cultrade.monitor.rules` read it.

Storage: :class:`cultrade.monitor.stream.EventStream` appends, in the same transaction as the country signals,
the counts each commit adds to each hour bucket and pair to the ledger ``monitor_dyad_increments`` (append-only:
a slice costs one INSERT, not an upsert into a keyed table); ``monitor_dyads`` is a view that sums the ledger
into hour and day buckets. Counts are sums, so a late slice simply appends its increments. Read the view (or
:func:`dyad_counts`), never the ledger: its rows are partial sums.

Which events count
------------------
An event counts for the directed dyad (actor 1 → actor 2) when both ``Actor1CountryCode`` and
``Actor2CountryCode`` map to *countries* through the CAMEO → ISO3 mapping of :mod:`cultrade.countries`
(the same :class:`~cultrade.monitor.signals.CodeMapper` as the country signals: regions such as AFR or EUR,
and unknown codes, map to none) and the two countries differ (an event inside one country is in the country
signals, not here). Events are deduplicated on GLOBALEVENTID exactly as the country signals are: an event
counts once, in the buckets of the first processed slice that holds it. Buckets are hours and days of
``DATEADDED`` (UTC).

Columns
-------
=====================================  ====================================================================
``events``                             events from actor 1 to actor 2
``verbal_cooperation``                 QuadClass 1
``material_cooperation``               QuadClass 2
``verbal_conflict``                    QuadClass 3
``material_conflict``                  QuadClass 4
``material_conflict_state``            CAMEO root 18-20 (assault, fight, unconventional mass violence)
                                       where BOTH actors are *state actors* (below)
``sanctions``                          CAMEO base code 163: impose embargo, boycott or sanctions
``restrictions``                       CAMEO base code 172: impose administrative sanctions (travel and
                                       visa bans, restrictions on a state's citizens or officials)
``mentions``                           Σ NumMentions
``goldstein_sum``                      Σ GoldsteinScale (mean = goldstein_sum / events)
``articles``                           distinct source articles (SOURCEURL) of those events
``conflict_articles``                  distinct articles with a QuadClass 3 or 4 event
``material_conflict_state_articles``   distinct articles with a ``material_conflict_state`` event
``sanctions_articles``                 distinct articles with a ``sanctions`` (163) event
``restrictions_articles``              distinct articles with a ``restrictions`` (172) event
=====================================  ====================================================================

A **state actor** is an actor whose country code maps to a country and that is either the bare country
(``Actor1Code`` equals ``Actor1CountryCode``: GDELT's code for "the country", e.g. ``THA``) or has a primary
type (``Actor1Type1Code``) among :data:`STATE_TYPES`: GOV (government), MIL (military), COP (police) and SPY
(state intelligence). Rebels, insurgents, opposition, civilians, businesses, media and actors known only by
an ethnic or religious group are not state actors, so ``material_conflict_state`` is violence between the
organs of two states, the CAMEO reading of an interstate clash.

Article counts add up over the slices of a bucket because GDELT processes each article once (see
:mod:`cultrade.monitor.signals`).

>>> import pyarrow as pa
>>> from cultrade.monitor.codes import CodeMapper
>>> t = pa.table({"Actor1Code": ["THAMIL", "KHM", "THA"], "Actor1CountryCode": ["THA", "KHM", "THA"],
...     "Actor1Type1Code": ["MIL", None, None], "Actor2Code": ["KHM", "THAREB", "THA"],
...     "Actor2CountryCode": ["KHM", "THA", "THA"], "Actor2Type1Code": [None, "REB", None],
...     "EventRootCode": pa.array([19, 19, 19], pa.int16()), "EventBaseCode": ["190", "190", "190"],
...     "QuadClass": pa.array([4, 4, 4], pa.int8()), "GoldsteinScale": [-10.0, -10.0, -10.0],
...     "NumMentions": [3, 1, 2], "SOURCEURL": ["u1", "u1", "u2"]})
>>> agg = aggregate_dyads(t, CodeMapper())
>>> rows = agg.frame()
>>> rows[["actor1_iso3", "actor2_iso3", "events", "material_conflict_state", "mentions"]].values.tolist()
[['KHM', 'THA', 1.0, 0.0, 1.0], ['THA', 'KHM', 1.0, 1.0, 3.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cultrade.countries import get_countries
from cultrade.errors import ConfigError
from cultrade.monitor import codes
from cultrade.monitor import signals as sig
from cultrade.store import Store

DYADS_TABLE = "monitor_dyads"
STATE_TYPES = ("GOV", "MIL", "COP", "SPY")
#: The event counts (summed per bucket), then the article counts.
EVENT_COLUMNS = ("events", "verbal_cooperation", "material_cooperation", "verbal_conflict", "material_conflict",
                 "material_conflict_state", "sanctions", "restrictions", "mentions", "goldstein_sum")
ARTICLE_COLUMNS = ("articles", "conflict_articles", "material_conflict_state_articles", "sanctions_articles",
                   "restrictions_articles")
COLUMNS: tuple[str, ...] = (*EVENT_COLUMNS, *ARTICLE_COLUMNS)
_IDX = {c: i for i, c in enumerate(COLUMNS)}

#: The append-only ledger the stream writes: per flush, one row per (hour, pair) with the counts it adds.
LEDGER_TABLE = "monitor_dyad_increments"
_SUMS = ", ".join(f"sum({c})::{'DOUBLE' if c == 'goldstein_sum' else 'BIGINT'} AS {c}" for c in COLUMNS)
DYADS_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (
        ts TIMESTAMP NOT NULL,              -- hour bucket start, UTC (DATEADDED)
        actor1_iso3 VARCHAR NOT NULL,       -- who acts (ISO3, a country)
        actor2_iso3 VARCHAR NOT NULL,       -- on whom (ISO3, another country)
        {", ".join(f"{c} {'DOUBLE' if c == 'goldstein_sum' else 'BIGINT'} NOT NULL" for c in COLUMNS)},
        written_at TIMESTAMP NOT NULL)""",
    # the public table: hour and day buckets, one row per (granularity, ts, actor1_iso3, actor2_iso3)
    f"""CREATE OR REPLACE VIEW {DYADS_TABLE} AS
        SELECT 'hour' AS granularity, ts, actor1_iso3, actor2_iso3, {_SUMS}, max(written_at) AS updated_at
        FROM {LEDGER_TABLE} GROUP BY ts, actor1_iso3, actor2_iso3
        UNION ALL
        SELECT 'day' AS granularity, date_trunc('day', ts)::TIMESTAMP AS ts, actor1_iso3, actor2_iso3, {_SUMS},
            max(written_at) AS updated_at
        FROM {LEDGER_TABLE} GROUP BY date_trunc('day', ts)::TIMESTAMP, actor1_iso3, actor2_iso3""",
)
#: Appends a flush's increments (late slices need no re-read: sums are the same in any order).
INSERT_SQL = f"INSERT INTO {LEDGER_TABLE} SELECT * FROM _dyad_rows"


def state_actor(code: pa.ChunkedArray, country: pa.ChunkedArray, type1: pa.ChunkedArray) -> np.ndarray:
    """Per event, whether the actor is a state actor (see the module doc)."""
    bare = pc.fill_null(pc.equal(code, country), False)
    typed = pc.fill_null(pc.is_in(type1, value_set=pa.array(STATE_TYPES)), False)
    return np.asarray(pc.or_(bare, typed).to_numpy(zero_copy_only=False), dtype=bool)


@dataclass(frozen=True)
class DyadAggregate:
    """One slice's dyads: positions (in :func:`cultrade.monitor.signals.country_index`) of actor 1 and actor 2,
    and their counts (pairs × :data:`COLUMNS`)."""

    actor1: np.ndarray
    actor2: np.ndarray
    values: np.ndarray

    @classmethod
    def empty(cls) -> DyadAggregate:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, len(COLUMNS))))

    def __len__(self) -> int:
        return len(self.actor1)

    def frame(self) -> pd.DataFrame:
        iso = np.asarray(codes.country_index(), dtype=object)
        out = pd.DataFrame(self.values, columns=list(COLUMNS))
        out.insert(0, "actor2_iso3", iso[self.actor2])
        out.insert(0, "actor1_iso3", iso[self.actor1])
        return out.sort_values(["actor1_iso3", "actor2_iso3"]).reset_index(drop=True)


def aggregate_dyads(events: pa.Table, mapper: codes.CodeMapper) -> DyadAggregate:
    """The dyad counts of a table of (already deduplicated) events."""
    if events.num_rows == 0:
        return DyadAggregate.empty()
    a1, _ = mapper.positions(events.column("Actor1CountryCode"), "cameo")
    a2, _ = mapper.positions(events.column("Actor2CountryCode"), "cameo")
    keep = np.flatnonzero((a1 >= 0) & (a2 >= 0) & (a1 != a2))
    if not len(keep):
        return DyadAggregate.empty()
    n_c = len(codes.country_index())
    pair = a1[keep].astype(np.int64) * n_c + a2[keep]
    pairs, inv = np.unique(pair, return_inverse=True)
    ev = events.take(pa.array(keep))
    quad = np.asarray(ev.column("QuadClass").fill_null(0).to_numpy(), dtype=np.int64)
    root = np.asarray(ev.column("EventRootCode").fill_null(0).to_numpy(), dtype=np.int64)
    base = ev.column("EventBaseCode")
    state = state_actor(ev.column("Actor1Code"), ev.column("Actor1CountryCode"), ev.column("Actor1Type1Code")) & \
        state_actor(ev.column("Actor2Code"), ev.column("Actor2CountryCode"), ev.column("Actor2Type1Code"))
    masks = {"events": np.ones(len(keep), dtype=bool), "verbal_cooperation": quad == 1,
             "material_cooperation": quad == 2, "verbal_conflict": quad == 3, "material_conflict": quad == 4,
             "material_conflict_state": (root >= 18) & (root <= 20) & state,
             "sanctions": codes.base_mask(base, ("163",)), "restrictions": codes.base_mask(base, ("172",))}
    values = np.zeros((len(pairs), len(COLUMNS)))
    for name, mask in masks.items():
        values[:, _IDX[name]] = np.bincount(inv, weights=mask.astype(float), minlength=len(pairs))
    mentions = np.asarray(ev.column("NumMentions").fill_null(0).to_numpy(), dtype=float)
    gold = np.asarray(ev.column("GoldsteinScale").fill_null(0.0).to_numpy(), dtype=float)
    values[:, _IDX["mentions"]] = np.bincount(inv, weights=mentions, minlength=len(pairs))
    values[:, _IDX["goldstein_sum"]] = np.bincount(inv, weights=gold, minlength=len(pairs))
    article, n_articles = codes.article_codes(ev)
    article_masks = {"articles": masks["events"], "conflict_articles": (quad == 3) | (quad == 4),
                     "material_conflict_state_articles": masks["material_conflict_state"],
                     "sanctions_articles": masks["sanctions"], "restrictions_articles": masks["restrictions"]}
    for name, counts in codes.count_articles(inv, article, n_articles, article_masks, len(pairs)).items():
        values[:, _IDX[name]] = counts
    return DyadAggregate(pairs // n_c, pairs % n_c, values)


def dyad_rows(ts: datetime, agg: DyadAggregate, written_at: datetime) -> pa.Table:
    """Ledger rows of one hour bucket for :data:`INSERT_SQL` (increments)."""
    iso = np.asarray(codes.country_index(), dtype=object)
    n = len(agg)
    cols: dict[str, pa.Array] = {
        "ts": pa.array(np.full(n, np.datetime64(ts, "us")), type=pa.timestamp("us")),
        "actor1_iso3": pa.array(iso[agg.actor1], type=pa.string()),
        "actor2_iso3": pa.array(iso[agg.actor2], type=pa.string()),
    }
    for i, c in enumerate(COLUMNS):
        cols[c] = pa.array(agg.values[:, i], type=pa.float64() if c == "goldstein_sum" else pa.int64())
    cols["written_at"] = pa.array(np.full(n, np.datetime64(written_at, "us")), type=pa.timestamp("us"))
    return pa.table(cols)


def merge(parts: Sequence[DyadAggregate]) -> DyadAggregate:
    """The sum of several aggregates of the same bucket."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return DyadAggregate.empty()
    if len(parts) == 1:
        return parts[0]
    n_c = len(codes.country_index())
    pair = np.concatenate([p.actor1 * n_c + p.actor2 for p in parts])
    pairs, inv = np.unique(pair, return_inverse=True)
    values = np.zeros((len(pairs), len(COLUMNS)))
    np.add.at(values, inv, np.concatenate([p.values for p in parts]))
    return DyadAggregate(pairs // n_c, pairs % n_c, values)


def dyad_counts(store: Store, *, country: str | None = None, start: str | date | datetime | None = None,
                end: str | date | datetime | None = None, granularity: str = "day") -> pd.DataFrame:
    """Dyad counts (start inclusive, end exclusive): columns ts, granularity, actor1_iso3, actor2_iso3 and
    :data:`COLUMNS`, ordered by ts, actor1_iso3, actor2_iso3. ``country`` (ISO3, or a name or code
    :mod:`cultrade.countries` knows) keeps the rows where it is on either side. No table yet (no slice processed): an empty frame with those columns."""
    if granularity not in sig.GRANULARITIES:
        raise ConfigError(f"unknown granularity {granularity!r}", hint="use 'hour' or 'day'")
    columns = ["ts", "granularity", "actor1_iso3", "actor2_iso3", *COLUMNS]
    code = get_countries().to_iso3(country) if country else None  # a name or any code the reference knows
    if not store.has_table(DYADS_TABLE):
        return pd.DataFrame(columns=columns)
    where: list[str] = ["granularity = ?"]
    params: list[Any] = [granularity]
    if code:
        where.append("(actor1_iso3 = ? OR actor2_iso3 = ?)")
        params += [code, code]
    sig.time_range(where, params, start, end)
    sql = (f"SELECT {', '.join(columns)} FROM {DYADS_TABLE} WHERE {' AND '.join(where)} "
           "ORDER BY ts, actor1_iso3, actor2_iso3")
    return store.con.execute(sql, params).df()


__all__ = ["ARTICLE_COLUMNS", "COLUMNS", "DYADS_DDL", "DYADS_TABLE", "EVENT_COLUMNS", "INSERT_SQL", "LEDGER_TABLE",
           "STATE_TYPES",
           "DyadAggregate", "aggregate_dyads", "dyad_counts", "dyad_rows", "merge", "state_actor"]

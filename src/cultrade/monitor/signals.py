"""Country signals from GDELT 2.0 events: counts, intensity, tone, robust baselines and anomaly scores.

What is counted
---------------
Each event counts once for every *distinct* country it involves: the country of
``ActionGeo_CountryCode`` (FIPS 10-4 → ISO3) and those of ``Actor1CountryCode``
and ``Actor2CountryCode`` (CAMEO → ISO3). An event in Kenya between Kenyan and
Chinese actors counts once for KEN and once for CHN. Regional CAMEO codes (AFR,
EUR...) and the FIPS codes of :data:`cultrade.sources.gdelt.FIPS_NO_COUNTRY`
(oceans, disputed islands) belong to no country; codes the reference does not
know are skipped and reported as ``unmapped`` in the slice summary (a monitor
must not stop on one odd code).

Buckets are UTC hours and days of ``DATEADDED`` (when GDELT first saw the
event), not ``SQLDATE``: SQLDATE has no hour and is often days or a year old (the
article's reference date), so it would keep rewriting closed buckets. A GDELT 2.0
slice holds exactly one DATEADDED (its file name), so a slice adds to one hour
and one day bucket.

Metrics (``monitor_signals.metric``), per country and bucket:

=====================  ==========================================================
``events``             events involving the country
``quad1`` .. ``quad4`` events by QuadClass (1 verbal coop., 2 material coop.,
                       3 verbal conflict, 4 material conflict)
``protest``            CAMEO root 14        ``threaten``  root 13
``coerce``             root 17              ``assault``   root 18
``fight``              root 19              ``mass_violence`` root 20
``sanctions``          base code 163 (impose embargo, boycott or sanctions; the
                       codebook has no 1631.. sub-codes, any would be included)
``expel``              base code 174 (expel or deport individuals) and 166 with
                       1661-1663 (expel or withdraw peacekeepers, inspectors,
                       aid agencies): the codebook's two "expel" families
``conflict_intensity`` Σ −GoldsteinScale × NumMentions over events with
                       GoldsteinScale < 0 (Goldstein-weighted, mention-weighted)
``mentions``           Σ NumMentions
``tone``               mention-weighted mean AvgTone, Σ AvgTone×NumMentions / Σ NumMentions
``articles``           distinct source articles (``SOURCEURL``) reporting the
                       country's events
``<x>_articles``       distinct articles with at least one event of group x:
                       ``protest`` (root 14), ``coerce`` (17), ``assault`` (18),
                       ``fight`` (19), ``aerial`` (base code 195, employ aerial
                       weapons: air and drone strikes), ``mass_violence`` (20),
                       ``sanctions`` (base code 163)
=====================  ==========================================================

A missing row means 0 (``tone``: no events, undefined).

Why articles as well as events: GDELT codes several events from one article (about 5 on average), so event
counts come in clumps and are strongly over-dispersed (variance 2-10 times the mean in the 2025 replay), while
the number of distinct articles behaves nearly like a Poisson count (variance 1.0-1.3 times the mean for
country-hours with up to 3 expected articles). The event detectors of :mod:`cultrade.monitor.detect` read the
article metrics. An article appears in one slice only (GDELT processes each document once: none of the
211,832 articles of the 2025 set is in two slices), so article counts add up over the slices of a bucket.

Baselines and anomalies
-----------------------
``baseline`` is the median and ``mad`` the median absolute deviation of the
metric over a trailing window that excludes the bucket: for a day, the 7
previous days; for an hour, the hours of the 7 days before the bucket's day
(up to 168; the baseline is fixed for the day, so it is computed once a day and
a value inside the current day never moves its own baseline). Only *covered*
buckets enter the window, i.e. those in which at least one slice was processed
(the real data hold ~40 % of the slices: an hour without slices is unknown, not
zero); a covered bucket without a row for the country counts as 0 (``tone``:
excluded). Fewer than :data:`MIN_PERIODS` covered buckets (3 days, 24 hours)
give no baseline and no anomaly (NULL).

``anomaly`` = (value − baseline) / (1.4826 · max(mad, floor)), a robust z-score;
the floor (:data:`MAD_FLOOR`: 1 event for counts, 5 for intensity and mentions,
0.5 tone points) stops a flat history (MAD 0) from turning one event into an
infinite score. Values are raw counts: a day's total depends on how many of its
96 slices are present (see ``monitor_slices``).

>>> [m for m in METRICS][:6]
['events', 'quad1', 'quad2', 'quad3', 'quad4', 'protest']
>>> [m for m in METRICS if m.endswith("articles")][:3]
['articles', 'protest_articles', 'coerce_articles']
>>> round(robust_z(10.0, 2.0, 0.0, floor=1.0), 3)
5.396
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from cultrade.errors import ConfigError
from cultrade.monitor.codes import CodeMapper, article_codes, base_mask, count_articles, country_index

if TYPE_CHECKING:
    from cultrade.store import Store

Granularity = Literal["hour", "day"]
GRANULARITIES: tuple[Granularity, ...] = ("hour", "day")
SIGNALS_TABLE = "monitor_signals"

# Additive metrics (summed per bucket), then the one derived metric.
ARTICLE_GROUPS: dict[str, tuple[str, int | str]] = {
    "articles": ("all", 0), "protest_articles": ("root", 14), "coerce_articles": ("root", 17),
    "assault_articles": ("root", 18), "fight_articles": ("root", 19), "aerial_articles": ("base", "195"),
    "mass_violence_articles": ("root", 20), "sanctions_articles": ("base", "163")}
ADDITIVE = ("events", "quad1", "quad2", "quad3", "quad4", "protest", "threaten", "coerce", "assault", "fight",
            "mass_violence", "sanctions", "expel", "conflict_intensity", "mentions", *ARTICLE_GROUPS)
METRICS: tuple[str, ...] = (*ADDITIVE, "tone")
ROOT_GROUPS = {"protest": 14, "threaten": 13, "coerce": 17, "assault": 18, "fight": 19, "mass_violence": 20}
BASE_GROUPS = {"sanctions": ("163",), "expel": ("174", "166")}
_IDX = {m: i for i, m in enumerate(METRICS)}
I_MENTIONS, I_TONE = _IDX["mentions"], _IDX["tone"]
N_ADD = len(ADDITIVE)
# Internally each bucket is a (countries × ACC) float array: the additive metrics plus Σ tone×mentions.
ACC = N_ADD + 1
I_TONE_SUM = N_ADD

WINDOW_DAYS = 7
MIN_PERIODS: dict[str, int] = {"day": 3, "hour": 24}
MAD_SCALE = 1.4826
MAD_FLOOR: dict[str, float] = {m: 1.0 for m in METRICS} | {"conflict_intensity": 5.0, "mentions": 5.0, "tone": 0.5}
_FLOORS = np.array([MAD_FLOOR[m] for m in METRICS])

SIGNALS_DDL = f"""
CREATE TABLE IF NOT EXISTS {SIGNALS_TABLE} (
    iso3 VARCHAR NOT NULL,          -- ISO 3166 alpha-3
    granularity VARCHAR NOT NULL,   -- 'hour' | 'day'
    ts TIMESTAMP NOT NULL,          -- bucket start, UTC (DATEADDED)
    metric VARCHAR NOT NULL,        -- see cultrade.monitor.signals.METRICS
    value DOUBLE NOT NULL,
    baseline DOUBLE,                -- trailing median (NULL: too little history)
    mad DOUBLE,                     -- trailing median absolute deviation
    anomaly DOUBLE,                 -- (value - baseline) / (1.4826 * max(mad, floor))
    updated_at TIMESTAMP NOT NULL   -- when the row was last written (UTC)
)
"""


def robust_z(value: float, baseline: float, mad: float, *, floor: float = 1.0) -> float:
    """The anomaly score of one value (same formula as the table's ``anomaly``)."""
    return (value - baseline) / (MAD_SCALE * max(mad, floor))


# -- per-slice aggregation ------------------------------------------------------------------
@dataclass(frozen=True)
class SliceAggregate:
    """One slice's new events summed per country: ``values`` is (countries × ACC); ``articles``: the distinct
    source articles of all the slice's new events (the world total the detectors use as exposure)."""

    values: np.ndarray
    touched: np.ndarray  # positions of countries with at least one event
    unmapped: int
    articles: int = 0


def event_type(metric: str) -> str:
    """The CAMEO root an article metric belongs to (``aerial_articles``, base code 195, is a kind of fight: 19),
    else the metric itself: how the event detectors count distinct event *types*.

    >>> event_type("aerial_articles"), event_type("fight_articles"), event_type("sanctions_articles")
    ('19', '19', '16')
    """
    kind, code = ARTICLE_GROUPS.get(metric, ("", metric))
    return str(code) if kind == "root" else (str(code)[:2] if kind == "base" else metric)


def event_groups(events: pa.Table) -> dict[str, np.ndarray]:
    """Per :data:`ARTICLE_GROUPS` name, which events belong to the group (bool arrays)."""
    root = np.asarray(events.column("EventRootCode").fill_null(0).to_numpy(), dtype=np.int64)
    base = events.column("EventBaseCode")
    out: dict[str, np.ndarray] = {}
    for name, (kind, code) in ARTICLE_GROUPS.items():
        if kind == "all":
            out[name] = np.ones(events.num_rows, dtype=bool)
        elif kind == "root":
            out[name] = root == code
        else:
            out[name] = base_mask(base, (str(code),))
    return out


def aggregate_events(events: pa.Table, mapper: CodeMapper) -> SliceAggregate:
    """Vectorised per-country sums for a table of (already deduplicated) events.

    ``events`` has the GDELT columns ActionGeo_CountryCode, Actor1CountryCode,
    Actor2CountryCode, EventRootCode, EventBaseCode, QuadClass, GoldsteinScale,
    NumMentions, AvgTone and SOURCEURL.
    """
    n_c = len(country_index())
    n = events.num_rows
    if n == 0:
        return SliceAggregate(np.zeros((n_c, ACC)), np.zeros(0, dtype=np.int64), 0)
    geo, u1 = mapper.positions(events.column("ActionGeo_CountryCode"), "fips")
    a1, u2 = mapper.positions(events.column("Actor1CountryCode"), "cameo")
    a2, u3 = mapper.positions(events.column("Actor2CountryCode"), "cameo")

    def num(name: str, dtype: Any) -> np.ndarray:
        col = events.column(name)
        return np.asarray(col.fill_null(0).to_numpy(), dtype=dtype)

    quad = num("QuadClass", np.int64)
    root = num("EventRootCode", np.int64)
    gold = num("GoldsteinScale", np.float64)
    mentions = num("NumMentions", np.float64)
    tone = num("AvgTone", np.float64)
    feats = np.zeros((n, ACC))
    feats[:, 0] = 1.0
    for q in (1, 2, 3, 4):
        feats[:, q] = quad == q
    for name, r in ROOT_GROUPS.items():
        feats[:, _IDX[name]] = root == r
    base = events.column("EventBaseCode")
    for name, codes in BASE_GROUPS.items():
        feats[:, _IDX[name]] = base_mask(base, codes)
    feats[:, _IDX["conflict_intensity"]] = np.where(gold < 0, -gold * mentions, 0.0)
    feats[:, I_MENTIONS] = mentions
    feats[:, I_TONE_SUM] = tone * mentions
    # One (event, country) pair per distinct country of the event.
    keep2 = (a1 >= 0) & (a1 != geo)
    keep3 = (a2 >= 0) & (a2 != geo) & (a2 != a1)
    rows = np.concatenate([np.flatnonzero(geo >= 0), np.flatnonzero(keep2), np.flatnonzero(keep3)])
    cols = np.concatenate([geo[geo >= 0], a1[keep2], a2[keep3]])
    values = np.zeros((n_c, ACC))
    _bincount_into(values, cols, feats[rows])
    article, n_articles = article_codes(events)
    masks = {name: m[rows] for name, m in event_groups(events).items()}
    for name, counts in count_articles(cols, article[rows], n_articles, masks, n_c).items():
        values[:, _IDX[name]] = counts
    return SliceAggregate(values, np.unique(cols).astype(np.int64), u1 + u2 + u3, len(np.unique(article)))


def _bincount_into(values: np.ndarray, cols: np.ndarray, feats: np.ndarray) -> None:
    n_c = values.shape[0]
    for j in range(feats.shape[1]):
        values[:, j] += np.bincount(cols, weights=feats[:, j], minlength=n_c)


def output_values(acc: np.ndarray) -> np.ndarray:
    """(…, countries × ACC) accumulators → (…, countries × len(METRICS)) metric values (tone NaN if no mentions)."""
    out = np.empty((*acc.shape[:-1], len(METRICS)))
    out[..., :N_ADD] = acc[..., :N_ADD]
    m = acc[..., I_MENTIONS]
    with np.errstate(invalid="ignore", divide="ignore"):
        out[..., I_TONE] = np.where(m > 0, acc[..., I_TONE_SUM] / np.where(m > 0, m, 1.0), np.nan)
    return out


def accumulators(values: np.ndarray) -> np.ndarray:
    """Inverse of :func:`output_values` (used when the cache is rebuilt from the store)."""
    acc = np.zeros((*values.shape[:-1], ACC))
    acc[..., :N_ADD] = values[..., :N_ADD]
    tone = np.nan_to_num(values[..., I_TONE])
    acc[..., I_TONE_SUM] = tone * values[..., I_MENTIONS]
    return acc


def baselines(window: np.ndarray, granularity: str) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD over axis 0 of a (buckets × countries × metrics) stack of metric values.

    Counts use every bucket (zeros included); tone ignores buckets without events.
    Fewer than :data:`MIN_PERIODS` buckets give NaN.
    """
    n_c, n_m = len(country_index()), len(METRICS)
    med = np.full((n_c, n_m), np.nan)
    mad = np.full((n_c, n_m), np.nan)
    need = MIN_PERIODS[granularity]
    if window.ndim != 3 or window.shape[0] < need:
        return med, mad
    counts = window[..., :N_ADD]
    med[:, :N_ADD] = np.median(counts, axis=0)
    mad[:, :N_ADD] = np.median(np.abs(counts - med[None, :, :N_ADD]), axis=0)
    tone = window[..., I_TONE]
    enough = (~np.isnan(tone)).sum(axis=0) >= need
    if enough.any():
        t = tone[:, enough]
        tm = np.nanmedian(t, axis=0)
        med[enough, I_TONE] = tm
        mad[enough, I_TONE] = np.nanmedian(np.abs(t - tm[None, :]), axis=0)
    return med, mad


def anomalies(values: np.ndarray, med: np.ndarray, mad: np.ndarray, floor: np.ndarray | None = None) -> np.ndarray:
    """Robust z-scores, elementwise; NaN where there is no baseline. ``floor`` defaults to the
    per-metric floors along the last axis (values shaped … × METRICS)."""
    return (values - med) / (MAD_SCALE * np.maximum(mad, _FLOORS if floor is None else floor))


def _present(vals: np.ndarray) -> np.ndarray:
    present = vals != 0
    present[:, I_TONE] = ~np.isnan(vals[:, I_TONE])
    return present


def signal_rows(granularity: str, ts: datetime, positions: np.ndarray, values: np.ndarray, med: np.ndarray,
                mad: np.ndarray, updated_at: datetime, previous: np.ndarray | None = None
                ) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The ``monitor_signals`` rows of one bucket for the countries at ``positions`` (values: countries × METRICS),
    and for each row whether it existed before and whether its value changed (``previous``: the bucket's
    values before this update).

    A zero count (and an undefined tone) has no row.
    """
    vals = values[positions]
    r, m = np.nonzero(_present(vals))
    if previous is not None:
        existed = _present(previous[positions])[r, m]
        changed = previous[positions][r, m] != vals[r, m]
    else:
        existed, changed = np.zeros(len(r), dtype=bool), np.ones(len(r), dtype=bool)
    c = positions[r]
    v = vals[r, m]
    b = med[c, m]
    d = mad[c, m]
    z = anomalies(v, b, d, _FLOORS[m])
    iso = np.asarray(country_index(), dtype=object)[c]
    names = np.asarray(METRICS, dtype=object)[m]
    n = len(v)

    def col(x: np.ndarray) -> pa.Array:
        return pa.array(x, type=pa.float64(), mask=np.isnan(x))

    return pa.table({
        "iso3": pa.array(iso, type=pa.string()),
        "granularity": pa.array([granularity] * n, type=pa.string()),
        "ts": pa.array(np.full(n, np.datetime64(ts, "us")), type=pa.timestamp("us")),
        "metric": pa.array(names, type=pa.string()),
        "value": pa.array(v, type=pa.float64()),
        "baseline": col(b),
        "mad": col(d),
        "anomaly": col(z),
        "updated_at": pa.array(np.full(n, np.datetime64(updated_at, "us")), type=pa.timestamp("us")),
    }), existed, changed


def bucket_start(ts: datetime, granularity: str) -> datetime:
    if granularity == "hour":
        return ts.replace(minute=0, second=0, microsecond=0)
    return ts.replace(hour=0, minute=0, second=0, microsecond=0)


def day_of(ts: datetime) -> date:
    return ts.date()


def window_buckets(day: date, granularity: str, covered: set[datetime]) -> list[datetime]:
    """Covered bucket starts in the trailing window used for the buckets of ``day``."""
    start = datetime.combine(day - timedelta(days=WINDOW_DAYS), datetime.min.time())
    end = datetime.combine(day, datetime.min.time())
    return sorted(t for t in covered if start <= t < end)


# -- query API ------------------------------------------------------------------------------
def _as_time(value: str | date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"not a date or time: {value!r}", hint="use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from exc


def time_range(where: list[str], params: list[Any], start: str | date | datetime | None,
               end: str | date | datetime | None, column: str = "ts") -> None:
    """Add ``start <= column < end`` (each bound when given) to a query's clauses and parameters."""
    if (t0 := _as_time(start)) is not None:
        where.append(f"{column} >= ?")
        params.append(t0)
    if (t1 := _as_time(end)) is not None:
        where.append(f"{column} < ?")
        params.append(t1)


def signals(store: Store, iso3: str | Sequence[str] | None = None, metric: str | Sequence[str] | None = None,
            granularity: Granularity = "day", start: str | date | datetime | None = None,
            end: str | date | datetime | None = None) -> pd.DataFrame:
    """Rows of ``monitor_signals`` (start inclusive, end exclusive), ordered by iso3, metric, ts."""
    if granularity not in GRANULARITIES:
        raise ConfigError(f"unknown granularity {granularity!r}", hint="use 'hour' or 'day'")
    metrics = [metric] if isinstance(metric, str) else list(metric or [])
    bad = [m for m in metrics if m not in METRICS]
    if bad:
        raise ConfigError(f"unknown signal metric {bad[0]!r}", hint=f"use one of {', '.join(METRICS)}")
    countries = [iso3] if isinstance(iso3, str) else list(iso3 or [])
    columns = "iso3, granularity, ts, metric, value, baseline, mad, anomaly, updated_at"
    if not store.has_table(SIGNALS_TABLE):
        return pd.DataFrame(columns=columns.split(", "))
    where, params = ["granularity = ?"], [granularity]
    if countries:
        where.append("list_contains(?, iso3)")
        params.append([c.upper() for c in countries])  # type: ignore[arg-type]
    if metrics:
        where.append("list_contains(?, metric)")
        params.append(metrics)  # type: ignore[arg-type]
    time_range(where, params, start, end)
    sql = f"SELECT {columns} FROM {SIGNALS_TABLE} WHERE {' AND '.join(where)} ORDER BY iso3, metric, ts"
    return store.con.execute(sql, params).df()


def top_anomalies(store: Store, *, granularity: Granularity = "day", n: int = 10,
                  metrics: Sequence[str] | None = None, start: str | date | datetime | None = None,
                  end: str | date | datetime | None = None, min_value: float = 5.0) -> pd.DataFrame:
    """The ``n`` highest anomaly scores (values of at least ``min_value``, so a 1 → 3 jump is not news)."""
    if not store.has_table(SIGNALS_TABLE):
        return pd.DataFrame(columns=["iso3", "granularity", "ts", "metric", "value", "baseline", "mad", "anomaly"])
    where, params = ["granularity = ?", "anomaly IS NOT NULL", "(metric = 'tone' OR value >= ?)"], \
        [granularity, min_value]
    if metrics:
        where.append("list_contains(?, metric)")
        params.append(list(metrics))  # type: ignore[arg-type]
    time_range(where, params, start, end)
    sql = (f"SELECT iso3, granularity, ts, metric, value, baseline, mad, anomaly FROM {SIGNALS_TABLE} "
           f"WHERE {' AND '.join(where)} ORDER BY anomaly DESC, iso3, metric, ts LIMIT {int(n)}")
    return store.con.execute(sql, params).df()


__all__ = [
    "ADDITIVE",
    "ARTICLE_GROUPS",
    "GRANULARITIES",
    "MAD_FLOOR",
    "MAD_SCALE",
    "METRICS",
    "MIN_PERIODS",
    "SIGNALS_DDL",
    "SIGNALS_TABLE",
    "WINDOW_DAYS",
    "SliceAggregate",
    "aggregate_events",
    "anomalies",
    "baselines",
    "event_groups",
    "robust_z",
    "signals",
    "top_anomalies",
]

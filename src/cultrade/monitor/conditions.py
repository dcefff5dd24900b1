"""Conditions: which samples of a panel meet a rule, and why, in one implementation for every series kind.

:func:`observe` gives, for the keys of a rule, the observation as of ``now``: the sample it rests on, the
compared quantity (``derived``), whether it meets the level that starts an alert (``enter``) or the exit
level that keeps a started one going (``hold``), whether the series is stale, the severity it calls for and
an explanation (value, unit, baseline, and a sentence). :func:`scan` evaluates every sample of an outlook
panel (the indicator-warning reports).

Level conditions (``threshold``, ``change``, ``anomaly``, ``crossing``, ``band``) compare the key's newest
sample; ``surprise`` tests the counts of the last hours against the key's usual share of the stream
(:mod:`cultrade.monitor.surprise`, :mod:`cultrade.monitor.detect`). Stream series are fresh as long as the stream is: a key with no row in
the stream's newest covered bucket had nothing to report there, so it is inactive, not stale; a stream that
has not covered a bucket within ``stale_after`` makes every series stale.

>>> from cultrade.monitor.rules import load_rules
>>> rule = load_rules(text='''
... rules: [{name: fx, series: {kind: indicator, indicator: PA.NUS.FCRF},
...          condition: {type: change, op: ">", value: 30, window: 1y, mode: percent}}]''', shipped=False).rules[0]
>>> panel = Panel([datetime(2021, 1, 1), datetime(2022, 1, 1), datetime(2023, 1, 1)], [("ARG",)],
...               np.array([[95.0], [130.6], [296.3]]))
>>> out = scan(panel, rule)
>>> out["derived"].round(1).tolist(), out["enter"].tolist()
([nan, 37.5, 126.9], [False, True, True])
"""

from __future__ import annotations

import operator
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from cultrade.monitor.panels import KEYS, Panel, StreamData
from cultrade.monitor.rules import BANDS, Duration, Rule

OPS: dict[str, Callable[[Any, Any], Any]] = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
UNITS = {"FP.CPI.TOTL.ZG": "%", "PA.NUS.FCRF": "local currency per US$", "pv": "index (-2.5..2.5)",
         "n_conflicts": "conflicts"}
NAMES = {"FP.CPI.TOTL.ZG": "consumer price inflation", "PA.NUS.FCRF": "exchange rate",
         "pv": "political stability (WGI)", "n_conflicts": "state-based armed conflicts (UCDP)",
         "band_deterioration": "forecast of a worse risk band", "conflict_onset": "forecast of a conflict onset",
         "currency_crisis": "forecast of a currency crisis", "inflation_crisis": "forecast of an inflation crisis"}
BUCKET = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass
class Reading:
    """One observation per key: ``cols`` are the keys' positions in the panel."""

    cols: np.ndarray
    sample_ts: list[datetime | None]
    value: np.ndarray
    derived: np.ndarray
    enter: np.ndarray
    hold: np.ndarray
    stale: np.ndarray
    severity: list[str]
    detail: list[dict[str, Any]]

    @classmethod
    def empty(cls) -> Reading:
        z = np.zeros(0)
        return cls(np.zeros(0, dtype=np.int64), [], z, z, z.astype(bool), z.astype(bool), z.astype(bool), [], [])


def shift_back(t: datetime, window: Duration) -> datetime:
    """``t - window`` with calendar months."""
    out = pd.Timestamp(t)
    if window.months:
        out = out - pd.DateOffset(months=window.months)
    if window.seconds:
        out = out - pd.Timedelta(seconds=window.seconds)
    return out.to_pydatetime()


def previous(values: np.ndarray, times: list[datetime], rows: np.ndarray, cols: np.ndarray,
             window: Duration) -> np.ndarray:
    """Per (row, col), the col's value at ``times[row] - window``: its newest sample at most half a window
    before that."""
    out = np.full(len(rows), np.nan)
    tol = window.timedelta / 2
    for r in np.unique(rows):
        at = shift_back(times[r], window)
        lo, hi = bisect_left(times, at - tol), bisect_right(times, at)
        sel = np.flatnonzero(rows == r)
        for k in range(hi - 1, lo - 1, -1):
            todo = sel[np.isnan(out[sel]) & ~np.isnan(values[k, cols[sel]])]
            out[todo] = values[k, cols[todo]]
    return out


def derive(values: np.ndarray, times: list[datetime], rule: Rule, rows: np.ndarray, cols: np.ndarray,
           rank: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Level conditions at the samples (rows, cols): derived quantity, enter, hold, and the reference the
    sample is compared with (the earlier value of a change, the level of a threshold)."""
    cond = rule.condition
    val = values[rows, cols]
    if cond.type == "band":
        assert rank is not None and cond.window is not None
        now_rank = rank[rows, cols]
        before = previous(rank, times, rows, cols, cond.window)
        derived = now_rank - before
        floor = BANDS.index(cond.at_least) if cond.at_least else 0
        with np.errstate(invalid="ignore"):
            enter = (derived > 0) & (now_rank >= floor)
        return derived, enter, enter.copy(), before
    op, level = OPS[cond.op], float(cond.value if cond.value is not None else np.nan)
    exit_level = cond.exit if cond.exit is not None else level
    reference = np.full(len(rows), level)
    if cond.type == "change":
        assert cond.window is not None
        before = previous(values, times, rows, cols, cond.window)
        with np.errstate(divide="ignore", invalid="ignore"):
            derived = (val / np.where(before != 0, before, np.nan) - 1.0) * 100.0 if cond.mode == "percent" \
                else val - before
        reference = before
    else:
        derived = val.copy()
    valid = ~np.isnan(derived)
    with np.errstate(invalid="ignore"):
        enter = valid & op(derived, level)
        hold = valid & op(derived, exit_level)
    if cond.type == "crossing":
        assert cond.window is not None
        before = previous(values, times, rows, cols, cond.window)
        with np.errstate(invalid="ignore"):
            crossed = enter & ~np.isnan(before) & ~op(before, level)
        enter, hold = crossed, (hold if cond.exit is not None else crossed)
        reference = before
    return derived, enter, hold, reference


def _label(rule: Rule) -> str:
    s = rule.series
    code = str(s.indicator or s.target or (s.metrics[0] if s.metrics else s.kind))
    return NAMES.get(code, code.replace("_", " "))


def _unit(rule: Rule) -> str:
    s, cond = rule.series, rule.condition
    if cond.type == "surprise":
        return "articles"
    if cond.type == "change" and cond.mode == "percent":
        return "%"
    if cond.type == "anomaly":
        return "robust z"
    if cond.type == "band" or s.kind == "risk":
        return "risk score (0-10)" if cond.type != "band" else "risk band"
    if s.kind == "forecast":
        return "probability"
    if s.kind == "fx":
        return "local currency per US$"
    if s.kind == "indicator":
        return UNITS.get(str(s.indicator), "")
    return "events" if s.kind in ("signal", "dyad") else ""


def _fmt(x: float) -> str:
    return "n/a" if x != x else f"{x:,.3g}"


def explain(rule: Rule, value: float, derived: float, reference: float) -> dict[str, Any]:
    """The detail of a level condition: unit, baseline and a sentence."""
    cond, label, unit = rule.condition, _label(rule), _unit(rule)
    level = f"{cond.op} {_fmt(float(cond.value))}" if cond.value is not None else ""
    if cond.type == "change":
        window = str(cond.window)
        why = (f"{label} {'changed' if cond.mode == 'absolute' else 'rose' if derived >= 0 else 'fell'} "
               f"{_fmt(derived)}{'%' if cond.mode == 'percent' else ''} over {window} "
               f"({_fmt(reference)} → {_fmt(value)}; alert at {level}{'%' if cond.mode == 'percent' else ''})")
    elif cond.type == "band":
        now_band = BANDS[int(reference + derived)] if derived == derived and reference == reference else "?"
        was = BANDS[int(reference)] if reference == reference else "?"
        why = f"risk band {now_band}, was {was} {cond.window} earlier"
    elif cond.type == "crossing":
        why = f"{label} {_fmt(value)} {unit}, crossed {level} (was {_fmt(reference)} {cond.window} earlier)"
    elif cond.type == "anomaly":
        why = f"{label} {_fmt(value)} in the {rule.series.granularity} (robust z {_fmt(derived)}, alert at {level})"
    else:
        why = f"{label} {_fmt(value)} {unit} (alert at {level})".replace("  ", " ")
    shown = derived if cond.type in ("change", "anomaly", "band") else value  # the value in ``unit``
    return {"kind": cond.type, "metric": label, "value": shown, "sample": value, "derived": derived, "unit": unit,
            "baseline": reference, "why": why}


def _readings(rule: Rule, cols: np.ndarray, stamps: list[datetime | None], val: np.ndarray, derived: np.ndarray,
              enter: np.ndarray, hold: np.ndarray, stale: np.ndarray, reference: np.ndarray) -> Reading:
    details = [explain(rule, float(v), float(d), float(r)) for v, d, r in zip(val, derived, reference, strict=True)]
    return Reading(cols, stamps, val, derived, enter, hold, stale, [rule.severity] * len(cols), details)


# -- outlook panels --------------------------------------------------------------------------------
def observe(panel: Panel, rule: Rule, now: datetime) -> Reading:
    """Every key's newest sample at or before ``now``, with its condition (outlook panels)."""
    k = bisect_right(panel.times, now)
    if not k or not panel.keys:
        return Reading.empty()
    has = ~np.isnan(panel.values[:k])
    cols = np.flatnonzero(has.any(axis=0))
    if not len(cols):
        return Reading.empty()
    rows = k - 1 - np.argmax(has[::-1][:, cols], axis=0)
    derived, enter, hold, reference = derive(panel.values, panel.times, rule, rows, cols, panel.rank)
    stamps: list[datetime | None] = [panel.times[r] for r in rows]
    stale = np.array([t < now - rule.stale_after.timedelta for t in stamps if t is not None], dtype=bool)
    return _readings(rule, cols, stamps, panel.values[rows, cols], derived, enter, hold, stale, reference)


def scan(panel: Panel, rule: Rule) -> pd.DataFrame:
    """Every sample of an outlook panel with its condition: key columns, ts, value, derived, enter, hold."""
    keys = list(KEYS[rule.series.kind])
    if not panel.keys:
        return pd.DataFrame(columns=[*keys, "ts", "value", "derived", "enter", "hold"])
    rows, cols = np.nonzero(~np.isnan(panel.values))
    derived, enter, hold, _ = derive(panel.values, panel.times, rule, rows, cols, panel.rank)
    out = pd.DataFrame([panel.keys[c] for c in cols], columns=keys)
    out["ts"] = [panel.times[r] for r in rows]
    out["value"] = panel.values[rows, cols]
    if panel.rank is not None:
        out["band"] = [BANDS[int(r)] if r == r else None for r in panel.rank[rows, cols]]
    out["derived"], out["enter"], out["hold"] = derived, enter, hold
    return out.sort_values([*keys, "ts"]).reset_index(drop=True)


def scan_rule(store: Any, rule: Rule) -> pd.DataFrame:
    """:func:`scan` of an outlook rule's whole history in the store (the indicator-warning reports)."""
    from cultrade.monitor.panels import load_panel

    return scan(load_panel(store, rule), rule)


# -- stream panels ------------------------------------------------------------------------------
def observe_stream(data: StreamData, rule: Rule, now: datetime, source: str, alerted: np.ndarray,
                   baseline: Callable[[str, datetime], Any] | None = None) -> Reading:
    """The keys of a stream rule that have an alert (``alerted``, a bool per key) or may start one (``baseline``:
    how a surprise rule gets its baselines, see :mod:`cultrade.monitor.surprise`)."""
    g = rule.series.granularity
    head = data.head(g, now)
    if head is None:
        return Reading.empty()
    stale = head < now - rule.stale_after.timedelta
    if rule.condition.type == "surprise":
        from cultrade.monitor.surprise import Baseline, baseline_stats, surprise_reading

        if baseline is None:
            def baseline(m: str, w_start: datetime) -> Baseline:
                return baseline_stats(data, source, rule.series.granularity, m,
                                      w_start - rule.condition.baseline.timedelta, w_start)
        return surprise_reading(data, rule, head, stale, source, alerted, baseline)
    metric = rule.series.metrics[0]
    since = now - rule.stale_after.timedelta - (rule.condition.window.timedelta * 1.5 if rule.condition.window
                                                 else timedelta(0)) - timedelta(days=1)
    times, values = data.buckets((source, g, metric, "value")).window(since, now)
    if not times:
        return Reading.empty()
    compared = values
    if rule.condition.type == "anomaly":
        compared = data.buckets((source, g, metric, "anomaly")).window(since, now)[1]
    k = bisect_left(times, head)
    may = np.zeros(values.shape[1], dtype=bool)
    if k < len(times) and times[k] == head:  # only a key with a sample in the head bucket can enter
        row = compared[k]
        with np.errstate(invalid="ignore"):
            may = ~np.isnan(row)
            if rule.condition.type in ("threshold", "anomaly"):
                may &= OPS[rule.condition.op](row, rule.condition.value)
    alerted = np.resize(alerted, values.shape[1]) if len(alerted) != values.shape[1] else alerted
    cols = np.flatnonzero((may | alerted) & (~np.isnan(values)).any(axis=0))
    if not len(cols):
        return Reading.empty()
    has = ~np.isnan(values[:, cols])
    rows = len(times) - 1 - np.argmax(has[::-1], axis=0)
    derived, enter, hold, reference = derive(compared, times, rule, rows, cols)
    val = values[rows, cols]
    enter = _guards(data, rule, source, enter, val, [times[r] for r in rows], cols)
    behind = np.array([times[r] < head for r in rows], dtype=bool)
    enter, hold = enter & ~behind, hold & ~behind
    stamps: list[datetime | None] = [times[r] for r in rows]
    return _readings(rule, cols, stamps, val, derived, enter, hold, np.full(len(cols), stale), reference)


def _guards(data: StreamData, rule: Rule, source: str, enter: np.ndarray, val: np.ndarray,
            stamps: list[datetime], cols: np.ndarray) -> np.ndarray:
    """The volume guards: no entering below ``min_value`` (the sample's value) or ``min_events`` (the events
    of the sample's bucket, no row meaning 0); a started alert still exits by its exit level."""
    cond = rule.condition
    if cond.min_value is not None:
        enter = enter & (np.nan_to_num(val) >= cond.min_value)
    if cond.min_events is not None:
        events = data.buckets((source, rule.series.granularity, "events", "value"))
        got = np.zeros(len(cols))
        for i, (t, c) in enumerate(zip(stamps, cols, strict=True)):
            row = events.window(t, t)[1]
            got[i] = np.nan_to_num(row[0, c]) if len(row) else 0.0
        enter = enter & (got >= cond.min_events)
    return enter


__all__ = ["BUCKET", "OPS", "Reading", "derive", "explain", "observe", "observe_stream", "previous", "scan",
           "scan_rule", "shift_back"]

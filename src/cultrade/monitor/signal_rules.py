"""The signal-rule half of :class:`cultrade.monitor.evaluator.SliceEvaluator`: the buckets of the rules'
lookback kept in memory (:class:`~cultrade.monitor.evalstate.BucketSeries`), and each rule's observations for
every country at once, as :func:`cultrade.monitor.engine.evaluate` would compute them from ``monitor_signals``.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cultrade.monitor import signals as sig
from cultrade.monitor.alerts import AlertState
from cultrade.monitor.engine import Observation
from cultrade.monitor.evalstate import BucketSeries, SignalRow, SliceChanges
from cultrade.monitor.rules import Rule
from cultrade.monitor.series import _OPS, lookback_start, shift_back
from cultrade.store import Store


def quiet(alert: AlertState) -> bool:
    """Inactive or resolved, and no notification owed: only a change of state makes it matter."""
    return alert.state in ("inactive", "resolved") and alert.notified_state not in ("firing", "nodata")


class SignalRules:
    """Mixed into :class:`~cultrade.monitor.evaluator.SliceEvaluator`, which owns the state below."""

    iso: np.ndarray
    rank: np.ndarray
    _samples: dict[tuple[str, str], BucketSeries] | None
    _filled: dict[str, set[datetime]]
    _has: dict[str, np.ndarray]
    _alert_at: dict[str, dict[int, AlertState]]

    if TYPE_CHECKING:  # provided by SliceEvaluator
        def _label(self, rule: Rule, row: Any, key: str) -> tuple[dict[str, str], str]: ...

        def _record(self, alert: AlertState, rule: Rule, value: float | None, sample_ts: datetime | None,
                    now: datetime) -> None: ...

    def _keys(self, rules: list[Rule]) -> set[tuple[str, str]]:
        keys = {(str(r.series.metric), r.series.granularity) for r in rules}
        # the min_events guard reads the same bucket's `events` count
        return keys | {("events", r.series.granularity) for r in rules if r.condition.min_events is not None}

    def _horizon(self, rules: list[Rule], now: datetime) -> datetime:
        return min(lookback_start(r, now) for r in rules)

    def _load_signals(self, store: Store, rules: list[Rule], now: datetime) -> None:
        keys = self._keys(rules)
        lo = self._horizon(rules, now)
        n_c = len(self.iso)
        self._samples = {k: BucketSeries(n_c) for k in keys}
        self._filled = {g: set() for _, g in keys}
        if not store.has_table(sig.SIGNALS_TABLE):
            return
        pos = sig._iso3_position()
        for g in self._filled:
            metrics = [m for m, gg in keys if gg == g]
            filled = store.con.execute(f"SELECT DISTINCT ts FROM {sig.SIGNALS_TABLE} WHERE granularity = ? "
                                       "AND ts >= ?", [g, lo]).fetchall()
            self._filled[g] = {pd.Timestamp(t).to_pydatetime() for (t,) in filled}
            df = store.con.execute(
                f"SELECT iso3, ts, metric, value, anomaly FROM {sig.SIGNALS_TABLE} WHERE granularity = ? AND ts >= ? "
                "AND list_contains(?, metric) ORDER BY updated_at", [g, lo, metrics]).df()
            df = df[df["iso3"].isin(pos.keys())]
            for (metric, ts), part in df.groupby(["metric", "ts"], sort=False):
                t = pd.Timestamp(ts).to_pydatetime()  # type: ignore[arg-type]
                v, a = np.full(n_c, np.nan), np.full(n_c, np.nan)
                ci = part["iso3"].map(pos).to_numpy(dtype=np.int64)
                v[ci] = part["value"].to_numpy(dtype=float)
                a[ci] = part["anomaly"].to_numpy(dtype=float)
                self._samples[(str(metric), g)].set(t, v, a)

    def _update_signals(self, changes: SliceChanges, rules: list[Rule], now: datetime) -> None:
        assert self._samples is not None
        for g, (start, values, med, mad) in changes.buckets.items():
            present = sig._present(values)
            if present.any():
                self._filled.setdefault(g, set()).add(start)
            z = sig.anomalies(values, med, mad)
            for (metric, gg), series in self._samples.items():
                if gg == g:
                    m = sig._IDX[metric]
                    p = present[:, m]
                    series.set(start, np.where(p, values[:, m], np.nan), np.where(p, z[:, m], np.nan))
        lo = self._horizon(rules, now)
        for series in self._samples.values():
            series.drop_before(lo)
        for filled in self._filled.values():
            filled.difference_update([t for t in filled if t < lo])

    def _signal_entries(self, rule: Rule, now: datetime, head_bucket: datetime | None
                        ) -> list[tuple[str, dict[str, str], Any, Observation]]:
        assert self._samples is not None
        s, cond = rule.series, rule.condition
        since = lookback_start(rule, now)
        times, values, anomalies = self._samples[(str(s.metric), s.granularity)].window(since, now)
        if not times:
            return []
        op = _OPS[cond.op]
        cols = self._candidates(rule, times, values, anomalies, head_bucket)
        if not len(cols):
            return []
        has = ~np.isnan(values[:, cols])
        last = len(times) - 1 - np.argmax(has[::-1], axis=0)
        val = values[last, cols]
        stamps = np.array(times, dtype="datetime64[us]")[last]
        exit_level = cond.exit if cond.exit is not None else cond.value
        if cond.type == "anomaly":
            derived = anomalies[last, cols]
        elif cond.type in ("change", "crossing"):
            assert cond.window is not None
            before = self._previous(values, times, cols, stamps, cond.window)
            if cond.type == "crossing":
                derived = val
            elif cond.mode == "percent":
                with np.errstate(divide="ignore", invalid="ignore"):
                    derived = (val / np.where(before != 0, before, np.nan) - 1.0) * 100.0
            else:
                derived = val - before
        else:
            derived = val
        valid = ~np.isnan(derived)
        with np.errstate(invalid="ignore"):
            enter = valid & op(derived, cond.value)
            hold = valid & op(derived, exit_level)
            if cond.type == "crossing":
                crossed = enter & ~np.isnan(before) & ~op(before, cond.value)
                enter = crossed
                hold = hold if cond.exit is not None else crossed
        enter = self._guard(rule, enter, val, times, last, cols)
        newest = stamps
        if head_bucket is not None:
            head = np.datetime64(head_bucket, "us")
            behind = stamps < head
            enter, hold = enter & ~behind, hold & ~behind
            newest = np.where(behind, head, stamps)
        stale = newest < np.datetime64(now - rule.stale_after.timedelta, "us")
        want = (enter & ~stale) | self._has[rule.name][cols]
        out = []
        rank = self.rank
        alert_at = self._alert_at[rule.name]
        for i in sorted(np.flatnonzero(want).tolist(), key=lambda i: rank[cols[i]]):
            d = float(derived[i])
            alert = alert_at.get(int(cols[i]))
            if alert is not None and not enter[i] and quiet(alert):  # as in _stage, without the Observation
                self._record(alert, rule, None if d != d else d, times[last[i]], now)
                continue
            iso3 = str(self.iso[cols[i]])
            row = SignalRow(iso3, float(val[i]))
            labels, fp = self._label(rule, row, iso3)
            obs = Observation(bool(enter[i]), bool(hold[i]), bool(stale[i]), None if d != d else d, times[last[i]])
            out.append((fp, labels, row, obs))
        return out

    def _candidates(self, rule: Rule, times: list[datetime], values: np.ndarray, anomalies: np.ndarray,
                    head_bucket: datetime | None) -> np.ndarray:
        """The countries that can yield an entry: those with an alert of the rule and a sample in the window,
        and those that may enter. Entering needs the country's newest sample to be in the head bucket (the
        newest bucket with any signal row; a country behind it cannot enter), which is the only bucket a
        country's sample there can be; for threshold and anomaly conditions the sample must also pass the
        level and ``min_value`` already. Everything else is then computed for these few countries only."""
        cond = rule.condition
        pick = self._has[rule.name].copy()
        k = bisect_left(times, head_bucket) if head_bucket is not None else len(times)
        if k < len(times) and times[k] == head_bucket:
            row = values[k]
            with np.errstate(invalid="ignore"):
                may = ~np.isnan(row)
                if cond.type in ("anomaly", "threshold"):
                    may &= _OPS[cond.op](anomalies[k] if cond.type == "anomaly" else row, cond.value)
                if cond.min_value is not None:
                    may &= row >= cond.min_value
            pick |= may
        if not pick.any():
            return np.zeros(0, dtype=np.int64)
        cols = np.flatnonzero(pick)
        return cols[(~np.isnan(values[:, cols])).any(axis=0)]  # no sample in the window: no entry (nodata)

    def _guard(self, rule: Rule, enter: np.ndarray, val: np.ndarray, times: list[datetime], last: np.ndarray,
               cols: np.ndarray) -> np.ndarray:
        """The volume guards of ``series.conditions``: no entering below ``min_value`` (the sample's value) or
        ``min_events`` (the ``events`` of the sample's bucket, no row meaning 0)."""
        assert self._samples is not None
        cond = rule.condition
        if cond.min_value is not None:
            enter = enter & (val >= cond.min_value)
        if cond.min_events is not None:
            buckets = self._samples[("events", rule.series.granularity)]
            events = np.zeros(len(cols))
            for k in np.unique(last):
                sel = np.flatnonzero(last == k)
                hit = buckets.get(times[k])  # a BucketSeries
                if hit is not None:
                    events[sel] = np.nan_to_num(hit[0][cols[sel]], nan=0.0)
            enter = enter & (events >= cond.min_events)
        return enter

    @staticmethod
    def _previous(values: np.ndarray, times: list[datetime], cols: np.ndarray, stamps: np.ndarray,
                  window: Any) -> np.ndarray:
        """Per country, its value at ``ts - window`` (the newest sample at most half a window before that),
        as ``series.previous`` with ``merge_asof``."""
        out = np.full(len(cols), np.nan)
        grid = np.array(times, dtype="datetime64[us]")
        tol = np.timedelta64(pd.Timedelta(window.timedelta / 2).to_timedelta64(), "us")
        for t in np.unique(stamps):
            if window.months:
                at = np.datetime64(shift_back(pd.Series([pd.Timestamp(t)]), window).iloc[0].to_datetime64(), "us")
            else:
                at = t - np.timedelta64(round(window.seconds * 1e6), "us")
            sel = np.flatnonzero(stamps == t)
            cand = np.flatnonzero((grid <= at) & (grid >= at - tol))
            for k in cand[::-1]:
                todo = sel[np.isnan(out[sel]) & ~np.isnan(values[k, cols[sel]])]
                out[todo] = values[k, cols[todo]]
        return out


__all__ = ["SignalRules", "quiet"]

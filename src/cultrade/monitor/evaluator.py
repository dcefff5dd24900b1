"""Incremental rule evaluation for the event stream: the result of :func:`cultrade.monitor.engine.evaluate`
as of every slice, without re-reading the store each time.

:class:`SliceEvaluator` is a *transactional* slice hook (``transactional = True``):
:class:`cultrade.monitor.stream.EventStream` calls ``begin`` right after it opens a
transaction, ``apply`` after each slice of it (the slice's changed buckets are
passed along), ``flush`` before the commit and ``reset`` after a rollback. So the
transitions, their ``alert_events`` and ``outbox`` rows and the alert rows commit
in the same transaction as the slices that caused them, and a crash loses all of
them together (the restart re-processes those slices and writes the same
transitions with the same idempotency keys).

What is kept in memory, and why it gives the same answer as ``evaluate``:

* signal rules: per (metric, granularity) the buckets of the rules' lookback
  (value and anomaly per country, NaN where ``monitor_signals`` has no row),
  updated from each slice's buckets (the very numbers the stream writes) and
  reloaded from the store after a late slice, a rollback or on first use; the
  stream is the table's only writer. Observations are computed for every country
  at once with numpy, with :func:`~cultrade.monitor.series.latest`'s rules
  (newest sample, the stream head, staleness) and ``change``/``crossing``
  windows as in :func:`~cultrade.monitor.series.previous`;
* other rules (indicator, fx, risk, forecast): the result of ``scan`` +
  ``latest`` is reused until ``now`` reaches the next time a sample enters or
  leaves the lookback or turns stale, or the source tables change (checked at
  the start of every transaction: a transaction sees one snapshot of them);
* alerts, silences and watchlists are read once per transaction (so an
  acknowledgement or silence made between two transactions is seen); changed
  alerts are written once, at ``flush``, in one statement.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from cultrade.monitor import signals as sig
from cultrade.monitor.alerts import (
    AlertState,
    ensure_schema,
    fingerprint,
    forget_schema,
    load_alerts,
    load_silences,
    save_alerts,
)
from cultrade.monitor.engine import Observation, Timing, Transition, WorkItem, alert_labels, settle, step
from cultrade.monitor.evalstate import BucketSeries, SignalRow, SliceChanges, _Buffer, _Cached, _version
from cultrade.monitor.rules import Rule, RuleSet, load_rules, rules_for_engine, user_rules_path
from cultrade.monitor.series import _OPS, latest, lookback_start, scan, shift_back
from cultrade.monitor.watchlists import Watchlist, load_watchlists
from cultrade.store import Store


class SliceEvaluator:
    """Evaluates the rules after every slice of an :class:`~cultrade.monitor.stream.EventStream`, in its
    transaction (see the module doc). Also usable as a plain ``on_slice`` callback (``__call__``), which
    evaluates in a transaction of its own."""

    transactional = True

    def __init__(self, rules: RuleSet | None = None, watchlists: list[Watchlist] | None = None) -> None:
        self._given_rules = rules
        self._rules_stamp: Any = None
        self.ruleset = rules if rules is not None else self._load_rules()
        self._given_routes = watchlists
        self.iso = np.asarray(sig.country_index(), dtype=object)
        self.rank = np.argsort(np.argsort(self.iso.astype(str), kind="stable"))  # position in iso3 order
        self.alerts: dict[str, AlertState] = {}
        self.by_rule: dict[str, list[str]] = {}
        self.routes: list[Watchlist] = []
        self.silences: list[Any] = []
        self.transitions: list[Transition] = []
        self._labels: dict[tuple[str, str], tuple[dict[str, str], str]] = {}
        self._dirty: dict[str, AlertState] = {}
        self._saved: set[str] = set()
        self._buffer = _Buffer()
        self._has: dict[str, np.ndarray] = {}
        self._alert_at: dict[str, dict[int, AlertState]] = {}  # signal rule -> country position -> its alert
        self._signal_rules: dict[str, Rule] = {}
        self._tables: set[str] = set()
        self._version: tuple[Any, ...] | None = None
        self.reset()

    # -- lifecycle ------------------------------------------------------------------------
    def _load_rules(self) -> RuleSet:
        path = user_rules_path()
        self._rules_stamp = (path, path.stat().st_mtime_ns if path and path.exists() else None,
                             os.environ.get("CULTRADE_MONITOR_RULES_MODE"))
        return rules_for_engine()

    def _rules_changed(self) -> bool:
        if self._given_rules is not None:
            return False
        path = user_rules_path()
        stamp = (path, path.stat().st_mtime_ns if path and path.exists() else None,
                 os.environ.get("CULTRADE_MONITOR_RULES_MODE"))
        return stamp != self._rules_stamp

    def reset(self) -> None:
        """Forget the cached series (after a rollback, or when the rules change)."""
        forget_schema()  # a rolled-back transaction may have created the alert tables
        self._samples: dict[tuple[str, str], BucketSeries] | None = None
        self._filled: dict[str, set[datetime]] = {}
        self._frames: dict[str, _Cached] = {}
        self._version = None
        self._dirty = {}

    def begin(self, store: Store) -> None:
        """Read the alerts, silences, watchlists and the source tables' version (start of a transaction)."""
        if self._rules_changed():
            self.ruleset = self._load_rules()
            self.reset()
        ensure_schema(store)
        self.alerts = load_alerts(store)
        self.by_rule = {}
        for fp, alert in self.alerts.items():
            self.by_rule.setdefault(alert.rule, []).append(fp)
        self.silences = load_silences(store, include_expired=True)
        self.routes = self._given_routes if self._given_routes is not None else load_watchlists(store)
        self._dirty = {}
        self._buffer = _Buffer()
        self._has = {r.name: np.zeros(len(self.iso), dtype=bool) for r in self.ruleset.active}
        self._signal_rules = {r.name: r for r in self.ruleset.active if r.series.kind == "signal"}
        self._alert_at = {name: {} for name in self._signal_rules}
        pos = sig._iso3_position()
        for alert in self.alerts.values():
            if alert.rule in self._has and (i := pos.get(alert.labels.get("iso3", ""))) is not None:
                self._has[alert.rule][i] = True
                self._place(alert, i)
        kinds = {r.series.kind for r in self.ruleset.active if r.series.kind != "signal"}
        if kinds:
            version = _version(store, kinds)
            if version != self._version:
                self._frames, self._version = {}, version
                self._tables = set(store.table_names(include_views=True))

    def apply(self, store: Store, now: datetime, changes: SliceChanges | None = None) -> list[Transition]:
        """Evaluate every active rule as of ``now``; write events and outbox rows (the caller's transaction)."""
        signal_rules = [r for r in self.ruleset.active if r.series.kind == "signal"]
        if signal_rules:
            if changes is None or changes.reload or self._samples is None:
                # The store holds everything but the open transaction's unwritten buckets: a late slice flushes
                # them first, and a (re)load otherwise happens at the first slice of a transaction, whose bucket
                # values come with ``changes``.
                self._load_signals(store, signal_rules, now)
            if changes is not None and not changes.reload:
                self._update_signals(changes, signal_rules, now)
        work: dict[str, WorkItem] = {}
        heads: dict[str, datetime | None] = {}  # per granularity: the newest bucket with a row, as of now
        for g, filled in self._filled.items():
            past = [t for t in filled if t <= now]
            heads[g] = max(past) if past else None
        for rule in self.ruleset.active:
            if rule.series.kind == "signal":
                entries: Iterable[tuple[str, dict[str, str], Any, Observation]] = self._signal_entries(
                    rule, now, heads.get(rule.series.granularity))
            else:
                entries = self._other_entries(store, rule, now)
            self._stage(work, rule, entries, now)
        self._saved = set()
        out = settle(store, work, self.ruleset, self.silences, self.routes, now, save=self._save, sink=self._buffer)
        for fp, (alert, rule, _row, _before, _new, before_row) in work.items():
            if fp not in self._saved and not rule.keep_firing_for:
                # evaluate() does not store a change of last_active_at alone (only keep_firing_for reads it) and
                # re-reads the alert next time: keep the stored value so both write the same rows
                alert.last_active_at = before_row["last_active_at"]
        self.transitions.extend(out)
        return out

    def flush(self, store: Store) -> None:
        """Write the events, notifications and alerts changed since ``begin`` (before the commit)."""
        self._buffer.write(store)
        save_alerts(store, self._dirty.values())
        self._dirty = {}

    def __call__(self, store: Store, slice_ts: datetime, summary: Any = None) -> list[Transition]:
        with store.transaction():
            self.begin(store)
            out = self.apply(store, slice_ts, None)
            self.flush(store)
        return out

    # -- alerts ---------------------------------------------------------------------------
    def _save(self, alert: AlertState, new: bool) -> None:
        self._saved.add(alert.fingerprint)
        if new:
            self.alerts[alert.fingerprint] = alert
            self.by_rule.setdefault(alert.rule, []).append(alert.fingerprint)
            i = sig._iso3_position().get(alert.labels.get("iso3", ""))
            if i is not None and alert.rule in self._has:
                self._has[alert.rule][i] = True
                self._place(alert, i)
        self._dirty[alert.fingerprint] = alert

    def _place(self, alert: AlertState, i: int) -> None:
        """Index a signal rule's alert by country, if it is the one the rule's current labels name."""
        rule = self._signal_rules.get(alert.rule)
        if rule is None:
            return
        iso3 = str(self.iso[i])
        if self._label(rule, SignalRow(iso3, float("nan")), iso3)[1] == alert.fingerprint:
            self._alert_at[rule.name][i] = alert

    def _stage(self, work: dict[str, WorkItem], rule: Rule, entries: Iterable[tuple[str, dict[str, str], Any,
               Observation]], now: datetime) -> None:
        """As in ``evaluate``: step the alerts of the rule's series (new ones only if they enter), then the
        rule's other alerts with no data."""
        timing = Timing.of(rule)
        seen: set[str] = set()
        for fp, labels, row, obs in entries:
            seen.add(fp)
            alert = self.alerts.get(fp)
            if alert is not None and not obs.enter and not obs.nodata and _quiet(alert):
                value, sample_ts = (obs.value, obs.sample_ts) if obs.value is not None or obs.sample_ts is not None \
                    else (alert.value, alert.sample_ts)
                self._record(alert, rule, value, sample_ts, now)
                continue
            is_new = alert is None
            if alert is None:
                if obs.nodata or not obs.enter:
                    continue
                alert = AlertState(fp, rule.name, labels, created_at=now)
            before_row = dict(vars(alert))
            alert.summary = rule.summary
            work[fp] = (alert, rule, row, step(alert, obs, now, timing), is_new, before_row)
        for fp in self.by_rule.get(rule.name, ()):
            if fp not in seen and fp not in work:
                alert = self.alerts[fp]
                if alert.state in ("inactive", "resolved") and alert.notified_state not in ("firing", "nodata"):
                    continue  # no data changes nothing here and nothing is owed
                before_row = dict(vars(alert))
                work[fp] = (alert, rule, None, step(alert, Observation(nodata=True), now, timing), False, before_row)

    def _record(self, alert: AlertState, rule: Rule, value: float | None, sample_ts: datetime | None,
                now: datetime) -> None:
        """A quiet alert (see :func:`_quiet`) that does not enter: step() would only record the sample and
        nothing is owed, so skip the state machine (same rows)."""
        if value != alert.value or sample_ts != alert.sample_ts or alert.summary != rule.summary:
            alert.value, alert.sample_ts, alert.summary, alert.last_eval_at = value, sample_ts, rule.summary, now
            self._save(alert, False)

    def _label(self, rule: Rule, row: Any, key: str) -> tuple[dict[str, str], str]:
        hit = self._labels.get((rule.name, key))
        if hit is None:
            labels = alert_labels(rule, row)
            hit = self._labels[(rule.name, key)] = (labels, fingerprint(labels))
        return hit

    # -- non-signal rules -----------------------------------------------------------------
    def _other_entries(self, store: Store, rule: Rule, now: datetime) -> list[tuple[str, dict[str, str], Any,
                                                                                 Observation]]:
        cached = self._frames.get(rule.name)
        if cached is None or not cached.valid(now):
            since = lookback_start(rule, now)
            scanned = scan(store, rule, since=since, until=now, tables=self._tables)
            frame = latest(scanned, rule, now)
            entries = []
            row: Any
            for row in frame.itertuples(index=False):
                key = "\x1f".join(str(getattr(row, k)) for k in ("iso3", "currency", "home", "domain",
                                                                  "horizon_years", "model") if hasattr(row, k))
                labels, fp = self._label(rule, row, key)
                obs = Observation(bool(row.enter), bool(row.hold), bool(row.stale),
                                  None if pd.isna(row.derived) else float(row.derived),
                                  pd.Timestamp(row.ts).to_pydatetime())
                entries.append((fp, labels, row, obs))
            times = scanned["ts"] if not scanned.empty else pd.Series(dtype="datetime64[ns]")
            span = now - since
            later = times[times > pd.Timestamp(now)]
            exits = pd.concat([times + span, times + rule.stale_after.timedelta]) if len(times) else times
            exits = exits[exits >= pd.Timestamp(now)]
            cached = _Cached(entries, now, later.min().to_pydatetime() if len(later) else None,
                             exits.min().to_pydatetime() if len(exits) else None)
            self._frames[rule.name] = cached
        return cached.entries

    # -- signal rules ---------------------------------------------------------------------
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
            if alert is not None and not enter[i] and _quiet(alert):  # as in _stage, without the Observation
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


def _quiet(alert: AlertState) -> bool:
    """Inactive or resolved, and no notification owed: only a change of state makes it matter."""
    return alert.state in ("inactive", "resolved") and alert.notified_state not in ("firing", "nodata")


def default_evaluator() -> SliceEvaluator:
    """The hook of ``cultrade monitor replay``/``watch``: the shipped and user rules."""
    return SliceEvaluator()


__all__ = ["SignalRow", "SliceChanges", "SliceEvaluator", "default_evaluator", "load_rules", "timedelta"]

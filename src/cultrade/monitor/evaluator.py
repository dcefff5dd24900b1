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
from cultrade.monitor.engine import (
    Observation,
    Timing,
    Transition,
    WorkItem,
    alert_labels,
    nodata_item,
    settle,
    work_item,
)
from cultrade.monitor.evalstate import SignalRow, SliceChanges, _Buffer, _Cached, _version
from cultrade.monitor.rules import Rule, RuleSet, load_rules, rules_for_engine, user_rules_path
from cultrade.monitor.series import latest, lookback_start, scan
from cultrade.monitor.signal_rules import SignalRules
from cultrade.monitor.signal_rules import quiet as _quiet
from cultrade.monitor.watchlists import Watchlist, load_watchlists
from cultrade.store import Store


class SliceEvaluator(SignalRules):
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
        self._samples = None
        self._filled = {}
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
            if (item := work_item(alert, fp, labels, rule, row, obs, now, timing)) is not None:
                work[fp] = item
        for fp in self.by_rule.get(rule.name, ()):
            if fp not in seen and fp not in work:
                alert = self.alerts[fp]
                if _quiet(alert):
                    continue  # no data changes nothing here and nothing is owed
                work[fp] = nodata_item(alert, rule, now, timing)

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


def default_evaluator() -> SliceEvaluator:
    """The hook of ``cultrade monitor replay``/``watch``: the shipped and user rules."""
    return SliceEvaluator()


__all__ = ["SignalRow", "SliceChanges", "SliceEvaluator", "default_evaluator", "load_rules", "timedelta"]

"""The rule engine: :class:`Evaluator`, one incremental evaluator for every rule, seeded from the store.

The event stream runs it as a *transactional* slice hook (``transactional = True``):
:class:`cultrade.monitor.stream.EventStream` calls ``begin`` right after it opens a transaction, ``apply``
after each slice (passing what the slice changed), ``flush`` before the commit and ``reset`` after a rollback.
So the transitions, their ``alert_events`` and ``outbox`` rows and the alert rows commit in the same
transaction as the slices that caused them, and a crash loses all of them together (the restart processes
those slices again and writes the same transitions with the same idempotency keys).
:func:`cultrade.monitor.engine.evaluate` runs a fresh evaluator once (:meth:`Evaluator.run`).

What is kept in memory: the stream panels of the active event rules (:class:`~cultrade.monitor.panels.StreamData`:
the buckets of the rules' lookback, seeded from the store on first use, after a late slice or a rollback, and
then updated from each slice), the baselines of the surprise rules (they change once per bucket), the outlook
panels (re-read when their source tables change; checked at each transaction's start), and the alerts,
silences and watchlists (read at each transaction's start, so an acknowledgement or silence made between two
transactions is seen). Changed alerts are written once, at ``flush``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from cultrade.monitor import codes
from cultrade.monitor.alerts import (
    AlertState,
    ensure_schema,
    fingerprint,
    forget_schema,
    load_alerts,
    load_silences,
    save_alerts,
)
from cultrade.monitor.conditions import BUCKET, Reading, observe, observe_stream
from cultrade.monitor.engine import Observation, Timing, Transition, WorkItem, nodata_item, settle, work_item
from cultrade.monitor.panels import KEYS, Panel, SeriesId, StreamData, load_panel, stream_series
from cultrade.monitor.rules import Rule, RuleSet, rules_for_engine, user_rules_path
from cultrade.monitor.surprise import Baseline, baseline_dispersion, window_totals
from cultrade.monitor.watchlists import Watchlist, load_watchlists
from cultrade.store import Store

_SOURCES = {"indicator": ("indicators", "_catalog"), "fx": ("fx_rates", "_catalog"),
            "risk": ("risk_scores_history",), "forecast": ("forecast_probabilities",)}


def home_country() -> str:
    """The home country of ``pairs_with: home`` rules (``CULTRADE_HOME_COUNTRY``, default CHN)."""
    from cultrade.settings import get_settings

    return str(getattr(get_settings(), "home_country", "CHN") or "CHN").upper()


def quiet(alert: AlertState) -> bool:
    """Inactive or resolved, and no notification owed: only a change of state makes it matter."""
    return alert.state in ("inactive", "resolved") and alert.notified_state not in ("firing", "nodata")


def series_labels(rule: Rule) -> dict[str, str]:
    """Labels every alert of ``rule`` carries, besides its key.

    >>> from cultrade.monitor.rules import load_rules
    >>> series_labels(load_rules().rule("protest_surge"))
    {'metric': 'protest_articles', 'granularity': 'hour'}
    """
    s = rule.series
    if s.kind in ("signal", "dyad"):
        return {"metric": "+".join(s.metrics), "granularity": s.granularity}
    if s.kind == "indicator":
        return {"indicator": str(s.indicator)}
    if s.kind == "forecast":
        return {"target": str(s.target)}
    return {}


def key_labels(rule: Rule, key: tuple[str, ...], home: str) -> dict[str, str]:
    """The labels naming one series key: iso3 (for a dyad, the country acted upon), actor1/actor2, home."""
    s = rule.series
    if s.kind == "dyad" and s.pairs_with:
        return {"iso3": key[0], "home": home if s.pairs_with == "home" else str(s.pairs_with)}
    if s.kind == "dyad":
        return {"actor1": key[0], "actor2": key[1], "iso3": key[1]}
    return {k: v for k, v in zip(KEYS[s.kind], key, strict=True) if v}


class _Buffer:
    """Collects the events and notifications of a transaction; written at ``flush`` in one INSERT each."""

    def __init__(self) -> None:
        self.events: list[list[Any]] = []
        self.outbox: list[list[Any]] = []

    def event(self, alert: AlertState, at: datetime, from_state: str, kind: str, muted_by: str | None) -> None:
        self.events.append([alert.fingerprint, alert.seq, at, alert.rule, from_state, alert.state, kind, alert.value,
                            muted_by, alert.severity])

    def notify(self, payload: dict[str, Any], receivers: tuple[str, ...], group_key: str, now: datetime) -> None:
        text = json.dumps(payload, sort_keys=True, default=str)  # as notify.enqueue writes it
        for receiver in receivers:
            self.outbox.append([payload["idempotencyKey"], payload["fingerprint"], payload["seq"], receiver,
                                group_key, text, now])

    def write(self, store: Store) -> None:
        con = store.con
        if self.events:
            con.register("_alert_events", pa.table(list(map(list, zip(*self.events, strict=True))), schema=pa.schema([
                ("fingerprint", pa.string()), ("seq", pa.int32()), ("occurred_at", pa.timestamp("us")),
                ("rule", pa.string()), ("from_state", pa.string()), ("to_state", pa.string()), ("kind", pa.string()),
                ("value", pa.float64()), ("muted_by", pa.string()), ("severity", pa.string())])))
            try:
                con.execute("INSERT INTO alert_events SELECT * FROM _alert_events")
            finally:
                con.unregister("_alert_events")
        if self.outbox:
            con.register("_outbox_rows", pa.table(list(map(list, zip(*self.outbox, strict=True))), schema=pa.schema([
                ("k", pa.string()), ("fp", pa.string()), ("seq", pa.int32()), ("receiver", pa.string()),
                ("group_key", pa.string()), ("payload", pa.string()), ("now", pa.timestamp("us"))])))
            try:
                con.execute("INSERT INTO outbox (idempotency_key, fingerprint, seq, receiver, group_key, payload, "
                            "status, attempts, next_attempt_at, created_at) SELECT k, fp, seq, receiver, group_key, "
                            "payload, 'pending', 0, now, now FROM _outbox_rows ON CONFLICT DO NOTHING")
            finally:
                con.unregister("_outbox_rows")
        self.events, self.outbox = [], []


def _version(store: Store, kinds: Iterable[str]) -> tuple[Any, ...]:
    """Changes whenever a source table of the outlook rules is created, loaded or appended to."""
    names = sorted({t for k in kinds for t in _SOURCES.get(k, ())})
    present = {t for (t,) in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    parts: list[Any] = []
    for name in names:
        if name not in present:
            parts.append((name, None))
        elif name == "_catalog":
            parts.append((name, store.con.execute("SELECT count(*), max(loaded_at) FROM _catalog").fetchall()[0]))
        elif name in ("indicators", "fx_rates"):  # loaded through the catalog
            parts.append((name, True))
        else:
            stamp = "max(created_at)" if name == "forecast_probabilities" else "max(computed_at)"
            parts.append((name, store.con.execute(f"SELECT count(*), {stamp} FROM {name}").fetchall()[0]))
    return tuple(parts)


class Evaluator:
    """The rule engine (see the module doc). ``rules``: a fixed rule set (default: the shipped rules merged with
    the user's file, re-read when that file changes)."""

    transactional = True

    def __init__(self, rules: RuleSet | None = None, watchlists: list[Watchlist] | None = None) -> None:
        self._given_rules = rules
        self._rules_stamp: Any = None
        self.ruleset = rules if rules is not None else self._load_rules()
        self._given_routes = watchlists
        self.home = home_country()
        self.transitions: list[Transition] = []
        self.alerts: dict[str, AlertState] = {}
        self.by_rule: dict[str, list[str]] = {}
        self.silences: list[Any] = []
        self.routes: list[Watchlist] = []
        self._labels: dict[tuple[str, tuple[str, ...]], tuple[dict[str, str], str]] = {}
        self._dirty: dict[str, AlertState] = {}
        self._new: set[str] = set()
        self._buffer = _Buffer()
        self._version: tuple[Any, ...] | None = None
        self._tables: set[str] = set()
        self.reset()

    # -- lifecycle ------------------------------------------------------------------------
    def _stamp(self) -> Any:
        path = user_rules_path()
        return (path, path.stat().st_mtime_ns if path and path.exists() else None,
                os.environ.get("CULTRADE_MONITOR_RULES_MODE"))

    def _load_rules(self) -> RuleSet:
        self._rules_stamp = self._stamp()
        return rules_for_engine()

    def reset(self) -> None:
        """Forget what is held from the store (after a rollback, or when the rules change)."""
        forget_schema()  # a rolled-back transaction may have created the alert tables
        self.data: StreamData | None = None
        self._needs: set[SeriesId] = {sid for r in self.ruleset.active if not r.outlook
                                      for sid in stream_series(r, self.home)}
        self._baselines = BaselineCache()
        self._panels: dict[str, tuple[datetime, Panel]] = {}
        self._version = None
        self._dirty, self._new = {}, set()

    def begin(self, store: Store) -> None:
        """Read the alerts, silences, watchlists and the outlook tables' version (start of a transaction)."""
        if self._given_rules is None and self._stamp() != self._rules_stamp:
            self.ruleset = self._load_rules()
            self.reset()
        ensure_schema(store)
        self.alerts = load_alerts(store)
        self.by_rule = {}
        for fp, alert in self.alerts.items():
            self.by_rule.setdefault(alert.rule, []).append(fp)
        self.silences = load_silences(store, include_expired=True)
        self.routes = self._given_routes if self._given_routes is not None else load_watchlists(store)
        self._dirty, self._new, self._buffer = {}, set(), _Buffer()
        kinds = {r.series.kind for r in self.ruleset.active if r.outlook}
        if kinds:
            version = _version(store, kinds)
            if version != self._version:
                self._panels, self._version = {}, version
                self._tables = set(store.table_names(include_views=True))

    def apply(self, store: Store, now: datetime, changes: Any = None) -> list[Transition]:
        """Evaluate every active rule as of ``now``; the events and notifications wait for :meth:`flush`."""
        if self._needs:
            if self.data is None or changes is None or changes.reload:
                # the store holds everything but the open transaction's slices: a late slice writes them first,
                # and otherwise this is the transaction's first slice, whose changes come along
                self.data = StreamData()
                self.data.seed(store, self._needs, self._horizon(now))
                self._baselines = BaselineCache()
            if changes is not None and not changes.reload:
                self.data.update(changes, self._needs)
            if changes is not None and changes.ts.minute == 0:
                self.data.drop_before(self._horizon(now))
        work: dict[str, WorkItem] = {}
        for rule in self.ruleset.active:
            self._stage(work, rule, self._read(store, rule, now), now)
        out = settle(store, work, self.ruleset, self.silences, self.routes, now, save=self._save, sink=self._buffer)
        self.transitions.extend(out)
        return out

    def flush(self, store: Store) -> None:
        """Write the events, notifications and alerts changed since ``begin`` (before the commit)."""
        self._buffer.write(store)
        save_alerts(store, self._dirty.values(), new=self._new)
        self._dirty, self._new = {}, set()

    def run(self, store: Store, now: datetime) -> list[Transition]:
        """One evaluation at ``now`` in a transaction of its own."""
        with store.transaction():
            self.begin(store)
            out = self.apply(store, now)
            self.flush(store)
        return out

    def __call__(self, store: Store, slice_ts: datetime, summary: Any = None) -> list[Transition]:
        return self.run(store, slice_ts)

    # -- reading ---------------------------------------------------------------------------
    def _horizon(self, now: datetime) -> datetime:
        """The oldest bucket any stream rule reads at ``now``."""
        spans = [timedelta(days=1)]
        for r in self.ruleset.active:
            if r.outlook:
                continue
            c = r.condition
            if c.type == "surprise":
                spans.append(c.baseline.timedelta + max(w.timedelta for w in c.windows) + timedelta(hours=1))
            spans.append(r.stale_after.timedelta + (c.window.timedelta * 1.5 if c.window else timedelta(0))
                         + timedelta(days=1))
        return now - max(spans)

    def _source(self, rule: Rule) -> str:
        return stream_series(rule, self.home)[0][0]

    def _read(self, store: Store, rule: Rule, now: datetime) -> tuple[list[tuple[str, ...]], Reading]:
        if rule.outlook:
            hit = self._panels.get(rule.name)
            if hit is None:
                since = now - rule.stale_after.timedelta - (rule.condition.window.timedelta * 1.5
                                                            if rule.condition.window else timedelta(0))
                hit = self._panels[rule.name] = (since, load_panel(store, rule, tables=self._tables))
            panel = hit[1]
            return panel.keys, observe(panel, rule, now)
        assert self.data is not None
        source = self._source(rule)
        keys = self.data.keys(source)
        alerted = np.zeros(len(keys), dtype=bool)
        for fp in self.by_rule.get(rule.name, ()):
            alert = self.alerts[fp]
            if not quiet(alert) and (col := self._col(rule, alert, source)) is not None:
                alerted[col] = True

        data, g, span = self.data, rule.series.granularity, rule.condition.baseline.timedelta

        def baseline(metric: str, w_start: datetime) -> Baseline:
            return self._baselines.get(data, source, g, metric, w_start, span)

        return keys, observe_stream(self.data, rule, now, source, alerted, baseline)

    def _col(self, rule: Rule, alert: AlertState, source: str) -> int | None:
        assert self.data is not None
        pos = codes.iso3_position()
        if source == "dyad":
            a, b = pos.get(alert.labels.get("actor1", "")), pos.get(alert.labels.get("actor2", ""))
            if a is None or b is None:
                return None
            return int(self.data.pair_cols(np.array([a]), np.array([b]))[0])
        return pos.get(alert.labels.get("iso3", ""))

    # -- alerts ----------------------------------------------------------------------------
    def _label(self, rule: Rule, key: tuple[str, ...]) -> tuple[dict[str, str], str]:
        hit = self._labels.get((rule.name, key))
        if hit is None:
            labels = {**rule.labels, **series_labels(rule), "alertname": rule.name, "severity": rule.severity,
                      **key_labels(rule, key, self.home)}
            hit = self._labels[(rule.name, key)] = (labels, fingerprint(labels))
        return hit

    def _stage(self, work: dict[str, WorkItem], rule: Rule, read: tuple[list[tuple[str, ...]], Reading],
               now: datetime) -> None:
        """Step the alerts of the rule's observed keys (new ones only if they enter), then the rule's other
        alerts, which have no data; quiet alerts that do not enter are left alone."""
        keys, r = read
        timing = Timing.of(rule)
        seen: set[str] = set()
        for i, col in enumerate(r.cols.tolist()):
            labels, fp = self._label(rule, keys[col])
            seen.add(fp)
            alert = self.alerts.get(fp)
            enter, stale = bool(r.enter[i]), bool(r.stale[i])
            if (alert is None or quiet(alert)) and (not enter or stale):
                continue
            shown = r.detail[i].get("value")
            value = None if shown is None or shown != shown else float(shown)
            obs = Observation(enter, bool(r.hold[i]), stale, value, r.sample_ts[i], r.severity[i], r.detail[i])
            if (item := work_item(alert, fp, labels, rule, obs, now, timing)) is not None:
                work[fp] = item
        for fp in self.by_rule.get(rule.name, ()):
            if fp not in seen and fp not in work and not quiet(self.alerts[fp]):
                work[fp] = nodata_item(self.alerts[fp], rule, now, timing)

    def _save(self, alert: AlertState, new: bool) -> None:
        if new:
            self.alerts[alert.fingerprint] = alert
            self.by_rule.setdefault(alert.rule, []).append(alert.fingerprint)
            self._new.add(alert.fingerprint)
        self._dirty[alert.fingerprint] = alert


class BaselineCache:
    """The surprise rules' baselines, one per (series, window start, span). The window start moves one bucket at
    a time, so a baseline is the previous one plus the bucket that enters and minus the one that leaves (counts
    are whole numbers: the sums are exact); the pooled dispersion is computed once a day per series."""

    def __init__(self) -> None:
        self._sums: dict[tuple[str, str, str, timedelta], dict[datetime, tuple[np.ndarray, float, int]]] = {}
        self._inv_k: dict[tuple[str, str, str, timedelta, Any], float] = {}

    def get(self, data: StreamData, source: str, g: str, metric: str, w_start: datetime, span: timedelta) -> Baseline:
        sums = self._sums.setdefault((source, g, metric, span), {})
        hit = sums.get(w_start)
        if hit is None:
            prev = max((t for t in sums if t < w_start), default=None)
            if prev is not None and w_start - prev <= timedelta(days=1):
                counts, total, n = sums[prev]
                add = window_totals(data, source, g, metric, prev, w_start)
                drop = window_totals(data, source, g, metric, prev - span, w_start - span)
                width = max(len(counts), len(add[0]), len(drop[0]))
                counts = _pad(counts, width) + _pad(add[0], width) - _pad(drop[0], width)
                hit = (counts, total + add[1] - drop[1], n + add[2] - drop[2])
            else:
                hit = window_totals(data, source, g, metric, w_start - span, w_start)
            sums[w_start] = hit
            for old in [t for t in sums if t < w_start - timedelta(days=1)]:
                del sums[old]
        day = (source, g, metric, span, w_start.date())
        if day not in self._inv_k:  # over the span before the day starts: the same whenever it is first asked
            start = datetime.combine(w_start.date(), datetime.min.time())
            self._inv_k[day] = baseline_dispersion(data, source, g, metric, start - span, start)
        counts, total, n = hit
        return Baseline(counts, total, self._inv_k[day], n * BUCKET[g])


def _pad(a: np.ndarray, width: int) -> np.ndarray:
    return a if len(a) == width else np.pad(a, (0, width - len(a)))


def default_evaluator() -> Evaluator:
    """The hook of ``cultrade monitor replay``/``watch`` and the server's watcher: shipped and user rules."""
    return Evaluator()


__all__ = ["Evaluator", "default_evaluator", "home_country", "key_labels", "quiet", "series_labels"]

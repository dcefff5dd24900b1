"""The alert state machine and what it writes; :func:`evaluate` runs the one rule engine once.

States: ``inactive`` → ``pending`` (condition met, ``for`` not yet elapsed) →
``firing`` → ``resolved``; a firing alert whose series has no sample within
``stale_after`` goes to ``nodata`` (not resolved), and back to ``firing`` or on to
``resolved`` when data returns. Only firing, resolved and nodata are notified;
pending never is. A started alert holds while the hysteresis ``exit`` level is
met; ``keep_firing_for`` delays resolving; ``cooldown`` stops a resolved alert
from firing again too soon; ``repeat_interval`` re-notifies a firing alert that
nobody acknowledged. An event alert whose severity rises while it fires (its
magnitude and breadth reach the rule's ``critical`` criteria) is notified again
(an ``escalation``); within one firing episode severity only rises.

Silenced or inhibited alerts change state as usual (every transition is in
``alert_events``) but queue no notification; when the mute ends, the current
state is notified once (a resolve is sent only if its firing was).

The transitions, their events and their outbox rows are written in **one
transaction** (the transactional outbox), so a notification exists if and only if
its transition does; :class:`cultrade.monitor.notify.Dispatcher` delivers them.
There is one rule engine, :class:`cultrade.monitor.evaluator.Evaluator`: the event
stream runs it after every slice, and :func:`evaluate` runs it once, seeded from
the store.

>>> from datetime import datetime, timedelta
>>> from cultrade.monitor.alerts import AlertState
>>> t0, timing = datetime(2026, 1, 1), Timing(for_=timedelta(minutes=30))
>>> a = AlertState("fp", "r", {"alertname": "r"})
>>> [advance(a, Observation(enter=True, hold=True), t0 + timedelta(minutes=m), timing)
...  for m in (0, 15, 30, 45)]
[('inactive', None), (None, None), ('pending', 'transition'), (None, None)]
>>> a.state, a.seq, a.notified_seq
('firing', 2, 2)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import pandas as pd

from cultrade.monitor.alerts import AlertState, Silence, record_event, utcnow
from cultrade.monitor.rules import Rule, RuleSet, label_matches, severity_rank
from cultrade.monitor.watchlists import Watchlist, route
from cultrade.store import Store

log = logging.getLogger(__name__)
NOTIFIED_STATES = ("firing", "resolved", "nodata")


@dataclass(frozen=True)
class Timing:
    for_: timedelta = timedelta(0)
    keep_firing_for: timedelta = timedelta(0)
    cooldown: timedelta = timedelta(0)
    repeat_interval: timedelta = timedelta(0)

    @classmethod
    def of(cls, rule: Rule) -> Timing:
        hit = _TIMINGS.get(id(rule))
        if hit is None or hit[0] is not rule:
            hit = _TIMINGS[id(rule)] = (rule, cls(rule.for_.timedelta, rule.keep_firing_for.timedelta,
                                                  rule.cooldown.timedelta, rule.repeat_interval.timedelta))
        return hit[1]


_TIMINGS: dict[int, tuple[Rule, Timing]] = {}


@dataclass(frozen=True)
class Observation:
    """The latest sample of one series: does it meet the enter level, the exit (hold) level, or is it stale?
    ``severity`` is what the sample calls for (None: the rule's); ``detail`` explains it (unit, baseline, why)."""

    enter: bool = False
    hold: bool = False
    nodata: bool = False
    value: float | None = None
    sample_ts: datetime | None = None
    severity: str | None = None
    detail: dict[str, Any] | None = None


@dataclass(frozen=True)
class Transition:
    """One state change (or repeat notification, or escalation) written by the engine."""

    fingerprint: str
    rule: str
    labels: dict[str, str]
    from_state: str
    to_state: str
    seq: int
    at: datetime
    value: float | None = None
    kind: str = "transition"
    notified: bool = False
    muted_by: str | None = None
    receivers: tuple[str, ...] = field(default_factory=tuple)
    severity: str = ""


def _move(alert: AlertState, to: str, now: datetime) -> str:
    before = alert.state
    alert.state = to
    alert.seq += 1
    alert.acked_seq = None
    if to == "firing":
        alert.fired_at = now
    elif to == "resolved":
        alert.resolved_at = now
    return before


def step(alert: AlertState, obs: Observation, now: datetime, timing: Timing) -> str | None:
    """Apply one evaluation to ``alert`` (in place); the previous state if it changed, else None."""
    s = alert.state
    if obs.value is not None or obs.sample_ts is not None:
        alert.value, alert.sample_ts = obs.value, obs.sample_ts
    if obs.nodata:
        if s == "firing":
            return _move(alert, "nodata", now)
        if s == "pending":
            return _move(alert, "inactive", now)
        return None
    active = obs.hold if s in ("pending", "firing") else obs.enter
    if active and timing.keep_firing_for > timedelta(0):  # only keep_firing_for reads it
        alert.last_active_at = now
    if s in ("inactive", "resolved", "nodata"):
        if not active:
            return _move(alert, "resolved", now) if s == "nodata" else None
        if s == "nodata":
            return _move(alert, "firing", now)
        if s == "resolved" and alert.resolved_at is not None and now - alert.resolved_at < timing.cooldown:
            return None
        alert.active_since = now
        return _move(alert, "firing" if timing.for_ <= timedelta(0) else "pending", now)
    if s == "pending":
        if not active:
            return _move(alert, "inactive", now)
        if alert.active_since is not None and now - alert.active_since >= timing.for_:
            return _move(alert, "firing", now)
        return None
    # firing
    if active:
        return None
    if alert.last_active_at is not None and now - alert.last_active_at < timing.keep_firing_for:
        return None
    return _move(alert, "resolved", now)


def due_notification(alert: AlertState, now: datetime, timing: Timing, *, muted: bool = False) -> str | None:
    """``'transition'`` (notify the current state), ``'repeat'`` or None."""
    if muted:
        return None
    s, sent = alert.state, alert.notified_state
    if s == "firing":
        if sent != "firing" or alert.notified_seq < alert.seq:
            return "transition"
        if (timing.repeat_interval > timedelta(0) and alert.acked_seq is None and alert.last_notified_at
                and now - alert.last_notified_at >= timing.repeat_interval):
            return "repeat"
    elif (s == "nodata" and sent != "nodata") or (s == "resolved" and sent in ("firing", "nodata")):
        return "transition"
    return None


def mark_notified(alert: AlertState, kind: str, now: datetime) -> None:
    """Record that the current state (or a repeat, which takes a new ``seq``) is being notified."""
    if kind == "repeat":
        alert.seq += 1
    alert.notified_seq, alert.notified_state, alert.last_notified_at = alert.seq, alert.state, now


def advance(alert: AlertState, obs: Observation, now: datetime, timing: Timing, *,
            muted: bool = False) -> tuple[str | None, str | None]:
    """:func:`step` then :func:`due_notification`: (previous state or None, notification kind or None)."""
    before = step(alert, obs, now, timing)
    kind = due_notification(alert, now, timing, muted=muted)
    if kind:
        mark_notified(alert, kind, now)
    return before, kind


def record_firing(alert: AlertState, obs: Observation, before: str | None, rule: Rule) -> bool:
    """Keep what fired the alert (value, unit, baseline, why) and set its severity; True when the severity of a
    firing alert rose (an escalation, notified on its own ``seq``). Severity is set when an episode starts and
    only rises within it."""
    if obs.nodata:
        return False
    wanted = obs.severity or rule.severity
    higher = max(alert.severity or rule.severity, wanted, key=severity_rank)
    if before in ("inactive", "resolved") and alert.state in ("pending", "firing"):
        alert.severity = wanted
        _keep(alert, obs)
    elif before == "pending" and alert.state == "firing":
        alert.severity = higher
        _keep(alert, obs)
    elif before is None and alert.state == "pending":
        alert.severity = higher
    elif before is None and alert.state == "firing":
        if alert.fired_value is None:
            _keep(alert, obs)
        if severity_rank(wanted) > severity_rank(alert.severity or rule.severity):
            alert.severity = wanted
            _keep(alert, obs)
            alert.seq += 1
            return True
    return False


def _keep(alert: AlertState, obs: Observation) -> None:
    d = obs.detail or {}
    alert.fired_value = obs.value if obs.value is not None else d.get("value")
    alert.fired_sample_ts = obs.sample_ts
    alert.unit = d.get("unit")
    base = d.get("baseline")
    alert.baseline = None if base is None or base != base else float(base)
    alert.why = d.get("why")
    alert.detail = json.dumps(d, default=str, sort_keys=True) if d else None


def alert_annotations(rule: Rule, alert: AlertState) -> dict[str, str]:
    out = {"summary": rule.summary or rule.name, "state": alert.state, "category": alert.category}
    if alert.value is not None:
        out["value"] = f"{alert.value:.6g}"
    if alert.fired_value is not None:
        out["fired_value"] = f"{alert.fired_value:.6g}"
    for key in ("unit", "why"):
        if getattr(alert, key):
            out[key] = str(getattr(alert, key))
    if alert.baseline is not None:
        out["baseline"] = f"{alert.baseline:.6g}"
    if alert.sample_ts is not None:
        out["sample_time"] = pd.Timestamp(alert.sample_ts).isoformat()
    return out


def _iso(ts: datetime | None) -> str:
    return "0001-01-01T00:00:00Z" if ts is None else pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def alert_payload(alert: AlertState, annotations: dict[str, str], kind: str, from_state: str) -> dict[str, Any]:
    """One alert as in an Alertmanager webhook body, plus ``seq``, ``kind`` and ``idempotencyKey``."""
    return {
        "status": alert.state, "labels": alert.effective_labels(), "annotations": annotations,
        "startsAt": _iso(alert.fired_at or alert.active_since),
        "endsAt": _iso(alert.resolved_at if alert.state == "resolved" else None),
        "generatorURL": f"cultrade://monitor/rules/{alert.rule}", "fingerprint": alert.fingerprint,
        "seq": alert.seq, "kind": kind, "fromState": from_state,
        "idempotencyKey": f"{alert.fingerprint}-{alert.seq}",
    }


def _muted_by(alert: AlertState, silences: list[Silence], inhibitors: dict[str, str], now: datetime) -> str | None:
    labels = alert.effective_labels()
    ids = [f"silence:{s.id}" for s in silences if s.matches(labels, now)]
    if alert.fingerprint in inhibitors:
        ids.append(f"inhibited:{inhibitors[alert.fingerprint]}")
    return ",".join(ids) or None


def inhibited(alerts: list[AlertState], ruleset: RuleSet) -> dict[str, str]:
    """Fingerprint of each muted target alert -> fingerprint of a firing alert that inhibits it."""
    out: dict[str, str] = {}
    for ir in ruleset.inhibit_rules:
        sources: dict[tuple[str | None, ...], list[str]] = {}
        for a in alerts:
            if a.state == "firing" and label_matches(a.effective_labels(), ir.source):
                sources.setdefault(tuple(a.labels.get(k) for k in ir.equal), []).append(a.fingerprint)
        if not sources:
            continue
        for target in alerts:
            if target.fingerprint in out or not label_matches(target.effective_labels(), ir.target):
                continue
            for src in sources.get(tuple(target.labels.get(k) for k in ir.equal), ()):
                if src != target.fingerprint:
                    out[target.fingerprint] = src
                    break
    return out


#: (alert, rule, observation or None (no data), previous state or None, is new, the alert's fields before)
WorkItem = tuple[AlertState, Rule, "Observation | None", "str | None", bool, dict[str, Any]]


def work_item(alert: AlertState | None, fp: str, labels: dict[str, str], rule: Rule, obs: Observation,
              now: datetime, timing: Timing) -> WorkItem | None:
    """Step the alert of one series of ``rule`` (a new alert only if ``obs`` enters; None otherwise)."""
    is_new = alert is None
    if alert is None:
        if obs.nodata or not obs.enter:
            return None
        alert = AlertState(fp, rule.name, labels, created_at=now, category="outlook" if rule.outlook else "event")
    before_row = dict(vars(alert))
    alert.summary = rule.summary
    return alert, rule, obs, step(alert, obs, now, timing), is_new, before_row


def nodata_item(alert: AlertState, rule: Rule, now: datetime, timing: Timing) -> WorkItem:
    """Step an alert of ``rule`` whose series has no sample now."""
    before_row = dict(vars(alert))
    return alert, rule, None, step(alert, Observation(nodata=True), now, timing), False, before_row


class Sink(Protocol):
    """Where :func:`settle` writes events and notifications (the evaluator buffers them per transaction)."""

    def event(self, alert: AlertState, at: datetime, from_state: str, kind: str, muted_by: str | None) -> None: ...

    def notify(self, payload: dict[str, Any], receivers: tuple[str, ...], group_key: str, now: datetime) -> None: ...


class StoreSink:
    """Writes straight into the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def event(self, alert: AlertState, at: datetime, from_state: str, kind: str, muted_by: str | None) -> None:
        record_event(self.store, alert, at=at, from_state=from_state, kind=kind, muted_by=muted_by)

    def notify(self, payload: dict[str, Any], receivers: tuple[str, ...], group_key: str, now: datetime) -> None:
        from cultrade.monitor.notify import enqueue

        enqueue(self.store, payload, receivers, group_key=group_key, now=now)


def settle(store: Store, work: dict[str, WorkItem], ruleset: RuleSet, silences: list[Silence],
           routes: list[Watchlist], now: datetime, *, save: Callable[[AlertState, bool], None],
           sink: Sink | None = None) -> list[Transition]:
    """Write the transitions of the stepped alerts in ``work``: their events, their outbox rows, and ``save``
    every alert that changed. The caller holds the transaction, so all of it commits (or not) together."""
    inhibitors = inhibited([w[0] for w in work.values()], ruleset)
    out: list[Transition] = []
    write = sink if sink is not None else StoreSink(store)
    for fp, (alert, rule, obs, before, is_new, before_row) in work.items():
        timing = Timing.of(rule)
        escalated = record_firing(alert, obs, before, rule) if obs is not None else False
        muted = _muted_by(alert, silences, inhibitors, now)
        if before is not None:
            write.event(alert, now, before, "transition", muted)
        elif escalated:
            write.event(alert, now, "firing", "escalation", muted)
        kind = due_notification(alert, now, timing, muted=muted is not None)
        receivers: tuple[str, ...] = ()
        if kind:
            sent_from = alert.notified_state or "inactive"
            mark_notified(alert, kind, now)
            if kind == "repeat":
                write.event(alert, now, "firing", "repeat", None)
            elif escalated and before is None:
                kind = "escalation"
            receivers = tuple(route(routes, alert.effective_labels()))
            payload = alert_payload(alert, alert_annotations(rule, alert), kind, sent_from)
            write.notify(payload, receivers, _group_key(alert, ruleset), now)
        if before is not None or kind or escalated:
            out.append(Transition(fp, alert.rule, alert.labels, before or alert.state, alert.state, alert.seq,
                                  now, alert.value, kind or ("escalation" if escalated else "transition"),
                                  bool(kind), muted, receivers, alert.severity))
        changed = any(v != before_row.get(k) for k, v in vars(alert).items())
        if is_new or changed:
            alert.last_eval_at = now
            save(alert, is_new)
    return out


def _group_key(alert: AlertState, ruleset: RuleSet) -> str:
    return json.dumps({k: alert.labels.get(k, "") for k in ruleset.group_by}, sort_keys=True)


def evaluate(store: Store, now: datetime | None = None, *, rules: RuleSet | None = None,
             watchlists: list[Watchlist] | None = None) -> list[Transition]:
    """Evaluate every enabled rule once at ``now`` (naive UTC or aware; default: the clock) and persist the
    result: the :class:`~cultrade.monitor.evaluator.Evaluator`, seeded from the store, in one transaction.

    Returns the transitions and notifications written; an unchanged world writes nothing.
    """
    from cultrade.monitor.alerts import naive_utc
    from cultrade.monitor.evaluator import Evaluator

    at = naive_utc(now) if now is not None else utcnow()
    out = Evaluator(rules, watchlists).run(store, at)
    if out:
        log.info("monitor: %d alert transition(s) at %s", len(out), at.isoformat())
    return out


__all__ = ["NOTIFIED_STATES", "Observation", "Timing", "Transition", "advance", "alert_annotations",
           "alert_payload", "due_notification", "evaluate", "inhibited", "mark_notified", "nodata_item",
           "record_firing", "settle", "step", "work_item"]

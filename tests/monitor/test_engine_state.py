"""The alert state machine under random sample sequences (hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cultrade.monitor.alerts import AlertState
from cultrade.monitor.engine import NOTIFIED_STATES, Observation, Timing, advance, evaluate, inhibited
from cultrade.monitor.rules import load_rules
from cultrade.monitor.signals import SIGNALS_DDL
from cultrade.settings import Settings
from cultrade.store import Store

T0 = datetime(2026, 1, 1)
ENTER, EXIT = 10.0, 5.0  # op ">": start above 10, hold above 5

minutes = st.sampled_from([0, 30, 60, 120])
timings = st.builds(
    Timing,
    for_=minutes.map(lambda m: timedelta(minutes=m)),
    keep_firing_for=st.sampled_from([0, 45]).map(lambda m: timedelta(minutes=m)),
    cooldown=st.sampled_from([0, 90]).map(lambda m: timedelta(minutes=m)),
    repeat_interval=st.sampled_from([0, 180]).map(lambda m: timedelta(minutes=m)),
)
values = st.one_of(st.none(), st.floats(0, 15, allow_nan=False), st.sampled_from([4.0, 5.0, 7.5, 10.0, 12.0]))
steps = st.lists(st.tuples(st.integers(1, 90), values, st.booleans()), min_size=1, max_size=60)


@dataclass
class Rec:
    at: datetime
    value: float | None
    muted: bool
    before_state: str
    before: str | None
    after: str
    kind: str | None
    seq: int


def simulate(timing: Timing, seq: list[tuple[int, float | None, bool]], *, mutes: bool = True) -> list[Rec]:
    alert = AlertState("fp", "r", {"alertname": "r"})
    now, out = T0, []
    for dt, v, muted in seq:
        now += timedelta(minutes=dt)
        obs = Observation(nodata=True) if v is None else Observation(enter=v > ENTER, hold=v > EXIT, value=v)
        state = alert.state
        before, kind = advance(alert, obs, now, timing, muted=muted and mutes)
        out.append(Rec(now, v, muted and mutes, state, before, alert.state, kind, alert.seq))
    return out


@settings(max_examples=300, deadline=None)
@given(timings, steps)
def test_pending_never_notifies_and_fires_only_after_for(timing: Timing, seq: list) -> None:
    pending_since = None
    for r in simulate(timing, seq):
        if r.kind:
            assert r.after in NOTIFIED_STATES
        if r.after == "pending":
            assert r.kind is None
        if r.before is not None and r.after == "pending":
            pending_since = r.at
        if r.before == "pending" and r.after == "firing":
            assert pending_since is not None and r.at - pending_since >= timing.for_
        if r.before in ("inactive", "resolved") and r.after == "firing":
            assert timing.for_ == timedelta(0)


@settings(max_examples=300, deadline=None)
@given(timings, steps)
def test_hysteresis_no_flapping_between_the_levels(timing: Timing, seq: list) -> None:
    for r in simulate(timing, seq):
        if r.value is None or r.before is None:
            continue
        if r.before in ("inactive", "resolved") and r.after in ("pending", "firing"):
            assert r.value > ENTER  # only the enter level starts an alert
        if r.before in ("pending", "firing") and r.after in ("inactive", "resolved"):
            assert r.value <= EXIT  # only the exit level ends one
        if EXIT < r.value <= ENTER and r.before_state in ("inactive", "resolved", "pending", "firing"):
            assert r.before is None or (r.before, r.after) == ("pending", "firing")


@settings(max_examples=300, deadline=None)
@given(timings, steps)
def test_no_data_is_a_state_of_its_own(timing: Timing, seq: list) -> None:
    for r in simulate(timing, seq):
        if r.value is None:
            assert r.after != "resolved" or r.before is None
            if r.before_state == "firing":
                assert r.after == "nodata"
        if r.after == "nodata":
            assert r.before_state in ("firing", "nodata")


@settings(max_examples=300, deadline=None)
@given(timings, steps)
def test_cooldown_and_keep_firing_for(timing: Timing, seq: list) -> None:
    resolved_at = last_active = None
    for r in simulate(timing, seq):
        if r.before is not None and r.after == "resolved":
            resolved_at = r.at
            if r.before == "firing":
                assert last_active is None or r.at - last_active >= timing.keep_firing_for
        if r.before == "resolved" and r.after in ("pending", "firing"):
            assert resolved_at is not None and r.at - resolved_at >= timing.cooldown
        if r.value is not None and r.value > (EXIT if r.before_state in ("pending", "firing") else ENTER):
            last_active = r.at


@settings(max_examples=300, deadline=None)
@given(timings, steps)
def test_exactly_one_notification_per_transition_without_mutes(timing: Timing, seq: list) -> None:
    recs = simulate(timing, seq, mutes=False)
    sent = [r for r in recs if r.kind]
    assert len({r.seq for r in sent}) == len(sent)  # one per sequence number (idempotency key)
    for r in recs:
        notifiable = (r.before is not None and r.after in ("firing", "nodata")) or (
            r.before in ("firing", "nodata") and r.after == "resolved")
        assert (r.kind == "transition") == notifiable
        if r.before is None and r.kind:
            assert r.kind == "repeat" and r.after == "firing"


@settings(max_examples=300, deadline=None)
@given(timings, steps)
def test_repeat_interval(timing: Timing, seq: list) -> None:
    last_sent = None
    for r in simulate(timing, seq, mutes=False):
        if r.kind == "repeat":
            assert timing.repeat_interval > timedelta(0)
            assert last_sent is not None and r.at - last_sent >= timing.repeat_interval
        elif (r.before is None and r.after == "firing" and timing.repeat_interval and last_sent is not None
              and r.at - last_sent >= timing.repeat_interval):
            raise AssertionError("a due repeat was not sent")
        if r.kind:
            last_sent = r.at


@settings(max_examples=300, deadline=None)
@given(timings, steps)
def test_silenced_alerts_change_state_but_do_not_notify(timing: Timing, seq: list) -> None:
    recs = simulate(timing, seq)
    unmuted = simulate(timing, [(dt, v, False) for dt, v, _ in seq])
    assert [r.after for r in recs] == [r.after for r in unmuted]  # the same states with or without silences
    sent_seqs = []
    owed = False
    for r in recs:
        if r.muted:
            assert r.kind is None
        if r.kind:
            sent_seqs.append(r.seq)
        if r.before is not None and r.after == "firing":
            owed = r.kind is None
        if owed and not r.muted and r.after == "firing":
            assert r.kind == "transition"  # expiry restores: the muted firing is sent once
            owed = False
        if r.after != "firing":
            owed = False
    assert sent_seqs == sorted(set(sent_seqs))


def test_inhibition_needs_a_firing_source_with_equal_labels() -> None:
    rs = load_rules(text="inhibit_rules: [{name: c, source: {scope: country}, target: {scope: signal}}]",
                    shipped=False)
    src = AlertState("s", "a", {"scope": "country", "iso3": "IRN"}, state="firing")
    same = AlertState("t1", "b", {"scope": "signal", "iso3": "IRN"}, state="firing")
    other = AlertState("t2", "b", {"scope": "signal", "iso3": "TUR"}, state="firing")
    assert inhibited([src, same, other], rs) == {"t1": "s"}
    src.state = "pending"
    assert inhibited([src, same, other], rs) == {}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.floats(0, 9), st.floats(0, 9), st.booleans()), min_size=2, max_size=12))
def test_store_outbox_has_one_row_per_notified_transition(tmp_path: Path, seq: list) -> None:
    rules = load_rules(text="""
inhibit_rules: [{name: c, source: {scope: country}, target: {scope: signal}}]
rules:
  - {name: p, series: {kind: signal, metric: protest}, condition: {type: anomaly, op: ">=", value: 4, exit: 2},
     for: 1h, stale_after: 2h, repeat_interval: 3h, labels: {scope: signal}}
  - {name: c, series: {kind: signal, metric: conflict_intensity}, condition: {type: anomaly, op: ">=", value: 6},
     stale_after: 2h, labels: {scope: country}}
""", shipped=False)
    with Store(":memory:", settings=Settings(home=tmp_path)) as store:
        store.con.execute(SIGNALS_DDL)
        notified = 0
        for h, (protest, conflict, gap) in enumerate(seq):
            ts = T0 + timedelta(hours=h)
            if not gap:
                rows = pd.DataFrame({"iso3": ["IRN", "IRN"], "granularity": "hour", "ts": ts,
                                     "metric": ["protest", "conflict_intensity"], "value": 1.0, "baseline": 0.0,
                                     "mad": 1.0, "anomaly": [protest, conflict], "updated_at": ts})
                store.con.register("_r", rows)
                store.con.execute("INSERT INTO monitor_signals SELECT * FROM _r")
                store.con.unregister("_r")
            notified += sum(t.notified for t in evaluate(store, ts + timedelta(minutes=30), rules=rules))
        box = store.con.execute("SELECT idempotency_key FROM outbox").df()
        assert len(box) == notified and box["idempotency_key"].is_unique
        events = store.con.execute("SELECT count(*) FROM alert_events").fetchone()
        assert events is not None and events[0] >= notified

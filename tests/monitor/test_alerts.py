"""The alert lifecycle in a real store: evaluate() on signals, inhibition, silences, acks, routing, the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from cultrade.errors import ConfigError
from cultrade.monitor.alerts import (
    Silence,
    acknowledge,
    add_silence,
    alert_events,
    ensure_schema,
    expire_silence,
    list_alerts,
    load_alerts,
    snapshot_risk,
)
from cultrade.monitor.engine import evaluate
from cultrade.monitor.rules import RuleSet, load_rules
from cultrade.monitor.signals import SIGNALS_DDL
from cultrade.monitor.watchlists import Watchlist, add_watchlist, load_watchlists
from cultrade.store import Store

T0 = datetime(2026, 3, 1, 0, 0)
RULES = """
group_by: [iso3]
inhibit_rules:
  - {name: country_mutes_parts, source: {scope: country}, target: {scope: [signal, indicator]}, equal: [iso3]}
rules:
  - name: protest_surge
    series: {kind: signal, metric: protest, granularity: hour}
    condition: {type: anomaly, op: ">=", value: 4, exit: 2}
    for: 1h
    stale_after: 3h
    repeat_interval: 4h
    labels: {scope: signal}
  - name: escalation
    series: {kind: signal, metric: conflict_intensity, granularity: hour}
    condition: {type: anomaly, op: ">=", value: 6, exit: 3}
    stale_after: 3h
    repeat_interval: 0s
    severity: critical
    labels: {scope: country}
"""


def rules() -> RuleSet:
    return load_rules(text=RULES, shipped=False)


def put(store: Store, ts: datetime, values: dict[tuple[str, str], float], granularity: str = "hour") -> None:
    """One bucket of signals: {(iso3, metric): anomaly}."""
    store.con.execute(SIGNALS_DDL)
    rows = pd.DataFrame([{"iso3": i, "granularity": granularity, "ts": ts, "metric": m, "value": 10.0 * a,
                          "baseline": 1.0, "mad": 1.0, "anomaly": a, "updated_at": ts}
                         for (i, m), a in values.items()])
    store.con.register("_rows", rows)
    store.con.execute("INSERT INTO monitor_signals SELECT * FROM _rows")
    store.con.unregister("_rows")


def run(store: Store, hours: int, values: dict[tuple[str, str], float], start: datetime = T0,
        rs: RuleSet | None = None) -> list:
    out = []
    for h in range(hours):
        ts = start + timedelta(hours=h)
        put(store, ts, values)
        out += evaluate(store, ts + timedelta(minutes=59), rules=rs or rules())
    return out


def outbox(store: Store) -> pd.DataFrame:
    return store.con.execute("SELECT * FROM outbox ORDER BY id").df()


def test_pending_then_firing_then_resolved_with_one_notification_each(store: Store) -> None:
    trs = run(store, 3, {("IRN", "protest"): 5.0})
    assert [(t.from_state, t.to_state, t.notified) for t in trs] == [
        ("inactive", "pending", False), ("pending", "firing", True)]
    # hysteresis: 3 is below the enter level 4 but above the exit level 2: still firing
    assert run(store, 2, {("IRN", "protest"): 3.0}, start=T0 + timedelta(hours=3)) == []
    trs = run(store, 1, {("IRN", "protest"): 1.0}, start=T0 + timedelta(hours=5))
    assert [(t.from_state, t.to_state, t.notified) for t in trs] == [("firing", "resolved", True)]
    box = outbox(store)
    assert box["idempotency_key"].is_unique and len(box) == 2
    assert [json.loads(p)["status"] for p in box["payload"]] == ["firing", "resolved"]
    events = alert_events(store)
    assert events["to_state"].tolist() == ["pending", "firing", "resolved"]
    assert box["receiver"].unique().tolist() == ["log"]


def test_evaluating_twice_at_the_same_time_writes_nothing_new(store: Store) -> None:
    run(store, 3, {("IRN", "protest"): 5.0})
    before = len(outbox(store))
    assert evaluate(store, T0 + timedelta(hours=2, minutes=59), rules=rules()) == []
    assert len(outbox(store)) == before


def test_repeat_interval_and_ack(store: Store) -> None:
    trs = run(store, 10, {("IRN", "protest"): 5.0})
    repeats = [t for t in trs if t.kind == "repeat"]
    assert [t.at.hour for t in repeats] == [5, 9]  # fired at 01:59, then every 4 h
    acknowledge(store, list_alerts(store)["id"][0][:6], by="ana", comment="on it")
    assert [t for t in run(store, 8, {("IRN", "protest"): 5.0}, start=T0 + timedelta(hours=10))
            if t.kind == "repeat"] == []
    listed = list_alerts(store, state="firing")
    assert listed["acked_by"].tolist() == ["ana"]


def test_no_data_is_not_resolved(store: Store) -> None:
    run(store, 3, {("IRN", "protest"): 5.0})
    # the stream stops: nothing for 4 hours
    trs = evaluate(store, T0 + timedelta(hours=7), rules=rules())
    assert [(t.from_state, t.to_state, t.notified) for t in trs] == [("firing", "nodata", True)]
    trs = run(store, 1, {("IRN", "protest"): 1.0}, start=T0 + timedelta(hours=8))
    assert [(t.from_state, t.to_state) for t in trs] == [("nodata", "resolved")]


def test_a_country_missing_from_a_covered_bucket_is_inactive_not_stale(store: Store) -> None:
    run(store, 3, {("IRN", "protest"): 5.0})
    trs = run(store, 5, {("TUR", "protest"): 0.0}, start=T0 + timedelta(hours=3))
    assert [(t.labels["iso3"], t.to_state) for t in trs] == [("IRN", "resolved")]


def test_inhibition_mutes_sub_alerts_of_the_same_country_only(store: Store) -> None:
    trs = run(store, 3, {("IRN", "protest"): 5.0, ("IRN", "conflict_intensity"): 8.0, ("TUR", "protest"): 5.0})
    fired = {(t.rule, t.labels["iso3"]): t for t in trs if t.to_state == "firing"}
    assert set(fired) == {("protest_surge", "IRN"), ("protest_surge", "TUR"), ("escalation", "IRN")}
    assert not fired[("protest_surge", "IRN")].notified
    assert fired[("protest_surge", "IRN")].muted_by.startswith("inhibited:")
    assert fired[("protest_surge", "TUR")].notified and fired[("escalation", "IRN")].notified
    # the country-level alert resolves: the still-firing sub-alert is notified now, once
    trs = run(store, 2, {("IRN", "protest"): 5.0, ("IRN", "conflict_intensity"): 0.0, ("TUR", "protest"): 5.0},
              start=T0 + timedelta(hours=3))
    late = [t for t in trs if t.rule == "protest_surge" and t.labels["iso3"] == "IRN"]
    assert [(t.to_state, t.notified, t.kind) for t in late] == [("firing", True, "transition")]
    keys = outbox(store)["idempotency_key"]
    assert keys.is_unique


def test_silence_mutes_then_expiry_restores(store: Store) -> None:
    add_silence(store, Silence.create(["iso3=IRN", "alertname=~protest.*"], author="ana", reason="known protest",
                                      ends_at=T0 + timedelta(hours=4), starts_at=T0))
    trs = run(store, 3, {("IRN", "protest"): 5.0})
    assert [(t.to_state, t.notified) for t in trs] == [("pending", False), ("firing", False)]
    assert trs[-1].muted_by and trs[-1].muted_by.startswith("silence:")
    assert outbox(store).empty
    trs = run(store, 2, {("IRN", "protest"): 5.0}, start=T0 + timedelta(hours=3))
    assert [(t.to_state, t.notified, t.seq) for t in trs] == [("firing", True, 2)]  # the muted transition's seq
    assert len(outbox(store)) == 1


def test_resolved_under_silence_is_not_sent_if_firing_never_was(store: Store) -> None:
    silence = add_silence(store, Silence.create(["iso3=IRN"], author="ana", reason="r",
                                                ends_at=T0 + timedelta(days=1), starts_at=T0))
    run(store, 3, {("IRN", "protest"): 5.0})
    run(store, 1, {("IRN", "protest"): 0.0}, start=T0 + timedelta(hours=3))
    expire_silence(store, silence.id, now=T0 + timedelta(hours=4))
    assert run(store, 1, {("IRN", "protest"): 0.0}, start=T0 + timedelta(hours=4)) == []
    assert outbox(store).empty
    assert alert_events(store)["to_state"].tolist() == ["pending", "firing", "resolved"]


def test_watchlist_routing(store: Store) -> None:
    add_watchlist(store, Watchlist.create("acme", countries=["IRN"], min_severity="critical",
                                          receivers=["webhook:http://127.0.0.1:9/a"]))
    add_watchlist(store, Watchlist.create("beta", countries=[], min_severity="warning",
                                          receivers=["email:ops@beta.example"]))
    run(store, 3, {("IRN", "conflict_intensity"): 8.0, ("TUR", "protest"): 5.0})
    box = outbox(store)
    routed = {(json.loads(p)["labels"]["alertname"], r) for p, r in zip(box["payload"], box["receiver"], strict=True)}
    assert routed == {("escalation", "webhook:http://127.0.0.1:9/a"), ("escalation", "email:ops@beta.example"),
                      ("protest_surge", "email:ops@beta.example")}
    assert len(load_watchlists(store)) == 2


def test_risk_band_rule_reads_the_snapshot_history(store: Store) -> None:
    scores = pd.DataFrame({"iso3": ["IRN", "IRN", "NOR", "NOR"], "year": [2022, 2023, 2022, 2023],
                           "score": [5.0, 7.2, 1.0, 1.1], "band": ["medium", "high", "very low", "very low"]})
    assert snapshot_risk(store, "CHN", "games", scores=scores, now=T0) == 4
    rs = load_rules(text="rules: [{name: band, series: {kind: risk}, condition: {type: band, window: 1y, "
                         "at_least: high}, stale_after: 5y}]", shipped=False)
    trs = evaluate(store, datetime(2024, 6, 1), rules=rs)
    assert [(t.labels["iso3"], t.labels["domain"], t.to_state) for t in trs] == [("IRN", "games", "firing")]


def test_acknowledge_and_silence_errors(store: Store) -> None:
    with pytest.raises(ConfigError, match="no alert"):
        acknowledge(store, "ffff", by="ana")
    with pytest.raises(ConfigError, match="bad matcher"):
        Silence.create(["iso3"], author="a", reason="r", ends_at=T0)
    with pytest.raises(ConfigError, match="end before"):
        Silence.create(["iso3=IRN"], author="a", reason="r", ends_at=T0, starts_at=T0 + timedelta(hours=1))


def test_cli(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from cultrade.commands import alerts as cmd

    run(store, 3, {("IRN", "protest"): 5.0})
    monkeypatch.setattr(cmd, "open_store", lambda: _Shared(store))
    app = typer.Typer()
    cmd.register(app)
    cli = CliRunner()
    out = cli.invoke(app, ["alerts", "list", "--state", "firing", "--country", "irn"])
    assert out.exit_code == 0, out.output
    assert "protest_surge" in out.output
    fp = load_alerts(store).popitem()[0]
    out = cli.invoke(app, ["alerts", "ack", fp[:8], "--by", "ana", "--comment", "seen"])
    assert out.exit_code == 0 and "acknowledged" in out.output
    out = cli.invoke(app, ["alerts", "silence", "--match", "iso3=IRN", "--by", "ana", "--reason", "x", "--for", "24h"])
    assert out.exit_code == 0, out.output
    sid = out.output.split()[1]
    assert cli.invoke(app, ["alerts", "unsilence", sid]).exit_code == 0
    out = cli.invoke(app, ["alerts", "silence", "--match", "iso3", "--by", "a", "--reason", "x", "--for", "1h"])
    assert out.exit_code == 2 and "bad matcher" in out.output
    out = cli.invoke(app, ["alerts", "list", "--state", "burning"])
    assert out.exit_code == 2
    out = cli.invoke(app, ["alerts", "watchlist", "add", "acme", "--country", "IRN", "--receiver", "log"])
    assert out.exit_code == 0, out.output
    out = cli.invoke(app, ["alerts", "watchlist", "list"])
    assert "acme" in out.output
    out = cli.invoke(app, ["alerts", "dispatch"])
    assert out.exit_code == 0 and "delivered 1" in out.output, out.output


class _Shared:
    """The test's store, handed to a CLI command without being closed by its ``with``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> Store:
        return self.store

    def __exit__(self, *exc: object) -> None:
        return None


def test_forecast_rule_reads_the_latest_model_run(store: Store) -> None:
    store.con.execute("CREATE TABLE forecast_probabilities (iso3 VARCHAR, origin_year INTEGER, target VARCHAR, "
                      "horizon_years INTEGER, probability DOUBLE, model VARCHAR, created_at TIMESTAMP)")
    store.con.execute("INSERT INTO forecast_probabilities VALUES "
                      "('IRN', 2024, 'conflict_onset', 1, 0.10, 'logit', '2025-01-01'),"
                      "('IRN', 2024, 'conflict_onset', 1, 0.45, 'logit', '2025-02-01'),"
                      "('NOR', 2024, 'conflict_onset', 1, 0.01, 'logit', '2025-02-01'),"
                      "('IRN', 2024, 'band_deterioration', 1, 0.90, 'logit', '2025-02-01')")
    rs = RuleSet(rules=[load_rules().rule("forecast_conflict_onset")])
    trs = evaluate(store, datetime(2025, 3, 1), rules=rs)
    assert [(t.labels["iso3"], t.labels["horizon_years"], t.labels["model"], t.to_state, t.value) for t in trs] == [
        ("IRN", "1", "logit", "firing", 0.45)]


# -- honest alerts: the value that fired it, its unit and baseline, why; severity from magnitude and breadth --
def test_the_value_that_fired_an_alert_is_kept_with_its_unit_and_why(store: Store) -> None:
    run(store, 3, {("IRN", "protest"): 5.0})
    run(store, 1, {("IRN", "protest"): 3.0}, start=T0 + timedelta(hours=3))  # still firing (above exit)
    row = list_alerts(store, state="firing").iloc[0]
    assert (row["fired_value"], row["unit"], row["category"]) == (5.0, "robust z", "event")
    assert row["value"] == 3.0  # the latest sample, shown apart from what fired it
    assert row["why"] == "protest 50 in the hour (robust z 5, alert at >= 4)"
    assert json.loads(row["detail"])["kind"] == "anomaly"


def test_an_alert_rising_to_critical_is_notified_again_and_never_lowered(store: Store) -> None:
    from cultrade.monitor.engine import Observation, Timing, settle, work_item
    from cultrade.monitor.rules import load_rules

    rule = load_rules(text="rules: [{name: v, series: {kind: signal, metric: fight_articles}, condition: {type: "
                           "surprise, value: 4, exit: 2, windows: [1h]}, critical: {surprise: 6}}]",
                      shipped=False).rules[0]
    rs = RuleSet(rules=[rule])
    alerts: dict = {}
    ensure_schema(store)

    def tick(minute: int, s: float, severity: str) -> list:
        now = T0 + timedelta(minutes=minute)
        detail = {"kind": "surprise", "value": s, "unit": "articles", "baseline": 0.2, "why": f"S {s}"}
        obs = Observation(enter=s >= 4, hold=s >= 2, value=s, sample_ts=now, severity=severity, detail=detail)
        item = work_item(alerts.get("fp"), "fp", {"alertname": "v", "iso3": "KEN", "severity": "warning"}, rule, obs,
                         now, Timing.of(rule))
        if item is None:
            return []
        with store.transaction():
            out = settle(store, {"fp": item}, rs, [], [], now, save=lambda a, new: alerts.update(fp=a))
        return out

    first = tick(0, 4.5, "warning")
    assert [(t.to_state, t.severity, t.notified) for t in first] == [("firing", "warning", True)]
    up = tick(15, 7.0, "critical")
    assert [(t.kind, t.to_state, t.severity, t.notified) for t in up] == [("escalation", "firing", "critical", True)]
    assert alerts["fp"].fired_value == 7.0 and alerts["fp"].why == "S 7.0"  # the value that made it critical
    assert tick(30, 4.5, "warning") == []  # the same episode: it stays critical
    assert alerts["fp"].severity == "critical"
    box = outbox(store)
    assert len(box) == 2 and box["idempotency_key"].is_unique
    assert json.loads(box["payload"].iloc[1])["labels"]["severity"] == "critical"

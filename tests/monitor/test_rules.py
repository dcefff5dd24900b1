"""Rule files: the shipped defaults, merging a user file, validation errors, durations, conditions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from cultrade.errors import ConfigError
from cultrade.monitor.conditions import observe, scan
from cultrade.monitor.panels import KEYS, Panel
from cultrade.monitor.rules import Rule, check, load_rules, parse_duration, rules_for_engine

SHIPPED = {"armed_violence", "interstate_clash", "protest_surge", "repression_surge", "sanctions_surge",
           "dyad_sanctions", "home_relations", "stability_low", "stability_drop", "fx_depreciation_yoy",
           "fx_depreciation_mom", "inflation_high", "hyperinflation", "conflict_onset", "risk_band_worsens",
           "forecast_currency_crisis", "forecast_inflation_crisis", "forecast_conflict_onset"}


def conditions(df: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    return scan(Panel.from_frame(df, KEYS[rule.series.kind]), rule)


def test_shipped_rules() -> None:
    rs = load_rules()
    assert {r.name for r in rs.rules} == SHIPPED
    assert rs.group_by == ["iso3"] and rs.inhibit_rules[0].source == {"scope": "country"}
    violence = rs.rule("armed_violence")
    assert violence.series.metrics == ("assault_articles", "fight_articles", "aerial_articles",
                                       "mass_violence_articles")
    assert violence.condition.type == "surprise" and [w.text for w in violence.condition.windows] == ["1h", "3h"]
    assert violence.critical is not None and violence.critical.types == 2
    assert rs.rule("protest_surge").for_.timedelta == timedelta(0)  # from defaults
    assert rs.rule("home_relations").series.pairs_with == "home"
    assert rs.rule("conflict_onset").series.fill == 0
    # event alerts can be critical; outlook alerts (indicators, fx, risk, forecasts) never are
    assert all(r.severity != "critical" and r.critical is None for r in rs.rules if r.outlook)
    assert {r.labels["topic"] for r in rs.rules if not r.outlook} == {"conflict", "unrest", "repression",
                                                                       "sanctions", "relations"}


def test_user_file_merges_by_name(tmp_path: Path) -> None:
    user = tmp_path / "rules.yaml"
    user.write_text("""
defaults: {severity: info}
rules:
  - {name: inflation_high, series: {kind: indicator, indicator: FP.CPI.TOTL.ZG},
     condition: {type: threshold, op: ">", value: 15}}
  - {name: repression_surge, enabled: false}
  - {name: expel_surge, series: {kind: signal, metric: expel, granularity: day},
     condition: {type: anomaly, op: ">=", value: 3}, stale_after: 2d}
""")
    rs = load_rules(user)
    assert rs.rule("inflation_high").condition.value == 15 and rs.rule("inflation_high").severity == "info"
    assert rs.rule("armed_violence").critical is not None  # explicit in the shipped rule
    assert not rs.rule("repression_surge").enabled and "repression_surge" not in {r.name for r in rs.active}
    assert rs.rule("expel_surge").series.granularity == "day"
    assert rs.rule("protest_surge").severity == "info"  # took the user's default
    with pytest.raises(ConfigError, match="rule 'repression_surge', key 'series': Field required"):
        load_rules(user, mode="replace")  # nothing to switch off: a stub is not a rule


def test_engine_reads_the_user_file_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "mine.yaml"
    user.write_text("rules: [{name: only, series: {kind: fx}, condition: {type: change, op: '>', value: 5, "
                    "window: 1mo, mode: percent}}]")
    monkeypatch.setenv("CULTRADE_MONITOR_RULES", str(user))
    monkeypatch.setenv("CULTRADE_MONITOR_RULES_MODE", "replace")
    assert [r.name for r in rules_for_engine().rules] == ["only"]


@pytest.mark.parametrize(("text", "message"), [
    ("rules: [{name: a, series: {kind: indicator, indicator: pv}, condition: {type: threshold, op: '=', value: 1}}]",
     "rule 'a', key 'condition.op'"),
    ("rules: [{name: a, series: {kind: indicator, indicator: pv}, condition: {type: change, value: 1}}]",
     "rule 'a', key 'condition': condition 'change' needs 'window'"),
    ("rules: [{name: a, series: {kind: signal}, condition: {type: anomaly, value: 1}}]",
     "rule 'a', key 'series': series kind 'signal' needs the key 'metric'"),
    ("rules: [{name: a, series: {kind: indicator, indicator: pv}, condition: {type: anomaly, value: 1}}]",
     "condition 'anomaly' reads the anomaly score of a signal"),
    ("rules: [{name: a, series: {kind: fx}, condition: {type: threshold, value: 1}, for: soon}]",
     "rule 'a', key 'for': 'soon' is not a duration"),
    ("rules: [{name: a, series: {kind: fx}, condition: {type: threshold, op: '>', value: 10, exit: 12}}]",
     "'exit' 12.0 must be on the other side"),
    ("rules: [{name: a, series: {kind: fx}, condition: {type: threshold, value: 1}, colour: red}]",
     "rule 'a', key 'colour': Extra inputs are not permitted"),
    ("rules: [{name: a, series: {kind: fx}, condition: {type: threshold, value: 1}, severity: urgent}]",
     "rule 'a', key 'severity'"),
    ("rules: [{name: a, series: {kind: fx}, condition: {type: threshold, value: 1}}, "
     "{name: a, series: {kind: fx}, condition: {type: threshold, value: 2}}]", "defined twice"),
    ("inhibit_rules: [{name: i, source: {scope: country}}]", "inhibit rule 'i', key 'target'"),
    ("ruels: []", "unknown top-level key"),
    ("rules: [oops", "not valid YAML"),
    ("rules: [{name: a, series: {kind: forecast, target: conflict_onset}, condition: {type: threshold, value: 0.3}, "
     "severity: critical}]", "outlook alerts (indicators, fx, risk bands, forecasts) are at most 'warning'"),
    ("rules: [{name: a, series: {kind: signal, metric: fights}, condition: {type: threshold, value: 1}}]",
     "unknown signal metric 'fights'"),
    ("rules: [{name: a, series: {kind: dyad, metric: fight_articles}, condition: {type: threshold, value: 1}}]",
     "unknown dyad metric 'fight_articles'"),
    ("rules: [{name: a, series: {kind: signal, metric: events}, condition: {type: surprise, value: 4}}]",
     "condition 'surprise' needs 'windows'"),
    ("rules: [{name: a, series: {kind: signal, metric: events}, condition: {type: surprise, value: 4, "
     "windows: [30m]}}]", "whole hours"),
    ("rules: [{name: a, series: {kind: indicator, indicator: pv}, condition: {type: surprise, value: 4, "
     "windows: [1h]}}]", "reads event-stream counts"),
    ("rules: [{name: a, series: {kind: signal, metric: [events, protest]}, condition: {type: threshold, "
     "value: 4}}]", "a list of metrics (a family) needs condition 'surprise'"),
    ("rules: [{name: a, series: {kind: signal, metric: events}, condition: {type: threshold, value: 4}, "
     "critical: {surprise: 6}}]", "the severity criteria read a 'surprise' condition"),
    ("rules: [{name: a, series: {kind: signal, metric: events, pairs_with: home}, condition: {type: threshold, "
     "value: 4}}]", "series.pairs_with: use it on series kind 'dyad'"),
])
def test_errors_name_the_file_rule_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert message in str(err.value)
    assert str(err.value).startswith(str(path))
    assert err.value.exit_code == 2


def test_missing_file_and_bad_mode() -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_rules("/nonexistent/rules.yaml")
    with pytest.raises(ConfigError, match="unknown mode 'mix'"):
        load_rules(mode="mix")


def test_durations_and_options() -> None:
    assert parse_duration("15m").timedelta == timedelta(minutes=15)
    assert parse_duration("1y").months == 12 and parse_duration("2mo").months == 2
    assert parse_duration(90).timedelta == timedelta(seconds=90)
    assert not parse_duration("0s")
    for bad in ("1.5y", "-1h", "1 fortnight", ""):
        with pytest.raises(ValueError):
            parse_duration(bad)
    with pytest.raises(ConfigError, match="use one of info, warning, critical"):
        check("severity", "urgent")


def frame(values: list[float | None], iso3: str = "AAA", start: str = "2015-01-01", freq: str = "YS") -> pd.DataFrame:
    return pd.DataFrame({"iso3": iso3, "ts": pd.date_range(start, periods=len(values), freq=freq),
                         "value": values}).dropna()


def rule(condition: str, series: str = "{kind: indicator, indicator: x}"):
    return load_rules(text=f"rules: [{{name: r, series: {series}, condition: {condition}}}]", shipped=False).rules[0]


def test_change_needs_the_sample_one_window_earlier() -> None:
    out = conditions(frame([1.0, 0.2, None, 0.1, -0.6]), rule("{type: change, op: '<', value: -0.5, window: 1y}"))
    # 2016: -0.8 (drop); 2018: no 2017 sample, so no change; 2019: -0.7
    assert out["derived"].round(2).tolist()[1:] == [-0.8, pytest.approx(float("nan"), nan_ok=True), -0.7]
    assert out["enter"].tolist() == [False, True, False, True]


def test_threshold_hysteresis_levels() -> None:
    out = conditions(frame([30.0, 22.0, 18.0]), rule("{type: threshold, op: '>', value: 25, exit: 20}"))
    assert out["enter"].tolist() == [True, False, False]
    assert out["hold"].tolist() == [True, True, False]


def test_crossing_fires_only_on_the_first_period() -> None:
    out = conditions(frame([0.0, 1.0, 2.0, 0.0, 3.0]), rule("{type: crossing, op: '>=', value: 1, window: 1y}"))
    assert out["enter"].tolist() == [False, True, False, False, True]


def test_band_worsening_into_high() -> None:
    df = frame([4.0, 5.0, 6.0, 7.0]).assign(home="CHN", domain="general",
                                            band=["low", "medium", "high", "very high"])
    out = conditions(df, rule("{type: band, window: 1y, at_least: high}", "{kind: risk}"))
    assert out["enter"].tolist() == [False, False, True, True]


def test_latest_marks_stale_series() -> None:
    r = load_rules(text="rules: [{name: r, series: {kind: indicator, indicator: x}, "
                        "condition: {type: threshold, value: 1}, stale_after: 2y}]", shipped=False).rules[0]
    panel = Panel.from_frame(pd.concat([frame([2.0, 3.0]), frame([5.0], iso3="BBB", start="2010-01-01")]),
                             KEYS["indicator"])
    got = observe(panel, r, pd.Timestamp("2017-06-01").to_pydatetime())
    assert dict(zip([panel.keys[c][0] for c in got.cols], got.stale.tolist(), strict=True)) == {
        "AAA": False, "BBB": True}


def test_volume_guard_keys_are_validated() -> None:
    ok = load_rules(text="rules: [{name: t, series: {kind: signal, metric: tone, granularity: day}, condition: "
                         "{type: change, op: '<=', value: -2, window: 7d, min_events: 50, min_value: 0}}]",
                    shipped=False).rule("t").condition
    assert (ok.min_events, ok.min_value) == (50, 0)
    with pytest.raises(ConfigError, match=r"<text>: rule 'x', key 'condition.min_value': .*greater than or equal"):
        load_rules(text="rules: [{name: x, series: {kind: signal, metric: protest}, "
                        "condition: {type: anomaly, op: '>=', value: 4, min_value: -1}}]", shipped=False)
    with pytest.raises(ConfigError, match=r"rule 'x', key 'condition.min_events': .*signal"):
        load_rules(text="rules: [{name: x, series: {kind: fx}, "
                        "condition: {type: threshold, op: '>', value: 1, min_events: 5}}]", shipped=False)
    with pytest.raises(ConfigError, match=r"rule 'x', key 'condition.min_event'"):
        load_rules(text="rules: [{name: x, series: {kind: signal, metric: tone}, "
                        "condition: {type: threshold, op: '<', value: 1, min_event: 5}}]", shipped=False)
    shipped = load_rules()
    assert all(r.condition.min_value == 2 for r in shipped.rules if not r.outlook)  # two reports at least
    assert all(r.condition.min_value is None and r.condition.min_events is None
               for r in shipped.rules if r.outlook)

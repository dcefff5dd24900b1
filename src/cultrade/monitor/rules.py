"""Alert rules as data: the shipped ``rules.yaml``, a user file merged on top (or replacing it).

A rule reads one *series* (a monitor signal, an annual indicator, monthly FX, the
risk-score history or a forecast), derives a value per country and sample time
with a *condition* (threshold, change over a window, anomaly score, crossing of a
level, band worsening) and turns it into alerts with Prometheus-style timing
(``for``, ``keep_firing_for``, hysteresis via an ``exit`` level, ``stale_after``
for the no-data state) and Alertmanager-style routing data (severity, labels,
``repeat_interval``, ``cooldown``, ``group_by``, ``inhibit_rules``).

Every option type is a ``Literal`` below and :func:`check` is the one gate for
them (the CLI uses it too). Any error is a :class:`~cultrade.errors.ConfigError`
naming the file, the rule and the key.

>>> rs = load_rules()
>>> rs.rule("fx_depreciation_yoy").condition.type
'change'
>>> parse_duration("36h").timedelta
datetime.timedelta(days=1, seconds=43200)
>>> check("state", "firing")
'firing'
>>> load_rules(text="rules: [{name: x, series: {kind: fx}, condition: {type: threshold, op: '=', value: 1}}]")
Traceback (most recent call last):
...
cultrade.errors.ConfigError: <text>: rule 'x', key 'condition.op': Input should be '>', '>=', '<' or '<='. Fix: see the ...
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from cultrade.errors import ConfigError

Severity = Literal["info", "warning", "critical"]
State = Literal["inactive", "pending", "firing", "resolved", "nodata"]
SeriesKind = Literal["signal", "dyad", "indicator", "fx", "risk", "forecast"]
ConditionType = Literal["threshold", "change", "anomaly", "crossing", "band", "surprise"]
Op = Literal[">", ">=", "<", "<="]
ChangeMode = Literal["absolute", "percent"]
Granularity = Literal["hour", "day"]
MergeMode = Literal["merge", "replace"]
ReceiverKind = Literal["webhook", "email", "log"]
OutboxStatus = Literal["pending", "delivered", "failed"]
BandName = Literal["very low", "low", "medium", "high", "very high"]

SEVERITIES: tuple[str, ...] = get_args(Severity)
#: Series kinds read from the event stream (event alerts); the others are annual or monthly panels whose
#: alerts are *outlook* alerts, shown apart and never critical.
EVENT_KINDS: tuple[str, ...] = ("signal", "dyad")
BANDS: tuple[str, ...] = get_args(BandName)
_OPTIONS: dict[str, tuple[str, ...]] = {
    "severity": SEVERITIES, "state": get_args(State), "series kind": get_args(SeriesKind),
    "condition": get_args(ConditionType), "op": get_args(Op), "change mode": get_args(ChangeMode),
    "granularity": get_args(Granularity), "mode": get_args(MergeMode), "receiver kind": get_args(ReceiverKind),
    "outbox status": get_args(OutboxStatus), "band": BANDS,
}
SHIPPED = "rules.yaml"
_HINT = "see the header of cultrade/monitor/rules.yaml for the format"


def check(name: str, value: object) -> str:
    """``value`` if it is a valid choice for option ``name``, else a :class:`ConfigError`."""
    choices = _OPTIONS.get(name)
    if choices is None:
        raise ConfigError(f"unknown option {name!r}", hint=f"use one of {', '.join(sorted(_OPTIONS))}")
    if value not in choices:
        raise ConfigError(f"unknown {name} {value!r}", hint=f"use one of {', '.join(choices)}")
    return str(value)


def severity_rank(severity: str) -> int:
    """0 for info, 1 warning, 2 critical.

    >>> severity_rank("critical") > severity_rank("warning")
    True
    """
    return SEVERITIES.index(check("severity", severity))


# -- durations --------------------------------------------------------------
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w|mo|y)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class Duration:
    """A span such as ``15m``, ``24h``, ``7d``, ``1mo`` or ``1y``; months and years are calendar units."""

    months: int = 0
    seconds: float = 0.0
    text: str = "0s"

    @property
    def timedelta(self) -> timedelta:
        """Elapsed-time view (a month counts 30.44 days, a year 365.25)."""
        return timedelta(seconds=self.seconds + self.months * 30.436875 * 86400)

    def __bool__(self) -> bool:
        return bool(self.months or self.seconds)

    def __str__(self) -> str:
        return self.text


def parse_duration(value: object) -> Duration:
    """``'90m'``, ``'1mo'``, ``'2y'``, or a number of seconds."""
    if isinstance(value, Duration):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return Duration(seconds=float(value), text=f"{value}s")
    text = value.strip() if isinstance(value, str) else ""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 15m, 24h, 7d, 2w, 1mo, 1y")
    n, unit = float(m.group(1)), m.group(2)
    if unit in ("mo", "y"):
        if n != int(n):
            raise ValueError(f"{value!r}: months and years must be whole numbers")
        return Duration(months=int(n) * (12 if unit == "y" else 1), text=text)
    return Duration(seconds=n * _SECONDS[unit], text=text)


DurationField = Annotated[Duration, BeforeValidator(parse_duration)]
_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, arbitrary_types_allowed=True)


class Series(BaseModel):
    """What a rule reads; the keys used depend on ``kind``."""

    model_config = _STRICT
    kind: SeriesKind
    metric: str | tuple[str, ...] | None = None  # signal: events, fight_articles, ...; dyad: a monitor_dyads column
    granularity: Granularity = "hour"  # signal, dyad
    pairs_with: str | None = None      # dyad: only pairs with this country ("home": the settings' home country),
                                       # both directions summed, keyed by the partner
    indicator: str | None = None       # indicator: pv, FP.CPI.TOTL.ZG, n_conflicts, ...
    source: str | None = None          # indicator: wgi, wdi, ucdp (default: any, first by name)
    fill: float | None = None          # indicator: value of a missing country-year inside the source's span
    home: str | None = None            # risk: home country (default: every home stored)
    domain: str | None = None          # risk: cultural domain (default: every domain stored)
    target: str | None = None          # forecast: a target of cultrade.forecast (published only if it ships)
    horizon_years: int | None = None   # forecast
    model: str | None = None           # forecast

    @model_validator(mode="after")
    def _required(self) -> Series:
        need = {"signal": "metric", "dyad": "metric", "indicator": "indicator", "forecast": "target"}.get(self.kind)
        if need and getattr(self, need) is None:
            raise ValueError(f"series kind {self.kind!r} needs the key {need!r}")
        if self.metric is not None and self.kind in EVENT_KINDS:
            from cultrade.monitor.dyads import COLUMNS as DYAD_COLUMNS
            from cultrade.monitor.signals import METRICS

            known = METRICS if self.kind == "signal" else DYAD_COLUMNS
            bad = [m for m in self.metrics if m not in known]
            if bad or not self.metrics:
                raise ValueError(f"series.metric: unknown {self.kind} metric {bad[0] if bad else '[]'!r}; "
                                 f"use one of {', '.join(known)}")
        if self.pairs_with is not None and (self.kind != "dyad" or not (
                self.pairs_with == "home" or re.fullmatch(r"[A-Z]{3}", self.pairs_with))):
            raise ValueError("series.pairs_with: use it on series kind 'dyad', with 'home' or an ISO3 code")
        return self

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric(s) as a tuple (a rule over several metrics tests each: a family)."""
        if self.metric is None:
            return ()
        return (self.metric,) if isinstance(self.metric, str) else tuple(self.metric)


class Condition(BaseModel):
    """How a sample becomes active. ``exit`` is the hysteresis level that keeps a started alert going."""

    model_config = _STRICT
    type: ConditionType
    op: Op = ">"
    value: float | None = None
    exit: float | None = None
    window: DurationField | None = None
    mode: ChangeMode = "absolute"
    at_least: BandName | None = None  # band: only worsening into this band or worse
    # volume guards (signal rules only): the sample's bucket must have this much volume to *enter*;
    # a started alert is not affected (it exits by the exit level, as always)
    min_value: float | None = Field(default=None, ge=0)   # the bucket's own value of the metric
    min_events: float | None = Field(default=None, ge=0)  # the same country/bucket's `events` count
    # surprise: counts in each of `windows` (the last hours up to now) against the key's share of the world's
    # articles over the `baseline` before them; S = -log10 P(count >= observed), Bonferroni-adjusted
    windows: tuple[DurationField, ...] = ()
    baseline: DurationField = Field(default_factory=lambda: parse_duration("7d"))
    min_baseline: DurationField = Field(default_factory=lambda: parse_duration("24h"))

    @model_validator(mode="after")
    def _consistent(self) -> Condition:
        if self.type == "surprise":
            if not self.windows:
                raise ValueError("condition 'surprise' needs 'windows' (e.g. [1h, 3h])")
            if any(w.months or w.seconds < 3600 or w.seconds % 3600 for w in self.windows):
                raise ValueError("condition.windows: whole hours, e.g. [1h, 3h]")
            if self.op not in (">", ">="):
                raise ValueError("condition 'surprise' is a level of surprise: use op '>=' (or '>')")
        elif self.windows:
            raise ValueError("condition.windows: only condition 'surprise' reads windows")
        if self.type != "band" and self.value is None:
            raise ValueError(f"condition {self.type!r} needs 'value' (the level that starts an alert)")
        if self.type in ("change", "crossing", "band") and self.window is None:
            raise ValueError(f"condition {self.type!r} needs 'window' (e.g. 1y, 1mo, 24h)")
        if self.exit is not None and self.value is not None:
            looser = self.exit <= self.value if self.op in (">", ">=") else self.exit >= self.value
            if not looser:
                raise ValueError(f"'exit' {self.exit} must be on the other side of 'value' {self.value} "
                                 f"(for op {self.op!r} an exit level {'below' if self.op[0] == '>' else 'above'} it)")
        return self


class Critical(BaseModel):
    """When an event alert is critical rather than its rule's severity: every given criterion must hold in the
    window that fired it. ``surprise``: the adjusted surprise (magnitude); ``articles``: distinct source articles
    (breadth of reporting); ``types``: how many event types (CAMEO roots: assault, fight, mass violence...) of
    the rule's family are surprising at once (breadth of events; an air strike is a kind of fight); ``mentions``: Σ NumMentions of the key in the window (a
    country's ``mentions`` signal, a dyad's ``mentions`` column)."""

    model_config = _STRICT
    surprise: float | None = Field(default=None, ge=0)
    articles: float | None = Field(default=None, ge=0)
    types: int | None = Field(default=None, ge=1)
    mentions: float | None = Field(default=None, ge=0)


class Rule(BaseModel):
    model_config = _STRICT
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    summary: str = ""
    enabled: bool = True
    series: Series
    condition: Condition
    for_: DurationField = Field(default=Duration(), alias="for")
    keep_firing_for: DurationField = Duration()
    stale_after: DurationField = Field(default_factory=lambda: parse_duration("2h"))
    repeat_interval: DurationField = Field(default_factory=lambda: parse_duration("24h"))
    cooldown: DurationField = Duration()
    severity: Severity = "warning"
    critical: Critical | None = None
    labels: dict[str, str] = Field(default_factory=dict)

    @property
    def outlook(self) -> bool:
        """An outlook rule (annual or monthly indicators, risk bands, forecasts) rather than an event rule."""
        return self.series.kind not in EVENT_KINDS

    @model_validator(mode="after")
    def _kind_fits(self) -> Rule:
        if self.outlook and (self.severity == "critical" or self.critical is not None):
            raise ValueError("severity: outlook alerts (indicators, fx, risk bands, forecasts) are at most "
                             "'warning': a yearly figure or a probability is not critical on its own")
        if self.critical is not None and self.condition.type != "surprise":
            raise ValueError("critical: the severity criteria read a 'surprise' condition")
        if self.condition.type == "surprise" and self.series.kind not in EVENT_KINDS:
            raise ValueError("condition 'surprise' reads event-stream counts: use series kind 'signal' or 'dyad'")
        if self.condition.type == "anomaly" and self.series.kind != "signal":
            raise ValueError("condition 'anomaly' reads the anomaly score of a signal: use series kind 'signal'")
        if self.condition.type == "band" and self.series.kind != "risk":
            raise ValueError("condition 'band' reads risk bands: use series kind 'risk'")
        if len(self.series.metrics) > 1 and self.condition.type != "surprise":
            raise ValueError("series.metric: a list of metrics (a family) needs condition 'surprise'")
        for key in ("min_value", "min_events"):
            if getattr(self.condition, key) is not None and self.series.kind not in EVENT_KINDS:
                raise ValueError(f"condition.{key}: a volume guard reads event-stream buckets: use it on series "
                                 f"kind 'signal' only (this rule reads {self.series.kind!r})")
        return self


class InhibitRule(BaseModel):
    """While an alert matching ``source`` fires, alerts matching ``target`` with equal ``equal`` labels are muted.

    A matcher value may be a list (any of them matches).
    """

    model_config = _STRICT
    name: str
    source: dict[str, str | list[str]]
    target: dict[str, str | list[str]]
    equal: list[str] = Field(default_factory=lambda: ["iso3"])


class RuleSet(BaseModel):
    model_config = _STRICT
    group_by: list[str] = Field(default_factory=lambda: ["iso3"])
    rules: list[Rule] = Field(default_factory=list)
    inhibit_rules: list[InhibitRule] = Field(default_factory=list)
    source: str = ""

    def rule(self, name: str) -> Rule:
        for r in self.rules:
            if r.name == name:
                return r
        raise ConfigError(f"no rule named {name!r}", hint=f"use one of {', '.join(r.name for r in self.rules)}")

    @property
    def active(self) -> list[Rule]:
        return [r for r in self.rules if r.enabled]


def label_matches(labels: dict[str, str], matcher: dict[str, str | list[str]]) -> bool:
    """Every key of ``matcher`` is in ``labels`` with (one of) the given value(s).

    >>> label_matches({"scope": "signal", "iso3": "IRN"}, {"scope": ["signal", "indicator"]})
    True
    """
    for key, want in matcher.items():
        got = labels.get(key)
        if got is None or (got not in want if isinstance(want, list) else got != want):
            return False
    return True


# -- loading ----------------------------------------------------------------
def _read(path: Path | None, text: str | None) -> tuple[dict[str, Any], str]:
    where = "<text>" if text is not None else str(path)
    try:
        raw = yaml.safe_load(text if text is not None else Path(str(path)).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("rules file not found", path=where, hint="check the path") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", path=where, hint="fix the YAML syntax") from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError("the rules file must be a mapping with a 'rules' list", path=where, hint=_HINT)
    unknown = set(raw) - {"defaults", "group_by", "rules", "inhibit_rules", "version"}
    if unknown:
        raise ConfigError(f"unknown top-level key(s) {sorted(unknown)}", path=where, hint=_HINT)
    return raw, where


def _items(raw: dict[str, Any], key: str, where: str) -> dict[str, dict[str, Any]]:
    items = raw.get(key) or []
    if not isinstance(items, list):
        raise ConfigError(f"{key!r} must be a list", path=where, hint=_HINT)
    out: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ConfigError(f"{key} item {i + 1} needs a 'name'", path=where, hint=_HINT)
        if item["name"] in out:
            raise ConfigError(f"{key} item {item['name']!r} is defined twice", path=where, hint="rename one")
        out[item["name"]] = {**item, "_where": where}
    return out


def _err(where: str, what: str, exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-"))
    loc = loc.replace("for_", "for")
    msg = first["msg"].removeprefix("Value error, ")
    named = _NAMED.match(msg)  # a model-level check that names its key: "condition.min_value: ..."
    if named and not loc:
        loc, msg = named.group(1), msg[named.end():]
    key = f", key {loc!r}" if loc else ""
    return ConfigError(f"{what}{key}: {msg}", path=where, hint=_HINT)


_NAMED = re.compile(r"^([a-z_]+\.[a-z_.]+): ")


def default_rules_path() -> Path:
    """The shipped rules file."""
    return Path(str(resources.files("cultrade.monitor"))) / SHIPPED


def user_rules_path() -> Path | None:
    """``CULTRADE_MONITOR_RULES`` if set, else ``<CULTRADE_HOME>/rules.yaml`` when it exists."""
    env = os.environ.get("CULTRADE_MONITOR_RULES")
    if env:
        return Path(env).expanduser()
    from cultrade.settings import get_settings

    candidate = get_settings().home / "rules.yaml"
    return candidate if candidate.exists() else None


def load_rules(path: str | Path | None = None, *, mode: str = "merge", text: str | None = None,
               shipped: bool = True) -> RuleSet:
    """The shipped rules, with ``path`` (or YAML ``text``) merged on top or (``mode="replace"``) alone.

    Merging: ``defaults`` merge key by key (the user's win) and fill the keys every
    rule leaves out; ``group_by`` of the user file wins; rules and inhibit rules merge by ``name`` (a user rule replaces the shipped one of that name;
    ``{name: x, enabled: false}`` switches a shipped rule off).
    """
    check("mode", mode)
    layers: list[tuple[dict[str, Any], str]] = []
    if shipped and (mode == "merge" or (path is None and text is None)):
        layers.append(_read(default_rules_path(), None))
    if path is not None or text is not None:
        layers.append(_read(Path(path) if path is not None else None, text))
    defaults: dict[str, Any] = {}
    group_by: Any = ["iso3"]
    rules: dict[str, dict[str, Any]] = {}
    inhibit: dict[str, dict[str, Any]] = {}
    for raw, where in layers:
        layer_defaults = raw.get("defaults") or {}
        if not isinstance(layer_defaults, dict):
            raise ConfigError("'defaults' must be a mapping", path=where, hint=_HINT)
        for name, item in _items(raw, "rules", where).items():
            if set(item) <= {"name", "enabled", "_where"} and name in rules:
                rules[name] = {**rules[name], "enabled": item.get("enabled", True)}
            else:
                rules[name] = item
        defaults.update(layer_defaults)
        inhibit.update(_items(raw, "inhibit_rules", where))
        group_by = raw.get("group_by", group_by)
    built: list[Rule] = []
    for name, item in rules.items():
        where = item.pop("_where")
        try:
            built.append(Rule.model_validate({**defaults, **item}))
        except ValidationError as exc:
            raise _err(where, f"rule {name!r}", exc) from None
    inhibits: list[InhibitRule] = []
    for name, item in inhibit.items():
        where = item.pop("_where")
        try:
            inhibits.append(InhibitRule.model_validate(item))
        except ValidationError as exc:
            raise _err(where, f"inhibit rule {name!r}", exc) from None
    try:
        return RuleSet(group_by=group_by, rules=built, inhibit_rules=inhibits,
                       source=" + ".join(w for _, w in layers))
    except ValidationError as exc:
        raise _err(layers[-1][1] if layers else "<none>", "rules file", exc) from None


def rules_for_engine() -> RuleSet:
    """What :func:`cultrade.monitor.engine.evaluate` uses by default: shipped + user file.

    ``CULTRADE_MONITOR_RULES_MODE=replace`` makes the user file replace the shipped rules.
    """
    user = user_rules_path()
    return load_rules(user, mode=os.environ.get("CULTRADE_MONITOR_RULES_MODE", "merge"))


__all__ = [
    "BANDS",
    "EVENT_KINDS",
    "SEVERITIES",
    "ChangeMode",
    "Condition",
    "ConditionType",
    "Critical",
    "Duration",
    "Granularity",
    "InhibitRule",
    "MergeMode",
    "Op",
    "OutboxStatus",
    "ReceiverKind",
    "Rule",
    "RuleSet",
    "Series",
    "SeriesKind",
    "Severity",
    "State",
    "check",
    "label_matches",
    "load_rules",
    "parse_duration",
    "rules_for_engine",
    "severity_rank",
]

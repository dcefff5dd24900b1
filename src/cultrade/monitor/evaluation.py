"""The detection benchmark: replay a window of slices with the rules, then score the alerts against labels.

:func:`evaluate_labels` replays the slices of [start, end) into a fresh store with the rule engine (as of
every slice, as the live monitor would run) and measures, against the labelled events of
:mod:`cultrade.monitor.labels`:

* **latency** of each label: from the *first reporting slice* (the first slice of the replay at or after the
  label's onset, the moment the event became observable) to the first alert that covers it;
* **recall**: the share of labelled events (event ids) with at least one covered row;
* **false alerts per quiet country-week**: event alerts that start firing in a country-week no label touches
  (a label touches its countries over [onset − lead, first reporting slice + horizon]); quiet time is
  counted in country-days / 7, over the countries the stream reports on, so the partial weeks at the ends of
  the window count for what they hold.

An alert *covers* a label when it is an event alert (signal or dyad rule; outlook alerts never count), its
rule's ``topic`` is one the label's type admits (:data:`cultrade.monitor.labels.TOPICS`; ``relations``
covers any label that involves the home country), it concerns the label's countries (a country alert: its
iso3 is the label's country or partner; a dyad alert: its pair is the label's pair, or holds the country
when the label has no partner), and it starts firing within [first reporting slice − ``lead``, first
reporting slice + ``horizon``]; its latency is max(0, start − first reporting slice). An alert that fired
before ``lead`` and is still firing does not cover a new event: an early warning is a new alert.

Labels whose first reporting slice falls in the first ``warmup`` of the replay cannot be detected (no
baseline exists yet) and are listed but left out of recall and latency.

Everything counted as a false alert is an alert nobody labelled: some are real events the labels do not
hold. :func:`render` writes the figures as Markdown; ``cultrade monitor evaluate --report FILE`` puts them
between the ``<!-- evaluate:begin -->`` and ``<!-- evaluate:end -->`` markers of FILE.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cultrade.monitor.labels import Label
from cultrade.monitor.rules import RuleSet, severity_rank
from cultrade.settings import Settings
from cultrade.store import Store

BEGIN, END = "<!-- evaluate:begin -->", "<!-- evaluate:end -->"


@dataclass
class Evaluation:
    """What :func:`evaluate_labels` measured."""

    labels: pd.DataFrame          # one row per label, with its first slice, covering alert and latency
    episodes: pd.DataFrame        # one row per firing episode of an event alert
    quiet: pd.DataFrame           # per (iso3, week): quiet days, false alerts, false critical alerts
    window: tuple[datetime, datetime]
    slices: int
    events: int
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def scored(self) -> pd.DataFrame:
        return self.labels[self.labels["status"] != "warm-up"]

    @property
    def by_event(self) -> pd.DataFrame:
        s = self.scored
        return s.groupby("event", sort=False).agg(detected=("detected", "any"), latency_h=("latency_h", "min"),
                                                  type=("type", "first"), first_slice=("first_slice", "min"))

    @property
    def recall(self) -> float:
        ev = self.by_event
        return float(ev["detected"].mean()) if len(ev) else float("nan")

    @property
    def median_latency_h(self) -> float:
        lat = self.by_event["latency_h"].dropna()
        return float(lat.median()) if len(lat) else float("nan")

    @property
    def quiet_weeks(self) -> float:
        return float(self.quiet["quiet_days"].sum() / 7.0)

    def false_rate(self, critical: bool = False, incidents: bool = False) -> float:
        col = ("false_critical" if critical else "false_alerts") if not incidents else \
            ("false_critical_incidents" if critical else "false_incidents")
        return float(self.quiet[col].sum() / self.quiet_weeks) if self.quiet_weeks else float("nan")

    def worst_quiet_week(self, incidents: bool = False) -> int:
        col = "false_critical_incidents" if incidents else "false_critical"
        return int(self.quiet[col].max()) if len(self.quiet) else 0


def _episodes(store: Store) -> pd.DataFrame:
    """Firing episodes of event alerts: start (the slice time it began firing), end, rule, labels, severity."""
    cols = ["fingerprint", "rule", "iso3", "actor1", "actor2", "home", "topic", "start", "end", "severity", "why",
            "quiet"]
    if not store.has_table("alert_events"):
        return pd.DataFrame(columns=cols[:-1])
    alerts = store.con.execute("SELECT fingerprint, rule, labels, coalesce(category, 'event') AS category, why "
                               "FROM alerts").df()
    events = store.con.execute("SELECT fingerprint, seq, occurred_at, from_state, to_state, kind, severity "
                               "FROM alert_events ORDER BY fingerprint, seq").df()
    e: Any
    meta: dict[str, Any] = {str(r.fingerprint): r for r in alerts.itertuples(index=False) if r.category == "event"}
    rows = []
    for fp, part in events.groupby("fingerprint", sort=False):
        a = meta.get(str(fp))
        if a is None:
            continue
        labels = {k: v for k, v in json.loads(str(a.labels)).items() if isinstance(v, str) and v}
        start: Any = None
        sev = ""
        for e in part.itertuples(index=False):
            if e.to_state == "firing" and e.from_state in ("inactive", "pending", "resolved") and start is None:
                start, sev = e.occurred_at, e.severity or labels.get("severity", "warning")
            elif start is not None and e.kind == "escalation":
                sev = max(sev, e.severity or sev, key=severity_rank)
            elif start is not None and e.to_state in ("resolved", "inactive"):
                rows.append((fp, a.rule, labels.get("iso3"), labels.get("actor1"), labels.get("actor2"),
                             labels.get("home"), labels.get("topic", ""), start, e.occurred_at, sev, a.why))
                start = None
        if start is not None:
            rows.append((fp, a.rule, labels.get("iso3"), labels.get("actor1"), labels.get("actor2"),
                         labels.get("home"), labels.get("topic", ""), start, pd.NaT, sev, a.why))
    out = pd.DataFrame(rows, columns=cols[:-1])
    for c in ("iso3", "actor1", "actor2", "home", "why"):
        out[c] = out[c].fillna("").astype(str)
    out["start"] = pd.to_datetime(out["start"])
    return out.sort_values("start").reset_index(drop=True)


def _covers(ep: Any, label: Label, home: str) -> bool:
    if ep.topic not in label.topics(home):
        return False
    if ep.actor1 or ep.home:  # a dyad alert: its pair
        pair = {ep.actor1, ep.actor2} if ep.actor1 else {ep.home, ep.iso3}
        return pair == set(label.countries) if label.partner else label.country in pair
    return ep.iso3 in label.countries


def score(store: Store, labels: list[Label], *, lead: timedelta, horizon: timedelta, warmup: timedelta,
          home: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(labels with their coverage, episodes, quiet country-weeks) of a replayed store."""
    slices = sorted(pd.to_datetime(store.con.execute("SELECT slice_ts FROM monitor_slices").df()["slice_ts"]))
    episodes = _episodes(store)
    first_data = slices[0] if slices else None
    rows = []
    for lab in labels:
        k = int(np.searchsorted(np.array(slices, dtype="datetime64[ns]"), np.datetime64(lab.onset, "ns")))
        first = slices[k] if k < len(slices) else None
        status, det, lat, rule, key, sev, why = "not detected", False, np.nan, "", "", "", ""
        if first is None:
            status = "no slice"
        elif first_data is not None and first < first_data + warmup:
            status = "warm-up"
        else:
            win = episodes[(episodes["start"] >= first - lead) & (episodes["start"] <= first + horizon)]
            hits: list[Any] = [e for e in win.itertuples(index=False) if _covers(e, lab, home)]
            if hits:
                e = min(hits, key=lambda h: h.start)
                det, status = True, "detected"
                lat = max(0.0, (e.start - first).total_seconds() / 3600.0)
                rule, sev, why = e.rule, e.severity, e.why or ""
                key = f"{e.actor1}→{e.actor2}" if e.actor1 else (f"{e.home}–{e.iso3}" if e.home else str(e.iso3))
        rows.append({"event": lab.event, "country": lab.country, "partner": lab.partner or "", "type": lab.type,
                     "onset": lab.onset, "first_slice": first, "status": status, "detected": det, "latency_h": lat,
                     "rule": rule, "alert": key, "severity": sev, "why": why, "source": lab.source})
    table = pd.DataFrame(rows)
    quiet = _quiet(store, episodes, labels, table, lead, horizon, slices)
    return table, episodes, quiet


def _quiet(store: Store, episodes: pd.DataFrame, labels: list[Label], table: pd.DataFrame, lead: timedelta,
           horizon: timedelta, slices: list[pd.Timestamp]) -> pd.DataFrame:
    cols = ["iso3", "week", "quiet_days", "false_alerts", "false_critical", "false_incidents",
            "false_critical_incidents"]
    if not slices:
        return pd.DataFrame(columns=cols)
    lo, hi = slices[0].normalize(), slices[-1].normalize() + pd.Timedelta(days=1)
    days = pd.date_range(lo, hi - pd.Timedelta(days=1), freq="D")
    countries = sorted(c for (c,) in store.con.execute(
        "SELECT DISTINCT iso3 FROM monitor_signals WHERE granularity = 'day' AND metric = 'events'").fetchall())
    touched: set[tuple[str, pd.Timestamp]] = set()
    row: Any
    e: Any
    for lab, row in zip(labels, table.itertuples(index=False), strict=True):
        first = row.first_slice if row.first_slice is not None else pd.Timestamp(lab.onset)
        span = pd.date_range((pd.Timestamp(lab.onset) - lead).normalize(), (first + horizon).normalize(), freq="D")
        for c in lab.countries:
            touched.update((c, d) for d in span)
    week = {d: (d - pd.Timedelta(days=d.weekday())) for d in days}
    quiet_days: dict[tuple[str, pd.Timestamp], int] = {}
    for c in countries:
        for d in days:
            if (c, d) not in touched:
                quiet_days[(c, week[d])] = quiet_days.get((c, week[d]), 0) + 1
    false: dict[tuple[str, pd.Timestamp], list[int]] = {}
    # incidents: a country's alerts whose firing overlaps count as one
    in_quiet: list[bool] = []
    incident_end: dict[str, pd.Timestamp] = {}
    incident_of: dict[str, list[Any]] = {}
    for e in episodes.itertuples(index=False):
        d = e.start.normalize()
        q = bool(e.iso3) and (e.iso3, d) not in touched and d in week
        in_quiet.append(q)
        if not q:
            continue
        f = false.setdefault((e.iso3, week[d]), [0, 0, 0, 0])
        f[0] += 1
        f[1] += int(e.severity == "critical")
        end = e.end if e.end == e.end else pd.Timestamp.max
        open_end = incident_end.get(e.iso3)
        if open_end is None or e.start > open_end:  # a new incident
            incident_of[e.iso3] = [(e.iso3, week[d]), False]
            f[2] += 1
            incident_end[e.iso3] = end
        else:
            incident_end[e.iso3] = max(open_end, end)
        inc = incident_of[e.iso3]
        if e.severity == "critical" and not inc[1]:
            inc[1] = True
            false[inc[0]][3] += 1
    episodes["quiet"] = np.array(in_quiet, dtype=bool)
    out = pd.DataFrame([(c, w, n, *false.get((c, w), [0, 0, 0, 0])) for (c, w), n in quiet_days.items()],
                       columns=cols)
    return out.sort_values(["iso3", "week"]).reset_index(drop=True)


def evaluate_labels(directory: str | Path, labels: list[Label], *, start: datetime, end: datetime,
                    rules: RuleSet | None = None, lead: timedelta = timedelta(hours=3),
                    horizon: timedelta = timedelta(hours=24), warmup: timedelta = timedelta(hours=24),
                    workdir: str | Path | None = None, workers: int | None = None) -> Evaluation:
    """Replay [start, end) of ``directory`` into a fresh store with the rules and score it (module doc)."""
    from cultrade.monitor.evaluator import Evaluator
    from cultrade.monitor.feeds import DEFAULT_WORKERS, replay

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cultrade-evaluate-", dir=workdir) as tmp:
        home = Path(tmp)
        with Store(home / "evaluate.duckdb", settings=Settings(home=home)) as store:
            evaluator = Evaluator(rules, watchlists=[])
            report = replay(store, directory, start, end, on_slice=[evaluator], durable=False,
                            workers=DEFAULT_WORKERS if workers is None else workers)
            table, episodes, quiet = score(store, labels, lead=lead, horizon=horizon, warmup=warmup,
                                           home=evaluator.home)
    from cultrade.monitor.rules import default_rules_path

    source = evaluator.ruleset.source.replace(str(default_rules_path()), "the shipped rules (cultrade/monitor/rules.yaml)")
    settings = {"lead": lead, "horizon": horizon, "warmup": warmup, "home": evaluator.home, "rules": source,
                "failed_slices": report.failed}
    return Evaluation(table, episodes, quiet, (start, end), report.processed, report.new_events,
                      time.perf_counter() - t0, settings)


def at_level(rules: RuleSet, level: float) -> RuleSet:
    """``rules`` with the enter level of every surprise rule set to ``level`` (an operating point)."""
    out = []
    for r in rules.rules:
        if r.condition.type == "surprise":
            r = r.model_copy(update={"condition": r.condition.model_copy(update={"value": float(level)})})
        out.append(r)
    return rules.model_copy(update={"rules": out})


def operating_points(directory: str | Path, labels: list[Label], levels: list[float], *, start: datetime,
                     end: datetime, rules: RuleSet | None = None, **kw: Any) -> pd.DataFrame:
    """Recall, latency and false alerts when every surprise rule enters at each of ``levels`` instead."""
    from cultrade.monitor.rules import rules_for_engine

    base = rules if rules is not None else rules_for_engine()
    rows = []
    for level in levels:
        ev = evaluate_labels(directory, labels, start=start, end=end, rules=at_level(base, level), **kw)
        rows.append({"level": level, "recall": ev.recall, "median_latency_h": ev.median_latency_h,
                     "false_alerts": ev.false_rate(), "false_critical": ev.false_rate(critical=True),
                     "worst_critical_incidents": ev.worst_quiet_week(incidents=True)})
    return pd.DataFrame(rows)


def render_points(points: pd.DataFrame, shipped: Evaluation) -> str:
    """The operating points as Markdown, the shipped level among them."""
    rows: list[dict[str, Any]] = [{"level": None, "recall": shipped.recall, "median_latency_h": shipped.median_latency_h,
             "false_alerts": shipped.false_rate(), "false_critical": shipped.false_rate(critical=True),
             "worst_critical_incidents": shipped.worst_quiet_week(incidents=True)},
                                   *[{str(k): v for k, v in r.items()} for r in points.to_dict("records")]]
    lines = ["", "### Operating points", "",
             "The same replay with every surprise rule entering at another level (`--levels`); everything else as "
             "shipped.", "", "| enter level S ≥ | recall | median latency | false alerts per quiet country-week | "
             "false critical | worst quiet country-week (critical incidents) |", "|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["level"] is not None, r["level"] or 0)):
        lat = r["median_latency_h"]
        name = "shipped (4)" if r["level"] is None else f"{r['level']:g}"
        lines.append(f"| {name} | {r['recall']:.0%} | {'n/a' if lat != lat else f'{lat * 60:.0f} min'} | "
                     f"{r['false_alerts']:.3f} | {r['false_critical']:.3f} | {r['worst_critical_incidents']} |")
    return "\n".join(lines) + "\n"


def _hours(td: timedelta) -> str:
    return f"{td.total_seconds() / 3600:g} h"


def render(ev: Evaluation, labels_file: str = "") -> str:
    """The evaluation as Markdown (what ``--report`` writes)."""
    s = ev.settings
    ev_rows = ev.by_event
    n_events, n_hit = len(ev_rows), int(ev_rows["detected"].sum()) if len(ev_rows) else 0
    recall, lat = ev.recall, ev.median_latency_h
    fc, fa, worst = ev.false_rate(critical=True), ev.false_rate(), ev.worst_quiet_week()
    fci, worst_i = ev.false_rate(critical=True, incidents=True), ev.worst_quiet_week(incidents=True)
    over = int((ev.quiet["false_critical"] > 1).sum()) if len(ev.quiet) else 0
    over_i = int((ev.quiet["false_critical_incidents"] > 1).sum()) if len(ev.quiet) else 0

    def met(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    lines = [
        f"Generated by `cultrade monitor evaluate --labels {labels_file}` on "
        f"{ev.window[0]:%Y-%m-%d}..{(ev.window[1] - timedelta(days=1)):%Y-%m-%d}: {ev.slices:,} slices, "
        f"{ev.events:,} events replayed with {s.get('rules')}, evaluated as of every slice "
        f"({ev.seconds:.0f} s; {s.get('failed_slices', 0)} slice(s) quarantined). Home country {s.get('home')}; "
        f"lead {_hours(s['lead'])}, horizon {_hours(s['horizon'])}, warm-up {_hours(s['warmup'])}.",
        "",
        "| measure | target | measured | |",
        "|---|---|---|---|",
        f"| recall (labelled events detected) | ≥ 90 % | {recall:.0%} ({n_hit} of {n_events}) | {met(recall >= 0.9)} |",
        f"| median latency from the first reporting slice | ≤ 1 h | "
        f"{'n/a' if lat != lat else f'{lat * 60:.0f} min'} | {met(lat == lat and lat <= 1.0)} |",
        f"| false critical alerts per quiet country-week | ≤ 1 | {fc:.3f} (mean); worst country-week {worst}; "
        f"{over} country-week(s) above 1 | {met(worst <= 1)} |",
        f"| the same, counting a country's overlapping alerts as one incident | ≤ 1 | {fci:.3f} (mean); worst "
        f"country-week {worst_i}; {over_i} country-week(s) above 1 | {met(worst_i <= 1)} |",
        f"| false alerts of any severity per quiet country-week | | {fa:.3f} (incidents: "
        f"{ev.false_rate(incidents=True):.3f}) | |",
        "",
        f"Quiet time: {ev.quiet_weeks:,.1f} country-weeks ({len(ev.quiet):,} country × week cells) over "
        f"{ev.quiet['iso3'].nunique() if len(ev.quiet) else 0} countries the stream reports on. "
        f"{int(ev.quiet['false_alerts'].sum()) if len(ev.quiet) else 0} event alerts started in quiet "
        f"country-weeks, {int(ev.quiet['false_critical'].sum()) if len(ev.quiet) else 0} of them critical.",
        "",
        "### Labelled events",
        "",
        "| event | country | partner | type | first reporting slice (UTC) | status | latency | alert | rule | "
        "severity |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    r: Any
    e: Any
    for r in ev.labels.itertuples(index=False):
        first = f"{r.first_slice:%m-%d %H:%M}" if r.first_slice is not None else "–"
        latency = f"{r.latency_h * 60:.0f} min" if r.latency_h == r.latency_h else "–"
        lines.append(f"| {r.event} | {r.country} | {r.partner or ''} | {r.type} | {first} | {r.status} | {latency} | "
                     f"{r.alert} | {r.rule} | {r.severity} |")
    eps = ev.episodes
    lines += ["", "### Event alerts by rule", "",
              "| rule | alerts started | critical | in quiet country-weeks |", "|---|---|---|---|"]
    for rule, part in eps.groupby("rule") if len(eps) else []:
        lines.append(f"| {rule} | {len(part)} | {int((part['severity'] == 'critical').sum())} | "
                     f"{int(part['quiet'].sum())} |")
    crit = eps[eps["severity"] == "critical"] if len(eps) else eps
    if len(crit):
        lines += ["", "### Critical alerts", "", "| started (UTC) | rule | country | why |", "|---|---|---|---|"]
        for e in crit.itertuples(index=False):
            who = f"{e.actor1}→{e.actor2}" if e.actor1 else (f"{e.home}–{e.iso3}" if e.home else e.iso3)
            lines.append(f"| {e.start:%m-%d %H:%M} | {e.rule} | {who} | {(e.why or '').replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def write_report(path: str | Path, markdown: str) -> Path:
    """Put ``markdown`` between the evaluate markers of ``path`` (appended with markers if absent)."""
    p = Path(path)
    text = p.read_text(encoding="utf-8") if p.exists() else ""
    block = f"{BEGIN}\n{markdown.rstrip()}\n{END}"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _m: block, text, count=1, flags=re.S)
    else:
        text = (text.rstrip() + "\n\n" if text else "") + block + "\n"
    p.write_text(text, encoding="utf-8")
    return p


__all__ = ["BEGIN", "END", "Evaluation", "at_level", "evaluate_labels", "operating_points", "render", "render_points",
           "score", "write_report"]

"""What the alerts page and the country page show from the monitor: the feed's status, alerts (event and
outlook apart, each with the value that fired it, its unit and why), silences and recent signals.

Reads :mod:`cultrade.monitor.alerts` (``list_alerts``, ``load_silences``), :mod:`cultrade.monitor.status`
(``feed_status``) and :mod:`cultrade.monitor.signals` (``signals``). The monitor's tables may not
exist yet in a store (no stream or evaluation has run): every builder then
returns empty lists, never an error.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from cultrade.store import Store
from cultrade.web import charts
from cultrade.web.i18n import Translator

ACTIVE_STATES = ("firing", "pending", "nodata")


def _ts(value: Any) -> datetime | None:
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    return value if isinstance(value, datetime) else None


def _iso(value: Any) -> str | None:
    ts = _ts(value)
    return ts.isoformat() + "Z" if ts is not None and ts.tzinfo is None else (ts.isoformat() if ts else None)


def rule_text(t: Translator, rule: str) -> str:
    key = f"rule.{rule}"
    return t(key) if t.has(key) else rule.replace("_", " ")


def _ago(t: Translator, seconds: float) -> str:
    from babel.dates import format_timedelta

    return format_timedelta(timedelta(seconds=max(seconds, 0)), locale=t.locale, threshold=1.1)


def feed_badge(store: Store, t: Translator) -> dict[str, Any]:
    """The event feed's status for the page's badge: live, stale or none, with a translated sentence."""
    try:
        from cultrade.monitor.status import feed_status

        s = feed_status(store)
    except Exception:  # the monitor's tables may be missing or settling
        return {"state": "none", "text": t("alerts.feed_none"), "detail": ""}
    if s.state == "none" or s.last_slice is None:
        return {"state": "none", "text": t("alerts.feed_none"), "detail": ""}
    ago = _ago(t, (s.since_arrival or timedelta(0)).total_seconds())
    text = t(f"alerts.feed_{s.state}", time=t.datetime(s.last_slice) + " UTC", ago=ago)
    detail = t("alerts.feed_detail", lag=_ago(t, (s.lag or timedelta(0)).total_seconds()), backlog=s.backlog)
    return {"state": s.state, "text": text, "detail": detail, "last_slice": _iso(s.last_slice)}


def why_text(t: Translator, detail: Any, fallback: Any) -> str:
    """Why an alert fired, in the page's language (the library's English sentence otherwise)."""
    try:
        d = json.loads(detail) if isinstance(detail, str) and detail else {}
    except ValueError:
        d = {}
    english = fallback if isinstance(fallback, str) else ""
    if t.lang == "en" or not d:
        return english
    metric = t(f"metric.{d.get('metric')}") if t.has(f"metric.{d.get('metric')}") else str(d.get("metric", ""))
    if d.get("kind") == "surprise":
        hours = int(d.get("window_hours") or 1)
        window = t("why.window_1") if hours == 1 else t("why.window_n", n=hours)
        lo, hi = (d.get("usual") or [0, 0])[:2]
        p = float(d.get("p") or 1.0)
        text = t("why.surprise", metric=metric, value=t.integer(d.get("value")), window=window, lo=t.integer(lo),
                 hi=t.integer(hi), expected=t.decimal(d.get("baseline"), 1), p="< 1e-12" if p < 1e-12 else f"{p:.0e}")
        if int(d.get("of_types") or 1) > 1:
            text += t("why.types", n=d.get("types"), of=d.get("of_types"))
        return text
    unit = str(d.get("unit") or "")
    return t("why.level", metric=metric, value=t.decimal(d.get("value"), 2),
             unit=t(f"unit.{unit}") if t.has(f"unit.{unit}") else unit, baseline=t.decimal(d.get("baseline"), 2))


def fired_text(t: Translator, value: Any, unit: Any) -> str:
    if value is None or value != value:
        return "–"
    unit_s = str(unit or "")
    shown = t(f"unit.{unit_s}") if unit_s and t.has(f"unit.{unit_s}") else unit_s
    digits = 0 if unit_s == "articles" or float(value) == int(float(value)) else 2
    return f"{t.decimal(value, digits)} {shown}".strip()


def alert_rows(store: Store, t: Translator, *, country: str | None = None, state: str | None = None,
               include_resolved: bool = True) -> list[dict[str, Any]]:
    """Alerts (newest change first), each with translated texts and ISO timestamps for the browser; event alerts
    are marked ``stale`` when the feed is (they are then as of the last slice, not live)."""
    try:
        from cultrade.monitor.alerts import list_alerts
    except ImportError:  # pragma: no cover - ships with cultrade
        return []
    try:
        frame = list_alerts(store, country=country, state=state)
    except Exception:  # the monitor's tables may be missing or settling: show nothing, not a 500
        return []
    stale = feed_badge(store, t)["state"] == "stale"
    rows = []
    for r in frame.to_dict("records"):
        st = str(r.get("state") or "")
        if not include_resolved and st not in ACTIVE_STATES:
            continue
        labels = r.get("labels")
        try:
            labels = json.loads(labels) if isinstance(labels, str) else (labels or {})
        except ValueError:
            labels = {}
        acked_by = r.get("acked_by")
        acked = bool(acked_by) and not (isinstance(acked_by, float) and pd.isna(acked_by))
        iso3 = r.get("iso3") if isinstance(r.get("iso3"), str) else None
        since = _ts(r.get("since"))
        acked_at = _ts(r.get("acked_at"))
        category = str(r.get("category") or "event")
        rows.append({
            "id": str(r["id"]), "rule": str(r["rule"]), "rule_text": rule_text(t, str(r["rule"])),
            "category": category, "stale": stale and category == "event" and st in ACTIVE_STATES,
            "fired": fired_text(t, r.get("fired_value"), r.get("unit")),
            "why": why_text(t, r.get("detail"), r.get("why")),
            "iso3": iso3, "country": t.country(iso3) if iso3 else "–",
            "severity": str(r.get("severity") or ""), "severity_text": t(f"severity.{r['severity']}") if r.get("severity") else "–",
            "state": st, "state_text": t(f"state.{st}"),
            "value": t.decimal(r.get("value"), 2), "since": _iso(since), "since_text": t.datetime(since),
            "acked": acked, "acked_by": str(acked_by) if acked else "", "acked_at": _iso(acked_at),
            "acked_at_text": t.datetime(acked_at) if acked else "", "labels": labels,
        })
    # what needs attention first: active alerts (critical first), then the rest, each newest first (the store's order)
    order = {"critical": 0, "warning": 1, "info": 2}
    rows.sort(key=lambda a: (a["state"] not in ACTIVE_STATES,
                             order.get(str(a["severity"]), 3) if a["state"] in ACTIVE_STATES else 0))
    return rows


def silence_rows(store: Store, t: Translator) -> list[dict[str, Any]]:
    try:
        from cultrade.monitor.alerts import load_silences

        silences = load_silences(store)
    except Exception:  # schema not ready: no silences to show
        return []
    return [{"id": s.id, "matchers": ", ".join(str(m) for m in s.matchers), "author": s.author,
             "reason": s.reason, "ends_at": _iso(s.ends_at), "ends_text": t.datetime(s.ends_at)} for s in silences]


def signal_context(store: Store, t: Translator, iso3: str, days: int = 30) -> dict[str, Any]:
    """The country's latest daily signals: notable anomalies and a chart of daily events."""
    try:
        from cultrade.monitor.signals import signals
    except ImportError:  # pragma: no cover
        return {"rows": [], "chart": None}
    frame = signals(store, iso3, granularity="day")
    if frame.empty:
        return {"rows": [], "chart": None, "last": None}
    frame["ts"] = pd.to_datetime(frame["ts"])
    last = frame["ts"].max()
    recent = frame[frame["ts"] > last - timedelta(days=days)]
    notable = recent[recent["anomaly"].notna() & (recent["anomaly"].abs() >= 2.0)]
    notable = notable.reindex(notable["anomaly"].abs().sort_values(ascending=False).index).head(10)
    rows = [{"date": t.date(r.ts.to_pydatetime()), "metric": t(f"metric.{r.metric}"), "value": t.decimal(r.value, 1),
             "baseline": t.decimal(r.baseline, 1), "anomaly": t.decimal(r.anomaly, 1), "up": bool(r.anomaly > 0)}
            for r in notable.itertuples(index=False)]
    ev = recent[recent["metric"] == "events"].sort_values("ts")
    chart = None
    if not ev.empty:
        chart = charts.lines([t.date(x.to_pydatetime()) for x in ev["ts"]],
                             {t("metric.events"): list(ev["value"]), t("signals.baseline"): list(ev["baseline"])},
                             title=t("signals.chart_events"), fmt="fmt:decimal")
    return {"rows": rows, "chart": chart, "last": t.date(last.to_pydatetime())}


__all__ = ["ACTIVE_STATES", "alert_rows", "feed_badge", "fired_text", "rule_text", "signal_context", "silence_rows",
           "why_text"]

"""What the alerts page and the country page show from the monitor: alerts, silences and recent signals.

Reads :mod:`cultrade.monitor.alerts` (``list_alerts``, ``load_silences``) and
:mod:`cultrade.monitor.signals` (``signals``). The monitor's tables may not
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


def alert_rows(store: Store, t: Translator, *, country: str | None = None, state: str | None = None,
               include_resolved: bool = True) -> list[dict[str, Any]]:
    """Alerts (newest change first), each with translated texts and ISO timestamps for the browser."""
    try:
        from cultrade.monitor.alerts import list_alerts
    except ImportError:  # pragma: no cover - ships with cultrade
        return []
    try:
        frame = list_alerts(store, country=country, state=state)
    except Exception:  # the monitor's tables may be missing or settling: show nothing, not a 500
        return []
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
        rows.append({
            "id": str(r["id"]), "rule": str(r["rule"]), "rule_text": rule_text(t, str(r["rule"])),
            "iso3": iso3, "country": t.country(iso3) if iso3 else "–",
            "severity": str(r.get("severity") or ""), "severity_text": t(f"severity.{r['severity']}") if r.get("severity") else "–",
            "state": st, "state_text": t(f"state.{st}"),
            "value": t.decimal(r.get("value"), 2), "since": _iso(since), "since_text": t.datetime(since),
            "acked": acked, "acked_by": str(acked_by) if acked else "", "acked_at": _iso(acked_at),
            "acked_at_text": t.datetime(acked_at) if acked else "", "labels": labels,
        })
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


__all__ = ["ACTIVE_STATES", "alert_rows", "rule_text", "signal_context", "silence_rows"]

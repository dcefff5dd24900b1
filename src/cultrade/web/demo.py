"""A dashboard on a throw-away store, for the browser tests, the benchmark and demos.

:func:`demo_app` builds the app (the REST API's ``create_app`` when available,
else a dashboard-only FastAPI app) on a store loaded with the bundled snapshot,
creates an analyst key, and adds **invented** monitoring data
(:func:`invent_monitor_data`): GDELT-like daily signals for a few countries and a
handful of alerts. None of these signals or alerts are real.
:class:`ServerThread` serves an app with uvicorn on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cultrade.settings import Settings
from cultrade.sources.snapshot import load_snapshot
from cultrade.store import Store

#: The invented alerts: (rule, iso3, severity, state, value, unit, category). Not real alerts.
INVENTED_ALERTS: tuple[tuple[str, str, str, str, float, str, str], ...] = (
    ("armed_violence", "IRN", "critical", "firing", 14.0, "articles", "event"),
    ("inflation_high", "TUR", "warning", "firing", 58.5, "%", "outlook"),
    ("sanctions_surge", "RUS", "warning", "pending", 6.0, "articles", "event"),
    ("fx_depreciation_yoy", "ARG", "warning", "firing", 118.0, "%", "outlook"),
    ("protest_surge", "FRA", "warning", "resolved", 5.0, "articles", "event"),
)


def invent_monitor_data(store: Store, now: datetime | None = None) -> list[str]:
    """Insert invented daily signals (IRN, TUR, RUS; 30 days) and :data:`INVENTED_ALERTS`; returns alert ids."""
    from cultrade.monitor.alerts import AlertState, ensure_schema, fingerprint, save_alert
    from cultrade.monitor.signals import SIGNALS_DDL, SIGNALS_TABLE

    now = (now or datetime.now(UTC).replace(tzinfo=None)).replace(minute=0, second=0, microsecond=0)
    day0 = now.replace(hour=0) - timedelta(days=29)
    rng = np.random.default_rng(7)
    rows = []
    for iso3, level in (("IRN", 120.0), ("TUR", 90.0), ("RUS", 200.0)):
        for metric, scale in (("events", 1.0), ("protest", 0.08), ("sanctions", 0.03)):
            vals = rng.poisson(level * scale, 30).astype(float)
            if iso3 == "IRN":
                vals[-2:] *= 2.6  # an invented surge in the last two days
            for d in range(30):
                hist = vals[max(0, d - 7):d]
                base = float(np.median(hist)) if d >= 3 else np.nan
                mad = float(np.median(np.abs(hist - base))) if d >= 3 else np.nan
                anomaly = (vals[d] - base) / (1.4826 * max(mad, 1.0)) if d >= 3 else np.nan
                rows.append((iso3, "day", day0 + timedelta(days=d), metric, vals[d], base, mad, anomaly, now))
    store.con.execute(SIGNALS_DDL)
    frame = pd.DataFrame(rows, columns=["iso3", "granularity", "ts", "metric", "value", "baseline", "mad",
                                        "anomaly", "updated_at"])
    store.con.register("_invented_signals", frame)
    try:
        store.con.execute(f"INSERT INTO {SIGNALS_TABLE} SELECT * FROM _invented_signals")
    finally:
        store.con.unregister("_invented_signals")
    ensure_schema(store)
    # an invented feed that delivered its last slice a few minutes ago (the badge then says "live")
    store.con.execute("CREATE TABLE IF NOT EXISTS monitor_slices (slice_ts TIMESTAMP PRIMARY KEY, file VARCHAR, "
                      "sha256 VARCHAR, events INTEGER, new_events INTEGER, late BOOLEAN, processed_at TIMESTAMP, "
                      "articles INTEGER)")
    wall = datetime.now(UTC).replace(tzinfo=None)
    store.con.execute("INSERT INTO monitor_slices VALUES (?, 'invented', '', 0, 0, false, ?, 0) ON CONFLICT DO NOTHING",
                      [wall.replace(second=0, microsecond=0) - timedelta(minutes=20), wall - timedelta(minutes=3)])
    ids = []
    for k, (rule, iso3, severity, state, value, unit, category) in enumerate(INVENTED_ALERTS):
        labels = {"alertname": rule, "iso3": iso3, "severity": severity}
        since = now - timedelta(hours=3 * (k + 1))
        why = (f"invented: {value:g} {unit} in the last hour vs usual 0-2" if unit == "articles"
               else f"invented: {value:g} {unit}")
        alert = AlertState(fingerprint(labels), rule, labels, state=state, seq=1, value=value, sample_ts=since,
                           active_since=since, fired_at=since if state == "firing" else None,
                           resolved_at=now if state == "resolved" else None, last_eval_at=now - timedelta(minutes=k),
                           summary=f"invented {rule} alert for {iso3}", created_at=since, category=category,
                           fired_value=value, fired_sample_ts=since, unit=unit, why=why)
        save_alert(store, alert, new=True)
        ids.append(alert.fingerprint)
    return ids


@dataclass
class Demo:
    app: Any
    store: Store
    key: str
    alert_ids: list[str]


def demo_app(home: Path, *, with_api: bool = True) -> Demo:
    """The app on a fresh store under ``home``: snapshot loaded, an analyst key, invented monitor data."""
    from cultrade.api.keys import create_key

    settings = Settings(home=home)
    store_path = home / "dashboard.duckdb"
    app: Any = None
    if with_api:
        try:
            from cultrade.api.app import create_app
        except ImportError:
            create_app = None  # type: ignore[assignment]
        if create_app is not None:
            app = create_app(store_path, settings=settings)
            store: Store = app.state.api.store
    if app is None:
        from fastapi import FastAPI

        from cultrade.api.state import AuditStore
        from cultrade.web import mount
        from cultrade.web.backend import web_state

        app = FastAPI()
        store = AuditStore(store_path, settings=settings)
        app.state.web = web_state(store)
        mount(app)
    load_snapshot(store)
    key = create_key(store, "dashboard-test", "analyst").key
    ids = invent_monitor_data(store)
    return Demo(app, store, key, ids)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """``with ServerThread(app) as base_url:`` serves ``app`` on 127.0.0.1 with uvicorn in a thread."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        import uvicorn

        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


__all__ = ["INVENTED_ALERTS", "Demo", "ServerThread", "demo_app", "free_port", "invent_monitor_data"]

"""Delivery through the outbox: a flaky webhook on 127.0.0.1, SMTP, backoff, crash and restart."""

from __future__ import annotations

import json
import signal
import smtplib
import socketserver
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cultrade.monitor.engine import evaluate
from cultrade.monitor.notify import DeliveryError, Dispatcher, EmailNotifier, SmtpSettings, requeue_failed
from cultrade.monitor.rules import load_rules
from cultrade.monitor.signals import SIGNALS_DDL
from cultrade.monitor.watchlists import Watchlist, add_watchlist
from cultrade.settings import Settings
from cultrade.store import Store

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 1)
COUNTRIES = ["IRN", "TUR", "ARG", "LKA", "VEN"]
RULES = """
rules:
  - {name: surge, series: {kind: signal, metric: protest}, condition: {type: anomaly, op: ">=", value: 4},
     stale_after: 3h, repeat_interval: 0s, labels: {scope: signal}}
"""


def fire(store: Store, countries: list[str], anomaly: float, hour: int) -> int:
    """One hourly bucket with ``anomaly`` for each country, then evaluate; returns notified transitions."""
    store.con.execute(SIGNALS_DDL)
    ts = T0 + timedelta(hours=hour)
    rows = pd.DataFrame({"iso3": countries, "granularity": "hour", "ts": ts, "metric": "protest", "value": 1.0,
                         "baseline": 0.0, "mad": 1.0, "anomaly": anomaly, "updated_at": ts})
    store.con.register("_r", rows)
    store.con.execute("INSERT INTO monitor_signals SELECT * FROM _r")
    store.con.unregister("_r")
    return sum(t.notified for t in evaluate(store, ts + timedelta(minutes=30),
                                            rules=load_rules(text=RULES, shipped=False)))


class Receiver:
    """A webhook on 127.0.0.1 that answers 500 to the first ``fail_first`` requests, then 200."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests = 0
        self.accepted: list[str] = []  # idempotency keys of alerts in accepted requests
        self.headers: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    receiver.requests += 1
                    ok = receiver.requests > receiver.fail_first
                    if ok:
                        receiver.accepted += [a["idempotencyKey"] for a in body["alerts"]]
                        receiver.headers.append(self.headers["Idempotency-Key"])
                        receiver.bodies.append(body)
                self.send_response(200 if ok else 500)
                self.end_headers()
                self.wfile.write(b"ok" if ok else b"down")

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(fail_first=3) as r:
        yield r


def test_flaky_webhook_gets_every_alert_exactly_once(store: Store, receiver: Receiver) -> None:
    add_watchlist(store, Watchlist.create("acme", receivers=[f"webhook:{receiver.url}"]))
    sent = fire(store, COUNTRIES, 5.0, 0) + fire(store, COUNTRIES, 0.0, 1)  # fire, then resolve
    assert sent == 2 * len(COUNTRIES)
    dispatcher = Dispatcher(store, backoff_base=0.01, backoff_cap=0.05)
    report = dispatcher.run(max_rounds=40, max_wait=1.0)
    assert receiver.requests >= 3 + len(COUNTRIES)  # grouped by iso3: one request per country
    counts = Counter(receiver.accepted)
    assert len(counts) == sent and set(counts.values()) == {1}
    assert report.delivered == sent and report.failed >= 3
    assert all("," in h or h.count("-") == 1 for h in receiver.headers)
    body = receiver.bodies[0]
    assert {"version", "groupKey", "status", "receiver", "groupLabels", "commonLabels", "commonAnnotations",
            "externalURL", "alerts"} <= set(body)
    assert set(body["groupLabels"]) == {"iso3"}
    assert {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"} <= set(
        body["alerts"][0])
    status = store.con.execute("SELECT status, count(*) FROM outbox GROUP BY 1").fetchall()
    assert status == [("delivered", sent)]
    assert dispatcher.run(max_rounds=3).delivered == 0  # nothing left, nothing sent twice


def test_crash_between_send_and_mark_is_deduped_by_key(store: Store, receiver: Receiver) -> None:
    receiver.fail_first = 0
    add_watchlist(store, Watchlist.create("acme", receivers=[f"webhook:{receiver.url}"]))
    sent = fire(store, COUNTRIES, 5.0, 0)

    class Crash(Exception):
        pass

    class CrashingDispatcher(Dispatcher):
        def dispatch_once(self) -> Any:  # deliver, then die before marking anything delivered
            real = self.store.transaction

            def boom() -> Any:
                raise Crash

            self.store.transaction = boom  # type: ignore[method-assign]
            try:
                return super().dispatch_once()
            finally:
                self.store.transaction = real  # type: ignore[method-assign]

    with pytest.raises(Crash):
        CrashingDispatcher(store).dispatch_once()
    assert len(receiver.accepted) == 1  # the first group went out, unrecorded
    Dispatcher(store).run(max_rounds=5)
    assert len(receiver.accepted) == sent + 1
    assert set(Counter(receiver.accepted)) == set(
        store.con.execute("SELECT idempotency_key FROM outbox").df()["idempotency_key"])


CHILD = textwrap.dedent("""
    import sys
    from datetime import datetime, timedelta
    import pandas as pd
    from cultrade.monitor.engine import evaluate
    from cultrade.monitor.rules import load_rules
    from cultrade.monitor.signals import SIGNALS_DDL
    from cultrade.monitor.watchlists import Watchlist, add_watchlist
    from cultrade.settings import Settings
    from cultrade.store import Store

    db, home, url, rules = sys.argv[1:5]
    store = Store(db, settings=Settings(home=home))
    add_watchlist(store, Watchlist.create("acme", receivers=["webhook:" + url]))
    store.con.execute(SIGNALS_DDL)
    ts = datetime(2026, 3, 1)
    for iso3 in ["IRN", "TUR", "ARG", "LKA", "VEN"]:
        store.con.execute("INSERT INTO monitor_signals VALUES (?, 'hour', ?, 'protest', 1, 0, 1, 5, ?)", [iso3, ts, ts])
    n = sum(t.notified for t in evaluate(store, ts + timedelta(minutes=30), rules=load_rules(text=rules, shipped=False)))
    print("committed", n, flush=True)
    sys.stdin.readline()  # killed here, before any delivery
""")


def test_killed_before_delivery_then_restart_delivers_each_once(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    with Receiver() as receiver:
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(tmp_path), receiver.url, RULES],
                                 cwd=ROOT, stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
        assert child.stdout is not None
        try:
            line = child.stdout.readline()
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        assert line.split() == ["committed", str(len(COUNTRIES))]
        assert receiver.requests == 0
        with Store(db, settings=Settings(home=tmp_path)) as store:
            assert store.con.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone() == (5,)
            Dispatcher(store, backoff_base=0.01).run(max_rounds=5)
        with Store(db, settings=Settings(home=tmp_path)) as store:  # a second restart sends nothing again
            assert Dispatcher(store).run(max_rounds=2).delivered == 0
        counts = Counter(receiver.accepted)
        assert len(counts) == len(COUNTRIES) and set(counts.values()) == {1}


def test_backoff_is_persisted_and_failed_rows_can_be_requeued(store: Store) -> None:
    class Down:
        calls = 0

        def send(self, target: str, body: dict[str, Any], keys: list[str]) -> None:
            Down.calls += 1
            raise DeliveryError("receiver down")

    clock = [T0 + timedelta(minutes=30)]  # the evaluation time, when the row was queued
    add_watchlist(store, Watchlist.create("acme", receivers=["webhook:http://127.0.0.1:9/x"]))
    fire(store, ["IRN"], 5.0, 0)
    d = Dispatcher(store, {"webhook": Down()}, backoff_base=10, backoff_cap=100, max_attempts=4,
                   clock=lambda: clock[0])
    waits = []
    for _ in range(6):
        d.dispatch_once()
        due = d.next_due()
        if due is None:
            break
        waits.append((due - clock[0]).total_seconds())
        clock[0] = due
    assert waits == [10, 20, 40]
    row = store.con.execute("SELECT status, attempts, last_error FROM outbox").fetchone()
    assert row == ("failed", 4, "receiver down")
    assert requeue_failed(store) == 1
    assert store.con.execute("SELECT status FROM outbox").fetchone() == ("pending",)


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        def say(line: str) -> None:
            self.wfile.write((line + "\r\n").encode())

        say("220 localhost test SMTP")
        for _ in range(100):  # bounded conversation
            line = self.rfile.readline().decode().strip()
            verb = line.split(" ")[0].upper()
            if not line or verb == "QUIT":
                say("221 bye")
                return
            if verb == "DATA":
                say("354 go ahead")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk.decode())
                self.server.messages.append("".join(data))  # type: ignore[attr-defined]
                say("250 queued")
            else:
                say("250 ok")


def test_email_through_a_local_smtp_server(store: Store) -> None:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        add_watchlist(store, Watchlist.create("acme", receivers=["email:ops@acme.example"]))
        fire(store, ["IRN", "TUR"], 5.0, 0)
        smtp = SmtpSettings(host="127.0.0.1", port=server.server_address[1], sender="alerts@cultrade.test")
        report = Dispatcher(store, {"email": EmailNotifier(smtp)}).run(max_rounds=3)
    finally:
        server.shutdown()
        server.server_close()
    assert report.delivered == 2
    messages = server.messages  # type: ignore[attr-defined]
    assert len(messages) == 2
    assert any("Subject: [FIRING:1] iso3=IRN" in m for m in messages)
    assert all("X-Idempotency-Key:" in m and "To: ops@acme.example" in m for m in messages)


def test_smtp_failure_is_a_retry_not_a_loss(store: Store) -> None:
    def refuse(*args: Any, **kwargs: Any) -> smtplib.SMTP:
        raise smtplib.SMTPConnectError(421, b"busy")

    add_watchlist(store, Watchlist.create("acme", receivers=["email:ops@acme.example"]))
    fire(store, ["IRN"], 5.0, 0)
    report = Dispatcher(store, {"email": EmailNotifier(SmtpSettings(), smtp_factory=refuse)}).dispatch_once()
    assert report.failed == 1 and "busy" in report.errors[0]
    assert store.con.execute("SELECT status, attempts FROM outbox").fetchone() == ("pending", 1)

"""Notifications through a transactional outbox: webhook (Alertmanager-style JSON), SMTP e-mail, the log.

:func:`cultrade.monitor.engine.evaluate` writes each notification as ``outbox``
rows (one per receiver; unique on (idempotency key, receiver)) in the same
transaction as the transition. :class:`Dispatcher` delivers pending rows, marks
them delivered, and on failure retries with exponential backoff (``next_attempt_at``
is stored, so retries survive restarts). A crash after sending but before
marking means one more delivery of the same idempotency key
(``<fingerprint>-<seq>``), which receivers drop: the ``Idempotency-Key`` header
(comma-joined when a notification groups several alerts) and each alert's
``idempotencyKey`` in the body. Rows are grouped per receiver and ``group_by``
labels into one notification, like Alertmanager's ``groupKey``.

SMTP settings come from ``CULTRADE_SMTP_HOST``, ``_PORT``, ``_SENDER``,
``_USERNAME``, ``_PASSWORD``, ``_STARTTLS`` (defaults: localhost:25, no auth).

>>> backoff(1, base=2.0, cap=60.0), backoff(4, base=2.0, cap=60.0), backoff(10, base=2.0, cap=60.0)
(2.0, 16.0, 60.0)
>>> env = envelope("log", '{"iso3": "IRN"}', [{"status": "firing", "labels": {"iso3": "IRN", "alertname": "x"},
...                "annotations": {"summary": "s"}}])
>>> env["status"], env["groupLabels"], env["commonLabels"]
('firing', {'iso3': 'IRN'}, {'alertname': 'x', 'iso3': 'IRN'})
"""

from __future__ import annotations

import json
import logging
import smtplib
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from cultrade.monitor.alerts import ensure_schema, naive_utc, utcnow
from cultrade.monitor.watchlists import parse_receiver
from cultrade.store import Store

log = logging.getLogger("cultrade.alerts")


class SmtpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CULTRADE_SMTP_", extra="ignore")
    host: str = "localhost"
    port: int = 25
    sender: str = "cultrade@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0


class DeliveryError(Exception):
    """A receiver did not accept a notification (retried later)."""


class Notifier(Protocol):
    def send(self, target: str, body: dict[str, Any], keys: list[str]) -> None: ...


def backoff(attempts: int, *, base: float, cap: float) -> float:
    """Seconds to wait after the ``attempts``-th failure: base, 2 base, 4 base, ... up to ``cap``."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


def enqueue(store: Store, payload: dict[str, Any], receivers: Sequence[str], *, group_key: str,
            now: datetime) -> None:
    """Queue one alert notification for each receiver (call inside the transition's transaction)."""
    text = json.dumps(payload, sort_keys=True, default=str)
    for receiver in receivers:
        store.con.execute(
            "INSERT INTO outbox (idempotency_key, fingerprint, seq, receiver, group_key, payload, status, attempts,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING",
            [payload["idempotencyKey"], payload["fingerprint"], payload["seq"], receiver, group_key, text, now, now])


def envelope(receiver: str, group_key: str, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    """The Alertmanager webhook body (version 4) for a group of alerts."""
    def common(part: str) -> dict[str, str]:
        items = [set(a.get(part, {}).items()) for a in alerts]
        return dict(sorted(set.intersection(*items))) if items else {}

    return {
        "version": "4", "groupKey": group_key, "truncatedAlerts": 0, "receiver": receiver,
        "status": "firing" if any(a["status"] in ("firing", "nodata") for a in alerts) else "resolved",
        "groupLabels": json.loads(group_key) if group_key else {}, "commonLabels": common("labels"),
        "commonAnnotations": common("annotations"), "externalURL": "", "alerts": alerts,
    }


class WebhookNotifier:
    """POST the JSON body; any non-2xx answer or transport error is a :class:`DeliveryError`."""

    def __init__(self, client: httpx.Client | None = None, timeout: float = 10.0) -> None:
        self.client = client or httpx.Client(timeout=timeout)

    def send(self, target: str, body: dict[str, Any], keys: list[str]) -> None:
        headers = {"Idempotency-Key": ",".join(keys), "Content-Type": "application/json"}
        try:
            resp = self.client.post(target, content=json.dumps(body, default=str), headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= resp.status_code < 300:
            raise DeliveryError(f"HTTP {resp.status_code}: {resp.text[:200]}")


class EmailNotifier:
    """One plain-text message per notification; ``Message-ID`` and ``X-Idempotency-Key`` carry the keys."""

    def __init__(self, settings: SmtpSettings | None = None,
                 smtp_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP) -> None:
        self.settings = settings or SmtpSettings()
        self.smtp_factory = smtp_factory

    def message(self, target: str, body: dict[str, Any], keys: list[str]) -> EmailMessage:
        msg = EmailMessage()
        alerts = body["alerts"]
        groups = ", ".join(f"{k}={v}" for k, v in body["groupLabels"].items())
        msg["Subject"] = f"[{body['status'].upper()}:{len(alerts)}] {groups or 'cultrade alerts'}"
        msg["From"], msg["To"] = self.settings.sender, target
        msg["Message-ID"] = f"<{keys[0]}.{len(keys)}@cultrade>"
        msg["X-Idempotency-Key"] = ",".join(keys)
        lines = [f"{a['status'].upper():9} {a['labels'].get('alertname')} {a['labels'].get('iso3', '')} "
                 f"{a['annotations'].get('summary', '')} (value {a['annotations'].get('value', 'n/a')})"
                 for a in alerts]
        msg.set_content("\n".join(lines) + "\n\n" + json.dumps(body, indent=2, default=str))
        return msg

    def send(self, target: str, body: dict[str, Any], keys: list[str]) -> None:
        s = self.settings
        try:
            with self.smtp_factory(s.host, s.port, timeout=s.timeout) as smtp:
                if s.starttls:
                    smtp.starttls()
                if s.username:
                    smtp.login(s.username, s.password or "")
                smtp.send_message(self.message(target, body, keys))
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


class LogNotifier:
    """Writes one JSON line per alert to the ``cultrade.alerts`` logger."""

    def send(self, target: str, body: dict[str, Any], keys: list[str]) -> None:
        for alert in body["alerts"]:
            log.warning("alert %s", json.dumps({k: alert[k] for k in ("status", "labels", "annotations",
                                                                        "idempotencyKey")}, default=str))


@dataclass
class DispatchReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)

    def __iadd__(self, other: DispatchReport) -> DispatchReport:
        self.delivered += other.delivered
        self.failed += other.failed
        self.dead += other.dead
        self.requests += other.requests
        self.errors.extend(other.errors)
        return self


class Dispatcher:
    """Delivers the outbox. ``max_attempts=None`` retries for ever (capped backoff); otherwise rows become ``failed``.

    ``lock`` (a context manager, e.g. the server's store lock) is held while the outbox is read and marked, and
    released while a receiver is being called: a slow receiver never holds up the store.
    """

    def __init__(self, store: Store, notifiers: dict[str, Notifier] | None = None, *, backoff_base: float = 5.0,
                 backoff_cap: float = 3600.0, max_attempts: int | None = None, batch: int = 100,
                 clock: Callable[[], datetime] = utcnow, sleep: Callable[[float], None] = time.sleep,
                 lock: AbstractContextManager[Any] | None = None) -> None:
        self.store = store
        self.lock: AbstractContextManager[Any] = lock if lock is not None else nullcontext()
        self.notifiers: dict[str, Notifier] = {"log": LogNotifier(), **(notifiers or {})}
        self.backoff_base, self.backoff_cap, self.max_attempts = backoff_base, backoff_cap, max_attempts
        self.batch, self.clock, self.sleep = batch, clock, sleep
        ensure_schema(store)

    def _notifier(self, kind: str) -> Notifier:
        if kind not in self.notifiers:
            self.notifiers[kind] = WebhookNotifier() if kind == "webhook" else EmailNotifier()
        return self.notifiers[kind]

    def dispatch_once(self) -> DispatchReport:
        """One pass over the rows due now; each group is one request, marked in its own transaction."""
        now = naive_utc(self.clock())
        with self.lock:
            rows = self.store.con.execute(
                "SELECT id, idempotency_key, receiver, group_key, payload, attempts FROM outbox "
                "WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?", [now, self.batch]).fetchall()
        groups: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        for row in rows:
            groups.setdefault((row[2], row[3] or ""), []).append(row)
        report = DispatchReport()
        for (receiver, group_key), items in groups.items():
            keys = [r[1] for r in items]
            ids = [r[0] for r in items]
            kind, target = parse_receiver(receiver)
            body = envelope(receiver, group_key, [json.loads(r[4]) for r in items])
            report.requests += 1
            try:
                self._notifier(kind).send(target, body, keys)
            except Exception as exc:
                self._failed(ids, max(r[5] for r in items) + 1, str(exc), report)
                continue
            with self.lock, self.store.transaction() as con:
                con.execute("UPDATE outbox SET status = 'delivered', delivered_at = ?, attempts = attempts + 1, "
                            "last_error = NULL WHERE id IN (SELECT unnest(?))", [naive_utc(self.clock()), ids])
            report.delivered += len(ids)
        return report

    def _failed(self, ids: list[int], attempts: int, error: str, report: DispatchReport) -> None:
        dead = self.max_attempts is not None and attempts >= self.max_attempts
        wait = timedelta(seconds=backoff(attempts, base=self.backoff_base, cap=self.backoff_cap))
        with self.lock, self.store.transaction() as con:
            con.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
                        "status = ? WHERE id IN (SELECT unnest(?))",
                        [error[:500], naive_utc(self.clock()) + wait, "failed" if dead else "pending", ids])
        report.failed += len(ids)
        report.dead += len(ids) if dead else 0
        report.errors.append(error)
        log.info("outbox: %d notification(s) not delivered (%s); retry in %s", len(ids), error, wait)

    def next_due(self) -> datetime | None:
        with self.lock:
            row = self.store.con.execute("SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'").fetchone()
        return row[0] if row else None

    def run(self, *, max_rounds: int = 50, max_wait: float = 60.0) -> DispatchReport:
        """Dispatch until the outbox is empty, sleeping until the next retry; bounded by ``max_rounds`` and
        ``max_wait`` seconds per sleep (rows due later stay queued for the next run)."""
        report = DispatchReport()
        for _ in range(max_rounds):
            report += self.dispatch_once()
            due = self.next_due()
            if due is None:
                break
            wait = (due - naive_utc(self.clock())).total_seconds()
            if wait > max_wait:
                break
            if wait > 0:
                self.sleep(wait)
        return report


def requeue_failed(store: Store) -> int:
    """Put ``failed`` rows back in the queue; returns how many."""
    ensure_schema(store)
    row = store.con.execute("SELECT count(*) FROM outbox WHERE status = 'failed'").fetchone()
    with store.transaction() as con:
        con.execute("UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? "
                    "WHERE status = 'failed'", [utcnow()])
    return int(row[0]) if row else 0


def outbox_summary(store: Store) -> dict[str, int]:
    ensure_schema(store)
    return dict(store.con.execute("SELECT status, count(*) FROM outbox GROUP BY 1 ORDER BY 1").fetchall())


__all__ = ["DeliveryError", "DispatchReport", "Dispatcher", "EmailNotifier", "LogNotifier", "Notifier",
           "SmtpSettings", "WebhookNotifier", "backoff", "enqueue", "envelope", "outbox_summary",
           "requeue_failed"]

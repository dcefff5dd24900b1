"""The alert lifecycle in the store: alerts, their transitions, acknowledgements, silences, risk history.

Tables (created on first use by :func:`ensure_schema`):

* ``alerts``: one row per alert; identity = rule + label set (``fingerprint``).
  ``state`` is inactive | pending | firing | resolved | nodata; ``seq`` counts its
  transitions; ``notified_seq``/``notified_state`` is the last one sent out. ``category``
  is ``event`` (from the event stream) or ``outlook`` (annual or monthly indicators, risk
  bands, forecasts: shown apart, never critical). ``severity`` is the alert's current
  severity (an event alert rises to critical when its criteria hold; the label keeps the
  rule's). What fired it is kept as it was when it fired: ``fired_value`` with its
  ``unit``, the ``baseline`` it was compared with (e.g. the expected count), ``why`` (a
  sentence, e.g. "fight articles 7 in the last hour vs usual 0–1 (expected 0.2; p 3e-09)")
  and ``detail`` (the same as JSON, which the dashboard translates); ``value`` is the
  latest value.
* ``alert_events``: every transition (``kind`` = transition), repeat notification
  (``kind`` = repeat) and rise in severity (``kind`` = escalation), keyed by
  (fingerprint, seq), with the alert's severity then and ``muted_by`` (silence ids or
  the inhibiting alert) when it was not notified.
* ``alert_acks``: who acknowledged which alert, when, with what comment.
* ``silences``: label matchers (``iso3=IRN``, ``severity!=info``, ``alertname=~fx_.*``),
  author, reason, start and expiry.
* ``outbox``: notifications to deliver (see :mod:`cultrade.monitor.notify`).
* ``risk_scores_history``: risk scores and bands persisted by :func:`snapshot_risk`.

>>> fingerprint({"alertname": "inflation_high", "iso3": "TUR"}) == fingerprint({"iso3": "TUR", "alertname": "inflation_high"})
True
>>> parse_matcher("iso3=~IR.")
Matcher(label='iso3', op='=~', value='IR.')
>>> Silence.create(["iso3=IRN"], author="ana", reason="known", ends_at=datetime(2030, 1, 1)).matches({"iso3": "IRN"}, datetime(2029, 1, 1))
True
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
import weakref
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from cultrade.errors import ConfigError
from cultrade.store import Store

_DDL = """
CREATE TABLE IF NOT EXISTS alerts (
    fingerprint VARCHAR PRIMARY KEY, rule VARCHAR NOT NULL, labels VARCHAR NOT NULL, iso3 VARCHAR,
    severity VARCHAR, summary VARCHAR, state VARCHAR NOT NULL, seq INTEGER NOT NULL, value DOUBLE,
    sample_ts TIMESTAMP, active_since TIMESTAMP, last_active_at TIMESTAMP, fired_at TIMESTAMP,
    resolved_at TIMESTAMP, last_eval_at TIMESTAMP, notified_seq INTEGER, notified_state VARCHAR,
    last_notified_at TIMESTAMP, acked_seq INTEGER, created_at TIMESTAMP, category VARCHAR,
    fired_value DOUBLE, fired_sample_ts TIMESTAMP, unit VARCHAR, baseline DOUBLE, why VARCHAR, detail VARCHAR);
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS category VARCHAR;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS fired_value DOUBLE;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS fired_sample_ts TIMESTAMP;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS unit VARCHAR;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS baseline DOUBLE;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS why VARCHAR;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS detail VARCHAR;
CREATE TABLE IF NOT EXISTS alert_events (
    fingerprint VARCHAR NOT NULL, seq INTEGER NOT NULL, occurred_at TIMESTAMP NOT NULL, rule VARCHAR,
    from_state VARCHAR, to_state VARCHAR, kind VARCHAR, value DOUBLE, muted_by VARCHAR, severity VARCHAR,
    PRIMARY KEY (fingerprint, seq));
ALTER TABLE alert_events ADD COLUMN IF NOT EXISTS severity VARCHAR;
CREATE SEQUENCE IF NOT EXISTS alert_ack_ids;
CREATE TABLE IF NOT EXISTS alert_acks (
    id BIGINT DEFAULT nextval('alert_ack_ids'), fingerprint VARCHAR NOT NULL, seq INTEGER,
    acked_by VARCHAR NOT NULL, acked_at TIMESTAMP NOT NULL, comment VARCHAR);
CREATE TABLE IF NOT EXISTS silences (
    id VARCHAR PRIMARY KEY, matchers VARCHAR[] NOT NULL, author VARCHAR NOT NULL, reason VARCHAR NOT NULL,
    starts_at TIMESTAMP NOT NULL, ends_at TIMESTAMP NOT NULL, created_at TIMESTAMP);
CREATE SEQUENCE IF NOT EXISTS outbox_ids;
CREATE TABLE IF NOT EXISTS outbox (
    id BIGINT DEFAULT nextval('outbox_ids'), idempotency_key VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL,
    seq INTEGER NOT NULL, receiver VARCHAR NOT NULL, group_key VARCHAR, payload VARCHAR NOT NULL,
    status VARCHAR NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TIMESTAMP,
    last_error VARCHAR, created_at TIMESTAMP, delivered_at TIMESTAMP, UNIQUE (idempotency_key, receiver));
CREATE TABLE IF NOT EXISTS watchlists (
    id VARCHAR PRIMARY KEY, enterprise VARCHAR NOT NULL, countries VARCHAR[], domains VARCHAR[],
    min_severity VARCHAR NOT NULL, receivers VARCHAR[] NOT NULL, created_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS risk_scores_history (
    iso3 VARCHAR, year INTEGER, score DOUBLE, band VARCHAR, home VARCHAR, domain VARCHAR, computed_at TIMESTAMP);
"""


def ensure_schema(store: Store) -> None:
    """Create the monitor's tables if they do not exist (idempotent)."""
    con = store.con
    if _SCHEMA_DONE.get(store) is con:  # seen through this connection before
        return
    if {"outbox", "risk_scores_history"} <= set(store.table_names()) and store.con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'alerts' AND column_name = 'detail'"
    ).fetchone() == (1,):
        _SCHEMA_DONE[store] = con
        return
    for statement in filter(str.strip, _DDL.split(";")):
        store.con.execute(statement)


_SCHEMA_DONE: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def forget_schema() -> None:
    """Make :func:`ensure_schema` look at the store again (after a rollback that may have undone it)."""
    _SCHEMA_DONE.clear()


def utcnow() -> datetime:
    """Now as naive UTC (the store's convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(ts: datetime) -> datetime:
    """``ts`` as naive UTC (aware values are converted, naive ones taken as UTC)."""
    if isinstance(ts, pd.Timestamp):
        ts = ts.to_pydatetime()
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def fingerprint(labels: dict[str, str]) -> str:
    """16 hex digits identifying a label set (the rule is in ``alertname``)."""
    text = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class AlertState:
    """One alert as stored; the engine's state machine reads and updates it."""

    fingerprint: str
    rule: str
    labels: dict[str, str]
    state: str = "inactive"
    seq: int = 0
    value: float | None = None
    sample_ts: datetime | None = None
    active_since: datetime | None = None
    last_active_at: datetime | None = None
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    last_eval_at: datetime | None = None
    notified_seq: int = 0
    notified_state: str | None = None
    last_notified_at: datetime | None = None
    acked_seq: int | None = None
    summary: str = ""
    created_at: datetime | None = None
    severity: str = ""
    category: str = "event"
    fired_value: float | None = None
    fired_sample_ts: datetime | None = None
    unit: str | None = None
    baseline: float | None = None
    why: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        if not self.severity:
            self.severity = self.labels.get("severity", "warning")

    def effective_labels(self) -> dict[str, str]:
        """The labels with the current severity (what silences, routes and notifications see)."""
        return {**self.labels, "severity": self.severity}

    @property
    def iso3(self) -> str | None:
        return self.labels.get("iso3")


_COLUMNS = [f.name for f in fields(AlertState)]


_FLOATS = ("value", "fired_value", "baseline")


def load_alerts(store: Store, rule: str | None = None) -> dict[str, AlertState]:
    """Stored alerts by fingerprint (of one rule, or all)."""
    ensure_schema(store)
    sql = f"SELECT {', '.join(_COLUMNS)} FROM alerts" + (" WHERE rule = ?" if rule else "")
    cur = store.con.execute(sql, [rule] if rule else [])
    out: dict[str, AlertState] = {}
    for row in cur.fetchall():
        values = dict(zip(_COLUMNS, row, strict=True))  # DB-API rows: Python datetimes, NULL as None
        for k in _FLOATS:
            if values[k] != values[k]:  # a stored NaN
                values[k] = None
        values["labels"] = json.loads(values["labels"])
        values["notified_seq"] = values["notified_seq"] or 0
        values["severity"] = values["severity"] or ""
        values["category"] = values["category"] or "event"
        values["summary"] = values["summary"] or ""
        out[values["fingerprint"]] = AlertState(**values)
    return out


def save_alert(store: Store, alert: AlertState, *, new: bool) -> None:
    """Insert or update one alert (call inside the evaluation's transaction)."""
    row = asdict(alert)
    row["labels"] = json.dumps(alert.labels, sort_keys=True)
    extra = {"iso3": alert.iso3}
    if new:
        cols = [*_COLUMNS, *extra]
        store.con.execute(f"INSERT INTO alerts ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                          [row[c] for c in _COLUMNS] + list(extra.values()))
    else:
        cols = [c for c in _COLUMNS if c not in ("fingerprint", "rule", "labels", "created_at")]
        store.con.execute(f"UPDATE alerts SET {', '.join(f'{c} = ?' for c in cols)} WHERE fingerprint = ?",
                          [row[c] for c in cols] + [alert.fingerprint])



_ARROW_TYPES: dict[str, Any] = {"seq": "int32", "notified_seq": "int32", "acked_seq": "int32", "value": "float64",
                                "fired_value": "float64", "baseline": "float64"}


def save_alerts(store: Store, alerts: Iterable[AlertState], *, new: Collection[str] = ()) -> int:
    """Write many alerts (call inside the evaluation's transaction): one INSERT of the ``new`` ones (fingerprints
    not stored yet), one UPDATE of the others. An ``INSERT OR REPLACE`` of all would delete and re-insert every
    key, several times slower."""
    import pyarrow as pa

    cols = [*_COLUMNS, "iso3"]
    stamp = pa.timestamp("us")
    schema = pa.schema([(c, pa.from_numpy_dtype(_ARROW_TYPES[c]) if c in _ARROW_TYPES
                         else stamp if c.endswith(("_ts", "_at", "_since")) else pa.string()) for c in cols])
    parts: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for alert in alerts:
        row = {c: getattr(alert, c) for c in _COLUMNS}
        row["labels"] = json.dumps(alert.labels, sort_keys=True)
        parts[alert.fingerprint in new].append({**row, "iso3": alert.iso3})
    for is_new, rows in parts.items():
        if not rows:
            continue
        store.con.register("_alert_rows", pa.Table.from_pylist(rows, schema=schema))
        try:
            if is_new:
                store.con.execute(f"INSERT INTO alerts ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _alert_rows")
            else:
                store.con.execute("UPDATE alerts AS a SET " + ", ".join(f"{c} = r.{c}" for c in cols[1:])
                                  + " FROM _alert_rows AS r WHERE a.fingerprint = r.fingerprint")
        finally:
            store.con.unregister("_alert_rows")
    return len(parts[True]) + len(parts[False])

def record_event(store: Store, alert: AlertState, *, at: datetime, from_state: str, kind: str = "transition",
                 muted_by: str | None = None) -> None:
    """Write the alert's current ``seq``/``state`` as one ``alert_events`` row."""
    store.con.execute("INSERT INTO alert_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      [alert.fingerprint, alert.seq, at, alert.rule, from_state, alert.state, kind, alert.value,
                       muted_by, alert.severity])


def find_alert(store: Store, ident: str) -> AlertState:
    """An alert by fingerprint or a unique prefix of it."""
    matches = [a for fp, a in load_alerts(store).items() if fp.startswith(ident.lower())]
    if len(matches) != 1:
        raise ConfigError(f"{'no' if not matches else 'more than one'} alert with id {ident!r}",
                          hint="use an id (fingerprint) from `cultrade alerts list`")
    return matches[0]


def acknowledge(store: Store, ident: str, by: str, comment: str = "", *, now: datetime | None = None) -> AlertState:
    """Record an acknowledgement; an acknowledged firing alert is not re-notified until it changes state."""
    if not by.strip():
        raise ConfigError("an acknowledgement needs a name", hint="pass --by NAME")
    alert = find_alert(store, ident)
    at = naive_utc(now) if now else utcnow()
    with store.transaction() as con:
        con.execute("INSERT INTO alert_acks (fingerprint, seq, acked_by, acked_at, comment) VALUES (?, ?, ?, ?, ?)",
                    [alert.fingerprint, alert.seq, by, at, comment])
        con.execute("UPDATE alerts SET acked_seq = ? WHERE fingerprint = ?", [alert.seq, alert.fingerprint])
    alert.acked_seq = alert.seq
    return alert


# -- silences ------------------------------------------------------------------
@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        got = labels.get(self.label, "")
        if self.op in ("=~", "!~"):
            hit = re.fullmatch(self.value, got) is not None
            return hit if self.op == "=~" else not hit
        return (got == self.value) if self.op == "=" else (got != self.value)

    def __str__(self) -> str:
        return f"{self.label}{self.op}{self.value}"


_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


def parse_matcher(text: str) -> Matcher:
    """``label=value``, ``label!=value``, ``label=~regex`` or ``label!~regex``."""
    m = _MATCHER.match(text)
    if not m:
        raise ConfigError(f"bad matcher {text!r}", hint="write label=value, label!=value or label=~regex")
    if m.group(2) in ("=~", "!~"):
        try:
            re.compile(m.group(3))
        except re.error as exc:
            raise ConfigError(f"bad regular expression in matcher {text!r}: {exc}", hint="fix the regex") from None
    return Matcher(m.group(1), m.group(2), m.group(3))


@dataclass(frozen=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    author: str
    reason: str
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def create(cls, matchers: Iterable[str], *, author: str, reason: str, ends_at: datetime,
               starts_at: datetime | None = None) -> Silence:
        parsed = tuple(parse_matcher(m) for m in matchers)
        if not parsed:
            raise ConfigError("a silence needs at least one matcher", hint="pass --match iso3=IRN")
        if not author.strip() or not reason.strip():
            raise ConfigError("a silence needs an author and a reason", hint="pass --by NAME --reason TEXT")
        start = naive_utc(starts_at) if starts_at else utcnow()
        end = naive_utc(ends_at)
        if end <= start:
            raise ConfigError("the silence would end before it starts", hint="give a positive --for or later --until")
        return cls(uuid.uuid4().hex[:8], parsed, author, reason, start, end)

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def matches(self, labels: dict[str, str], now: datetime) -> bool:
        return self.active(now) and all(m.matches(labels) for m in self.matchers)


def add_silence(store: Store, silence: Silence) -> Silence:
    ensure_schema(store)
    with store.transaction() as con:
        con.execute("INSERT INTO silences VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [silence.id, [str(m) for m in silence.matchers], silence.author, silence.reason,
                     silence.starts_at, silence.ends_at, utcnow()])
    return silence


def silence_alert(store: Store, alert: AlertState, *, author: str, reason: str, hours: float,
                  matchers: Iterable[str] | None = None) -> Silence:
    """Silence ``alert`` for ``hours``: by default every alert of its rule for its country."""
    default = [f"alertname={alert.rule}", *([f"iso3={alert.iso3}"] if alert.iso3 else [])]
    return add_silence(store, Silence.create(matchers or default, author=author, reason=reason,
                                             ends_at=utcnow() + timedelta(hours=hours)))


def expire_silence(store: Store, silence_id: str, *, now: datetime | None = None) -> None:
    """End a silence now (its alerts notify again at the next evaluation)."""
    ensure_schema(store)
    at = naive_utc(now) if now else utcnow()
    hit = store.con.execute("SELECT count(*) FROM silences WHERE id = ?", [silence_id]).fetchone()
    if not hit or not hit[0]:
        raise ConfigError(f"no silence with id {silence_id!r}", hint="see `cultrade alerts silences`")
    with store.transaction() as con:
        con.execute("UPDATE silences SET ends_at = least(ends_at, ?) WHERE id = ?", [at, silence_id])


def load_silences(store: Store, *, now: datetime | None = None, include_expired: bool = False) -> list[Silence]:
    ensure_schema(store)
    rows = store.con.execute("SELECT id, matchers, author, reason, starts_at, ends_at FROM silences "
                             "ORDER BY starts_at").fetchall()
    out = [Silence(r[0], tuple(parse_matcher(m) for m in r[1]), r[2], r[3], r[4], r[5]) for r in rows]
    at = naive_utc(now) if now else utcnow()
    return out if include_expired else [s for s in out if s.ends_at > at]


# -- listing -------------------------------------------------------------------
def list_alerts(store: Store, *, state: str | None = None, country: str | None = None,
                include_inactive: bool = False, category: str | None = None) -> pd.DataFrame:
    """Alerts with their acknowledgement and what fired them, newest change first (``category``: only event
    or only outlook alerts)."""
    ensure_schema(store)
    where, params = ["TRUE"], []
    if state:
        from cultrade.monitor.rules import check

        where.append("a.state = ?")
        params.append(check("state", state))
    elif not include_inactive:
        where.append("a.state <> 'inactive'")
    if country:
        where.append("a.iso3 = ?")
        params.append(country.upper())
    if category:
        where.append("coalesce(a.category, 'event') = ?")
        params.append(category)
    sql = ("SELECT a.fingerprint AS id, a.rule, a.iso3, a.severity, a.state, a.value, a.sample_ts, "
           "coalesce(a.fired_at, a.active_since) AS since, a.resolved_at, k.acked_by, k.acked_at, "
           "coalesce(a.category, 'event') AS category, a.fired_value, a.unit, a.baseline, a.why, "
           "a.fired_sample_ts, a.detail, a.labels FROM alerts a LEFT JOIN (SELECT fingerprint, arg_max(acked_by, acked_at) AS acked_by, "
           "max(acked_at) AS acked_at "
           "FROM alert_acks GROUP BY 1) k USING (fingerprint) "
           f"WHERE {' AND '.join(where)} ORDER BY a.last_eval_at DESC, a.severity, a.rule, a.iso3")
    return store.con.execute(sql, params).df()


def alert_events(store: Store, ident: str | None = None) -> pd.DataFrame:
    """The transition log (of one alert, or all)."""
    ensure_schema(store)
    if ident is None:
        return store.con.execute("SELECT * FROM alert_events ORDER BY occurred_at, fingerprint, seq").df()
    fp = find_alert(store, ident).fingerprint
    return store.con.execute("SELECT * FROM alert_events WHERE fingerprint = ? ORDER BY seq", [fp]).df()


def snapshot_risk(store: Store, home: str = "CHN", domain: str = "general", *, now: datetime | None = None,
                  scores: pd.DataFrame | None = None, **params: Any) -> int:
    """Persist the risk index's scores and bands (every year) for the ``risk`` rules; returns rows written.

    ``scores`` (columns iso3, year, score, band) skips building the index.
    """
    if scores is None:
        from cultrade.risk import build_index

        scores = build_index(store, home, domain, **params).scores(all_years=True)
    df = scores[["iso3", "year", "score", "band"]].copy()
    df = df[df["score"].notna() & df["band"].isin(_bands())]
    df = df.assign(home=home.upper(), domain=domain, computed_at=naive_utc(now) if now else utcnow())
    ensure_schema(store)
    with store.transaction() as con:
        con.register("_risk_rows", df)
        try:
            con.execute("INSERT INTO risk_scores_history SELECT iso3, CAST(year AS INTEGER), score, band, home, "
                        "domain, computed_at FROM _risk_rows")
        finally:
            con.unregister("_risk_rows")
    return len(df)


def _bands() -> tuple[str, ...]:
    from cultrade.monitor.rules import BANDS

    return BANDS


__all__ = [
    "AlertState", "Matcher", "Silence", "acknowledge", "add_silence", "alert_events", "ensure_schema",
    "expire_silence", "find_alert", "fingerprint", "forget_schema", "list_alerts", "load_alerts", "load_silences", "naive_utc",
    "parse_matcher", "record_event", "save_alert", "save_alerts", "snapshot_risk", "utcnow",
]

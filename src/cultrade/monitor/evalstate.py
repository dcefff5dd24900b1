"""The parts of :class:`cultrade.monitor.evaluator.SliceEvaluator` that are plain data and store I/O: what a
slice changed (:class:`SliceChanges`), the cached result of a non-signal rule, the per-transaction buffer of
``alert_events``/``outbox`` rows, and the version stamp of the non-signal source tables."""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from cultrade.monitor.alerts import AlertState
from cultrade.monitor.engine import Observation
from cultrade.store import Store

_SOURCES = {"indicator": ("indicators", "_catalog"), "fx": ("fx_rates", "_catalog"),
            "risk": ("risk_scores_history",), "forecast": ("forecast_probabilities",)}


@dataclass(frozen=True)
class SliceChanges:
    """What one slice changed: per granularity its bucket start, the bucket's metric values after the slice
    (countries × METRICS, see :func:`cultrade.monitor.signals.output_values`) and the baseline median/MAD.
    ``reload``: other buckets changed too (a late slice): re-read the signals from the store."""

    ts: datetime
    buckets: dict[str, tuple[datetime, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    reload: bool = False


class BucketSeries:
    """The buckets of one (metric, granularity) in time order, as two (buckets × countries) arrays of values and
    anomalies (NaN: no row). The stream only ever changes its newest bucket or starts a new one, so updating a
    bucket in place and appending are cheap, and a lookback window is a view, not a stack of copies.

    >>> from datetime import datetime
    >>> s = BucketSeries(2)
    >>> s.set(datetime(2025, 6, 1, 1), np.array([1.0, np.nan]), np.array([0.5, np.nan]))
    >>> s.set(datetime(2025, 6, 1, 0), np.array([2.0, 3.0]), np.array([0.1, 0.2]))  # out of order: kept sorted
    >>> times, values, _ = s.window(datetime(2025, 6, 1), datetime(2025, 6, 1, 1))
    >>> [t.hour for t in times], values[:, 0].tolist()
    ([0, 1], [2.0, 1.0])
    >>> s.drop_before(datetime(2025, 6, 1, 1)); s.times
    [datetime.datetime(2025, 6, 1, 1, 0)]
    """

    def __init__(self, n_countries: int, capacity: int = 64) -> None:
        self.times: list[datetime] = []
        self._v = np.full((capacity, n_countries), np.nan)
        self._a = np.full((capacity, n_countries), np.nan)
        self._lo = 0  # rows [_lo, _lo + len(times)) are live

    def __len__(self) -> int:
        return len(self.times)

    def set(self, t: datetime, values: np.ndarray, anomalies: np.ndarray) -> None:
        k = bisect_left(self.times, t)
        if k < len(self.times) and self.times[k] == t:
            row = self._lo + k
        else:
            self._make_room()
            row = self._lo + k
            end = self._lo + len(self.times)
            if k < len(self.times):  # out of order (loading): shift the later rows down one
                self._v[row + 1: end + 1] = self._v[row:end]
                self._a[row + 1: end + 1] = self._a[row:end]
            self.times.insert(k, t)
        self._v[row], self._a[row] = values, anomalies

    def get(self, t: datetime) -> tuple[np.ndarray, np.ndarray] | None:
        k = bisect_left(self.times, t)
        if k < len(self.times) and self.times[k] == t:
            return self._v[self._lo + k], self._a[self._lo + k]
        return None

    def drop_before(self, t: datetime) -> None:
        k = bisect_left(self.times, t)
        if k:
            del self.times[:k]
            self._lo += k

    def window(self, since: datetime, until: datetime) -> tuple[list[datetime], np.ndarray, np.ndarray]:
        """The buckets with since <= time <= until: their times and (views of) their values and anomalies."""
        i, j = bisect_left(self.times, since), bisect_right(self.times, until)
        return self.times[i:j], self._v[self._lo + i: self._lo + j], self._a[self._lo + i: self._lo + j]

    def _make_room(self) -> None:
        n = len(self.times)
        if self._lo + n < len(self._v):
            return
        cap = max(2 * n, 64)
        v, a = np.full((cap, self._v.shape[1]), np.nan), np.full((cap, self._v.shape[1]), np.nan)
        v[:n], a[:n] = self._v[self._lo: self._lo + n], self._a[self._lo: self._lo + n]
        self._v, self._a, self._lo = v, a, 0


class SignalRow(NamedTuple):
    iso3: str
    value: float


@dataclass
class _Cached:
    """``latest`` of a non-signal rule and the span of ``now`` over which it stays the same."""

    entries: list[tuple[str, dict[str, str], Any, Observation]]
    at: datetime
    enter_next: datetime | None
    exit_next: datetime | None

    def valid(self, now: datetime) -> bool:
        return now >= self.at and (self.enter_next is None or now < self.enter_next) and (
            self.exit_next is None or now <= self.exit_next)


class _Buffer:
    """Collects the events and notifications of a transaction; written at ``flush`` in one INSERT each."""

    def __init__(self) -> None:
        self.events: list[list[Any]] = []
        self.outbox: list[list[Any]] = []

    def event(self, alert: AlertState, at: datetime, from_state: str, kind: str, muted_by: str | None) -> None:
        self.events.append([alert.fingerprint, alert.seq, at, alert.rule, from_state, alert.state, kind, alert.value,
                            muted_by])

    def notify(self, payload: dict[str, Any], receivers: tuple[str, ...], group_key: str, now: datetime) -> None:
        text = json.dumps(payload, sort_keys=True, default=str)  # as notify.enqueue writes it
        for receiver in receivers:
            self.outbox.append([payload["idempotencyKey"], payload["fingerprint"], payload["seq"], receiver,
                                group_key, text, now])

    def write(self, store: Store) -> None:
        con = store.con
        if self.events:
            con.register("_alert_events", pa.table(list(map(list, zip(*self.events, strict=True))), schema=pa.schema([
                ("fingerprint", pa.string()), ("seq", pa.int32()), ("occurred_at", pa.timestamp("us")),
                ("rule", pa.string()), ("from_state", pa.string()), ("to_state", pa.string()), ("kind", pa.string()),
                ("value", pa.float64()), ("muted_by", pa.string())])))
            try:
                con.execute("INSERT INTO alert_events SELECT * FROM _alert_events")
            finally:
                con.unregister("_alert_events")
        if self.outbox:
            con.register("_outbox_rows", pa.table(list(map(list, zip(*self.outbox, strict=True))), schema=pa.schema([
                ("k", pa.string()), ("fp", pa.string()), ("seq", pa.int32()), ("receiver", pa.string()),
                ("group_key", pa.string()), ("payload", pa.string()), ("now", pa.timestamp("us"))])))
            try:
                con.execute("INSERT INTO outbox (idempotency_key, fingerprint, seq, receiver, group_key, payload, "
                            "status, attempts, next_attempt_at, created_at) SELECT k, fp, seq, receiver, group_key, "
                            "payload, 'pending', 0, now, now FROM _outbox_rows ON CONFLICT DO NOTHING")
            finally:
                con.unregister("_outbox_rows")
        self.events, self.outbox = [], []


def _version(store: Store, kinds: Iterable[str]) -> tuple[Any, ...]:
    """Changes whenever a source table of the non-signal rules is created, loaded or appended to."""
    names = sorted({t for k in kinds for t in _SOURCES.get(k, ())})
    present = {t for (t,) in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    parts: list[Any] = []
    for name in names:
        if name not in present:
            parts.append((name, None))
        elif name == "_catalog":
            parts.append((name, store.con.execute("SELECT count(*), max(loaded_at) FROM _catalog").fetchall()[0]))
        elif name in ("indicators", "fx_rates"):  # loaded through the catalog
            parts.append((name, True))
        else:
            stamp = "max(created_at)" if name == "forecast_probabilities" else "max(computed_at)"
            parts.append((name, store.con.execute(f"SELECT count(*), {stamp} FROM {name}").fetchall()[0]))
    return tuple(parts)


__all__ = ["BucketSeries", "SignalRow", "SliceChanges"]

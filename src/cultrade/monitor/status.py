"""Is the event feed live? The monitor's status as the CLI, the API and the dashboard show it.

The feed is **live** while slices keep arriving: the last one was processed (``monitor_slices.processed_at``,
the arrival time) less than ``stale_after`` ago (``CULTRADE_MONITOR_STALE_AFTER``, default one hour; GDELT
publishes every 15 minutes). Otherwise it is **stale**: event alerts are then shown as of the last slice, not
as live, whatever their state. **none**: no slice was ever processed.

``lag`` is how late the last slice was processed after its own time (minutes for a live feed; for a replay of
past slices, the age of the data). The outbox backlog is what the dispatcher still has to deliver.

>>> from datetime import datetime, timedelta
>>> s = FeedStatus("stale", datetime(2025, 6, 5, 23, 45), datetime(2026, 1, 1), timedelta(hours=1),
...                datetime(2026, 1, 2))
>>> s.sentence()
'stale: no slice for 1 day (last slice 2025-06-05 23:45 UTC)'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from cultrade.store import Store

FeedState = Literal["live", "stale", "none"]


def _span(td: timedelta) -> str:
    s = td.total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if s >= size:
            n = int(s // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{int(s)} seconds"


@dataclass(frozen=True)
class FeedStatus:
    state: FeedState
    last_slice: datetime | None
    last_arrival: datetime | None
    stale_after: timedelta
    now: datetime
    slices: int = 0
    quarantined: int = 0
    outbox: dict[str, int] = field(default_factory=dict)
    oldest_pending: datetime | None = None

    @property
    def lag(self) -> timedelta | None:
        """How long after its own time the last slice was processed."""
        return None if self.last_slice is None or self.last_arrival is None else self.last_arrival - self.last_slice

    @property
    def since_arrival(self) -> timedelta | None:
        return None if self.last_arrival is None else self.now - self.last_arrival

    @property
    def backlog(self) -> int:
        """Notifications not delivered yet (pending, and failed ones that gave up)."""
        return int(self.outbox.get("pending", 0) + self.outbox.get("failed", 0))

    def sentence(self) -> str:
        if self.state == "none" or self.last_slice is None:
            return "no event slice processed yet"
        last = f"last slice {self.last_slice:%Y-%m-%d %H:%M} UTC"
        if self.state == "live":
            return f"live: {last}, arrived {_span(self.since_arrival or timedelta(0))} ago"
        return f"stale: no slice for {_span(self.since_arrival or timedelta(0))} ({last})"

    def as_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat() + "Z"

        return {"state": self.state, "last_slice": iso(self.last_slice), "last_arrival": iso(self.last_arrival),
                "lag_seconds": None if self.lag is None else self.lag.total_seconds(),
                "since_arrival_seconds": None if self.since_arrival is None else self.since_arrival.total_seconds(),
                "stale_after_seconds": self.stale_after.total_seconds(), "slices": self.slices,
                "quarantined": self.quarantined, "outbox": dict(self.outbox), "backlog": self.backlog,
                "oldest_pending": iso(self.oldest_pending), "message": self.sentence()}


def feed_status(store: Store, now: datetime | None = None, stale_after: timedelta | None = None) -> FeedStatus:
    """The feed's status at ``now`` (naive UTC; default the clock)."""
    from cultrade.monitor.alerts import naive_utc, utcnow
    from cultrade.settings import get_settings

    at = naive_utc(now) if now is not None else utcnow()
    limit = stale_after if stale_after is not None else timedelta(seconds=get_settings().monitor_stale_after)
    tables = set(store.table_names())
    last_slice = last_arrival = oldest = None
    n = quarantined = 0
    outbox: dict[str, int] = {}
    if "monitor_slices" in tables:
        row = store.con.execute("SELECT max(slice_ts), max(processed_at), count(*) FROM monitor_slices").fetchone()
        if row:
            last_slice, last_arrival, n = row[0], row[1], int(row[2])
    if "monitor_quarantine" in tables:
        q = store.con.execute("SELECT count(*) FROM monitor_quarantine").fetchone()
        quarantined = int(q[0]) if q else 0
    if "outbox" in tables:
        outbox = {str(k): int(v) for k, v in store.con.execute(
            "SELECT status, count(*) FROM outbox GROUP BY 1").fetchall()}
        o = store.con.execute("SELECT min(created_at) FROM outbox WHERE status = 'pending'").fetchone()
        oldest = o[0] if o else None
    state: FeedState = "none" if last_arrival is None else ("live" if at - last_arrival <= limit else "stale")
    return FeedStatus(state, last_slice, last_arrival, limit, at, n, quarantined, outbox, oldest)


__all__ = ["FeedState", "FeedStatus", "feed_status"]

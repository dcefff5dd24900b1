"""The monitor as a service: the watcher, the dispatcher and the clock, on a schedule in the server's process.

``cultrade serve --watch DIR`` (or ``--live DEST``) starts a :class:`MonitorService` beside the API and the
dashboard. One background thread repeats, each ``interval`` seconds:

1. **watch**: process the new slices of the watched folders (:class:`~cultrade.monitor.feeds.FolderPoller`;
   unreadable ones are quarantined) or of GDELT's live file list, each slice with the rule engine in its
   transaction;
2. **dispatch**: deliver the outbox (:class:`~cultrade.monitor.notify.Dispatcher`), every
   ``dispatch_interval`` seconds;
3. **tick**: every ``tick_interval`` seconds evaluate the rules at the *stream's clock* (the last slice's time
   plus the time since it arrived), so that time-based transitions happen between slices: an event alert
   whose feed stopped goes to ``nodata``, ``keep_firing_for`` runs out. The stream's clock, not the wall
   clock, so that slices replayed into a watched folder are judged at their own time.

DuckDB admits one process per store file, so the server is the store's owner while it runs, and every
other ``cultrade`` command reaches the store through it (:mod:`cultrade.commands.remote`). Inside the
process, each part has its own connection to the one database, and all of them hold the server's store
``lock`` while they touch the store (the API routes take it too): nothing conflicts, and a slow webhook
receiver holds nothing up, as the dispatcher calls receivers without the lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cultrade.errors import CultradeError
from cultrade.settings import Settings
from cultrade.store import Store

log = logging.getLogger(__name__)


@dataclass
class ServiceStats:
    """What the service did since it started (shown by the status endpoint)."""

    polls: int = 0
    slices: int = 0
    quarantined: int = 0
    delivered: int = 0
    ticks: int = 0
    errors: list[str] = field(default_factory=list)
    last_poll: datetime | None = None


class MonitorService:
    """See the module doc. ``watch`` folders and/or ``live`` (a download folder for GDELT's lastupdate list)."""

    def __init__(self, store_path: str | Path, settings: Settings, *, watch: list[Path] | None = None,
                 live: Path | None = None, interval: float = 10.0, dispatch_interval: float = 15.0,
                 tick_interval: float = 300.0, lock: AbstractContextManager[Any] | None = None,
                 notifiers: dict[str, Any] | None = None, clock: Callable[[], datetime] | None = None) -> None:
        from cultrade.monitor.alerts import utcnow

        self.store_path, self.settings = str(store_path), settings
        self.folders = [Path(p).resolve() for p in (watch or [])]
        self.live = Path(live).resolve() if live else None
        self.interval, self.dispatch_interval, self.tick_interval = interval, dispatch_interval, tick_interval
        self.lock: AbstractContextManager[Any] = lock if lock is not None else nullcontext()
        self.notifiers = notifiers
        self.clock = clock or utcnow
        self.stats = ServiceStats()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._store: Store | None = None
        self._stream: Any = None
        self._evaluator: Any = None
        self._pollers: dict[Path, Any] = {}
        self._last_dispatch = self._last_tick = 0.0

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> MonitorService:
        from cultrade.monitor.evaluator import Evaluator
        from cultrade.monitor.stream import EventStream

        with self.lock:
            self._store = Store(self.store_path, settings=self.settings)
            self._evaluator = Evaluator()
            self._stream = EventStream(self._store, on_slice=[self._evaluator])
        self._thread = threading.Thread(target=self._loop, name="cultrade-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        if self._store is not None:
            with self.lock:
                self._store.close()
            self._store = None

    def watch(self, folder: str | Path) -> bool:
        """Also watch ``folder`` (False if it is watched already); the next poll starts at once."""
        path = Path(folder).resolve()
        if path in self.folders:
            return False
        self.folders.append(path)
        self._wake.set()
        return True

    def poke(self) -> None:
        """Poll, dispatch and tick now rather than at the next interval."""
        self._last_dispatch = self._last_tick = 0.0
        self._wake.set()

    # -- the loop -----------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as exc:  # the service must outlive one bad poll (the store rolled it back)
                log.exception("monitor service: %s", exc)
                self.stats.errors = [*self.stats.errors[-9:], f"{type(exc).__name__}: {exc}"]
            self._wake.wait(self.interval)
            self._wake.clear()

    def run_once(self) -> None:
        """One round: watch (and live), then dispatch and tick when they are due."""
        assert self._store is not None and self._stream is not None
        from cultrade.monitor.feeds import FolderPoller, live_poll

        for folder in list(self.folders):
            if folder not in self._pollers:
                if not folder.is_dir():
                    continue
                with self.lock:
                    self._pollers[folder] = FolderPoller(self._stream, folder)
            with self.lock:
                done = self._pollers[folder].poll()
            self._count(done)
        if self.live is not None:
            try:
                with self.lock:
                    self._count(live_poll(self._stream, self.live))
            except CultradeError as exc:  # GDELT unreachable: try again at the next poll
                log.warning("live feed: %s", exc)
        self.stats.polls += 1
        self.stats.last_poll = self.clock()
        now = time.monotonic()
        if now - self._last_dispatch >= self.dispatch_interval:
            self._last_dispatch = now
            self.dispatch()
        if now - self._last_tick >= self.tick_interval:
            self._last_tick = now
            self.tick()

    def _count(self, summaries: list[Any]) -> None:
        for s in summaries:
            if s.status == "processed":
                self.stats.slices += 1
            elif s.status == "quarantined":
                self.stats.quarantined += 1

    def dispatch(self) -> Any:
        """Deliver what the outbox holds now (receivers are called without the store lock)."""
        from cultrade.monitor.notify import Dispatcher

        assert self._store is not None
        report = Dispatcher(self._store, self.notifiers, lock=self.lock).run(max_rounds=3, max_wait=0.0)
        self.stats.delivered += report.delivered
        return report

    def stream_clock(self) -> datetime | None:
        """The last slice's time plus the time since it arrived (None before the first slice)."""
        assert self._store is not None
        with self.lock:
            row = self._store.con.execute("SELECT max(slice_ts), max(processed_at) FROM monitor_slices").fetchone()
        if not row or row[0] is None:
            return None
        return min(row[0] + max(self.clock() - row[1], timedelta(0)), self.clock())

    def tick(self) -> list[Any]:
        """Evaluate every rule at the stream's clock (time-based transitions between slices)."""
        at = self.stream_clock()
        if at is None:
            return []
        assert self._store is not None
        with self.lock:
            out = self._evaluator.run(self._store, at)
        self.stats.ticks += 1
        return list(out)


__all__ = ["MonitorService", "ServiceStats"]

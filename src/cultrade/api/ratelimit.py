"""Backoff on failed authentication, per client address and per key prefix.

Each failed attempt (an unknown or revoked key, an unknown or ended session) counts against two identities:
the client's address and the first :data:`PREFIX_LENGTH` characters of what it presented. The first
``free`` failures cost nothing; after that each identity must wait ``base × 2^(failures − free)`` seconds
(capped at ``cap``) before its next attempt, and an attempt while it waits is answered 429 with
``Retry-After`` without looking the secret up (so waiting gives no oracle). A success clears the key prefix,
not the client (a client with one valid key must not be able to reset its count while guessing others);
failures are forgotten ``window`` seconds after the last one. Memory is bounded: beyond ``max_entries``
identities the oldest are dropped.

Why not a rate-limit library (``limits``, ``slowapi``, ``pyrate-limiter``)? They cap *requests per window*
and read the wall clock themselves; what is needed here is a lockout that grows with *failures* and a clock
the tests can drive, which is these few lines.

>>> t = [0.0]
>>> limiter = FailedAuthLimiter(clock=lambda: t[0], free=2, base=1.0)
>>> for _ in range(3):
...     limiter.failed("10.0.0.1", "ct_abcde")
>>> limiter.wait("10.0.0.1", "ct_zzzzz"), limiter.wait("10.9.9.9", "ct_abcde"), limiter.wait("10.9.9.9", "ct_x")
(1.0, 1.0, 0.0)
>>> limiter.failed("10.0.0.1", "ct_abcde")  # a fourth failure doubles the wait
>>> limiter.wait("10.0.0.1", "ct_abcde")
2.0
>>> t[0] = 2.0
>>> limiter.wait("10.0.0.1", "ct_zzzzz")
0.0
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

PREFIX_LENGTH = 8


@dataclass
class _Failures:
    count: int
    last: float


class FailedAuthLimiter:
    """Exponential backoff after failed authentications; ``clock`` returns seconds (monotonic)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, free: int = 5, base: float = 1.0,
                 cap: float = 900.0, window: float = 900.0, max_entries: int = 100_000) -> None:
        self.clock = clock
        self.free, self.base, self.cap, self.window, self.max_entries = free, base, cap, window, max_entries
        self._seen: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _ids(client: str, secret: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("client", client or "?"), ("prefix", (secret or "")[:PREFIX_LENGTH])

    def _delay(self, failures: _Failures, now: float) -> float:
        if now - failures.last >= self.window or failures.count <= self.free:
            return 0.0
        delay = min(self.cap, self.base * 2 ** (failures.count - self.free - 1))
        return max(0.0, failures.last + delay - now)

    def wait(self, client: str, secret: str) -> float:
        """Seconds ``client`` presenting ``secret`` must still wait (0: it may try now)."""
        now = self.clock()
        with self._lock:
            return max((self._delay(f, now) for i in self._ids(client, secret) if (f := self._seen.get(i))),
                       default=0.0)

    def failed(self, client: str, secret: str) -> None:
        """Count a failed attempt against the client and the secret's prefix."""
        now = self.clock()
        with self._lock:
            for ident in self._ids(client, secret):
                f = self._seen.pop(ident, None)
                if f is None or now - f.last >= self.window:
                    f = _Failures(0, now)
                f.count, f.last = f.count + 1, now
                self._seen[ident] = f
            while len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)

    def succeeded(self, secret: str) -> None:
        """A valid key or session: forget the failures of its prefix (the client's count stays)."""
        with self._lock:
            self._seen.pop(self._ids("", secret)[1], None)


__all__ = ["PREFIX_LENGTH", "FailedAuthLimiter"]

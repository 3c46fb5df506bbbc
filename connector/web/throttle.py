"""Per-source limits of the webhook endpoint: a token bucket per address, and a log line per
address per interval.

Both keep a bounded table: addresses beyond it are forgotten oldest first, so a flood from
many addresses costs memory no more than from one.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.clock import Clock

TRACKED = 4096  # addresses remembered by each table


@dataclass
class _Bucket:
    tokens: float
    at: datetime


class SourceLimiter:
    """A token bucket per source address: `burst` requests at once, then `per_second`."""

    def __init__(self, clock: Clock, *, burst: int, per_second: float,
                 tracked: int = TRACKED) -> None:
        self._clock = clock
        self._burst = float(burst)
        self._rate = per_second
        self._tracked = tracked
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, source: str) -> float:
        """0 when a request from `source` may go on now (and counts it); otherwise the
        seconds until one may."""
        now = self._clock.now()
        with self._lock:
            bucket = self._buckets.pop(source, None) or _Bucket(self._burst, now)
            # A clock that stepped back refills nothing, rather than going negative.
            elapsed = max((now - bucket.at).total_seconds(), 0.0)
            bucket.tokens = min(self._burst, bucket.tokens + elapsed * self._rate)
            bucket.at = now
            self._buckets[source] = bucket  # newest last: the oldest are forgotten first
            while len(self._buckets) > self._tracked:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self._rate


class SparseLog:
    """Logs a warning about a source at most once per `every`; the line says how many went
    unlogged before it. The counts per outcome are in /metrics all the same."""

    def __init__(self, logger: logging.Logger, clock: Clock, *, every: timedelta,
                 tracked: int = TRACKED) -> None:
        self._log = logger
        self._clock = clock
        self._every = every
        self._tracked = tracked
        self._last: OrderedDict[str, tuple[datetime, int]] = OrderedDict()
        self._lock = threading.Lock()

    def warning(self, source: str, message: str, *args: object) -> bool:
        """Log `message % args` unless `source` was logged within the interval; True if it
        was logged."""
        now = self._clock.now()
        with self._lock:
            last, quiet = self._last.pop(source, (None, 0))
            if last is not None and timedelta(0) <= now - last < self._every:
                self._last[source] = (last, quiet + 1)
                return False
            self._last[source] = (now, 0)
            while len(self._last) > self._tracked:
                self._last.popitem(last=False)
        minutes = int(self._every.total_seconds() // 60)
        suffix = (f" ({quiet} more from there since the last line)" if quiet else "")
        self._log.warning(message + "%s; further ones from there are counted in /metrics and "
                          "logged again after %d minutes", *args, suffix, minutes,
                          extra={"source": source})
        return True

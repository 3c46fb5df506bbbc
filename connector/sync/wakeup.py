"""Poll requests from webhooks, debounced: when the service loop should poll before its timer.

A request (a verified webhook) asks for a poll that can see the change it announces. On a
feed without lag (Jira) that is a poll now: the first of a burst starts one at once, unless a
poll is in flight or one started less than `floor` ago; every request that comes while a poll
runs or waits for the floor is served by the one poll that follows. So a burst of webhooks
gives one or two polls, at most one poll is in flight, and polls never start more often than
once per `floor`, whatever arrives.

On a feed that leaves out its last `lag` (Zendesk's exports: the last minute), a poll that
starts sooner than `lag` after a request cannot show its change: the request is due at its
time plus `lag`, and a poll starting at s serves only the requests made at or before s - lag
(a timed poll in between leaves the later ones waiting). Lag 0 is the case above.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from connector.clock import Clock
from connector.tracker.base import SupportsFeedLag

# The least time between the starts of two polls a webhook may cause: at most 30 polls a
# minute however many webhooks come (each an idle poll's one search request), and a change
# seen about a second after it was made when they come one at a time.
FLOOR = timedelta(seconds=2)
# Added to a lagging feed's lag before a woken poll. Zendesk stamps changes in whole seconds
# and leaves out those "within the minute before the request" (the sandbox: stamps up to its
# now, truncated, minus 60 s, which a 60 s wait always passes); a strict cutoff costs one more
# second, and Zendesk's clock and this host's (NTP) may differ by about one. A poll that comes
# too soon misses the change until the next timed poll, a minute on; one 3 s late costs 3 s.
LAG_MARGIN = timedelta(seconds=3)
# The floor on a lagging feed. Zendesk's exports allow 10 requests a minute between them and a
# poll reads the ticket export and, when tickets changed, the events export: with the 2 s
# floor a stream of webhooks ran into 429s whose Retry-After held the loop for up to 40 s
# (bench/latency.py --tracker zendesk). 15 s keeps woken polls to 8 export requests a minute;
# a webhook's poll waits the export's minute anyway, and the floor adds at most 15 s to it.
EXPORT_FLOOR = timedelta(seconds=15)


class PollWakeup:
    """Thread-safe: `request()` from the web server's threads, the rest from the loop's."""

    def __init__(self, clock: Clock, *, floor: timedelta = FLOOR,
                 lag: timedelta = timedelta(0)) -> None:
        self.clock = clock
        self.floor = floor
        self.lag = lag
        # Unserved requests, oldest first: one entry per floor-long group of them (the group's
        # latest request, which the poll serving the group must wait for). Polls cannot come
        # closer than the floor anyway, and a steady stream cannot push a group's due time on.
        self._pending: deque[datetime] = deque()
        self._group_opened: datetime | None = None
        self._last_start: datetime | None = None
        self._in_flight = False
        self._changed = threading.Condition()

    def request(self) -> None:
        """Ask for a poll that sees what changed until now; returns at once (never waits
        for the poll)."""
        with self._changed:
            now = self.clock.now()
            opened = self._group_opened
            if self._pending and opened is not None and timedelta(0) <= now - opened < self.floor:
                self._pending[-1] = max(self._pending[-1], now)
            else:
                self._pending.append(now)
                self._group_opened = now
            self._changed.notify_all()

    @property
    def pending(self) -> bool:
        """A request waits for a poll that has not started yet."""
        with self._changed:
            return bool(self._pending)

    def seconds_until_due(self) -> float | None:
        """None when no request waits or a poll is in flight (its end is the next moment to
        look); else how long until the oldest request's change can be in the feed and the
        floor allows the poll (0: now)."""
        with self._changed:
            return self._until_due()

    def due(self) -> bool:
        return self.seconds_until_due() == 0.0

    def wait(self, timeout: float) -> None:
        """Block up to `timeout` seconds (real time), less when a request is or becomes due."""
        with self._changed:
            left = self._until_due()
            if left is not None:
                timeout = min(timeout, left)
            if timeout > 0:
                self._changed.wait(timeout)

    @contextmanager
    def polling(self) -> Iterator[None]:
        """Around every poll, woken or timed: it serves every request made at least the lag
        before it starts; later ones stay pending."""
        with self._changed:
            now = self.clock.now()
            # A request stamped after now was made before the wall clock stepped back: as
            # good as made now.
            self._pending = deque(min(made, now) for made in self._pending)
            while self._pending and self._pending[0] <= now - self.lag:
                self._pending.popleft()
            self._last_start = now
            self._in_flight = True
        try:
            yield
        finally:
            with self._changed:
                self._in_flight = False
                self._changed.notify_all()

    def _until_due(self) -> float | None:
        if not self._pending or self._in_flight:
            return None
        now = self.clock.now()
        # Never more than the lag away: a wall clock stepped back is not waited out.
        wait = min(self._pending[0] + self.lag - now, self.lag)
        if self._last_start is not None and now >= self._last_start:
            wait = max(wait, self.floor - (now - self._last_start))
        return max(wait.total_seconds(), 0.0)


def for_tracker(clock: Clock, tracker: object) -> PollWakeup:
    """The wake-up for `tracker`'s feed: on a feed without lag (Jira) a poll at once, at
    most one per `FLOOR`; on a lagging one (Zendesk) a poll the feed's lag and `LAG_MARGIN`
    after the webhook, at most one per `EXPORT_FLOOR`."""
    if isinstance(tracker, SupportsFeedLag):
        return PollWakeup(clock, floor=EXPORT_FLOOR, lag=tracker.feed_lag + LAG_MARGIN)
    return PollWakeup(clock)

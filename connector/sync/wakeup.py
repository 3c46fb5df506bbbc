"""Poll requests from webhooks, debounced: when the service loop should poll before its timer.

A request (a verified webhook) asks for a poll now. The first of a burst starts one at once,
unless a poll is in flight or one started less than `floor` ago; every request that comes
while a poll runs or waits for the floor is served by the one poll that follows. So a burst of
webhooks gives one or two polls, at most one poll is in flight, and polls never start more
often than once per `floor`, whatever arrives. Every poll, woken or on its timer, serves the
requests made before it started.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from connector.clock import Clock

# The least time between the starts of two polls a webhook may cause: at most 30 polls a
# minute however many webhooks come (each an idle poll's one search request), and a change
# seen about a second after it was made when they come one at a time.
FLOOR = timedelta(seconds=2)


class PollWakeup:
    """Thread-safe: `request()` from the web server's threads, the rest from the loop's."""

    def __init__(self, clock: Clock, *, floor: timedelta = FLOOR) -> None:
        self.clock = clock
        self.floor = floor
        self._waiting_since: datetime | None = None
        self._last_start: datetime | None = None
        self._in_flight = False
        self._changed = threading.Condition()

    def request(self) -> None:
        """Ask for a poll soon; returns at once (never waits for the poll)."""
        with self._changed:
            if self._waiting_since is None:
                self._waiting_since = self.clock.now()
            self._changed.notify_all()

    @property
    def pending(self) -> bool:
        """A request waits for a poll that has not started yet."""
        with self._changed:
            return self._waiting_since is not None

    def seconds_until_due(self) -> float | None:
        """None when no request waits or a poll is in flight (its end is the next moment to
        look); else how long until the floor allows the poll (0: now)."""
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
        """Around every poll: it serves every request made before it starts."""
        with self._changed:
            self._waiting_since = None
            self._last_start = self.clock.now()
            self._in_flight = True
        try:
            yield
        finally:
            with self._changed:
                self._in_flight = False
                self._changed.notify_all()

    def _until_due(self) -> float | None:
        if self._waiting_since is None or self._in_flight:
            return None
        if self._last_start is None:
            return 0.0
        since = self.clock.now() - self._last_start
        if since < timedelta(0):  # the wall clock stepped back: do not wait out the step
            return 0.0
        return max((self.floor - since).total_seconds(), 0.0)

"""Clocks: the only place ticketflow reads the time, so simulations and tests can move it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time as a timezone-aware datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock:
    """A clock that stands still until told to move: for `--now`, the demo and tests."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SettableClock needs a timezone-aware datetime")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("SettableClock needs a timezone-aware datetime")
        with self._lock:
            self._now = when

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


class FileClock:
    """The instant written in a file (ISO-8601 with a UTC offset), read at every look: several
    processes (replicas of `run` in a test) follow one simulated clock that the test moves."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.now()  # a missing or unreadable file fails at once, not in the first cycle

    def now(self) -> datetime:
        when = datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
        if when.tzinfo is None:
            raise ValueError(f"{self.path}: the time has no UTC offset")
        return when

"""The sandbox's settable clock, and ISO-8601 instants for the control endpoints."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from connector.clock import Clock, SystemClock


class SandboxClock:
    """The sandbox's notion of now: a base clock, or a frozen instant once someone sets it.

    Frozen time is what tests and the accelerated demo want: every change made while the clock
    stands still carries the same timestamp until the clock is set or advanced again.
    """

    def __init__(self, base: Clock | None = None, frozen: datetime | None = None) -> None:
        self._base: Clock = base if base is not None else SystemClock()
        self._frozen = _aware(frozen) if frozen is not None else None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            frozen = self._frozen
        return frozen if frozen is not None else self._base.now()

    def now_ms(self) -> int:
        return to_ms(self.now())

    @property
    def frozen(self) -> bool:
        with self._lock:
            return self._frozen is not None

    def set(self, when: datetime) -> None:
        with self._lock:
            self._frozen = _aware(when)

    def advance(self, delta: timedelta) -> datetime:
        moved = self.now() + delta
        self.set(moved)
        return moved

    def follow_base(self) -> None:
        """Unfreeze: read the base clock again (the wall clock unless one was given)."""
        with self._lock:
            self._frozen = None


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("the sandbox clock needs a timezone-aware datetime")
    return when


def to_ms(when: datetime) -> int:
    """Epoch milliseconds of an aware datetime (Jira's own resolution)."""
    return int(when.timestamp() * 1000)


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 instant for the control API; it must carry an offset or `Z`."""
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; write e.g. 2026-11-26T10:00:00Z")
    return when


def iso(when: datetime) -> str:
    """ISO-8601 in UTC with milliseconds, for the control API's answers."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

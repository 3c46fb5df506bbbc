"""Time for the sandbox: its settable clock, Jira's date format, and JQL date literals."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.clock import Clock, SystemClock

# The literal forms Jira accepts for a date in JQL, read in the searching user's time zone.
_JQL_DATE = re.compile(
    r"^(?P<y>\d{4})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2}))?$"
)


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


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name; ValueError for names Jira would not know either."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def jira_datetime(ms: int, tz_name: str) -> str:
    """Format like Jira does: `2026-11-26T10:15:30.123-0600`, in the caller's time zone."""
    local = datetime.fromtimestamp(ms // 1000, zone(tz_name))
    return f"{local:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}{local:%z}"


def parse_jira_datetime(text: str) -> datetime:
    """Parse Jira's date-time format (offset without a colon) into an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 instant for the control API; it must carry an offset or `Z`."""
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; write e.g. 2026-11-26T10:00:00Z")
    return when


def iso(when: datetime) -> str:
    """ISO-8601 in UTC with milliseconds, for the control API's answers."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_jql_date(text: str, tz_name: str) -> int | None:
    """Epoch ms of a JQL date literal (`yyyy/MM/dd HH:mm` and friends) in `tz_name`, or None."""
    match = _JQL_DATE.match(text.strip())
    if match is None:
        return None
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    try:
        local = datetime(parts["y"], parts["m"], parts["d"], parts.get("H", 0),
                         parts.get("M", 0), tzinfo=zone(tz_name))
    except ValueError:
        return None
    return to_ms(local)

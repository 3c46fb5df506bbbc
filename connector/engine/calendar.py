"""Business time on the team's calendar: working hours in its zone, weekends and holidays off.

Working hours are local wall-clock times, so each day's window is converted to an absolute
interval on its own date; DST changes shift nothing a person would notice. Business time
between two instants is a difference of a running total ("business microseconds since the
base date") kept per date, so one query costs a list look-up, not a walk over the days:
evaluating every open ticket each cycle stays cheap. The base is the first date asked about
(moved back when an earlier one comes), so a new process (cron's `once`) fills in the days it
needs, not every day since a fixed year. The totals are whole microseconds (a datetime's own
resolution), not float seconds: a float total rounds differently once the base moves, so
whether "more than 4 business hours" held could depend on which dates were asked about
first, and the instant a time rule comes due (`reach`) could not be computed exactly.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from connector.config.durations import Duration
from connector.config.rules import Calendar

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MICROSECOND = timedelta(microseconds=1)
MICROS_PER_SECOND = 1_000_000
_MONDAY = date(2000, 1, 3)  # any date: only the length of a working day is read from it


class BusinessCalendar:
    """Answers "how much business time between a and b" and "a plus N business hours"."""

    def __init__(self, *, timezone: str, workdays: Iterable[str], hours: str,
                 holidays: Iterable[date] = ()) -> None:
        self.zone = ZoneInfo(timezone)
        self.workdays = frozenset(_WEEKDAYS.index(day) for day in workdays)
        start, end = hours.split("-")
        self.opens = time.fromisoformat(start)
        self.closes = time(23, 59, 59, 999999) if end == "24:00" else time.fromisoformat(end)
        self.holidays = frozenset(holidays)
        # _totals[i] = business microseconds from _base up to the start of _base + i days.
        self._base: date | None = None
        self._totals: list[int] = [0]
        self._windows: dict[date, tuple[datetime, datetime] | None] = {}
        # The last end's total and the base it was counted from: a pass over the mirror
        # measures every ticket up to the same `now`, so that total is asked for again and
        # again (a total from another base means nothing, hence the base in the key).
        self._end_total: tuple[datetime, date, int] | None = None

    @classmethod
    def from_config(cls, calendar: Calendar) -> BusinessCalendar:
        return cls(timezone=calendar.timezone, workdays=calendar.workdays,
                   hours=calendar.hours, holidays=calendar.holidays)

    # --- one day ---------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's working hours as absolute (UTC) instants, or None on a day off."""
        if day not in self._windows:  # a handful of days serve every ticket: compute once
            if not self.is_workday(day):
                self._windows[day] = None
            else:
                opens = datetime.combine(day, self.opens, self.zone).astimezone(UTC)
                closes = datetime.combine(day, self.closes, self.zone).astimezone(UTC)
                self._windows[day] = (opens, closes)
        return self._windows[day]

    def day_micros(self, day: date) -> int:
        window = self.window(day)
        return (window[1] - window[0]) // MICROSECOND if window else 0

    def workday_seconds(self) -> float:
        """The length of an ordinary working day: what "1 business day" means."""
        opens = datetime.combine(_MONDAY, self.opens)
        closes = datetime.combine(_MONDAY, self.closes)
        return (closes - opens).total_seconds()

    # --- running totals ----------------------------------------------------------------

    def _total_before(self, day: date) -> int:
        """Business microseconds from the base date to the start of `day`. Only differences
        of these totals mean anything: a query that moves the base back shifts them all."""
        if self._base is None:
            self._base = day
        elif day < self._base:
            self._rebase(day)
        index = (day - self._base).days
        while len(self._totals) <= index:
            last = self._base + timedelta(days=len(self._totals) - 1)
            self._totals.append(self._totals[-1] + self.day_micros(last))
        return self._totals[index]

    def _rebase(self, day: date) -> None:
        """Move the base back to `day`: the days in between go first, the old totals shift."""
        assert self._base is not None
        earlier = [0]
        for offset in range((self._base - day).days):
            earlier.append(earlier[-1] + self.day_micros(day + timedelta(days=offset)))
        shift = earlier.pop()
        self._totals = earlier + [total + shift for total in self._totals]
        self._base = day

    def _total_at(self, instant: datetime) -> int:
        local = instant.astimezone(self.zone)
        total = self._total_before(local.date())
        window = self.window(local.date())
        if window is not None:
            inside = min(max(instant, window[0]), window[1])
            total += (inside - window[0]) // MICROSECOND
        return total

    def _total_at_end(self, end: datetime) -> int:
        known = self._end_total
        if known is not None and known[0] == end and known[1] == self._base:
            return known[2]
        total = self._total_at(end)
        assert self._base is not None  # set by _total_at
        self._end_total = (end, self._base, total)
        return total

    # --- queries ---------------------------------------------------------------------

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Business time in [start, end); zero when end is not after start."""
        return self.business_micros(start, end) / MICROS_PER_SECOND

    def business_micros(self, start: datetime, end: datetime) -> int:
        """Business time in [start, end) in whole microseconds; zero when end is not after
        start. Exact: the same two instants give the same answer whatever was asked before."""
        if end <= start:
            return 0
        # The earlier instant first: asking about it may move the base (and every total).
        before = self._total_at(start)
        return self._total_at_end(end) - before

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant `seconds` of business time after `start` (at a window's close if exact)."""
        return self.reach(start, round(seconds * MICROS_PER_SECOND))

    def reach(self, start: datetime, micros: int) -> datetime:
        """The earliest instant by which `micros` of business time have passed since `start`
        (`start` itself for none): `business_micros(start, t) >= micros` exactly when
        `t >= reach(start, micros)`. At a window's close if the amount ends a working day."""
        if micros <= 0:
            return start
        target = self._total_at(start) + micros
        assert self._base is not None  # set by _total_at
        # The running totals grow (and stay) until they pass the target; the day that takes
        # them there is found by bisection, not by walking. The config refuses a calendar
        # without workdays, so they grow.
        while self._totals[-1] < target:
            self._total_before(self._base + timedelta(days=len(self._totals)))
        after = bisect_left(self._totals, target)  # the first day starting at or past it
        day = self._base + timedelta(days=after - 1)
        window = self.window(day)
        assert window is not None  # the totals grew on this day, so it has working hours
        return window[0] + (target - self._totals[after - 1]) * MICROSECOND

    def duration_seconds(self, duration: Duration) -> float:
        """A configured duration as seconds: business days count as whole working days."""
        return duration.minutes * 60 + duration.business_days * self.workday_seconds()

    def elapsed(self, start: datetime, end: datetime, *, business: bool) -> float:
        """Seconds from start to end, in business time or wall time."""
        if business:
            return self.business_seconds(start, end)
        return max((end - start).total_seconds(), 0.0)

    def add(self, start: datetime, duration: Duration) -> datetime:
        """`start` plus a configured duration (business durations on this calendar)."""
        seconds = self.duration_seconds(duration)
        if duration.business:
            return self.add_business_seconds(start, seconds)
        return start + timedelta(seconds=seconds)


def describe_seconds(seconds: float) -> str:
    """`4h10m`, `2d3h`, `45m`, `0m`: compact, for explanations and logs."""
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "",
             f"{minutes}m" if minutes or not (days or hours) else ""]
    return "".join(parts)


def describe_span(seconds: float, *, workday: float | None = None) -> str:
    """A span no one can misread. Business time (`workday` given: the seconds of one working
    day) reads `13h of business time (1 business day 4h)`, never `1d4h` (a day of 24 hours?
    of 9?); wall time reads `35h (1 day 11h)`."""
    minutes = int(seconds // 60)
    hours = _hours_minutes(minutes)
    day = int(workday // 60) if workday else 24 * 60
    days, rest = divmod(minutes, day) if day > 0 else (0, minutes)
    if workday is not None:
        text = f"{hours} of business time"
        unit = "business day" if days == 1 else "business days"
    else:
        text = hours
        unit = "day" if days == 1 else "days"
    if not days:
        return text
    tail = f" {_hours_minutes(rest)}" if rest else ""
    return f"{text} ({days} {unit}{tail})"


def _hours_minutes(minutes: int) -> str:
    """`13h`, `4h10m`, `45m`, `0m`: whole hours and minutes, never days."""
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")

"""Business time for many instants at once: the engine calendar's working windows over the
report's dates, laid out as epoch seconds, so each question is one bisection.

The windows are the engine's own (`BusinessCalendar.window`: working hours, weekends,
holidays, DST), so the answers are the engine's; only the look-up is faster, which a report
over 100,000 tickets needs (a test holds both equal). Outside the laid-out dates it asks the
engine calendar itself.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, timedelta

from connector.config.durations import Duration
from connector.engine.calendar import BusinessCalendar


class BusinessTimeline:
    """Business seconds between instants, and instants plus business time, from `first` to
    `last` (dates in the calendar's zone)."""

    def __init__(self, calendar: BusinessCalendar, first: date, last: date) -> None:
        self.calendar = calendar
        self._lengths: dict[Duration, float] = {}  # a configured duration in seconds
        self.opens: list[float] = []
        self.closes: list[float] = []
        self.before: list[float] = []  # business seconds before each window opens
        total = 0.0
        day = first
        while day <= last:
            window = calendar.window(day)
            if window is not None:
                self.opens.append(window[0].timestamp())
                self.closes.append(window[1].timestamp())
                self.before.append(total)
                total += self.closes[-1] - self.opens[-1]
            day += timedelta(days=1)
        self.after = [b + c - o for b, o, c in zip(self.before, self.opens, self.closes,
                                                   strict=True)]
        self.start = datetime.combine(first, datetime.min.time(), calendar.zone).timestamp()
        self.end = datetime.combine(last + timedelta(days=1), datetime.min.time(),
                                    calendar.zone).timestamp()

    def _total_at(self, at: float) -> float:
        """Business seconds from the first window to `at` (epoch seconds)."""
        index = bisect_right(self.opens, at) - 1
        if index < 0:
            return 0.0
        close = self.closes[index]
        return self.before[index] + (at if at < close else close) - self.opens[index]

    def seconds(self, start: datetime, end: datetime) -> float:
        """Business time in [start, end); zero when end is not after start."""
        if end <= start:
            return 0.0
        begin, finish = start.timestamp(), end.timestamp()
        if begin < self.start or finish > self.end:
            return self.calendar.business_seconds(start, end)
        return self._total_at(finish) - self._total_at(begin)

    def add(self, start: datetime, duration: Duration) -> datetime:
        """`start` plus a configured duration, as the engine's `BusinessCalendar.add`."""
        seconds = self._lengths.get(duration)
        if seconds is None:
            seconds = self._lengths[duration] = self.calendar.duration_seconds(duration)
        if not duration.business:
            return start + timedelta(seconds=seconds)
        begin = start.timestamp()
        target = self._total_at(begin) + seconds
        index = bisect_left(self.after, target)
        if begin < self.start or index >= len(self.after):
            return self.calendar.add(start, duration)
        at = self.opens[index] + (target - self.before[index])
        return max(datetime.fromtimestamp(at, UTC), start)

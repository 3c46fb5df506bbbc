"""Days, weeks and hours on the team's calendar, and the percentiles the report quotes."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def day_of(instant: datetime, zone: ZoneInfo) -> date:
    """The team's local date of an instant."""
    return instant.astimezone(zone).date()


def week_of(instant: datetime, zone: ZoneInfo) -> date:
    """The Monday that starts the instant's week, in the team's zone (ISO weeks)."""
    day = day_of(instant, zone)
    return day - timedelta(days=day.weekday())


def days_between(first: date, last: date) -> list[date]:
    """Every date from `first` to `last`, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def weeks_between(first: date, last: date) -> list[date]:
    """The Mondays of every week from the one holding `first` to the one holding `last`."""
    monday = first - timedelta(days=first.weekday())
    return [monday + timedelta(weeks=n) for n in range((last - monday).days // 7 + 1)]


def hours(seconds: float) -> float:
    """Seconds as hours, to the hundredth (36 s)."""
    return round(seconds / 3600, 2)


def median(values: Sequence[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def p90(values: Sequence[float]) -> float:
    """The 90th percentile by nearest rank: the smallest value at least 90% are not above."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]



class LocalDays:
    """The team's dates of many instants: local midnights from `first` to `last` as epoch
    seconds, so an instant's date is one bisection (converting zones costs seven times more,
    and a report buckets hundreds of thousands of instants)."""

    def __init__(self, zone: ZoneInfo, first: date, last: date) -> None:
        self.zone = zone
        self.dates = days_between(first, last)
        self.mondays = [day - timedelta(days=day.weekday()) for day in self.dates]
        self.midnights = [datetime.combine(day, time(), zone).timestamp()
                          for day in days_between(first, last + timedelta(days=1))]

    def _index(self, instant: datetime) -> int | None:
        index = bisect_right(self.midnights, instant.timestamp()) - 1
        return index if 0 <= index < len(self.dates) else None

    def day(self, instant: datetime) -> date:
        index = self._index(instant)
        return day_of(instant, self.zone) if index is None else self.dates[index]

    def week(self, instant: datetime) -> date:
        index = self._index(instant)
        return week_of(instant, self.zone) if index is None else self.mondays[index]

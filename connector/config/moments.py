"""Times as a test file writes them (`2026-11-30 09:00`, `Mon 09:00`), on the case's clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FORM = re.compile(
    r"^\s*(?:(?P<day>[A-Za-z]{3})[a-z]*\.?\s+)?(?:(?P<date>\d{4}-\d{2}-\d{2})\s+)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*$")
_EXPECTED = ('expected a time like "Mon 09:00", "09:00", "2026-11-30 09:00" or '
             '"Mon 2026-11-30 09:00" (in the calendar\'s time zone)')
PATTERN = r"^\s*([A-Za-z]{3}[a-z]*\.?\s+)?(\d{4}-\d{2}-\d{2}\s+)?\d{1,2}:\d{2}\s*$"
START_PATTERN = r"^\s*([A-Za-z]{3}[a-z]*\.?\s+)?\d{4}-\d{2}-\d{2}\s+\d{1,2}:\d{2}\s*$"


@dataclass(frozen=True)
class Moment:
    """A wall-clock time in the calendar's zone, with an optional weekday and date."""

    clock: time
    day: int | None = None      # 0 = Monday
    on: date | None = None
    text: str = ""

    def __str__(self) -> str:
        return self.text

    def on_date(self, zone: ZoneInfo) -> datetime:
        """The instant of a moment written with its date (a case's start)."""
        assert self.on is not None
        return datetime.combine(self.on, self.clock, zone)

    def resolve(self, zone: ZoneInfo, after: datetime, *, inclusive: bool) -> datetime:
        """The instant this names: its date if given, else the first such time after `after`
        (or at it, when `inclusive`) on its weekday if given."""
        if self.on is not None:
            return self.on_date(zone)
        local = after.astimezone(zone)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            if self.day is not None and day.weekday() != self.day:
                continue
            candidate = datetime.combine(day, self.clock, zone)
            if candidate > after or (inclusive and candidate == after):
                return candidate
        return datetime.combine(local.date() + timedelta(days=7), self.clock, zone)


def parse_moment(value: Any) -> Moment:
    """Read a time; raise ValueError saying what was expected."""
    if isinstance(value, Moment):
        return value
    if isinstance(value, datetime):  # YAML read `2026-11-30 09:00:00` as a timestamp
        return Moment(value.time().replace(second=0, microsecond=0), None, value.date(),
                      value.strftime("%Y-%m-%d %H:%M"))
    if not isinstance(value, str):
        raise ValueError(f"got {type(value).__name__} {value!r}; {_EXPECTED}")  # noqa: TRY004
    match = _FORM.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a time; {_EXPECTED}")
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise ValueError(f"{value!r}: no such time of day; {_EXPECTED}")
    day = _weekday(value, match["day"]) if match["day"] else None
    on = None
    if match["date"]:
        try:
            on = date.fromisoformat(match["date"])
        except ValueError:
            raise ValueError(f"{value!r}: {match['date']} is not a date that exists; "
                             f"{_EXPECTED}") from None
        if day is not None and on.weekday() != day:
            raise ValueError(f"{value!r}: {on} is a {_DAYS[on.weekday()].title()}, not a "
                             f"{_DAYS[day].title()}; expected the weekday of that date")
    return Moment(time(hour, minute), day, on, value.strip())


def _weekday(value: str, word: str) -> int:
    if word.lower() not in _DAYS:
        raise ValueError(f"{value!r}: {word!r} is not a weekday; expected one of "
                         f"{', '.join(d.title() for d in _DAYS)}")
    return _DAYS.index(word.lower())


MomentField = Annotated[
    Moment,
    BeforeValidator(parse_moment),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": PATTERN,
                    "description": "A time in the calendar's zone: Mon 09:00, 09:00, "
                    "2026-11-30 09:00 or Mon 2026-11-30 09:00",
                    "examples": ["Mon 09:00", "2026-11-30 09:00"]}),
]


def parse_start(value: Any) -> Moment:
    """A case's clock start: a full date and time."""
    moment = parse_moment(value)
    if moment.on is None:
        raise ValueError(f"{moment.text!r} has no date; expected a date and time like "
                         '"2026-11-30 09:00" or "Mon 2026-11-30 09:00"')
    return moment


StartField = Annotated[
    Moment,
    BeforeValidator(parse_start),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": START_PATTERN,
                    "description": "When the case's clock starts, in the calendar's zone",
                    "examples": ["Mon 2026-11-30 09:00"]}),
]

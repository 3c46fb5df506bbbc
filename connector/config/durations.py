"""Durations as people write them: `30m`, `4h`, `1h30m`, `2 business days`, `3 business hours`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

EXPECTED = 'expected a duration like "30m", "4h", "1h30m", "2 business days" or "3 business hours"'

_UNIT_MINUTES = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
_UNIT_WORDS = {
    "w": "w",
    "week": "w",
    "weeks": "w",
    "d": "d",
    "day": "d",
    "days": "d",
    "h": "h",
    "hour": "h",
    "hours": "h",
    "m": "m",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
}
# One or more "<number> [business] <unit>" parts: "1h30m", "2 business days", "1 day 4 hours".
_PART = re.compile(r"\s*(\d+)\s*(business\s+)?([a-z]+)\s*")
JSON_PATTERN = r"^\s*(\d+\s*(business\s+)?(w|weeks?|d|days?|h|hours?|m|mins?|minutes?)\s*)+$"


@dataclass(frozen=True)
class Duration:
    """A span of time; business spans are counted on the team's calendar, days as workdays."""

    minutes: int
    business: bool = False
    business_days: int = 0
    text: str = ""

    def __str__(self) -> str:
        return self.text or f"{self.minutes}m"

    def as_business(self) -> Duration:
        """The same amount counted in business time (`4h` with `business: true`)."""
        return Duration(
            minutes=self.minutes, business=True, business_days=self.business_days, text=self.text
        )


def parse_duration(value: object) -> Duration:
    """Parse a duration; raise ValueError with what was wrong and what was expected."""
    if isinstance(value, Duration):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        # ValueError, not TypeError: pydantic reports only ValueError as a validation problem.
        raise ValueError(f"got {type(value).__name__} {value!r}; {EXPECTED}")  # noqa: TRY004
    text = str(value).strip().lower()
    if isinstance(value, int) or text.isdigit():
        raise ValueError(f'"{value}" has no unit; {EXPECTED}')
    position, minutes, days, kinds = 0, 0, 0, set()
    while position < len(text):
        match = _PART.match(text, position)
        unit = _UNIT_WORDS.get(match.group(3)) if match else None
        if match is None or unit is None:
            raise ValueError(f'"{value}" is not a duration; {EXPECTED}')
        business = bool(match.group(2))
        kinds.add(business)
        amount = int(match.group(1))
        if business and unit == "d":
            days += amount
        elif business and unit == "w":
            raise ValueError(
                f'"{value}": business weeks are ambiguous; expected business days or business hours'
            )
        else:
            minutes += amount * _UNIT_MINUTES[unit]
        position = match.end()
    if len(kinds) > 1:
        raise ValueError(
            f'"{value}" mixes business and wall time; expected every part business or none'
        )
    if minutes == 0 and days == 0:
        raise ValueError(f'"{value}" is zero; expected a positive duration')
    return Duration(
        minutes=minutes, business=kinds == {True}, business_days=days, text=str(value).strip()
    )


def _serialize(duration: Duration) -> str:
    return str(duration)


def _validate(value: Any) -> Duration:
    return parse_duration(value)


DurationField = Annotated[
    Duration,
    BeforeValidator(_validate),
    PlainSerializer(_serialize, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": JSON_PATTERN,
            "description": "A duration such as 30m, 4h, 1h30m, 2 business days",
            "examples": ["30m", "4h", "1h30m", "2 business days", "3 business hours"],
        }
    ),
]

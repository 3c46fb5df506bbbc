"""ETAs promised to customers, from `timeframes` and the business calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from connector.config.durations import Duration
from connector.config.rules import Timeframe
from connector.engine.calendar import BusinessCalendar


@dataclass(frozen=True)
class Eta:
    """When we expect something to happen: as an instant, in words, and in local time."""

    at: datetime
    words: str
    local: str


def _words(duration: Duration) -> str:
    return f"within {duration}"


def eta_for(timeframes: dict[str, Timeframe], *, tier: int | None, start: datetime,
            calendar: BusinessCalendar, goal: str = "resolve",
            zone: ZoneInfo | None = None) -> Eta | None:
    """The ETA for a ticket of `tier` from `start`: `goal` is `first_response` or `resolve`.

    Shown in `zone` (the customer's, when known) or else the team's time zone.
    """
    frame = timeframes.get(f"tier{tier or 1}")
    if frame is None:
        return None
    duration: Duration = getattr(frame, goal)
    at = calendar.add(start, duration)
    shown = at.astimezone(zone or calendar.zone)
    return Eta(at=at, words=_words(duration), local=shown.strftime("%A %-d %B, %H:%M %Z"))

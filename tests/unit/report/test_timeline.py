"""The report's business time is the engine calendar's, only looked up faster."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from connector.config.durations import parse_duration
from connector.engine.calendar import BusinessCalendar
from connector.report.timeline import BusinessTimeline

CALENDAR = BusinessCalendar(timezone="America/Chicago", workdays=["mon", "tue", "wed", "thu",
                            "fri"], hours="08:00-17:00", holidays=[date(2026, 11, 26)])
# Laid out over autumn 2026: the end of daylight saving time (1 Nov) and a holiday inside.
TIMELINE = BusinessTimeline(CALENDAR, date(2026, 10, 1), date(2026, 12, 31))
START = datetime(2026, 9, 20, tzinfo=UTC)  # before the laid-out dates: the engine answers
instants = st.integers(min_value=0, max_value=120 * 24 * 3600).map(
    lambda seconds: START + timedelta(seconds=seconds))


@settings(max_examples=300, deadline=None)
@given(instants, instants)
def test_business_seconds_equal_the_engine_calendar(a: datetime, b: datetime) -> None:
    """For any two instants, inside the laid-out dates, across their edges or outside them,
    the business time between them is the engine calendar's to the microsecond."""
    assert abs(TIMELINE.seconds(a, b) - CALENDAR.business_seconds(a, b)) < 1e-6


@settings(max_examples=300, deadline=None)
@given(instants, st.sampled_from(["4h", "2 business days", "5 business days", "3 business hours",
                                  "1 business day", "10 business days"]))
def test_adding_a_duration_lands_where_the_engine_calendar_lands(start: datetime,
                                                                 words: str) -> None:
    """A start plus a configured duration (wall or business time) is the engine's instant,
    within a millisecond of float rounding."""
    duration = parse_duration(words)
    ours, engine = TIMELINE.add(start, duration), CALENDAR.add(start, duration)
    assert abs((ours - engine).total_seconds()) < 1e-3


def test_a_weekend_and_a_holiday_count_nothing() -> None:
    """Wed 25 Nov 16:00 to Mon 30 Nov 09:00 is 1 hour Wednesday (Thursday is a holiday, then
    Friday's 9 hours) and 1 hour Monday: 11 hours."""
    chicago = CALENDAR.zone
    seconds = TIMELINE.seconds(datetime(2026, 11, 25, 16, tzinfo=chicago),
                               datetime(2026, 11, 30, 9, tzinfo=chicago))
    assert seconds == 11 * 3600

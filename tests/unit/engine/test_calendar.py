"""Business-time arithmetic holds across weekends, holidays and DST changes."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.config.durations import parse_duration
from connector.engine.calendar import BusinessCalendar, describe_seconds, describe_span

CHICAGO = ZoneInfo("America/Chicago")
HOUR = 3600.0


def _calendar(holidays: tuple[date, ...] = (date(2026, 11, 26), date(2026, 12, 25))
              ) -> BusinessCalendar:
    return BusinessCalendar(timezone="America/Chicago", workdays=["mon", "tue", "wed", "thu",
                            "fri"], hours="08:00-17:00", holidays=holidays)


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


def test_a_working_day_counts_its_hours_only() -> None:
    """Tue 07:00 to Tue 20:00 is the nine working hours 08:00-17:00."""
    assert _calendar().business_seconds(_at(2026, 12, 1, 7), _at(2026, 12, 1, 20)) == 9 * HOUR


def test_weekend_counts_nothing() -> None:
    """Friday 16:00 to Monday 09:00 is one hour Friday plus one hour Monday."""
    cal = _calendar()
    assert cal.business_seconds(_at(2026, 12, 4, 16), _at(2026, 12, 7, 9)) == 2 * HOUR
    assert cal.business_seconds(_at(2026, 12, 5, 9), _at(2026, 12, 6, 16)) == 0


def test_holiday_counts_nothing() -> None:
    """Thanksgiving (a configured holiday) adds no business time."""
    cal = _calendar()
    assert cal.business_seconds(_at(2026, 11, 25, 17), _at(2026, 11, 27, 8)) == 0
    assert cal.add(_at(2026, 11, 25, 16), parse_duration("2 business hours")) == _at(
        2026, 11, 27, 9)


@pytest.mark.parametrize(("start", "end"), [
    ((2026, 3, 6, 8), (2026, 3, 13, 17)),     # spring forward on Sunday 8 March
    ((2026, 10, 30, 8), (2026, 11, 6, 17)),   # fall back on Sunday 1 November
])
def test_dst_week_still_has_six_full_days(start: tuple[int, ...], end: tuple[int, ...]) -> None:
    """Across a DST change, Fri 08:00 to next Fri 17:00 is six 9-hour days, no hour lost."""
    assert _calendar().business_seconds(_at(*start), _at(*end)) == 6 * 9 * HOUR


def test_four_business_hours_from_friday_afternoon() -> None:
    """4 business hours from Fri 15:00 end Mon 10:00 (2h Friday, 2h Monday)."""
    cal = _calendar()
    assert cal.add(_at(2026, 12, 4, 15), parse_duration("4 business hours")) == _at(
        2026, 12, 7, 10)


def test_business_days_are_whole_working_days() -> None:
    """2 business days from Tue 10:00 is Thu 10:00; wall `4h` stays wall time."""
    cal = _calendar()
    assert cal.add(_at(2026, 12, 1, 10), parse_duration("2 business days")) == _at(
        2026, 12, 3, 10)
    assert cal.add(_at(2026, 12, 5, 22), parse_duration("4h")) == _at(2026, 12, 6, 2)


def test_describe_seconds() -> None:
    """Explanations show compact spans: 4h10m, 1d2h, 0m."""
    assert describe_seconds(4 * HOUR + 600) == "4h10m"
    assert describe_seconds(26 * HOUR) == "1d2h"
    assert describe_seconds(0) == "0m"


def test_a_span_of_business_time_cannot_be_misread() -> None:
    """13 business hours on a 9-hour day read `13h of business time (1 business day 4h)`,
    not `13h` alone nor `1d4h`; a span under a working day has no days part; wall time counts
    days of 24 hours and says so."""
    workday = _calendar().workday_seconds()
    assert workday == 9 * HOUR
    assert describe_span(13 * HOUR, workday=workday) == (
        "13h of business time (1 business day 4h)")
    assert describe_span(18 * HOUR, workday=workday) == (
        "18h of business time (2 business days)")
    assert describe_span(4 * HOUR + 600, workday=workday) == "4h10m of business time"
    assert describe_span(0, workday=workday) == "0m of business time"
    assert describe_span(35 * HOUR + 300) == "35h5m (1 day 11h5m)"
    assert describe_span(50 * 60) == "50m"


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31),
                        timezones=st.just(UTC))
zones = st.sampled_from(["America/Chicago", "Europe/Berlin", "Australia/Sydney", "UTC",
                         "Asia/Kolkata"])


@functools.cache  # one per zone: its running totals are built once, not per example
def _any_calendar(zone: str) -> BusinessCalendar:
    return BusinessCalendar(timezone=zone, workdays=["mon", "tue", "wed", "thu", "fri"],
                            hours="09:00-17:30", holidays=[date(2026, 12, 25)])


@settings(max_examples=300, deadline=None)
@given(zone=zones, a=instants, b=instants, c=instants)
def test_business_time_is_additive(zone: str, a: datetime, b: datetime, c: datetime) -> None:
    """For a <= b <= c: between(a, c) = between(a, b) + between(b, c), never negative."""
    a, b, c = sorted((a, b, c))
    cal = _any_calendar(zone)
    ab, bc, ac = (cal.business_seconds(a, b), cal.business_seconds(b, c),
                  cal.business_seconds(a, c))
    assert ab >= 0
    assert bc >= 0
    assert ac == pytest.approx(ab + bc, abs=1e-6)
    assert ac <= (c - a).total_seconds() + 1e-6


@settings(max_examples=300, deadline=None)
@given(zone=zones, start=instants, seconds=st.floats(min_value=1, max_value=60 * 9 * HOUR))
def test_adding_then_measuring_gives_back_the_amount(zone: str, start: datetime,
                                                     seconds: float) -> None:
    """between(a, add(a, s)) == s, and add lands inside working hours."""
    cal = _any_calendar(zone)
    end = cal.add_business_seconds(start, seconds)
    assert cal.business_seconds(start, end) == pytest.approx(seconds, abs=1e-3)
    local = end.astimezone(cal.zone)
    assert cal.is_workday(local.date())
    window = cal.window(local.date())
    assert window is not None
    assert window[0] <= end <= window[1]


@settings(max_examples=200, deadline=None)
@given(zone=zones, start=instants, first=st.floats(0, 50 * HOUR), more=st.floats(0, 50 * HOUR))
def test_adding_more_never_ends_earlier(zone: str, start: datetime, first: float,
                                        more: float) -> None:
    """add(a, s) is monotonic in s."""
    cal = _any_calendar(zone)
    assert cal.add_business_seconds(start, first) <= cal.add_business_seconds(
        start, first + more)


def test_instants_before_the_base_date_still_count() -> None:
    """Far-past instants (before the running totals start) are counted correctly too."""
    cal = _calendar(holidays=())
    start = datetime(1999, 12, 27, 8, tzinfo=CHICAGO)  # a Monday
    assert cal.business_seconds(start, start + timedelta(days=14)) == 10 * 9 * HOUR


@settings(max_examples=100, deadline=None)
@given(zone=zones, pairs=st.lists(st.tuples(instants, instants), min_size=2, max_size=6))
def test_the_order_of_questions_changes_no_answer(
        zone: str, pairs: list[tuple[datetime, datetime]]) -> None:
    """One calendar asked in any order (later dates first, then earlier ones that move its
    base back) answers as a fresh calendar asked once."""
    shared = BusinessCalendar(timezone=zone, workdays=["mon", "tue", "wed", "thu", "fri"],
                              hours="09:00-17:30", holidays=[date(2026, 12, 25)])
    for a, b in pairs:
        fresh = BusinessCalendar(timezone=zone, workdays=["mon", "tue", "wed", "thu", "fri"],
                                 hours="09:00-17:30", holidays=[date(2026, 12, 25)])
        assert shared.business_seconds(a, b) == fresh.business_seconds(a, b)


def test_a_calendar_asked_about_long_ago_answers_to_the_microsecond() -> None:
    """Business time is counted in whole microseconds, so moving the running totals' base back
    26 years changes no answer, not even in the last digit (with float totals it did: a
    `time_in_status` limit met exactly could hold or not depending on what was asked
    before)."""
    def berlin() -> BusinessCalendar:
        return BusinessCalendar(timezone="Europe/Berlin", workdays=["mon", "tue", "wed", "thu",
                                "fri"], hours="09:00-17:30", holidays=[date(2026, 12, 25)])
    shared = berlin()
    shared.business_seconds(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    shared.business_seconds(datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 1, 2, tzinfo=UTC))
    start = datetime(2026, 3, 12, 1, 13, 42, 225947, tzinfo=UTC)
    end = datetime(2026, 3, 13, 9, 11, 18, 916657, tzinfo=UTC)
    assert shared.business_seconds(start, end) == 34878.916657
    assert berlin().business_seconds(start, end) == 34878.916657


@settings(max_examples=200, deadline=None)
@given(zone=zones, start=instants, micros=st.integers(-10, 40 * 9 * 3600 * 10**6),
       probe=st.integers(-10**7, 10**7))
def test_reach_is_exactly_where_the_amount_has_passed(zone: str, start: datetime, micros: int,
                                                      probe: int) -> None:
    """`reach(a, n)` is the first instant t with business_micros(a, t) >= n: at it the amount
    has passed, one microsecond before it has not (time rules come due on this instant)."""
    cal = _any_calendar(zone)
    end = cal.reach(start, micros)
    assert cal.business_micros(start, end) >= micros
    if micros > 0:
        assert cal.business_micros(start, end - timedelta(microseconds=1)) < micros
    later = end + timedelta(microseconds=abs(probe))
    assert cal.business_micros(start, later) >= micros


def test_adding_a_vanishing_amount_after_hours_never_goes_back() -> None:
    """From after Wednesday's close, adding an amount below a float's resolution lands no
    earlier than the start (hypothesis found the close, half an hour before, on main)."""
    cal = BusinessCalendar(timezone="Europe/Berlin", workdays=["mon", "tue", "wed", "thu",
                           "fri"], hours="09:00-17:30", holidays=[date(2026, 12, 25)])
    start = datetime(2025, 1, 1, 17, 0, tzinfo=UTC)
    assert cal.add_business_seconds(start, 1.175494351e-38) >= start

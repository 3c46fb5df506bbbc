"""Durations are read the way people write them, and anything else is refused with a reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.config.durations import Duration, parse_duration


@pytest.mark.parametrize(
    ("text", "minutes", "business", "days"),
    [
        ("30m", 30, False, 0),
        ("4h", 240, False, 0),
        ("1h30m", 90, False, 0),
        ("1h 30m", 90, False, 0),
        ("90 minutes", 90, False, 0),
        ("2 days", 2880, False, 0),
        ("1w", 10080, False, 0),
        ("2 business days", 0, True, 2),
        ("1 business day", 0, True, 1),
        ("3 business hours", 180, True, 0),
        ("1 business day 4 business hours", 240, True, 1),
        ("  4H ", 240, False, 0),
    ],
)
def test_accepted_forms(text: str, minutes: int, business: bool, days: int) -> None:
    """Each documented spelling parses to the intended amount and kind of time."""
    duration = parse_duration(text)
    assert (duration.minutes, duration.business, duration.business_days) == (
        minutes,
        business,
        days,
    )
    assert str(duration) == text.strip()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("4 hrs", "is not a duration"),
        ("30", "has no unit"),
        (30, "has no unit"),
        ("0m", "is zero"),
        ("2 business weeks", "business weeks are ambiguous"),
        ("1 business day 2h", "mixes business and wall time"),
        ("", "is zero"),
        (["4h"], "got list"),
        (True, "got bool"),
    ],
)
def test_refused_forms_say_why(value: object, reason: str) -> None:
    """A bad duration raises ValueError naming what was wrong and showing valid examples."""
    with pytest.raises(ValueError, match=reason) as error:
        parse_duration(value)
    assert "expected" in str(error.value)


@given(hours=st.integers(0, 500), minutes=st.integers(0, 59))
def test_hours_and_minutes_add_up(hours: int, minutes: int) -> None:
    """`<h>h<m>m` is always h*60+m minutes of wall time (when not zero)."""
    if hours == minutes == 0:
        return
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    assert parse_duration(text) == Duration(hours * 60 + minutes, False, 0, text)


def test_business_flag_converts_wall_amounts() -> None:
    """`{over: 4h, business: true}` counts the same four hours in business time."""
    assert parse_duration("4h").as_business() == Duration(240, True, 0, "4h")

"""The period a report covers, as people write it, and the links to tickets."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connector.errors import UsageError
from connector.report.compose import parse_since, tracker_links

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 12, 4, 15, 30, tzinfo=CHICAGO)


@pytest.mark.parametrize(("written", "since"), [
    ("30d", datetime(2026, 11, 5, tzinfo=CHICAGO)),       # today and the 29 days before
    ("1d", datetime(2026, 12, 4, tzinfo=CHICAGO)),        # today, from midnight
    ("2w", datetime(2026, 11, 21, tzinfo=CHICAGO)),
    ("48h", NOW - timedelta(hours=48)),                   # not whole days: back from now
    ("2026-11-01", datetime(2026, 11, 1, tzinfo=CHICAGO)),  # a date: its midnight, there
    ("2026-11-30T09:00:00+00:00", datetime(2026, 11, 30, 9, tzinfo=ZoneInfo("UTC"))),
])
def test_a_period_is_a_duration_back_a_date_or_an_instant(written: str,
                                                          since: datetime) -> None:
    """Whole days count as calendar days with today's (so "30d" starts at midnight 29 days
    ago, in the team's zone); other durations count back from now exactly."""
    assert parse_since(written, NOW, CHICAGO) == since


@pytest.mark.parametrize(("written", "says"), [
    ("4 business hours", "a report's period is calendar time"),
    ("fortnight", "is neither a date nor a period"),
    ("2026-12-05", "is not before now"),
    ("2026-11-30T09:00:00", "has no UTC offset"),
])
def test_a_period_that_makes_no_sense_is_refused_saying_why(written: str, says: str) -> None:
    """Business time, words that are no period, a start after now and an instant without an
    offset are usage errors naming what was expected."""
    with pytest.raises(UsageError, match=says) as raised:
        parse_since(written, NOW, CHICAGO)
    assert 'expected a period like "30d"' in str(raised.value)


def test_ticket_links_point_at_the_tracker_and_are_quoted() -> None:
    """With a tracker URL each key links to its page (the key quoted); without one, none."""
    link = tracker_links("https://jira.example.edu/")
    assert link("HELP-12") == "https://jira.example.edu/browse/HELP-12"
    assert link("A B/C") == "https://jira.example.edu/browse/A%20B%2FC"
    assert tracker_links(None)("HELP-12") is None

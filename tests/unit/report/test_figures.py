"""Every figure of the report, computed from the known week (tests/unit/report/known.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from connector.config.loader import Config, load_config, shipped_dir
from connector.report.figures import Figures, build
from connector.report.flow import StatusTimeRow
from connector.report.periods import median, p90
from connector.report.promises import BreachRow, PromiseRow
from connector.report.voice import MailDayRow, ScoreRow, TrendRow, mail_class

from .known import MAIL, at, state


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(shipped_dir())


@pytest.fixture(scope="module")
def figures(config: Config) -> Figures:
    return build(state(), config, link=lambda key: f"https://jira.example.edu/browse/{key}")


def test_percentiles_are_the_middle_and_the_nearest_rank() -> None:
    """The median averages the two middle values of an even count; p90 is the smallest value
    that at least 90% of the values do not exceed (nearest rank)."""
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5
    assert p90([float(n) for n in range(1, 11)]) == 9.0
    assert p90([float(n) for n in range(1, 12)]) == 10.0
    assert p90([2.0, 17.5]) == 17.5


def test_opened_and_completed_per_day_and_category(figures: Figures) -> None:
    """Opened: HELP-1 and HELP-2 on Monday, HELP-4 (no category) on Friday; HELP-3, opened
    before the period, counts only as Monday's completion; HELP-1 completes on Wednesday.
    Every day of the period has a row per category seen, in rules.yaml's order."""
    rows = {(r.day, r.category): (r.opened, r.completed) for r in figures.volume}
    assert rows[(date(2026, 11, 30), "Access")] == (1, 0)
    assert rows[(date(2026, 11, 30), "Data export")] == (1, 0)
    assert rows[(date(2026, 11, 30), "Project setup")] == (0, 1)
    assert rows[(date(2026, 12, 2), "Access")] == (0, 1)
    assert rows[(date(2026, 12, 4), "Uncategorised")] == (1, 0)
    assert sum(opened for opened, _ in rows.values()) == 3
    assert sum(done for _, done in rows.values()) == 2
    assert len(figures.volume) == 5 * 4
    assert [r.category for r in figures.volume[:4]] == [
        "Access", "Data export", "Project setup", "Uncategorised"]
    assert (figures.meta.opened, figures.meta.completed) == (3, 2)


def test_time_in_status_per_tier_in_business_hours(figures: Figures) -> None:
    """Stays that ended in the period, in business hours: Pending 1h (HELP-1) and 5h (HELP-2);
    Reviewing 2h (HELP-1) and 17.5h (HELP-3: Wed 10:00-17:00, the Thursday holiday, Friday,
    Mon 08:00-09:30); tier 2's Assigned Mon 11:00-Tue 10:00 = 8h and In Progress = 10h. Two
    tickets still wait in Reviewing: HELP-2 since Mon 13:10 (39h50m) and HELP-4 (2h)."""
    assert figures.time_in_status == [
        StatusTimeRow(1, "Pending", 2, 3.0, 5.0, 0, None),
        StatusTimeRow(1, "Reviewing", 2, 9.75, 17.5, 2, 39.83),
        StatusTimeRow(2, "Assigned", 1, 8.0, 8.0, 0, None),
        StatusTimeRow(2, "In Progress", 1, 10.0, 10.0, 0, None),
    ]


def test_escalations_per_week_and_the_share_escalated(figures: Figures) -> None:
    """HELP-1's raise from tier 1 to 2 on Monday is the week's one escalation; one of the
    three tickets opened in the period was escalated."""
    [row] = figures.escalations
    assert (row.week, row.from_tier, row.to_tier, row.escalations) == (
        date(2026, 11, 30), 1, 2, 1)
    shares = [(s.week, s.opened, s.escalated, s.share) for s in figures.escalation_share]
    assert shares == [("2026-11-30", 3, 1, 0.3333), ("all", 3, 1, 0.3333)]


def test_promises_kept_and_broken_against_the_timeframes(figures: Figures) -> None:
    """First response (4h wall time for tier 1): HELP-1 moved after 1h (kept), HELP-2 after 5h
    (late by 1h); HELP-4 was first seen past Pending, so it is not measured. Resolution:
    HELP-1, escalated to tier 2 at Mon 11:00, was resolved Wednesday, well within tier 2's 5
    business days from then; HELP-2 (tier 1, 2 business days from Mon 08:10, due Wed 08:10)
    is still open and late by 26h50m of business time; HELP-4 is not due before Tuesday."""
    assert figures.promises == [
        PromiseRow(1, "first_response", "4h", 2, 1, 1, 0.5, 0),
        PromiseRow(1, "resolve", "2 business days", 1, 0, 1, 0.0, 1),
        PromiseRow(2, "resolve", "5 business days", 1, 1, 0, 1.0, 0),
    ]
    assert figures.breaches == [
        BreachRow("HELP-2", "Request 2", "resolve", 1, "2 business days", at(12, 2, 8, 10),
                  None, 26.83, "https://jira.example.edu/browse/HELP-2"),
        BreachRow("HELP-2", "Request 2", "first_response", 1, "4h", at(11, 30, 12, 10),
                  at(11, 30, 13, 10), 1.0, "https://jira.example.edu/browse/HELP-2"),
    ]
    assert (figures.meta.first_response_unmeasured, figures.meta.resolve_unmeasured) == (1, 0)


def test_a_tier_without_timeframes_promises_nothing(config: Config) -> None:
    """A ticket at a tier rules.yaml gives no timeframes is neither kept nor breached."""
    rules = config.rules.model_copy(update={"timeframes": {}})
    figures = build(state(), replace(config, rules=rules))
    assert figures.promises == []
    assert figures.breaches == []


def test_satisfaction_distribution_trend_and_comments(figures: Figures) -> None:
    """Two answers were given in the period (a 4 with a comment, a 2 without); the one from
    November is outside it. The week's average is 3; only the comment is listed."""
    assert figures.satisfaction == [ScoreRow(1, 0), ScoreRow(2, 1), ScoreRow(3, 0),
                                    ScoreRow(4, 1), ScoreRow(5, 0)]
    assert figures.satisfaction_trend == [TrendRow(date(2026, 11, 30), 2, 3.0)]
    [comment] = figures.satisfaction_comments
    assert (comment.key, comment.score, comment.comment) == ("HELP-1", 4, "Quick fix")
    assert comment.link == "https://jira.example.edu/browse/HELP-1"


def test_mail_intake_per_day_each_message_in_one_class(figures: Figures) -> None:
    """Each message of the period lands in one column: Monday a ticket and a bounce, Tuesday
    a comment, Wednesday an automatic reply, Friday a reopening, our own mail quarantined
    and one still waiting; the message of the week before is left out."""
    assert [mail_class(m) for m in MAIL[:7]] == [
        "tickets", "bounces", "comments", "auto_replies", "reopenings", "quarantined",
        "waiting"]
    assert figures.mail == [
        MailDayRow(date(2026, 11, 30), 1, 0, 0, 1, 0, 0, 0),
        MailDayRow(date(2026, 12, 1), 0, 1, 0, 0, 0, 0, 0),
        MailDayRow(date(2026, 12, 2), 0, 0, 0, 0, 1, 0, 0),
        MailDayRow(date(2026, 12, 3), 0, 0, 0, 0, 0, 0, 0),
        MailDayRow(date(2026, 12, 4), 0, 0, 1, 0, 0, 1, 1),
    ]


def test_the_slowest_open_tickets_with_their_explain_summary(figures: Figures) -> None:
    """HELP-2 has waited 44h50m of business time since it was created, HELP-4 2h30m. HELP-2
    is past tier 1's 4 business hours in Reviewing, so "escalate stale tier 1" fires now;
    HELP-4 reaches it after 4 business hours in Reviewing: Monday 10:00."""
    first, second = figures.slowest
    assert (first.key, first.age_hours, first.in_status_hours) == ("HELP-2", 44.83, 39.83)
    assert (second.key, second.age_hours, second.in_status_hours) == ("HELP-4", 2.5, 2.0)
    assert first.explain[0] == ("Reviewing since Mon 30 Nov 13:10 CST: 39h50m of business "
                                "time (4 business days 3h50m)")
    assert first.explain[1].startswith('rule "escalate stale tier 1" fires now (')
    assert "since Mon 30 Nov 13:10 CST; limit 4 business hours (tier 1)" in first.explain[1]
    assert second.explain[1].startswith('rule "escalate stale tier 1" due Mon 7 Dec 10:00 CST')
    assert len(first.explain) == len(second.explain) == 2  # tier 2's rule does not apply


def test_an_empty_state_gives_empty_but_whole_tables(config: Config) -> None:
    """With nothing recorded, every day and week still has its row, of zeros, and nothing is
    divided by zero."""
    empty = replace(state(), tickets=[], stays=[], answers=[], mail=[], oldest_open=[])
    figures = build(empty, config)
    assert figures.volume == []  # no category was seen
    assert figures.time_in_status == figures.promises == figures.slowest == []
    assert [(s.opened, s.share) for s in figures.escalation_share] == [(0, None), (0, None)]
    assert [r.answers for r in figures.satisfaction] == [0] * 5
    assert [r.average for r in figures.satisfaction_trend] == [None]
    assert len(figures.mail) == 5


def test_the_period_bounds_every_table(config: Config) -> None:
    """Moved to the Wednesday only, the report counts Wednesday's completion and nothing of
    Monday's: the bounds apply to every table."""
    wednesday = replace(state(), scope=replace(state().scope, since=at(12, 2, 0)))
    figures = build(wednesday, config)
    assert (figures.meta.opened, figures.meta.completed) == (1, 1)
    assert figures.escalations == []
    assert [r.day for r in figures.mail] == [date(2026, 12, d) for d in (2, 3, 4)]
    assert sum(r.answers for r in figures.satisfaction) == 1


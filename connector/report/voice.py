"""What customers say and send: satisfaction answers, and what mail intake made of the mailbox."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from connector.report.periods import LocalDays, days_between, weeks_between
from connector.report.records import AnswerRow, MailRow, Scope

SCORES = (1, 2, 3, 4, 5)
# The columns of the mail table, each message in exactly one (the first that applies).
MAIL_CLASSES = ("tickets", "comments", "reopenings", "bounces", "auto_replies", "quarantined",
                "waiting")


@dataclass(frozen=True)
class ScoreRow:
    """How many answers gave one score."""

    score: int
    answers: int


@dataclass(frozen=True)
class TrendRow:
    """The answers given in one week and their average score (None: no answer that week)."""

    week: date
    answers: int
    average: float | None


@dataclass(frozen=True)
class CommentRow:
    """A customer's comment with their score, as it stands now."""

    key: str
    resolution: int
    score: int
    comment: str
    at: datetime
    link: str | None


@dataclass(frozen=True)
class MailDayRow:
    """What intake made of the mail it read on one day (see `mail_class`)."""

    day: date
    tickets: int
    comments: int
    reopenings: int
    bounces: int
    auto_replies: int
    quarantined: int
    waiting: int


@dataclass(frozen=True)
class Satisfaction:
    """The 1-5 distribution, the weekly trend and the comments, newest first."""

    scores: list[ScoreRow]
    trend: list[TrendRow]
    comments: list[CommentRow]


def satisfaction(answers: Sequence[AnswerRow], *, scope: Scope, days: LocalDays,
                 link: Callable[[str], str | None]) -> Satisfaction:
    """Answers first given in the period (a changed answer counts with its latest score)."""
    given = [a for a in answers if scope.since <= a.first_at <= scope.now]
    counts = Counter(a.score for a in given)
    by_week: dict[date, list[int]] = defaultdict(list)
    for answer in given:
        by_week[days.week(answer.first_at)].append(answer.score)
    trend = []
    for week in weeks_between(days.day(scope.since), days.day(scope.now)):
        scores = by_week.get(week, [])
        trend.append(TrendRow(week, len(scores),
                              round(sum(scores) / len(scores), 2) if scores else None))
    comments = sorted((CommentRow(a.issue_key, a.resolution, a.score, a.comment, a.updated_at,
                                  link(a.issue_key)) for a in given if a.comment.strip()),
                      key=lambda c: (c.at, c.key), reverse=True)
    return Satisfaction([ScoreRow(s, counts[s]) for s in SCORES], trend, comments)


def mail_class(row: MailRow) -> str:
    """One class per message: still waiting, set aside, a bounce, an automatic reply, a reply
    that reopened its ticket, a new ticket, or else a comment."""
    if not row.done:
        return "waiting"
    if row.outcome == "quarantine":
        return "quarantined"
    if row.kind == "bounce":
        return "bounces"
    if row.kind == "auto_reply":
        return "auto_replies"
    if row.reopened:
        return "reopenings"
    return "tickets" if row.outcome == "ticket" else "comments"


def mail_days(mail: Sequence[MailRow], *, scope: Scope, days: LocalDays) -> list[MailDayRow]:
    """Per day of the period, by the day intake first read each message."""
    since, now = scope.since, scope.now
    counts = Counter((days.day(m.received_at), mail_class(m)) for m in mail
                     if since <= m.received_at <= now)
    return [MailDayRow(day, *(counts[(day, name)] for name in MAIL_CLASSES))
            for day in days_between(days.day(since), days.day(now))]

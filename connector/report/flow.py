"""How tickets flow: opened and completed per day, time in each status per tier, escalations."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from connector.domain import Ticket
from connector.engine.calendar import BusinessCalendar
from connector.report.periods import (
    day_of,
    days_between,
    hours,
    median,
    p90,
    week_of,
    weeks_between,
    within,
)
from connector.report.records import Scope, StayRow

UNCATEGORISED = "Uncategorised"


@dataclass(frozen=True)
class VolumeRow:
    """Tickets of one category opened, and completions, on one day."""

    day: date
    category: str
    opened: int
    completed: int  # entries into a Done status (a reopened ticket completes again)


@dataclass(frozen=True)
class StatusTimeRow:
    """How long stays in one status at one tier lasted, in business hours."""

    tier: int
    status: str
    stays: int  # stays that ended in the period
    median_hours: float | None
    p90_hours: float | None
    waiting_now: int  # open tickets in this status and tier now
    longest_wait_hours: float | None  # the longest of those, so far


@dataclass(frozen=True)
class EscalationRow:
    """Raises of the tier from one tier to another in one week."""

    week: date
    from_tier: int
    to_tier: int
    escalations: int


@dataclass(frozen=True)
class EscalationShareRow:
    """Of the tickets opened in a week (or the whole period: "all"), how many were escalated."""

    week: str
    opened: int
    escalated: int
    share: float | None


def category_order(known: Sequence[str], seen: Iterable[str]) -> list[str]:
    """rules.yaml's categories first, in its order, then others by name, "Uncategorised" last."""
    present = set(seen)
    ordered = [name for name in known if name in present]
    ordered += sorted(present - set(known) - {UNCATEGORISED})
    return ordered + ([UNCATEGORISED] if UNCATEGORISED in present else [])


def category_of(ticket: Ticket | None) -> str:
    return (ticket.category if ticket else None) or UNCATEGORISED


def completions(stays: Iterable[StayRow], done: frozenset[str]) -> Iterable[StayRow]:
    """Stays that begin with an entry into a Done status (not a tier change while done)."""
    return (s for s in stays if s.to_status in done and s.from_status not in done)


def volume(tickets: Sequence[Ticket], stays: Iterable[StayRow], *, done: frozenset[str],
           scope: Scope, calendar: BusinessCalendar,
           categories: Sequence[str]) -> list[VolumeRow]:
    """Per day of the period and category: tickets opened and completions."""
    zone = calendar.zone
    by_key = {t.key: t for t in tickets}
    opened = Counter((day_of(t.created, zone), category_of(t)) for t in tickets
                     if within(t.created, scope.since, scope.now))
    completed = Counter((day_of(s.entered_at, zone), category_of(by_key.get(s.issue_key)))
                        for s in completions(stays, done)
                        if within(s.entered_at, scope.since, scope.now))
    names = category_order(categories, [c for _, c in (*opened, *completed)])
    return [VolumeRow(day, name, opened[(day, name)], completed[(day, name)])
            for day in days_between(day_of(scope.since, zone), day_of(scope.now, zone))
            for name in names]


def time_in_status(tickets: Sequence[Ticket], stays: Iterable[StayRow], *,
                   done: frozenset[str], statuses: Sequence[str], scope: Scope,
                   calendar: BusinessCalendar) -> list[StatusTimeRow]:
    """Per tier and status (Done ones aside): stays ended in the period, and those still on."""
    open_keys = {t.key for t in tickets if t.open}
    ended: dict[tuple[int, str], list[float]] = defaultdict(list)
    waiting: dict[tuple[int, str], list[float]] = defaultdict(list)
    for stay in stays:
        if stay.to_status in done:
            continue
        group = (stay.tier or 1, stay.to_status)
        if stay.left_at is not None and within(stay.left_at, scope.since, scope.now):
            ended[group].append(calendar.business_seconds(stay.entered_at, stay.left_at))
        elif stay.left_at is None and stay.issue_key in open_keys:
            waiting[group].append(calendar.business_seconds(stay.entered_at, scope.now))
    order = {name: index for index, name in enumerate(statuses)}
    groups = sorted({*ended, *waiting}, key=lambda g: (g[0], order.get(g[1], len(order)), g[1]))
    rows = []
    for group in groups:
        spans, still = ended.get(group, []), waiting.get(group, [])
        rows.append(StatusTimeRow(
            group[0], group[1], len(spans), hours(median(spans)) if spans else None,
            hours(p90(spans)) if spans else None, len(still),
            hours(max(still)) if still else None))
    return rows


def raises(stays: Mapping[str, Sequence[StayRow]]) -> Iterable[tuple[str, StayRow, int]]:
    """Every raise of a ticket's tier: (ticket key, the stay at the higher tier, tier before)."""
    for key, history in stays.items():
        for before, after in pairwise(history):
            if (after.tier or 1) > (before.tier or 1):
                yield key, after, before.tier or 1


def escalations(stays: Mapping[str, Sequence[StayRow]], *, scope: Scope,
                calendar: BusinessCalendar) -> list[EscalationRow]:
    """Per week: how many tickets went from each tier to each higher one."""
    counts = Counter((week_of(stay.entered_at, calendar.zone), low, stay.tier or 1)
                     for _, stay, low in raises(stays)
                     if within(stay.entered_at, scope.since, scope.now))
    return [EscalationRow(week, low, high, count)
            for (week, low, high), count in sorted(counts.items())]


def escalation_share(tickets: Sequence[Ticket], stays: Mapping[str, Sequence[StayRow]], *,
                     scope: Scope, calendar: BusinessCalendar) -> list[EscalationShareRow]:
    """Of the tickets opened each week of the period, and in all of it, the share escalated
    (at any time up to now)."""
    zone = calendar.zone
    escalated = {key for key, _, _ in raises(stays)}
    opened = [t for t in tickets if within(t.created, scope.since, scope.now)]
    by_week: dict[date, list[Ticket]] = defaultdict(list)
    for ticket in opened:
        by_week[week_of(ticket.created, zone)].append(ticket)
    rows = [_share(week.isoformat(), by_week.get(week, []), escalated)
            for week in weeks_between(day_of(scope.since, zone), day_of(scope.now, zone))]
    return [*rows, _share("all", opened, escalated)]


def _share(label: str, opened: Sequence[Ticket], escalated: set[str]) -> EscalationShareRow:
    count = sum(t.key in escalated for t in opened)
    return EscalationShareRow(label, len(opened), count,
                              round(count / len(opened), 4) if opened else None)

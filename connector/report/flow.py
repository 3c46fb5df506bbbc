"""How tickets flow: opened and completed per day, time in each status per tier, escalations."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from connector.report.periods import LocalDays, days_between, hours, median, p90, weeks_between
from connector.report.records import Scope, StayRow, TicketRow
from connector.report.timeline import BusinessTimeline

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


def category_of(ticket: TicketRow | None) -> str:
    return (ticket.category if ticket else None) or UNCATEGORISED


def completions(stays: Iterable[StayRow], done: frozenset[str]) -> Iterable[StayRow]:
    """Stays that begin with an entry into a Done status (not a tier change while done)."""
    return (s for s in stays if s.to_status in done and s.from_status not in done)


def volume(tickets: Sequence[TicketRow], stays: Iterable[StayRow], *, done: frozenset[str],
           scope: Scope, days: LocalDays, categories: Sequence[str]) -> list[VolumeRow]:
    """Per day of the period and category: tickets opened and completions."""
    by_key = {t.key: t for t in tickets}
    since, now, day = scope.since, scope.now, days.day
    opened = Counter((day(t.created), category_of(t)) for t in tickets
                     if since <= t.created <= now)
    completed = Counter((day(s.entered_at), category_of(by_key.get(s.issue_key)))
                        for s in completions(stays, done) if since <= s.entered_at <= now)
    names = category_order(categories, [c for _, c in (*opened, *completed)])
    return [VolumeRow(date, name, opened[(date, name)], completed[(date, name)])
            for date in days_between(day(since), day(now)) for name in names]


def time_in_status(tickets: Sequence[TicketRow], stays: Iterable[StayRow], *,
                   done: frozenset[str], statuses: Sequence[str], scope: Scope,
                   timeline: BusinessTimeline) -> list[StatusTimeRow]:
    """Per tier and status (Done ones aside): stays ended in the period, and those still on."""
    open_keys = {t.key for t in tickets if t.open}
    ended: dict[tuple[int, str], list[float]] = defaultdict(list)
    waiting: dict[tuple[int, str], list[float]] = defaultdict(list)
    since, now, seconds = scope.since, scope.now, timeline.seconds  # 400,000 stays: bound once
    for key, _, status, tier, entered, left in stays:
        if status in done:
            continue
        if left is not None:
            if since <= left <= now:
                ended[(tier or 1, status)].append(seconds(entered, left))
        elif key in open_keys:
            waiting[(tier or 1, status)].append(seconds(entered, now))
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


Raise = tuple[str, StayRow, int]  # ticket key, the stay at the higher tier, the tier before


def raises(stays: Mapping[str, Sequence[StayRow]]) -> list[Raise]:
    """Every raise of a ticket's tier (by ticketflow's escalate or by hand)."""
    return [(key, after, before.tier or 1) for key, history in stays.items()
            for before, after in pairwise(history) if (after.tier or 1) > (before.tier or 1)]


def escalations(raised: Sequence[Raise], *, scope: Scope,
                days: LocalDays) -> list[EscalationRow]:
    """Per week: how many tickets went from each tier to each higher one."""
    since, now = scope.since, scope.now
    counts = Counter((days.week(stay.entered_at), low, stay.tier or 1)
                     for _, stay, low in raised if since <= stay.entered_at <= now)
    return [EscalationRow(week, low, high, count)
            for (week, low, high), count in sorted(counts.items())]


def escalation_share(tickets: Sequence[TicketRow], raised: Sequence[Raise], *,
                     scope: Scope, days: LocalDays) -> list[EscalationShareRow]:
    """Of the tickets opened each week of the period, and in all of it, the share escalated
    (at any time up to now)."""
    escalated = {key for key, _, _ in raised}
    opened = [t for t in tickets if scope.since <= t.created <= scope.now]
    by_week: dict[date, list[TicketRow]] = defaultdict(list)
    for ticket in opened:
        by_week[days.week(ticket.created)].append(ticket)
    rows = [_share(week.isoformat(), by_week.get(week, []), escalated)
            for week in weeks_between(days.day(scope.since), days.day(scope.now))]
    return [*rows, _share("all", opened, escalated)]


def _share(label: str, opened: Sequence[TicketRow], escalated: set[str]) -> EscalationShareRow:
    count = sum(t.key in escalated for t in opened)
    return EscalationShareRow(label, len(opened), count,
                              round(count / len(opened), 4) if opened else None)

"""Promises kept: first response and resolution against `timeframes`, on the team's calendar.

First response is the first move out of the workflow's initial status (Pending -> Reviewing:
support has looked at it), counted from the ticket's creation against its tier's
`first_response`. Resolution is the first entry into a Done status, against the `resolve` of
the tier the ticket was resolved at, counted from when it reached that tier (its creation
for a ticket never escalated): the last ETA its customer was given counts from there. A
ticket the history first saw past its initial status (or already done) is not measured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from connector.config.durations import Duration
from connector.config.models import RulesFile
from connector.domain import Ticket
from connector.engine.calendar import BusinessCalendar
from connector.report.records import StayRow

FIRST_RESPONSE, RESOLVE = "first_response", "resolve"
Link = Callable[[str], str | None]


@dataclass(frozen=True)
class PromiseRow:
    """How one promise of one tier fared over the tickets opened in the period."""

    tier: int
    promise: str  # first_response or resolve
    limit: str  # as rules.yaml words it: "4h", "2 business days"
    measured: int  # kept + breached
    kept: int
    breached: int  # late, or still not met past the due time
    kept_share: float | None  # kept / measured
    not_yet_due: int  # not met yet, still in time


@dataclass(frozen=True)
class BreachRow:
    """One promise not kept: met late, or still not met past its due time."""

    key: str
    summary: str
    promise: str
    tier: int
    limit: str
    due: datetime
    met_at: datetime | None  # None: still not met
    late_hours: float  # in business hours when the limit is business time
    link: str | None


@dataclass(frozen=True)
class PromiseFigures:
    """The promise table, its breaches and how many tickets could not be measured."""

    rows: list[PromiseRow]
    breaches: list[BreachRow]
    first_response_unmeasured: int
    resolve_unmeasured: int


@dataclass(frozen=True)
class _Outcome:
    tier: int
    promise: str
    limit: Duration
    due: datetime
    met_at: datetime | None


def _tier_run_start(stays: Sequence[StayRow], index: int, created: datetime) -> datetime:
    """When the ticket reached the tier it has in stays[index]: the start of that run of
    stays at one tier (its creation if it never changed tier before)."""
    tier = stays[index].tier or 1
    while index > 0 and (stays[index - 1].tier or 1) == tier:
        index -= 1
    return created if index == 0 else stays[index].entered_at


def _first_response(ticket: Ticket, stays: Sequence[StayRow], rules: RulesFile,
                    calendar: BusinessCalendar) -> _Outcome | None:
    tier = stays[0].tier or 1
    timeframe = rules.timeframes.get(f"tier{tier}")
    if timeframe is None:
        return None
    initial = rules.workflow.initial
    met = next((s.entered_at for s in stays if s.to_status != initial), None)
    limit = timeframe.first_response
    return _Outcome(tier, FIRST_RESPONSE, limit, calendar.add(ticket.created, limit), met)


def _resolution(ticket: Ticket, stays: Sequence[StayRow], rules: RulesFile,
                calendar: BusinessCalendar) -> _Outcome | None:
    done = rules.workflow.done_statuses
    index = next((i for i, s in enumerate(stays) if s.to_status in done), None)
    at = len(stays) - 1 if index is None else index
    tier = stays[at].tier or 1
    timeframe = rules.timeframes.get(f"tier{tier}")
    if timeframe is None:
        return None
    start = _tier_run_start(stays, at, ticket.created)
    limit = timeframe.resolve
    met = None if index is None else stays[index].entered_at
    return _Outcome(tier, RESOLVE, limit, calendar.add(start, limit), met)


def promise_figures(opened: Sequence[Ticket], stays: Mapping[str, Sequence[StayRow]], *,
                    rules: RulesFile, calendar: BusinessCalendar, now: datetime,
                    link: Link) -> PromiseFigures:
    """Every promise of every ticket opened in the period: kept, breached or not yet due."""
    outcomes: list[tuple[Ticket, _Outcome | None]] = []
    unmeasured = {FIRST_RESPONSE: 0, RESOLVE: 0}
    for ticket in opened:
        history = stays.get(ticket.key, ())
        if not history or history[0].to_status != rules.workflow.initial:
            unmeasured[FIRST_RESPONSE] += 1
        else:
            outcomes.append((ticket, _first_response(ticket, history, rules, calendar)))
        if not history or history[0].to_status in rules.workflow.done_statuses:
            unmeasured[RESOLVE] += 1
        else:
            outcomes.append((ticket, _resolution(ticket, history, rules, calendar)))
    measured = [(ticket, o) for ticket, o in outcomes if o is not None]
    return PromiseFigures(_rows(measured, now), _breaches(measured, calendar, now, link),
                          unmeasured[FIRST_RESPONSE], unmeasured[RESOLVE])


def _late(outcome: _Outcome, now: datetime) -> bool:
    return (outcome.met_at or now) > outcome.due


def _rows(measured: Sequence[tuple[Ticket, _Outcome]], now: datetime) -> list[PromiseRow]:
    groups: dict[tuple[int, str], list[_Outcome]] = {}
    for _, outcome in measured:
        groups.setdefault((outcome.tier, outcome.promise), []).append(outcome)
    rows = []
    for (tier, promise), group in sorted(groups.items()):
        breached = sum(_late(o, now) for o in group)
        kept = sum(o.met_at is not None and not _late(o, now) for o in group)
        waiting = len(group) - kept - breached
        total = kept + breached
        rows.append(PromiseRow(tier, promise, str(group[0].limit), total, kept, breached,
                               round(kept / total, 4) if total else None, waiting))
    return rows


def _breaches(measured: Sequence[tuple[Ticket, _Outcome]], calendar: BusinessCalendar,
              now: datetime, link: Link) -> list[BreachRow]:
    rows = []
    for ticket, o in measured:
        if not _late(o, now):
            continue
        late = calendar.elapsed(o.due, o.met_at or now, business=o.limit.business)
        rows.append(BreachRow(ticket.key, ticket.summary, o.promise, o.tier, str(o.limit), o.due,
                              o.met_at, round(late / 3600, 2), link(ticket.key)))
    return sorted(rows, key=lambda r: (-r.late_hours, r.key, r.promise))

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
from dataclasses import dataclass, field
from datetime import datetime

from connector.config.durations import Duration
from connector.config.models import RulesFile, Timeframe
from connector.report.records import StayRow, TicketRow
from connector.report.timeline import BusinessTimeline

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


def tier_timeframes(rules: RulesFile) -> dict[int, Timeframe]:
    """rules.yaml's `timeframes` by tier number (`tier2` -> 2)."""
    return {int(name[4:]): timeframe for name, timeframe in rules.timeframes.items()
            if name.startswith("tier") and name[4:].isdigit()}


def _tier_run_start(stays: Sequence[StayRow], index: int, created: datetime) -> datetime:
    """When the ticket reached the tier it has in stays[index]: the start of that run of
    stays at one tier (its creation if it never changed tier before)."""
    tier = stays[index].tier or 1
    while index > 0 and (stays[index - 1].tier or 1) == tier:
        index -= 1
    return created if index == 0 else stays[index].entered_at


@dataclass
class _Tally:
    """Judges each promise as it comes (100,000 tickets: nothing kept but counts and the
    breaches), with the timeframes, the calendar and now."""

    timeframes: Mapping[int, Timeframe]
    timeline: BusinessTimeline
    now: datetime
    link: Link
    counts: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # kept, late, due
    limits: dict[tuple[int, str], Duration] = field(default_factory=dict)
    breaches: list[BreachRow] = field(default_factory=list)

    def judge(self, ticket: TicketRow, tier: int, promise: str, start: datetime,
              met: datetime | None) -> None:
        timeframe = self.timeframes.get(tier)
        if timeframe is None:
            return  # rules.yaml promises nothing at this tier
        limit = timeframe.first_response if promise == FIRST_RESPONSE else timeframe.resolve
        due = self.timeline.add(start, limit)
        group = (tier, promise)
        counts = self.counts.get(group)
        if counts is None:
            counts = self.counts[group] = [0, 0, 0]
            self.limits[group] = limit
        ended = met or self.now
        if ended <= due:
            counts[0 if met is not None else 2] += 1
            return
        counts[1] += 1
        late = (self.timeline.seconds(due, ended) if limit.business
                else (ended - due).total_seconds())
        self.breaches.append(BreachRow(ticket.key, ticket.summary, promise, tier, str(limit),
                                       due, met, round(late / 3600, 2), self.link(ticket.key)))

    def rows(self) -> list[PromiseRow]:
        rows = []
        for (tier, promise), (kept, breached, waiting) in sorted(self.counts.items()):
            total = kept + breached
            rows.append(PromiseRow(tier, promise, str(self.limits[(tier, promise)]), total,
                                   kept, breached, round(kept / total, 4) if total else None,
                                   waiting))
        return rows


def _first_response(tally: _Tally, ticket: TicketRow, stays: Sequence[StayRow],
                    initial: str) -> None:
    met = next((s.entered_at for s in stays if s.to_status != initial), None)
    tally.judge(ticket, stays[0].tier or 1, FIRST_RESPONSE, ticket.created, met)


def _resolution(tally: _Tally, ticket: TicketRow, stays: Sequence[StayRow],
                done: frozenset[str]) -> None:
    index = next((i for i, s in enumerate(stays) if s.to_status in done), None)
    at = len(stays) - 1 if index is None else index
    met = None if index is None else stays[index].entered_at
    tally.judge(ticket, stays[at].tier or 1, RESOLVE, _tier_run_start(stays, at, ticket.created),
                met)


def promise_figures(opened: Sequence[TicketRow], stays: Mapping[str, Sequence[StayRow]], *,
                    rules: RulesFile, timeline: BusinessTimeline, now: datetime,
                    link: Link) -> PromiseFigures:
    """Every promise of every ticket opened in the period: kept, breached or not yet due."""
    tally = _Tally(tier_timeframes(rules), timeline, now, link)
    initial, done = rules.workflow.initial, rules.workflow.done_statuses  # a property: once
    unmeasured = {FIRST_RESPONSE: 0, RESOLVE: 0}
    for ticket in opened:
        history = stays.get(ticket.key, ())
        if not history or history[0].to_status != initial:
            unmeasured[FIRST_RESPONSE] += 1
        else:
            _first_response(tally, ticket, history, initial)
        if not history or history[0].to_status in done:
            unmeasured[RESOLVE] += 1
        else:
            _resolution(tally, ticket, history, done)
    breaches = sorted(tally.breaches, key=lambda r: (-r.late_hours, r.key, r.promise))
    return PromiseFigures(tally.rows(), breaches, unmeasured[FIRST_RESPONSE],
                          unmeasured[RESOLVE])

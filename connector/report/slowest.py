"""The slowest open tickets, each with the summary `ticketflow explain` would give of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from connector.config.loader import Config
from connector.domain import Ticket
from connector.engine.calendar import BusinessCalendar, describe_span
from connector.engine.conditions import Context, Verdict
from connector.engine.events import schedule_event
from connector.engine.planner import RuleExplanation, explain
from connector.report.periods import hours


@dataclass(frozen=True)
class SlowRow:
    """One open ticket, its business age and time in its status, and what the time rules say."""

    key: str
    summary: str
    status: str
    tier: int
    category: str | None
    assignee: str | None
    created: datetime
    age_hours: float  # business hours since it was created
    in_status_hours: float  # business hours since it entered its status
    explain: list[str]
    link: str | None


def _time_texts(verdict: Verdict) -> Iterator[str]:
    """The business-time arithmetic in a verdict: its time conditions' own words."""
    for child in verdict.children:
        if " since " in child.text:  # time_in_status, age, since_customer_reply
            yield child.text
        yield from _time_texts(child)


def _rule_line(item: RuleExplanation, ctx: Context) -> str | None:
    """A time rule that fires now, or that only time keeps from firing; None otherwise."""
    name = f'rule "{item.rule.name}"'
    arithmetic = "; ".join(_time_texts(item.verdict))
    detail = f" ({arithmetic})" if arithmetic else ""
    if item.fires:
        return f"{name} fires now{detail}"
    waits_for_time = all(c.holds or c.due is not None for c in item.verdict.children)
    if item.rule.enabled and item.verdict.due is not None and waits_for_time:
        return f"{name} due {ctx.local(item.verdict.due)}{detail}"
    return None


def explain_summary(ticket: Ticket, ctx: Context) -> list[str]:
    """Where the ticket stands and which time rules fire now or are due next, and when."""
    in_status = ctx.calendar.business_seconds(ticket.status_since, ctx.now)
    lines = [f"{ticket.status} since {ctx.local(ticket.status_since)}: "
             f"{describe_span(in_status, workday=ctx.calendar.workday_seconds())}"]
    tick = schedule_event(ticket.issue_id, ticket.key, ticket.status, ticket.status_since,
                          ctx.now)
    timed = [rule for rule in ctx.config.rules.rules if rule.on.kind == "schedule"]
    found = [line for item in explain(timed, ticket, tick, ctx)
             if (line := _rule_line(item, ctx)) is not None]
    return lines + (found or ["no time rule applies now"])


def slowest(tickets: Sequence[Ticket], *, config: Config, calendar: BusinessCalendar,
            now: datetime, link: Callable[[str], str | None],
            limit: int = 10) -> list[SlowRow]:
    """The `limit` open tickets with the most business time since they were created."""
    ctx = Context(config, calendar, now)
    aged = [(calendar.business_seconds(t.created, now), t) for t in tickets if t.open]
    aged.sort(key=lambda pair: (-pair[0], pair[1].created, pair[1].key))
    return [SlowRow(t.key, t.summary, t.status, t.tier or 1, t.category, t.assignee_name
                    or t.assignee, t.created, hours(age),
                    hours(calendar.business_seconds(t.status_since, now)),
                    explain_summary(t, ctx), link(t.key))
            for age, t in aged[:limit]]

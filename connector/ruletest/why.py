"""Why an expectation failed, in `explain`'s words.

What the rules involved did in the step, or why they did not fire.
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.engine.conditions import Context
from connector.engine.events import schedule_event
from connector.engine.planner import explain, render_explanation
from connector.ruletest.expect import Miss
from connector.ruletest.harness import Harness, Mark
from connector.state.base import Effect, TriggerEvent


def why(harness: Harness, miss: Miss, key: str, mark: Mark, explained: set[str]) -> list[str]:
    """For each rule involved: what it did in this step and on which event; or, if it did
    nothing, `explain`'s lines for each event of the step (for a time rule, or a step
    without events, as of now). A rule already explained for this step is not again."""
    ticket = harness.ticket(key)
    if ticket is None or not miss.rules:
        return []
    config = harness.config
    ctx = Context(config, harness.calendar, harness.now())
    events = harness.events_since(mark, key)
    tick = schedule_event(ticket.issue_id, ticket.key, ticket.status, ticket.status_since,
                          ctx.now)
    lines: list[str] = []
    for rule in (r for r in config.rules.rules if r.name in miss.rules):
        if rule.name in explained:
            lines.append(f'rule "{rule.name}": as above')
            continue
        explained.add(rule.name)
        fired = [e for e in miss.fired if e.rule == rule.name]
        if fired:
            lines += fired_lines(rule.name, fired, ctx)
            continue
        for event in (events if events and rule.on.kind != "schedule" else [tick]):
            lines += render_explanation(explain([rule], ticket, event, ctx), ctx)
    return lines


def fired_lines(rule: str, effects: Sequence[Effect], ctx: Context) -> list[str]:
    """`rule "R" fired at Mon 30 Nov 13:01 CST on schedule (in Reviewing since ...)`, then
    each of its actions and how it ended."""
    lines: list[str] = []
    for trigger in dict.fromkeys(e.trigger for e in effects):
        first = next(e for e in effects if e.trigger == trigger)
        event, when = first.event, first.created_at
        on = ""
        if event is not None:
            on = f" on {_event_words(event)}"
            # A time rule fires on how long the ticket has stood: say since when.
            if event.kind == "schedule" and event.ticket_status and event.ticket_status_since:
                on += f" ({event.ticket_status} since {ctx.local(event.ticket_status_since)})"
        at = f" at {ctx.local(when)}" if when else ""
        lines.append(f'rule "{rule}" fired{at}{on}:')
        lines += [f"  {e.action} {e.status}" + (f": {e.detail}" if e.detail else "")
                  for e in effects if e.trigger == trigger]
    return lines


def _event_words(event: TriggerEvent) -> str:
    if event.kind == "status_changed":
        return f"status {event.from_status} -> {event.to_status}"
    if event.kind == "commented":
        return f"comment by {event.by}"
    return event.kind

"""`explain`'s walk over a ticket's recorded events: for each event-driven rule, whether it
fired then, and if not, why (a condition, ticketflow's own change, or before the first sync)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from connector.config.models import Rule
from connector.domain import Ticket
from connector.engine.conditions import Context, evaluate_all
from connector.engine.events import Event
from connector.engine.planner import on_text, triggered_by, verdict_lines
from connector.state.base import Effect
from connector.tracker.feed import Change


@dataclass(frozen=True)
class Recorded:
    """What is known of one ticket: the mirror's copy now, its history (oldest first), the
    events derived from it, its ledger, and ticketflow's first sync (None: not known)."""

    ticket: Ticket
    changes: Sequence[Change]
    events: Sequence[Event]
    effects: Sequence[Effect]
    baseline: datetime | None


def as_of(ticket: Ticket, changes: Sequence[Change], at: datetime) -> Ticket:
    """The ticket as it was at `at`: the status, tier and category its later changes had not
    made yet (its other fields are as they are now: the history does not say them all)."""
    then = ticket
    for change in sorted(changes, key=lambda c: c.at, reverse=True):
        if change.at <= at:
            break
        for item in change.items:
            if item.kind == "status" and item.before is not None:
                then = replace(then, status=item.before)
            elif item.kind == "tier":
                before = item.before or ""
                then = replace(then, tier=int(before) if before.isdigit() else None)
            elif item.kind == "category":
                then = replace(then, category=item.before)
    entries = [c.at for c in changes if c.at <= at
               and any(i.kind == "status" for i in c.items)]
    return replace(then, status_since=max(entries) if entries else ticket.created)


def event_lines(rules: Sequence[Rule], recorded: Recorded, ctx: Context) -> list[str]:
    """Every recorded event, oldest first, each with the event-driven rules it triggers and
    what became of each; then the event-driven rules no recorded event triggered."""
    listening = [r for r in rules if r.on.kind != "schedule"]
    lines = ["events:"]
    heard: set[str] = set()
    for event in recorded.events:
        by = " (by ticketflow)" if event.own else ""
        lines.append(f"  {ctx.local(event.at)}  {event.describe()}{by}")
        rules_for = [r for r in listening if triggered_by(r, event)]
        if not rules_for:
            lines.append("    no rule is triggered by it")
        for rule in rules_for:
            heard.add(rule.name)
            lines += ["    " + line for line in rule_at_event(rule, event, recorded, ctx)]
    silent = [r for r in listening if r.name not in heard]
    if silent:
        lines.append("rules no recorded event triggered:")
        lines += [f'  rule "{r.name}" ({on_text(r)})' for r in silent]
    return lines


def rule_at_event(rule: Rule, event: Event, recorded: Recorded, ctx: Context) -> list[str]:
    """What became of one rule at one event: fired (its ledger rows), or why it did not."""
    name = f'rule "{rule.name}"'
    rows = [e for e in recorded.effects if e.rule == rule.name and e.trigger == event.trigger]
    if rows:
        done = ", ".join(f"{e.action} {e.status}" for e in rows)
        return [f"✓ {name} fired: {done}"]
    baseline = recorded.baseline
    if baseline is not None and event.at < baseline:
        return [f"- {name} was not evaluated: the event predates ticketflow's first sync "
                f"(the baseline, {ctx.local(baseline)})"]
    if not rule.enabled:
        return [f"- {name} is disabled"]
    if event.own and not rule.include_own_changes:
        return [f"- {name} did not fire: the event came from ticketflow itself "
                "(include_own_changes is off)"]
    then = as_of(recorded.ticket, recorded.changes, event.at)
    verdict = evaluate_all(rule.if_, then, replace(ctx, now=event.at, explain=True))
    if not verdict.holds:
        return [f"✗ {name} did not fire: a condition failed (as the ticket was then)",
                *verdict_lines(verdict, depth=1)]
    return [f"? {name} would fire, yet the ledger has nothing for it: not polled yet (run "
            "`ticketflow once`), or rules.yaml changed since"]

"""`ticketflow explain KEY`: why each rule did or did not fire for one ticket."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from connector.commands.base import TRACKER_SETTINGS, add_command, clock_for

if TYPE_CHECKING:
    from connector.app import Service
    from connector.config.models import Rule, RulesFile
    from connector.domain import Ticket
    from connector.engine.conditions import Context
    from connector.engine.events import Event
    from connector.settings import Settings
    from connector.state.base import Effect
    from connector.sync.explain import Recorded

# How each ledger status reads in the history: what happened, and what it asks of the admin.
_STATUS_WORDS = {
    "pending": "pending (to perform next cycle)",
    "blocked": "blocked, tried again every cycle until the configuration is fixed",
    "superseded": "superseded, never performed",
}


def ledger_lines(effects: Sequence[Effect], ctx: Context) -> list[str]:
    """The ticket's ledger, oldest first: when, which rule and action, on which event, how it
    ended and why (a superseded or blocked row says what changed or what is missing)."""
    lines = ["ledger:"] if effects else []
    for effect in effects:
        when = effect.done_at or effect.created_at
        event = effect.event
        on = ""
        if event is not None and event.kind == "status_changed":
            on = f" on status {event.from_status} -> {event.to_status}"
        elif event is not None:
            on = f" on {event.kind}" + (f" by {event.by}" if event.by else "")
        status = _STATUS_WORDS.get(effect.status, effect.status)
        detail = f": {effect.detail}" if effect.detail else ""
        lines.append(f"  {ctx.local(when) if when else '-'}  {effect.rule}  {effect.action}"
                     f"{on}  {status}{detail}")
    return lines


def register(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
             common: Sequence[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, common, "explain", handler=explain_ticket, summary="why rules fire for a ticket",
        description="Walks KEY's recorded events (created, each status change, each comment): "
        "for each rule they trigger, whether it fired then, or which condition failed, or "
        "that ticketflow made the change, or that it predates the first sync. Then the time "
        "rules now, with the business-time arithmetic and when each is due, and the ledger.",
        settings=(*TRACKER_SETTINGS, "state_db"))
    parser.add_argument("key", metavar="KEY", help="the ticket, e.g. HELP-12")
    parser.add_argument(
        "--event", metavar="KIND[:WHAT]",
        help="evaluate every rule for a hypothetical event on the ticket as it is now instead: "
        "created, assigned, schedule, status_changed:TO, status_changed:FROM->TO, "
        "commented:customer, commented:staff, field_changed:FIELD")


def hypothetical(text: str, *, ticket: Ticket, statuses: Sequence[str], now: datetime) -> Event:
    """The event `--event` names, on the ticket at `now`; a UsageError says what is wrong."""
    from connector.engine.events import Event
    from connector.errors import UsageError

    kind, _, what = text.partition(":")
    event = Event(kind="created", issue_id=ticket.issue_id, issue_key=ticket.key, at=now,
                  trigger="hypothetical")
    problem = "not an event"
    if kind == "created" and not what:
        return event
    if kind == "assigned" and not what:
        return replace(event, kind="assigned")
    if kind == "schedule" and not what:
        return replace(event, kind="schedule")
    if kind == "status_changed" and what:
        before, _, after = (part.strip() for part in what.rpartition("->"))
        unknown = [s for s in (before, after) if s and s not in statuses]
        if not unknown and after:
            return replace(event, kind="status_changed", from_status=before or ticket.status,
                           to_status=after)
        problem = (f"no status {unknown[0]!r} in rules.yaml (statuses: {', '.join(statuses)})"
                   if unknown else "no status to change to")
    if kind == "commented" and what == "customer":
        return replace(event, kind="commented", by="customer")
    if kind == "commented" and what == "staff":
        return replace(event, kind="commented", by="staff")
    if kind == "field_changed" and what:
        return replace(event, kind="field_changed", field=what)
    raise UsageError(f"--event {text}: {problem}; expected created, assigned, schedule, "
                     "status_changed:TO, status_changed:FROM->TO, commented:customer, "
                     "commented:staff or field_changed:FIELD")


def explain_ticket(args: argparse.Namespace, settings: Settings) -> int:
    """Why each rule did or did not fire for one ticket: at each recorded event, or for one
    hypothetical event; the time rules now, with the business-time arithmetic; the ledger."""
    from connector.app import build, require_tracker_settings
    from connector.config.loader import load_config
    from connector.engine.conditions import Context
    from connector.errors import UsageError
    from connector.state.url import describe

    config = load_config(args.config_dir)
    require_tracker_settings(config, settings)
    clock = clock_for(args)
    service = build(config, settings, clock=clock, dry_run=True)
    try:
        ticket = service.store.ticket_by_key(args.key)
        if ticket is None:
            raise UsageError(f"{args.key} is not in the mirror of open tickets "
                             f"({describe(settings.state_db)}); run `ticketflow once` first")
        ctx = Context(config, service.runtime.calendar, clock.now())
        print(f"{ticket.key} \"{ticket.summary}\": {ticket.status} since "
              f"{ctx.local(ticket.status_since)}, tier {ticket.tier or 1}, "
              f"category {ticket.category or '-'}, assignee {ticket.assignee or '-'}, "
              f"project {ticket.project}")
        if args.event is not None:
            _explain_event(args.event, config.rules, ticket, ctx)
        else:
            _explain_history(service, ticket, ctx)
    finally:
        service.close()
    return 0


def _explain_event(text: str, rules: RulesFile, ticket: Ticket, ctx: Context) -> None:
    """`--event`: every rule, for that event on the ticket as it is now."""
    statuses = [s.name for s in rules.workflow.statuses]
    event = hypothetical(text, ticket=ticket, statuses=statuses, now=ctx.now)
    print(f"if now ({ctx.local(ctx.now)}): {event.describe()}")
    _print_rules(rules.rules, ticket, event, ctx)


def _explain_history(service: Service, ticket: Ticket, ctx: Context) -> None:
    """The recorded events rule by rule, the time rules now, and the ledger."""
    from connector.engine.events import schedule_event
    from connector.sync.explain import event_lines

    rules = service.config.rules.rules
    for line in event_lines(rules, _recorded(service, ticket), ctx):
        print(line)
    print(f"time rules, now ({ctx.local(ctx.now)}):")
    tick = schedule_event(ticket.issue_id, ticket.key, ticket.status, ticket.status_since,
                          ctx.now)
    _print_rules([r for r in rules if r.on.kind == "schedule"], ticket, tick, ctx)
    for line in ledger_lines(service.store.effects_for(ticket.key), ctx):
        print(line)


def _print_rules(rules: Sequence[Rule], ticket: Ticket, event: Event, ctx: Context) -> None:
    from connector.engine.planner import explain, render_explanation

    for line in render_explanation(explain(rules, ticket, event, ctx), ctx):
        print(f"  {line}")


def _recorded(service: Service, ticket: Ticket) -> Recorded:
    """The ticket's history and comments from the tracker (reads only), its events as the
    poll derives them, its ledger and the first sync's date."""
    from connector.state.intake import IntakeStore
    from connector.sync.derive import events_from
    from connector.sync.explain import Recorded

    tracker = service.tracker
    tracked = tracker.ticket(ticket.key)
    changes = tracker.history(ticket.key)
    comments = tracker.comments(ticket.key)
    sides = IntakeStore(service.store.db).comment_sides([c.id for c in comments])
    events = events_from(tracked, changes, service.cycle.poller.vocabulary, is_new=True,
                         comments=comments, mail_sides=sides)
    return Recorded(ticket=ticket, changes=changes, events=events,
                    effects=service.store.effects_for(ticket.key),
                    baseline=service.cycle.poller.baseline())

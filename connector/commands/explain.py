"""`ticketflow explain KEY`: why each rule did or did not fire for one ticket."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from connector.commands.base import TRACKER_SETTINGS, add_command, clock_for

if TYPE_CHECKING:
    from connector.engine.conditions import Context
    from connector.settings import Settings
    from connector.state.base import Effect

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
        description="For every rule: does it fire for KEY now, each condition's value, the "
        "business-time arithmetic, when it is due.", settings=(*TRACKER_SETTINGS, "state_db"))
    parser.add_argument("key", metavar="KEY", help="the ticket, e.g. HELP-12")


def explain_ticket(args: argparse.Namespace, settings: Settings) -> int:
    """Why each rule did or did not fire for one ticket, with the business-time arithmetic."""
    from connector.app import build, require_tracker_settings
    from connector.config.loader import load_config
    from connector.engine.conditions import Context
    from connector.engine.events import schedule_event
    from connector.engine.planner import explain, render_explanation
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
        now = clock.now()
        ctx = Context(config, service.runtime.calendar, now)
        print(f"{ticket.key} \"{ticket.summary}\": {ticket.status} since "
              f"{ctx.local(ticket.status_since)}, tier {ticket.tier or 1}, "
              f"category {ticket.category or '-'}, assignee {ticket.assignee or '-'}")
        tick = schedule_event(ticket.issue_id, ticket.key, ticket.status, ticket.status_since,
                              now)
        for line in render_explanation(explain(config.rules.rules, ticket, tick, ctx), ctx):
            print(line)
        for line in ledger_lines(service.store.effects_for(ticket.key), ctx):
            print(line)
    finally:
        service.close()
    return 0

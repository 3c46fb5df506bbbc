"""The sync commands: `once` (one cycle, or a dry run of it) and `explain KEY`."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from connector.app import build, require_tracker_settings
from connector.clock import Clock, SettableClock, SystemClock
from connector.config.loader import load_config
from connector.engine.conditions import Context
from connector.engine.events import schedule_event
from connector.engine.planner import explain, render_explanation
from connector.errors import UsageError
from connector.settings import Settings
from connector.sync.perform import Performed
from connector.tracker.dryrun import RecordingTracker


def clock_for(args: argparse.Namespace) -> Clock:
    """`--now` fixes the time; otherwise the wall clock."""
    now: datetime | None = args.now
    return SettableClock(now) if now is not None else SystemClock()


def progress_bar(done: int, total: int | None) -> None:
    """Backfill progress on stderr: redrawn in place on a terminal, every 10% otherwise."""
    shown = f"backfill: {done}/{total} open tickets" if total else f"backfill: {done} tickets"
    if sys.stderr.isatty():
        print(f"\r{shown}", end="" if total and done < total else "\n", file=sys.stderr)
    elif not total or done == total or done * 10 // total != (done - 1) * 10 // total:
        print(shown, file=sys.stderr)


def print_performed(item: Performed) -> None:
    effect = item.effect
    print(f"{effect.issue_key}  {effect.rule}  {effect.action}  {item.status}: {item.outcome}")


def once(args: argparse.Namespace, settings: Settings) -> int:
    """One cycle for cron; with --dry-run, plan and print, change nothing anywhere."""
    config = load_config(args.config_dir)  # a broken config never reaches the network
    require_tracker_settings(settings)
    service = build(config, settings, clock=clock_for(args), dry_run=args.dry_run,
                    report=print_performed, progress=progress_bar)
    try:
        with service.store.lock():
            report = service.cycle.run()
    finally:
        service.close()
    print(f"cycle at {report.started.isoformat(timespec='seconds')}: "
          f"{len(report.recorded)} actions planned, {len(report.performed)} performed")
    if isinstance(service.tracker, RecordingTracker):
        for line in service.tracker.writes:
            print(f"  {line}")
        print("dry run: nothing was changed in Jira, the ledger or the outbox")
    return 0


def explain_ticket(args: argparse.Namespace, settings: Settings) -> int:
    """Why each rule did or did not fire for one ticket, with the business-time arithmetic."""
    config = load_config(args.config_dir)
    require_tracker_settings(settings)
    clock = clock_for(args)
    service = build(config, settings, clock=clock, dry_run=True)
    try:
        ticket = service.store.ticket_by_key(args.key)
        if ticket is None:
            raise UsageError(f"{args.key} is not in the mirror of open tickets "
                             f"({settings.state_db}); run `ticketflow once` first")
        now = clock.now()
        ctx = Context(config, service.runtime.calendar, now)
        print(f"{ticket.key} \"{ticket.summary}\": {ticket.status} since "
              f"{ctx.local(ticket.status_since)}, tier {ticket.tier or 1}, "
              f"category {ticket.category or '-'}, assignee {ticket.assignee or '-'}")
        tick = schedule_event(ticket.issue_id, ticket.key, ticket.status, ticket.status_since,
                              now)
        for line in render_explanation(explain(config.rules.rules, ticket, tick, ctx), ctx):
            print(line)
        history = service.store.effects_for(ticket.key)
        if history:
            print("already done:")
        for effect in history:
            when = effect.done_at or effect.created_at
            print(f"  {ctx.local(when) if when else '-'}  {effect.rule}  {effect.action}  "
                  f"{effect.status} {effect.detail}")
    finally:
        service.close()
    return 0

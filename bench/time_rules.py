"""Time rules over 100,000 open tickets in the mirror: every rule over every ticket (the full
plan, goal under 2 s), then a minute-by-minute hour of cycles that evaluate only the tickets the
due index names (goal under 50 ms a cycle).

Run:  .venv/bin/python bench/time_rules.py [--quick] [--tickets N] [--runs R]

The mirror is a real SQLite file; the rules are the shipped ones; no tracker request is made
(the tracker is the in-memory fake, and the count of its calls is printed to prove it). In the
simulated hour, 1% of the tickets entered Reviewing this morning and come due for escalation
one after another, and 10 tickets a minute change (a customer writes), as a poll would write
them: each cycle evaluates those, nothing else.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import shipped_config, table, write

from connector.app import Service, build
from connector.clock import SettableClock
from connector.config.loader import Config
from connector.domain import Ticket
from connector.engine.conditions import Context
from connector.settings import Settings
from connector.state.base import Transaction
from connector.state.timestamps import to_text
from connector.tracker.fake import FakeTracker

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=ZoneInfo("America/Chicago"))
# The index is built a minute later: the tickets that came in overnight all reach their limit
# at NOW (business time starts at 08:00 for each of them) and are escalated by that cycle.
BUILT = NOW + timedelta(minutes=1)
STATUSES = ("Pending", "Reviewing", "Assigned", "In Progress")
CATEGORIES = ("Access", "Data export", "Project setup", "Other")


def _ticket(n: int) -> Ticket:
    """A spread of statuses, tiers, categories and waits (up to ten days)."""
    since = NOW - timedelta(minutes=(n * 7) % (60 * 24 * 10))
    return Ticket(issue_id=str(100_000 + n), key=f"HELP-{n + 1}", project="HELP",
                  status=STATUSES[n % 4], status_since=since, created=since - timedelta(hours=3),
                  updated=since, summary="Data export to CSV times out",
                  text="Exporting the full data set runs for minutes and then fails. " * 4,
                  assignee="bob@example.edu", tier=1 + n % 3, category=CATEGORIES[n % 4],
                  customer=f"user{n}@uni.example.edu")


def _coming_due(n: int) -> Ticket:
    """One of the 1% that entered Reviewing this morning (tier 1: escalated after 4 business
    hours), spread so that some come due in every minute of the simulated hour."""
    minute = (n // 100) % 60
    since = BUILT - timedelta(hours=4) + timedelta(minutes=minute, seconds=30)
    return replace(_ticket(n), status="Reviewing", tier=1, category="Data export",
                   status_since=since, updated=since)


def _customer_wrote(n: int, now: datetime) -> Ticket:
    """A ticket the poll has just written again: its customer replied."""
    return replace(_ticket(n), last_customer_reply=now, updated=now)


def _full_plan(service: Service, config: Config, runs: int) -> tuple[list[float], int]:
    """The cycle's own planning of every `on: schedule` rule over the mirror; nothing is
    recorded, so each run plans the same work."""
    timings, planned = [], 0
    for _ in range(runs):
        ctx = Context(config, service.runtime.calendar, NOW)
        started = time.perf_counter()
        planned = len(service.cycle.plan_time_rules(ctx))
        timings.append(time.perf_counter() - started)
    return timings, planned


def _steady_hour(service: Service, config: Config, count: int) -> dict[str, Any]:
    """Build the index in one cycle (what the first cycle, or the first after rules.yaml
    changes, does), then a cycle a minute for an hour, as the service would."""
    service.store.commit(Transaction(tickets=[
        _coming_due(n) for n in range(50, count, 100)]))
    started = time.perf_counter()
    service.cycle.evaluate_time_rules(Context(config, service.runtime.calendar, BUILT))
    build_seconds = time.perf_counter() - started
    end = BUILT + timedelta(minutes=60)
    (due_in_hour,) = service.store.db.execute(
        "SELECT count(*) FROM tickets WHERE open = 1 AND due_at > ? AND due_at <= ?",
        (to_text(BUILT), to_text(end))).fetchone()
    timings, recorded, changed = [], 0, 0
    for minute in range(1, 61):
        now = BUILT + timedelta(minutes=minute)
        wrote = [_customer_wrote(n, now) for n in range(minute * 7, count, count // 10)][:10]
        service.store.commit(Transaction(tickets=wrote))
        changed += len(wrote)
        ctx = Context(config, service.runtime.calendar, now)
        started = time.perf_counter()
        recorded += len(service.cycle.evaluate_time_rules(ctx))
        timings.append(time.perf_counter() - started)
    return {"build_seconds": build_seconds, "steady_seconds": timings,
            "due_in_hour": due_in_hour, "changed_in_hour": changed,
            "recorded_in_hour": recorded}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 tickets, not 100,000")
    parser.add_argument("--tickets", type=int)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    count = args.tickets or (10_000 if args.quick else 100_000)
    config = shipped_config()
    clock = SettableClock(NOW)
    tracker = FakeTracker.from_config(config, clock=clock)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(state_db=Path(folder) / "state.db",  # type: ignore[call-arg]
                            outbox_dir=Path(folder) / "outbox", _env_file=None)
        service = build(config, settings, clock=clock, tracker=tracker)
        for start in range(0, count, 2_000):
            service.store.commit(Transaction(tickets=[
                _ticket(n) for n in range(start, min(start + 2_000, count))]))
        calls_before = len(tracker.calls)
        timings, planned = _full_plan(service, config, args.runs)
        hour = _steady_hour(service, config, count)
        tracker_calls = len(tracker.calls) - calls_before
        service.close()
    steady = hour["steady_seconds"]
    per_ticket = sum(steady) / max(1, hour["due_in_hour"] + hour["changed_in_hour"])
    rows = [["measure", "value"],
            ["open tickets in the mirror", f"{count:,}"],
            ["time rules evaluated", str(sum(1 for r in config.rules.rules
                                             if r.on.kind == "schedule"))],
            ["seconds per evaluation of every time rule",
             f"{min(timings):.2f} s best, {statistics.median(timings):.2f} s median "
             f"of {args.runs} (goal < 2 s)"],
            ["actions planned (stale tickets)", f"{planned:,}"],
            ["building the due index (one cycle over every ticket)",
             f"{hour['build_seconds']:.2f} s"],
            ["tickets coming due in the next hour", f"{hour['due_in_hour']:,} "
             f"({hour['due_in_hour'] / count:.1%}), and {hour['changed_in_hour']} changed"],
            ["seconds per cycle in that hour (60 cycles)",
             f"{statistics.median(steady) * 1000:.1f} ms median, "
             f"{max(steady) * 1000:.1f} ms worst (goal < 50 ms)"],
            ["time per ticket evaluated in that hour", f"{per_ticket * 1000:.2f} ms"],
            ["actions recorded in that hour", f"{hour['recorded_in_hour']:,}"],
            ["tracker requests made", str(tracker_calls)]]
    print(table(rows))
    path = write("time_rules" + ("_quick" if args.quick else ""), {
        "tickets": count, "seconds": timings, "planned": planned, **hour,
        "tracker_requests": tracker_calls})
    print(f"\nwritten to {path.relative_to(path.parents[2])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

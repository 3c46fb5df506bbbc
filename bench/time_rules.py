"""Every time-based rule over 100,000 open tickets in the mirror (goal: under 2 s here).

Run:  .venv/bin/python bench/time_rules.py [--quick] [--tickets N] [--runs R]

The mirror is a real SQLite file; the rules are the shipped ones; no tracker request is made
(the tracker is the in-memory fake, and the count of its calls is printed to prove it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import shipped_config, table, write

from connector.app import build
from connector.clock import SettableClock
from connector.domain import Ticket
from connector.engine.conditions import Context
from connector.settings import Settings
from connector.state.base import Transaction
from connector.tracker.fake import FakeTracker

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=ZoneInfo("America/Chicago"))
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
        timings, planned = [], 0
        for _ in range(args.runs):
            ctx = Context(config, service.runtime.calendar, NOW)
            started = time.perf_counter()
            # The cycle's own planning of every `on: schedule` rule over the mirror; nothing is
            # recorded, so each run plans the same work.
            planned = len(service.cycle.plan_time_rules(ctx))
            timings.append(time.perf_counter() - started)
        tracker_calls = len(tracker.calls) - calls_before
        service.close()
    rows = [["measure", "value"],
            ["open tickets in the mirror", f"{count:,}"],
            ["time rules evaluated", str(sum(1 for r in config.rules.rules
                                             if r.on.kind == "schedule"))],
            ["seconds per evaluation of every time rule",
             f"{min(timings):.2f} s best, {statistics.median(timings):.2f} s median "
             f"of {args.runs} (goal < 2 s)"],
            ["actions planned (stale tickets)", f"{planned:,}"],
            ["tracker requests made", str(tracker_calls)]]
    print(table(rows))
    path = write("time_rules" + ("_quick" if args.quick else ""), {
        "tickets": count, "seconds": timings, "planned": planned,
        "tracker_requests": tracker_calls})
    print(f"\nwritten to {path.relative_to(path.parents[2])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

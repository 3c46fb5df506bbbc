"""Every time-based rule over 100,000 open tickets in the mirror (goal: under 2 s here).

Run:  .venv/bin/python bench/time_rules.py [--quick] [--tickets N] [--runs R] [--postgres URL]

The mirror is a real SQLite file, and again a PostgreSQL schema (--postgres URL, else
TICKETFLOW_TEST_POSTGRES; without either, SQLite only); the rules are the shipped ones; no
tracker request is made (the tracker is the in-memory fake, and the count of its calls is
printed to prove it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import postgres_schema, postgres_url, shipped_config, table, write

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


@contextmanager
def _state(backend: str, folder: Path, postgres: str | None) -> Iterator[Path | str]:
    """Where the backend's new, empty state is (a schema dropped afterwards)."""
    if backend == "postgresql":
        assert postgres is not None
        with postgres_schema(postgres) as url:
            yield url
        return
    yield folder / "state.db"


def measure(backend: str, count: int, runs: int, postgres: str | None) -> dict[str, object]:
    """Fill a mirror on `backend`, then time planning every time rule over it `runs` times."""
    config = shipped_config()
    clock = SettableClock(NOW)
    tracker = FakeTracker.from_config(config, clock=clock)
    with tempfile.TemporaryDirectory() as folder, \
            _state(backend, Path(folder), postgres) as location:
        settings = Settings(state_db=location,  # type: ignore[call-arg]
                            outbox_dir=Path(folder) / "outbox", _env_file=None)
        service = build(config, settings, clock=clock, tracker=tracker)
        for start in range(0, count, 2_000):
            service.store.commit(Transaction(tickets=[
                _ticket(n) for n in range(start, min(start + 2_000, count))]))
        calls_before = len(tracker.calls)
        timings, reads, planned = [], [], 0
        for _ in range(runs):
            started = time.perf_counter()
            assert sum(1 for _ in service.store.open_tickets("HELP")) == count
            reads.append(time.perf_counter() - started)
            ctx = Context(config, service.runtime.calendar, NOW)
            started = time.perf_counter()
            # The cycle's own planning of every `on: schedule` rule over the mirror; nothing is
            # recorded, so each run plans the same work.
            planned = len(service.cycle.plan_time_rules(ctx))
            timings.append(time.perf_counter() - started)
        tracker_calls = len(tracker.calls) - calls_before
        service.close()
    return {"backend": backend, "seconds": timings, "mirror_read_seconds": reads,
            "planned": planned, "tracker_requests": tracker_calls,
            "time_rules": sum(1 for r in config.rules.rules if r.on.kind == "schedule")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 tickets, not 100,000")
    parser.add_argument("--tickets", type=int)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="a database to make a schema in")
    args = parser.parse_args(argv)
    count = args.tickets or (10_000 if args.quick else 100_000)
    postgres = postgres_url(args.postgres)
    results = [measure(backend, count, args.runs, postgres)
               for backend in (["sqlite", "postgresql"] if postgres else ["sqlite"])]
    rows: list[list[object]] = [["measure", *(r["backend"] for r in results)],
                                ["open tickets in the mirror", *[f"{count:,}"] * len(results)],
                                ["time rules evaluated", *(r["time_rules"] for r in results)]]
    rows.append(["seconds per evaluation of every time rule (goal < 2 s)",
                 *(_spread(r["seconds"]) for r in results)])  # type: ignore[arg-type]
    rows.append(["of which the mirror read (every open ticket streamed)",
                 *(_spread(r["mirror_read_seconds"]) for r in results)])  # type: ignore[arg-type]
    rows.append(["actions planned (stale tickets)", *(f"{r['planned']:,}" for r in results)])
    rows.append(["tracker requests made", *(r["tracker_requests"] for r in results)])
    print(table(rows))
    path = write("time_rules" + ("_quick" if args.quick else ""),
                 {"tickets": count, "results": results})
    print(f"\nwritten to {path.relative_to(path.parents[2])}")
    return 0


def _spread(seconds: list[float]) -> str:
    return f"{min(seconds):.2f} s best, {statistics.median(seconds):.2f} s median"


if __name__ == "__main__":
    raise SystemExit(main())

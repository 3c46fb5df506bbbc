"""Time rules over 100,000 open tickets in the mirror: every rule over every ticket (the full
plan, goal under 2 s), then a minute-by-minute hour of cycles that evaluate only the tickets the
due index names (goal under 50 ms a cycle).

Run:  .venv/bin/python bench/time_rules.py [--quick] [--tickets N] [--runs R] [--postgres URL]

The mirror is a real SQLite file, and again a PostgreSQL schema (--postgres URL, else
TICKETFLOW_TEST_POSTGRES; without either, SQLite only); the rules are the shipped ones; no
tracker request is made (the tracker is the in-memory fake, and the count of its calls is
printed to prove it). In the simulated hour, 1% of the tickets entered Reviewing this morning
and come due for escalation one after another, and 10 tickets a minute change (a customer
writes), as a poll would write them: each cycle evaluates those, nothing else. Then the hour's
escalations pick their engineer as `least_loaded` does (the load as of when each fell due, from
the assignee history; every mirrored ticket is Bob's, the worst case for the count), timed
beside the query it replaced (every open ticket of the project counted at the moment).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import postgres_schema, postgres_url, shipped_config, table, write

from connector.actions.decisions import choose_member, fell_due
from connector.app import Service, build
from connector.clock import SettableClock
from connector.config.loader import Config
from connector.domain import Ticket
from connector.engine.candidates import time_rule_candidates
from connector.engine.conditions import Context
from connector.settings import Settings
from connector.state.base import Transaction
from connector.state.rows import gc_paused
from connector.state.timestamps import to_text
from connector.sync.cycle import plan_ticket
from connector.sync.perform import planned_from
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


@contextmanager
def _state(backend: str, folder: Path, postgres: str | None) -> Iterator[Path | str]:
    """Where the backend's new, empty state is (a schema dropped afterwards)."""
    if backend == "postgresql":
        assert postgres is not None
        with postgres_schema(postgres) as url:
            yield url
        return
    yield folder / "state.db"


def _full_plan(service: Service, config: Config, count: int,
               runs: int) -> dict[str, Any]:
    """The cycle's own planning of every `on: schedule` rule over the mirror, and the mirror
    read alone; nothing is recorded, so each run plans the same work."""
    timings, reads, planned = [], [], 0
    among = time_rule_candidates(service.cycle.time_rules())
    assert sum(1 for _ in service.store.open_tickets("HELP")) == count
    for _ in range(runs):
        started = time.perf_counter()
        candidates = sum(1 for _ in service.store.open_tickets("HELP", among))
        reads.append(time.perf_counter() - started)
        ctx = Context(config, service.runtime.calendar, NOW)
        started = time.perf_counter()
        planned = len(service.cycle.plan_time_rules(ctx))
        timings.append(time.perf_counter() - started)
    # The worst case: a time rule that names no status, tier or category admits every ticket.
    rules = service.cycle.time_rules()
    ctx = Context(config, service.runtime.calendar, NOW, explain=False)
    started = time.perf_counter()
    with gc_paused():  # as plan_time_rules holds it off
        every = sum(len(plan_ticket(rules, t, ctx)) for t in service.store.open_tickets("HELP"))
    unfiltered = time.perf_counter() - started
    assert every == planned  # the tickets left unread plan nothing
    return {"seconds": timings, "mirror_read_seconds": reads, "planned": planned,
            "candidates": candidates, "every_ticket_seconds": unfiltered}


def _steady_hour(service: Service, config: Config, count: int) -> dict[str, Any]:
    """Build the index in one cycle (what the first cycle, or the first after rules.yaml
    changes, does), then a cycle a minute for an hour, as the service would."""
    service.store.commit(Transaction(tickets=[
        _coming_due(n) for n in range(50, count, 100)]))
    started = time.perf_counter()
    service.cycle.evaluate_time_rules(Context(config, service.runtime.calendar, BUILT))
    build_seconds = time.perf_counter() - started
    service.store.tidy()
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
        service.store.tidy()  # as `run` does between jobs (SQLite's checkpoint), untimed
    return {"build_seconds": build_seconds, "steady_seconds": timings,
            "due_in_hour": int(due_in_hour), "changed_in_hour": changed,
            "recorded_in_hour": recorded}


_PICKS = 200  # escalations whose pick is timed (the build cycle records tens of thousands)
# What least_loaded counted before it counted as of an instant (connector.state.assignments).
_LOAD_NOW = ("SELECT assignee, count(*) FROM tickets WHERE project = ? AND open = 1 "
             "AND assignee IS NOT NULL GROUP BY assignee")


def _picks(service: Service) -> dict[str, Any]:
    """Escalations recorded (the first `_PICKS`) pick their tier-2 engineer as the executor
    would (when each fell due, then the load as of then), without the tracker writes; and
    the old count, timed beside each."""
    picks: list[float] = []
    olds: list[float] = []
    for effect in service.store.pending_effects():
        if len(picks) == _PICKS:
            break
        ticket = service.store.ticket_by_key(effect.issue_key)
        action = next((r.then[effect.identity.index] for r in service.config.rules.rules
                       if effect.identity and r.name == effect.rule), None)
        if ticket is None or action is None or action.kind != "escalate":
            continue
        planned = planned_from(effect, action, ticket.issue_id)
        started = time.perf_counter()
        choose_member(service.runtime, "tier2", None, ticket.project,
                      fell_due(service.runtime, planned, ticket))
        picks.append(time.perf_counter() - started)
        started = time.perf_counter()
        service.store.db.execute(_LOAD_NOW, (ticket.project,)).fetchall()
        olds.append(time.perf_counter() - started)
    return {"pick_seconds": _summary(picks), "old_count_seconds": _summary(olds)}


def _summary(seconds: list[float]) -> dict[str, float]:
    """Median, worst and count: the results file keeps these, not thousands of timings."""
    if not seconds:
        return {"median": 0.0, "worst": 0.0, "count": 0}
    return {"median": statistics.median(seconds), "worst": max(seconds), "count": len(seconds)}


def measure(backend: str, count: int, runs: int, postgres: str | None) -> dict[str, Any]:
    """Fill a mirror on `backend`, time the full plan `runs` times, then the steady hour."""
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
        full = _full_plan(service, config, count, runs)
        hour = _steady_hour(service, config, count)
        picks = _picks(service)
        tracker_calls = len(tracker.calls) - calls_before
        service.close()
    return {"backend": backend, **full, **hour, **picks, "tracker_requests": tracker_calls,
            "time_rules": sum(1 for r in config.rules.rules if r.on.kind == "schedule")}


def _rows(count: int, results: list[dict[str, Any]]) -> list[list[object]]:
    rows: list[list[object]] = [["measure", *(r["backend"] for r in results)],
                                ["open tickets in the mirror", *[f"{count:,}"] * len(results)],
                                ["time rules evaluated", *(r["time_rules"] for r in results)]]
    rows.append(["seconds per evaluation of every time rule (goal < 2 s)",
                 *(_spread(r["seconds"]) for r in results)])
    rows.append(["tickets a time rule could fire for (read and planned)",
                 *(f"{r['candidates']:,}" for r in results)])
    rows.append(["of which the mirror read (those tickets streamed)",
                 *(_spread(r["mirror_read_seconds"]) for r in results)])
    rows.append(["the same, reading and planning every open ticket (worst case)",
                 *(f"{r['every_ticket_seconds']:.2f} s" for r in results)])
    rows.append(["actions planned (stale tickets)", *(f"{r['planned']:,}" for r in results)])
    rows.append(["building the due index (one cycle over every ticket)",
                 *(f"{r['build_seconds']:.2f} s" for r in results)])
    rows.append(["tickets coming due in the next hour, and changed",
                 *(f"{r['due_in_hour']:,} ({r['due_in_hour'] / count:.1%}), "
                   f"{r['changed_in_hour']}" for r in results)])
    rows.append(["seconds per cycle in that hour (60 cycles; goal < 50 ms)",
                 *(f"{statistics.median(r['steady_seconds']) * 1000:.1f} ms median, "
                   f"{max(r['steady_seconds']) * 1000:.1f} ms worst" for r in results)])
    rows.append(["time per ticket evaluated in that hour",
                 *(f"{_per_ticket(r) * 1000:.2f} ms" for r in results)])
    rows.append(["actions recorded in that hour",
                 *(f"{r['recorded_in_hour']:,}" for r in results)])
    rows.append(["least_loaded picks for those escalations: time per pick (as of when due)",
                 *(_millis(r["pick_seconds"]) for r in results)])
    rows.append(["  the count it replaced (every open ticket, at the moment)",
                 *(_millis(r["old_count_seconds"]) for r in results)])
    rows.append(["tracker requests made", *(r["tracker_requests"] for r in results)])
    return rows


def _millis(seconds: dict[str, float]) -> str:
    if not seconds["count"]:
        return "none"
    return (f"{seconds['median'] * 1000:.2f} ms median, "
            f"{seconds['worst'] * 1000:.2f} ms worst ({seconds['count']:.0f})")


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
    print(table(_rows(count, results)))
    path = write("time_rules" + ("_quick" if args.quick else ""),
                 {"tickets": count, "results": results})
    print(f"\nwritten to {path.relative_to(path.parents[2])}")
    return 0


def _per_ticket(result: dict[str, Any]) -> float:
    evaluated = result["due_in_hour"] + result["changed_in_hour"]
    return float(sum(result["steady_seconds"])) / max(1, evaluated)


def _spread(seconds: list[float]) -> str:
    return f"{min(seconds):.2f} s best, {statistics.median(seconds):.2f} s median"


if __name__ == "__main__":
    raise SystemExit(main())

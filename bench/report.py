"""Time `ticketflow report` over a large state: 100,000 tickets with their status history, ledger,
mail and feedback, written through the state store as the service writes them.

Run: .venv/bin/python bench/report.py [--tickets 100000] [--weeks 8] [--seed 7] [--keep DIR]
(with --keep, a state already in DIR from an earlier run is measured again, not refilled)
Prints the figures (the state's size; the seconds to read, compute and render) and writes them
to bench/results/report.json. Exits 1 when the report takes 10 s or more.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from connector.commands.report import WRITING, ProgressBar  # noqa: E402
from connector.config.loader import load_config, shipped_dir  # noqa: E402
from connector.domain import Ticket  # noqa: E402
from connector.report.compose import report_figures  # noqa: E402
from connector.report.page import render  # noqa: E402
from connector.report.records import STEPS, Scope  # noqa: E402
from connector.state.base import Effect, Transaction  # noqa: E402
from connector.state.migrations import write_transaction  # noqa: E402
from connector.state.sqlite import SqliteStateStore  # noqa: E402
from connector.state.timestamps import to_text  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "report.json"
NOW = datetime(2026, 12, 4, 17, 0, tzinfo=ZoneInfo("America/Chicago"))
CATEGORIES = (("Access", 35), ("Data export", 25), ("Project setup", 15), ("Other", 20),
              (None, 5))
HOUR = 3600.0
_BATCH = 500


def _after(rng: random.Random, at: datetime, mean_hours: float) -> datetime:
    return at + timedelta(seconds=rng.expovariate(1 / (mean_hours * HOUR)))


def _path(rng: random.Random) -> list[tuple[str, int, float]]:
    """A ticket's course through the workflow: (status, tier, mean hours until it)."""
    steps = [("Reviewing", 1, 2.0)]
    draw = rng.random()
    if draw < 0.3:  # escalated, a tenth of those twice
        steps.append(("Assigned", 2, 5.0))
        if rng.random() < 0.1:
            steps.append(("Assigned", 3, 24.0))
        steps += [("In Progress", steps[-1][1], 3.0), ("Complete", steps[-1][1], 10.0)]
    elif draw < 0.7:
        steps.append(("Complete", 1, 3.0))
    else:
        steps += [("In Progress", 1, 2.0), ("Complete", 1, 8.0)]
    if rng.random() < 0.05:  # reopened by a late reply, completed again
        tier = steps[-1][1]
        steps += [("Reviewing", tier, 24.0), ("Complete", tier, 4.0)]
    return steps


def versions(n: int, rng: random.Random, start: datetime, now: datetime) -> list[Ticket]:
    """Ticket `n` as successive polls saw it, up to `now` (later moves have not happened)."""
    created = start + timedelta(seconds=rng.random() * (now - start).total_seconds())
    category = rng.choices([c for c, _ in CATEGORIES], [w for _, w in CATEGORIES])[0]
    first = Ticket(issue_id=str(100000 + n), key=f"HELP-{n}", project="HELP", status="Pending",
                   status_since=created, created=created, updated=created,
                   summary=f"Request {n}: cannot export the survey data", text="Details " * 30,
                   tier=1, category=category, customer=f"person{n % 5000}@uni.example.edu",
                   assignee=f"agent{n % 40}@example.edu", assignee_name=f"Agent {n % 40}")
    seen, at = [first], created
    for status, tier, mean in _path(rng):
        at = _after(rng, at, mean)
        if at > now:
            break
        seen.append(replace(seen[-1], status=status, tier=tier, status_since=at, updated=at,
                            open=status != "Complete"))
    return seen


def _effects(history: list[Ticket]) -> list[Effect]:
    """The ledger rows the service would have left: the acknowledgement, each escalation."""
    first = history[0]
    rows = [Effect(f"{first.key}|acknowledge|created|0:notify", first.key, "acknowledge",
                   "0:notify", "created", "done", created_at=first.created,
                   done_at=first.created)]
    rows += [Effect(f"{t.key}|escalate|{t.status_since.isoformat()}|0:escalate", t.key,
                    f"escalate stale tier {before.tier}", "0:escalate", t.status_since.isoformat(),
                    "done", created_at=t.status_since, done_at=t.status_since)
             for before, t in pairwise(history) if (t.tier or 1) > (before.tier or 1)]
    return rows


def _mail(n: int, rng: random.Random, history: list[Ticket]) -> Iterator[tuple[object, ...]]:
    """Intake rows: the request, and now and then a reply, bounce, auto-reply or quarantine."""
    first, key = history[0], history[0].key
    kinds = [("ticket", "ordinary", "")]
    for outcome, kind, chance in (("comment", "ordinary", 0.3), ("comment", "bounce", 0.03),
                                  ("comment", "auto_reply", 0.05), ("quarantine", "own", 0.02)):
        if rng.random() < chance:
            kinds.append((outcome, kind, ""))
    if any(a.status == "Complete" and b.status == "Reviewing" for a, b in pairwise(history)):
        kinds.append(("comment", "ordinary", "reopened"))
    for number, (outcome, kind, step) in enumerate(kinds):
        at = to_text(first.created + timedelta(hours=number * 7))
        waiting = rng.random() < 0.01
        yield (f"m{n}-{number}", f"<{n}.{number}@uni.example.edu>", "INBOX", f"{n}.{number}",
               kind, "done" if not waiting else "started", step, None if waiting else outcome,
               None if outcome == "quarantine" else key, at, None if waiting else at)


def _answers(rng: random.Random, history: list[Ticket]) -> list[tuple[object, ...]]:
    done = next((t for t in history if t.status == "Complete"), None)
    if done is None or rng.random() > 0.35:
        return []
    score = rng.choices((1, 2, 3, 4, 5), (4, 6, 12, 35, 43))[0]
    comment = rng.choice(("", "", "Thanks, quick fix", "Took too long", "Very helpful"))
    at = to_text(done.status_since + timedelta(hours=2))
    return [(done.key, 1, score, comment, at, at)]


def fill(path: Path, tickets: int, *, weeks: int = 8, seed: int = 7, now: datetime = NOW,
         progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Write `tickets` tickets created over the `weeks` before `now` into a state file through
    the store (so its status history is the store's own), with ledger, mail and feedback."""
    rng = random.Random(seed)
    start = now - timedelta(weeks=weeks)
    counts = {"tickets": 0, "versions": 0, "mail": 0, "answers": 0, "ledger": 0}
    store = SqliteStateStore(path)
    try:
        for first in range(0, tickets, _BATCH):
            lives = [versions(n, rng, start, now) for n in range(first, min(first + _BATCH,
                                                                              tickets))]
            effects = [e for life in lives for e in _effects(life)]
            store.commit(Transaction(tickets=[t for life in lives for t in life],
                                     effects=effects))
            mail = [row for n, life in zip(range(first, tickets), lives, strict=False)
                    for row in _mail(n, rng, life)]
            answers = [row for life in lives for row in _answers(rng, life)]
            with write_transaction(store.db):
                store.db.executemany(
                    "INSERT INTO mail_intake (mail_key, message_id, mailbox, ref, kind, state, "
                    "step, outcome, issue_key, received_at, done_at) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", mail)
                store.db.executemany(
                    "INSERT INTO feedback (issue_key, resolution, score, comment, first_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?)", answers)
            counts["tickets"] += len(lives)
            counts["versions"] += sum(len(life) for life in lives)
            counts["mail"] += len(mail)
            counts["answers"] += len(answers)
            counts["ledger"] += len(effects)
            if progress:
                progress(counts["tickets"])
    finally:
        store.close()
    return counts


def measure(path: Path, out: Path, *, weeks: int) -> dict[str, float]:
    """The report over every week of the state, as `ticketflow report` makes it."""
    config = load_config(shipped_dir())
    bar = ProgressBar(sys.stderr, total=len(STEPS) + 1, shown=True)
    began, cpu = time.perf_counter(), time.process_time()
    figures = report_figures(path, config, Scope(NOW - timedelta(weeks=weeks), NOW), step=bar)
    computed = time.perf_counter()
    bar(WRITING)
    out.write_text(render(figures), encoding="utf-8")
    bar.finish()
    ended = time.perf_counter()
    # Wall time is what a user waits; CPU time says how much of it other work on a shared
    # machine took.
    return {"figures_seconds": round(computed - began, 2),
            "render_seconds": round(ended - computed, 3),
            "report_seconds": round(ended - began, 2),
            "report_cpu_seconds": round(time.process_time() - cpu, 2),
            "html_kilobytes": round(out.stat().st_size / 1000, 1)}


def _counts(path: Path) -> dict[str, int]:
    """The size of the state measured."""
    tables = {"tickets": "tickets", "stays": "status_history", "ledger": "ledger",
              "mail": "mail_intake", "answers": "feedback"}
    with closing(sqlite3.connect(path)) as db:
        return {name: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for name, table in tables.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the state and the report in this folder")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="ticketflow-report-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "state.db"
    began = time.perf_counter()

    def filled(done: int) -> None:
        print(f"\rfilling the state: {done}/{options.tickets} tickets", end="", file=sys.stderr)

    fill_seconds: float | None = None
    if options.keep is None or not path.exists():
        fill(path, options.tickets, weeks=options.weeks, seed=options.seed, progress=filled)
        print(file=sys.stderr)
        fill_seconds = round(time.perf_counter() - began, 1)
    counts = _counts(path)
    timings = measure(path, folder / "report.html", weeks=options.weeks)
    figures = {**counts, "fill_seconds": fill_seconds, **timings,
               "db_megabytes": round(path.stat().st_size / 1e6, 1),
               "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
               "cpus": os.cpu_count(), "measured_at": datetime.now(UTC).isoformat()}
    for name, value in figures.items():
        print(f"{name:22} {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {RESULTS}; the report is {folder / 'report.html'}")
    return 0 if timings["report_seconds"] < 10 else 1


if __name__ == "__main__":
    sys.exit(main())

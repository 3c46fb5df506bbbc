"""Time the mirror at 100,000 open tickets, on SQLite and PostgreSQL: batch commits,
streaming, counts, change lookups.

Run: .venv/bin/python bench/state_mirror.py [--tickets 100000] [--batch 1000] [--runs 5]
     [--postgres URL]   (default: TICKETFLOW_TEST_POSTGRES; without either, SQLite only)
Prints the figures and writes them to bench/results/state_mirror.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import postgres_schema, postgres_url

from connector.domain import Ticket
from connector.state.base import Transaction
from connector.state.location import open_state
from connector.state.store import SqlStateStore

RESULTS = Path(__file__).resolve().parent / "results" / "state_mirror.json"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _ticket(n: int) -> Ticket:
    """A realistic mirror row: every field set, a third with labels, half with a reply."""
    return Ticket(
        issue_id=f"{100000 + n}", key=f"SUP-{n}", project="SUP", status="Waiting for support",
        status_since=T0 + timedelta(seconds=n), created=T0, updated=T0 + timedelta(seconds=n),
        summary=f"Printer {n} on the third floor is on fire again", text="Details " * 20,
        assignee=f"acc-{n % 40}", assignee_name=f"Agent {n % 40}", tier=n % 3 + 1,
        category="hardware", customer=f"Customer {n % 500}", reporter=f"user{n}@example.com",
        labels=("vip", "printer") if n % 3 == 0 else (),
        last_customer_reply=T0 + timedelta(minutes=n % 90) if n % 2 else None, resolutions=n % 2,
    )  # fmt: skip


def _timed(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def _load(store: SqlStateStore, tickets: int, batch: int) -> float:
    """Commit the tickets, and one processed change each, `batch` per transaction."""
    start = time.perf_counter()
    for first in range(0, tickets, batch):
        numbers = range(first, min(first + batch, tickets))
        store.commit(Transaction(
            tickets=[_ticket(n) for n in numbers],
            processed_changes=[(f"c-{n}", f"{100000 + n}") for n in numbers],
        ))  # fmt: skip
    return time.perf_counter() - start


@contextmanager
def _state(backend: str, postgres: str | None) -> Iterator[tuple[str, Callable[[], float]]]:
    """A new, empty state on `backend`: its location, and how to measure its size (MB)."""
    if backend == "postgresql":
        assert postgres is not None
        with postgres_schema(postgres) as url:
            yield url, lambda: _postgres_megabytes(url)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ticketflow.db"
        yield str(path), lambda: path.stat().st_size / 1e6


def _postgres_megabytes(url: str) -> float:
    store = open_state(url)
    try:
        row = store.db.execute(
            "SELECT sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))) "
            "FROM pg_tables WHERE schemaname = current_schema()").fetchone()
        return float(row[0]) / 1e6
    finally:
        store.close()


def run(backend: str, tickets: int, batch: int, runs: int,
        postgres: str | None = None) -> dict[str, object]:
    with _state(backend, postgres) as (location, megabytes):
        store = open_state(location)
        load_seconds = _load(store, tickets, batch)
        streamed = _timed(lambda: list(store.open_tickets("SUP")), runs)
        counted = _timed(lambda: store.count_open("SUP"), runs)
        asked = [f"c-{n}" for n in range(0, 2 * min(tickets, 5000), 2)] + [
            f"new-{n}" for n in range(5000)
        ]
        seen = _timed(lambda: store.seen_changes(asked), runs)
        assert sum(1 for _ in store.open_tickets("SUP")) == tickets
        store.close()
        size = megabytes()
    return {
        "backend": backend,
        "tickets": tickets,
        "batch": batch,
        "runs": runs,
        "load_seconds": round(load_seconds, 3),
        "load_per_batch_ms": round(1000 * load_seconds / -(-tickets // batch), 2),
        "open_tickets_list_seconds_min": round(min(streamed), 3),
        "open_tickets_list_seconds_median": round(statistics.median(streamed), 3),
        "count_open_ms_median": round(1000 * statistics.median(counted), 2),
        "seen_changes_10k_ids_ms_median": round(1000 * statistics.median(seen), 2),
        "db_megabytes": round(size, 1),
    }


def _engines(postgres: str | None) -> dict[str, object]:
    versions: dict[str, object] = {"sqlite": sqlite3.sqlite_version}
    if postgres:
        import psycopg

        with psycopg.connect(postgres) as conn:
            versions["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return versions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", metavar="URL", help="a database to make a schema in")
    options = parser.parse_args()
    postgres = postgres_url(options.postgres)
    backends = ["sqlite", "postgresql"] if postgres else ["sqlite"]
    results = [run(backend, options.tickets, options.batch, options.runs, postgres)
               for backend in backends]
    for name in results[0]:
        print(f"{name:36} " + "  ".join(f"{r[name]!s:>12}" for r in results))
    figures = {"results": results, "engines": _engines(postgres),
               "python": platform.python_version(), "cpus": os.cpu_count(),
               "machine": platform.machine()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

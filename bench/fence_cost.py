"""What the lease's fence costs a write: the same unit of work committed with and without the
fence, on SQLite and on PostgreSQL.

Each commit is what a cycle records for one action: a ledger effect, its outbox message and
the bookmark, in one transaction (`SqlStateStore.commit`), then the effect marked done in a
second. Fenced, every writing statement also checks the lease row (SQLite: a temporary trigger
calling back into Python for the token; PostgreSQL: a trigger reading the row FOR KEY SHARE).
The two kinds alternate in rounds (each first in every other one, after a warm-up), so a
machine shared with other work weighs on both alike.

Run:  .venv/bin/python bench/fence_cost.py [--commits N] [--rounds R] [--postgres URL]
      (PostgreSQL: --postgres, else TICKETFLOW_TEST_POSTGRES; without either, SQLite only)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import postgres_schema, postgres_url, table, write

from connector.clock import SettableClock
from connector.state.base import Bookmark, Effect, OutboxMessage, Transaction
from connector.state.fence import Fence, stall_limit
from connector.state.lease import Lease
from connector.state.location import open_state
from connector.state.store import SqlStateStore

PERIOD = timedelta(seconds=30)
AT = datetime(2026, 11, 30, 9, tzinfo=UTC)


@contextmanager
def locations(postgres: str | None) -> Iterator[list[tuple[str, str]]]:
    """(engine, state location) pairs: a fresh SQLite file, and a PostgreSQL schema."""
    with tempfile.TemporaryDirectory() as folder:
        found = [("SQLite", str(Path(folder) / "state.db"))]
        if postgres is None:
            yield found
            return
        with postgres_schema(postgres) as url:
            yield [*found, ("PostgreSQL", url)]


def commits(store: SqlStateStore, first: int, count: int) -> float:
    """Seconds for `count` units of work, numbered from `first`."""
    started = time.perf_counter()
    for n in range(first, first + count):
        effect = Effect(f"SUP-{n}|r|0|0", f"SUP-{n}", "r", "notify", "0", created_at=AT)
        message = OutboxMessage(None, effect.effect_key, effect.issue_key, "t", "p@x.edu",
                                b"Subject: x\r\n\r\nx\r\n", created_at=AT)
        store.commit(Transaction(effects=[effect], outbox=[message],
                                 bookmark=Bookmark("SUP", f"position {n}")))
        store.mark_effect(effect.effect_key, "done", at=AT)
    return time.perf_counter() - started


def measure(location: str, count: int, rounds: int) -> tuple[list[float], list[float]]:
    """Per-commit milliseconds of each round, unfenced and fenced, on one state."""
    plain, fenced = open_state(location), open_state(location)
    lease = Lease(location, clock=SettableClock(AT), period=PERIOD)
    try:
        record = lease.acquire()
        assert record is not None
        fence = Fence()
        fence.hold(record.token)
        fenced.fence(fence, stall_limit=stall_limit(PERIOD))
        commits(plain, -count, count // 2)  # warm both connections up, not measured
        commits(fenced, -count // 2, count // 2)
        without, with_fence = [], []
        for round_ in range(rounds):
            base = 2 * round_ * count
            # Each kind goes first in every other round: neither always meets a cold cache.
            order = [(plain, without), (fenced, with_fence)][::1 if round_ % 2 else -1]
            for n, (store, seconds) in enumerate(order):
                seconds.append(commits(store, base + n * count, count) * 1000 / count)
        return without, with_fence
    finally:
        lease.close()
        plain.close()
        fenced.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=300, help="units of work a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", metavar="URL")
    args = parser.parse_args(argv)
    rows, figures = [], {}
    with locations(postgres_url(args.postgres)) as states:
        for engine, location in states:
            without, with_fence = measure(location, args.commits, args.rounds)
            plain, fenced = statistics.median(without), statistics.median(with_fence)
            figures[engine] = {"unfenced_ms": without, "fenced_ms": with_fence}
            rows.append([engine, f"{plain:.2f}", f"{fenced:.2f}",
                         f"{fenced - plain:+.2f} ({(fenced / plain - 1) * 100:+.0f}%)"])
    print(table([["engine", "ms a unit, unfenced", "fenced", "fence's cost"], *rows]))
    path = write("fence_cost", {"commits": args.commits, "rounds": args.rounds, **figures})
    print(f"written to {path.relative_to(path.parents[2])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

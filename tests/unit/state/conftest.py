"""Fixtures for the state tests: a real state per test, on each backend, and record factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connector.domain import Ticket
from connector.state.base import Effect, OutboxMessage
from connector.state.postgres import PostgresDatabase
from connector.state.sql import Database
from connector.state.sqlite import SqliteStateStore, connect
from connector.state.store import SqlStateStore
from connector.state.url import is_postgres_url

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def t0() -> datetime:
    """A fixed, timezone-aware instant the tests count from."""
    return T0


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's state database file lives."""
    return tmp_path / "state" / "ticketflow.db"


@pytest.fixture
def store(state_store: SqlStateStore) -> SqlStateStore:
    """A migrated store, closed after the test: on a real SQLite file, and again in a
    PostgreSQL schema of its own."""
    return state_store


@pytest.fixture
def sqlite_store(db_path: Path) -> Iterator[SqliteStateStore]:
    """A migrated store on a real SQLite file (for what only SQLite has: the file, its lock)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    opened = SqliteStateStore(db_path)
    yield opened
    opened.close()


@pytest.fixture
def raw(state_location: str) -> Iterator[Database]:
    """A bare connection to the test's (empty) state, on each backend: no migration applied."""
    db = PostgresDatabase(state_location) if is_postgres_url(state_location) \
        else connect(state_location)
    with closing(db):
        yield db


@pytest.fixture
def make_ticket() -> Callable[..., Ticket]:
    """Build a ticket numbered `n` in project SUP; keyword arguments override fields."""

    def build(n: int, **changes: Any) -> Ticket:
        ticket = Ticket(
            issue_id=f"{10000 + n}",
            key=f"SUP-{n}",
            project="SUP",
            status="Open",
            status_since=T0 + timedelta(minutes=n),
            created=T0,
            updated=T0 + timedelta(minutes=n),
            summary=f"Printer {n} is on fire",
        )
        return replace(ticket, **changes)

    return build


@pytest.fixture
def make_effect() -> Callable[..., Effect]:
    """Build a ledger effect for `issue_key`, created at `at`."""

    def build(issue_key: str, n: int, at: datetime, **changes: Any) -> Effect:
        effect = Effect(
            effect_key=f"{issue_key}|escalate|{at.isoformat()}|{n}",
            issue_key=issue_key,
            rule="escalate",
            action="notify",
            trigger=at.isoformat(),
            created_at=at,
        )
        return replace(effect, **changes)

    return build


@pytest.fixture
def make_message() -> Callable[..., OutboxMessage]:
    """Build an outbox message for the effect `effect_key`, created at `at`."""

    def build(effect_key: str, at: datetime, **changes: Any) -> OutboxMessage:
        message = OutboxMessage(
            id=None,
            effect_key=effect_key,
            issue_key="SUP-1",
            template="escalated",
            recipient="lead@example.com",
            message=b"Subject: escalated\r\n\r\nSUP-1 waited too long.\r\n",
            created_at=at,
        )
        return replace(message, **changes)

    return build

"""Named migrations run once each, atomically, and a newer database is refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from connector.errors import FatalError
from connector.state.base import Bookmark
from connector.state.migrations import MIGRATIONS, Migration, apply_migrations, statements
from connector.state.sqlite import SqliteStateStore

TABLES = {"migrations", "bookmarks", "tickets", "processed_changes", "ledger", "outbox"}


@pytest.fixture
def memory_db() -> Iterator[sqlite3.Connection]:
    """A bare in-memory connection in autocommit mode, as the store opens its file."""
    with closing(sqlite3.connect(":memory:", isolation_level=None)) as db:
        yield db


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql).fetchall()


def _names(db: sqlite3.Connection) -> list[str]:
    return [name for (name,) in db.execute("SELECT name FROM migrations ORDER BY name")]


def _tables(db: sqlite3.Connection) -> set[str]:
    return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_new_database_gets_every_migration_once(db_path: Path) -> None:
    """Opening a fresh file creates the tables and records each migration exactly once."""
    db_path.parent.mkdir()
    SqliteStateStore(db_path).close()
    names = [name for (name,) in _rows(db_path, "SELECT name FROM migrations")]
    assert names == [m.name for m in MIGRATIONS]
    assert names[:2] == ["0001_initial", "0002_meta"]
    tables = {n for (n,) in _rows(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables >= TABLES


def test_reopening_applies_nothing(db_path: Path) -> None:
    """A second open leaves the migrations table, applied_at included, exactly as it was."""
    db_path.parent.mkdir()
    SqliteStateStore(db_path).close()
    before = _rows(db_path, "SELECT name, applied_at FROM migrations")
    SqliteStateStore(db_path).close()
    assert _rows(db_path, "SELECT name, applied_at FROM migrations") == before
    with closing(sqlite3.connect(db_path, isolation_level=None)) as db:
        assert apply_migrations(db, location=str(db_path)) == []


def test_a_database_from_a_newer_ticketflow_is_refused(db_path: Path) -> None:
    """A migration name this version does not know stops start-up with a clear FatalError."""
    db_path.parent.mkdir()
    SqliteStateStore(db_path).close()
    with closing(sqlite3.connect(db_path, isolation_level=None)) as db:
        db.execute("INSERT INTO migrations VALUES ('0042_from_the_future', '2030-01-01')")
    with pytest.raises(FatalError) as raised:
        SqliteStateStore(db_path)
    message = str(raised.value)
    assert f"state database {db_path} was written by a newer ticketflow" in message
    assert "unknown migration 0042_from_the_future" in message


def test_only_the_new_migration_runs_after_an_upgrade(memory_db: sqlite3.Connection) -> None:
    """A migration added in a later release is applied alone; earlier ones are not re-run."""
    db = memory_db
    first = [Migration("0001_a", "CREATE TABLE a (x INTEGER);")]
    assert apply_migrations(db, location=":memory:", migrations=first) == ["0001_a"]
    later = [*first, Migration("0002_b", "CREATE TABLE b (y INTEGER);")]
    assert apply_migrations(db, location=":memory:", migrations=later) == ["0002_b"]
    assert _names(db) == ["0001_a", "0002_b"]
    assert {"a", "b"} <= _tables(db)


def test_a_failing_migration_leaves_no_trace(memory_db: sqlite3.Connection) -> None:
    """A migration and its row share one transaction: a failure half-way rolls both back."""
    db = memory_db

    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x INTEGER)")
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    migrations = [
        Migration("0001_a", "CREATE TABLE a (x INTEGER);"),
        Migration("0002_bad", half_done),
    ]
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        apply_migrations(db, location=":memory:", migrations=migrations)
    assert _names(db) == ["0001_a"]
    assert "half" not in _tables(db)
    assert not db.in_transaction


def test_statements_split_on_semicolons_outside_strings() -> None:
    """The splitter keeps a semicolon inside a string literal and skips comment-only text."""
    script = "-- a comment\nCREATE TABLE t (x TEXT);\nINSERT INTO t VALUES ('a;b');\n-- end\n"
    assert list(statements(script)) == [
        "-- a comment\nCREATE TABLE t (x TEXT);",
        "INSERT INTO t VALUES ('a;b');",
    ]
    with pytest.raises(ValueError, match="incomplete SQL statement"):
        list(statements("CREATE TABLE t (x TEXT)"))


def test_a_file_database_uses_wal_foreign_keys_and_a_busy_timeout(db_path: Path) -> None:
    """The connection settings the project relies on are really in force."""
    db_path.parent.mkdir()
    store = SqliteStateStore(db_path)
    db = store._db  # foreign_keys and busy_timeout are per connection: ask the store's own
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert db.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    store.close()


def test_an_older_database_is_upgraded_in_place(db_path: Path) -> None:
    """A state file written before 0002_meta gains the meta table and keeps its data; its
    bookmark (an instant, as every bookmark was before 0012) reads back as the same text,
    which the Jira adapter takes as the instant it was."""
    db_path.parent.mkdir()
    raw = sqlite3.connect(db_path, isolation_level=None)
    apply_migrations(raw, location=str(db_path), migrations=MIGRATIONS[:1])
    raw.execute("INSERT INTO bookmarks (project, since, backfilled) "
                "VALUES ('HELP', '2026-12-01T00:00:00.000000+00:00', 1)")
    raw.close()
    store = SqliteStateStore(db_path)
    store.set_meta("census_at", "2026-12-01T10:00:00+00:00")
    assert store.meta("census_at") == "2026-12-01T10:00:00+00:00"
    assert store.bookmark("HELP") == Bookmark("HELP", "2026-12-01T00:00:00.000000+00:00", True)
    store.close()
    names = [name for (name,) in _rows(db_path, "SELECT name FROM migrations")]
    assert names == [m.name for m in MIGRATIONS]


def test_0007_types_the_ledger_rows_and_moves_decisions_out_of_meta(db_path: Path) -> None:
    """A ledger written by 0001-0006 (action "2:escalate", decisions in meta as "pick KEY" and
    "tiers KEY"): its rows get their index and kind, the decisions move onto the rows, meta
    keeps no decision, and a pending row is still read as pending."""
    db_path.parent.mkdir()
    raw = sqlite3.connect(db_path, isolation_level=None)
    apply_migrations(raw, location=str(db_path), migrations=MIGRATIONS[:6])
    key = "HELP-1|escalate stale tier 1|in Reviewing since 2026-11-30T09:00:00-06:00|0:escalate"
    raw.execute("INSERT INTO ledger (effect_key, issue_key, rule, action, trigger, status, "
                "created_at) VALUES (?, 'HELP-1', 'escalate stale tier 1', '0:escalate', "
                "'in Reviewing since 2026-11-30T09:00:00-06:00', 'pending', "
                "'2026-11-30T20:00:00.000000+00:00')", (key,))
    raw.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                    [(f"pick {key}", "bob@example.edu"), (f"tiers {key}", "1->2"),
                     ("census_at", "2026-11-30T20:00:00+00:00")])
    raw.close()
    store = SqliteStateStore(db_path)
    try:
        (row,) = store.pending_effects()
        assert row.identity is not None
        assert (row.identity.index, row.identity.kind, row.identity.digest) == (0, "escalate", "")
        assert (row.decision.from_tier, row.decision.to_tier, row.decision.assignee) \
            == (1, 2, "bob@example.edu")
        assert store.meta(f"pick {key}") is None and store.meta(f"tiers {key}") is None
        assert store.meta("census_at") == "2026-11-30T20:00:00+00:00"
    finally:
        store.close()

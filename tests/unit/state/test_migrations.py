"""Named migrations run once each, atomically, on both backends, and a newer state is refused."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.errors import FatalError
from connector.state.base import Bookmark
from connector.state.concerns import Census, DeliveryPause
from connector.state.location import open_state
from connector.state.migrations import MIGRATIONS, Migration, apply_migrations, statements
from connector.state.sql import Database
from connector.state.sqlite import SqliteStateStore, connect

TABLES = {"migrations", "bookmarks", "tickets", "processed_changes", "ledger", "outbox"}
AT = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def _names(db: Database) -> list[str]:
    return [str(name) for (name,) in db.execute("SELECT name FROM migrations ORDER BY name")]


def _tables(db: Database) -> set[str]:
    if db.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    return {str(name) for (name,) in db.execute(sql)}


def _columns(db: Database) -> set[tuple[str, str]]:
    """(table, column) of every table, as the engine reports them."""
    if db.dialect == "postgresql":
        rows = db.execute("SELECT table_name, column_name FROM information_schema.columns "
                          "WHERE table_schema = current_schema()").fetchall()
        return {(str(t), str(c)) for t, c in rows}
    return {(table, str(row[1])) for table in _tables(db)
            for row in db.execute(f"PRAGMA table_info({table})")}


def test_a_new_state_gets_every_migration_once(state_location: str) -> None:
    """Opening a new state creates the tables and records each migration exactly once."""
    store = open_state(state_location)
    try:
        assert store.migrations_applied == [m.name for m in MIGRATIONS]
        assert _names(store.db) == sorted(m.name for m in MIGRATIONS)
        assert _tables(store.db) >= TABLES
    finally:
        store.close()


def test_both_dialects_build_the_same_tables(tmp_path: Path, postgres_url: str) -> None:
    """The same named migrations give SQLite and PostgreSQL the same tables and columns
    (PostgreSQL's added `rowid` stands for SQLite's implicit one)."""
    sqlite = SqliteStateStore(tmp_path / "state.db")
    postgres = open_state(postgres_url)
    try:
        implicit_rowid = {("ledger", "rowid"), ("message_ids", "rowid"), ("mail_intake", "rowid")}
        assert _columns(postgres.db) - implicit_rowid == _columns(sqlite.db)
    finally:
        sqlite.close()
        postgres.close()


def test_processes_opening_a_new_postgres_state_at_once_take_turns(postgres_url: str) -> None:
    """Three replicas starting together on an empty PostgreSQL schema: every one opens it
    (none fails on a table another just created), and each migration is applied once."""
    import threading

    applied: list[list[str]] = []
    failures: list[BaseException] = []

    def start() -> None:
        try:
            store = open_state(postgres_url)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
            return
        applied.append(store.migrations_applied)
        store.close()

    starting = [threading.Thread(target=start) for _ in range(3)]
    for thread in starting:
        thread.start()
    for thread in starting:
        thread.join(60)
    assert failures == []
    assert sorted(name for names in applied for name in names) == sorted(
        m.name for m in MIGRATIONS)


def test_reopening_applies_nothing(state_location: str) -> None:
    """A second open leaves the migrations table, applied_at included, exactly as it was."""
    open_state(state_location).close()
    store = open_state(state_location)
    try:
        assert store.migrations_applied == []
        before = store.db.execute("SELECT name, applied_at FROM migrations").fetchall()
        assert apply_migrations(store.db, migrations=MIGRATIONS) == []
        assert store.db.execute("SELECT name, applied_at FROM migrations").fetchall() == before
    finally:
        store.close()


def test_a_state_from_a_newer_ticketflow_is_refused(state_location: str) -> None:
    """A migration name this version does not know stops start-up with a clear FatalError."""
    store = open_state(state_location)
    store.db.execute("INSERT INTO migrations VALUES ('0042_from_the_future', '2030-01-01')")
    store.close()
    with pytest.raises(FatalError) as raised:
        open_state(state_location)
    message = str(raised.value)
    assert f"state database {store.location} was written by a newer ticketflow" in message
    assert "unknown migration 0042_from_the_future" in message


def test_only_the_new_migration_runs_after_an_upgrade(raw: Database) -> None:
    """A migration added in a later release is applied alone; earlier ones are not re-run."""
    first = [Migration("0001_a", "CREATE TABLE a (x INTEGER);")]
    assert apply_migrations(raw, migrations=first) == ["0001_a"]
    later = [*first, Migration("0002_b", "CREATE TABLE b (y INTEGER);")]
    assert apply_migrations(raw, migrations=later) == ["0002_b"]
    assert _names(raw) == ["0001_a", "0002_b"]
    assert {"a", "b"} <= _tables(raw)


def test_a_failing_migration_leaves_no_trace(raw: Database) -> None:
    """A migration and its row share one transaction: a failure half-way rolls both back."""

    def half_done(db: Database) -> None:
        db.execute("CREATE TABLE half (x INTEGER)")
        db.execute("INSERT INTO no_such_table VALUES (1)")

    migrations = [
        Migration("0001_a", "CREATE TABLE a (x INTEGER);"),
        Migration("0002_bad", half_done),
    ]
    with pytest.raises(FatalError, match=r"migration 0002_bad failed: .*no_such_table"):
        apply_migrations(raw, migrations=migrations)
    assert _names(raw) == ["0001_a"]
    assert "half" not in _tables(raw)


def test_a_dialect_variant_runs_only_on_its_dialect(raw: Database) -> None:
    """A migration with a PostgreSQL variant runs that text on PostgreSQL, the shared one
    elsewhere."""
    step = Migration("0001_t", "CREATE TABLE on_sqlite (x INTEGER);",
                     postgres="CREATE TABLE on_postgres (x BIGINT);")
    apply_migrations(raw, migrations=[step])
    expected = "on_postgres" if raw.dialect == "postgresql" else "on_sqlite"
    assert {"on_sqlite", "on_postgres"} & _tables(raw) == {expected}


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
    db = store.db  # foreign_keys and busy_timeout are per connection: ask the store's own
    assert tuple(db.execute("PRAGMA journal_mode").fetchone()) == ("wal",)
    assert tuple(db.execute("PRAGMA foreign_keys").fetchone()) == (1,)
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert tuple(db.execute("PRAGMA synchronous").fetchone()) == (1,)  # NORMAL
    store.close()


def _older(db_path: Path, upto: str) -> Database:
    """A SQLite state as an older ticketflow left it: the migrations before `upto`."""
    db_path.parent.mkdir(exist_ok=True)
    raw = connect(str(db_path))
    apply_migrations(raw, migrations=[m for m in MIGRATIONS if m.name < upto])
    return raw


def test_an_older_database_is_upgraded_in_place(db_path: Path) -> None:
    """A state file written before 0002_meta gains every later table and keeps its data; its
    bookmark (an instant, as every bookmark was before 0012) reads back as the same text,
    which the Jira adapter takes as the instant it was."""
    with closing(_older(db_path, "0002")) as raw:
        raw.execute("INSERT INTO bookmarks (project, since, backfilled) "
                    "VALUES ('HELP', '2026-12-01T00:00:00.000000+00:00', 1)")
    store = SqliteStateStore(db_path)
    try:
        store.record_census("HELP", at=AT, gap=0)
        assert store.last_census("HELP") == Census(AT, 0)
        assert store.bookmark("HELP") == Bookmark("HELP", "2026-12-01T00:00:00.000000+00:00",
                                                  True)
        assert _names(store.db) == sorted(m.name for m in MIGRATIONS)
    finally:
        store.close()


def test_0007_types_the_ledger_rows_and_moves_decisions_out_of_meta(db_path: Path) -> None:
    """A ledger written by 0001-0006 (action "2:escalate", decisions in meta as "pick KEY" and
    "tiers KEY"): its rows get their index and kind, the decisions move onto the rows, meta
    keeps no decision, and a pending row is still read as pending."""
    key = "HELP-1|escalate stale tier 1|in Reviewing since 2026-11-30T09:00:00-06:00|0:escalate"
    with closing(_older(db_path, "0007")) as raw:
        raw.execute("INSERT INTO ledger (effect_key, issue_key, rule, action, trigger, status, "
                    "created_at) VALUES (?, 'HELP-1', 'escalate stale tier 1', '0:escalate', "
                    "'in Reviewing since 2026-11-30T09:00:00-06:00', 'pending', "
                    "'2026-11-30T20:00:00.000000+00:00')", (key,))
        raw.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                        [(f"pick {key}", "bob@example.edu"), (f"tiers {key}", "1->2")])
    store = SqliteStateStore(db_path)
    try:
        (row,) = store.pending_effects()
        assert row.identity is not None
        assert (row.identity.index, row.identity.kind, row.identity.digest) == (0, "escalate", "")
        assert (row.decision.from_tier, row.decision.to_tier, row.decision.assignee) \
            == (1, 2, "bob@example.edu")
        assert store.meta(f"pick {key}") is None and store.meta(f"tiers {key}") is None
    finally:
        store.close()


def _meta_rows(at: datetime) -> list[tuple[str, str]]:
    """Every kind of value ticketflow kept in meta before 0014, as it wrote them."""
    pause = {"since": at.isoformat(), "failures": 3, "until": (at + timedelta(minutes=4))
             .isoformat(), "reason": "421 busy"}
    return [
        ("jira_flavor https://jira.example", "datacenter"),
        ("jira_user https://jira.example bot@example.edu", "acc-7"),
        ("census_at", at.isoformat()), ("census_gap", "-2"),
        ("clock offset HELP", "1.500"), ("baseline HELP", at.isoformat()),
        ("circuit breaker HELP-3", at.isoformat()),
        ("sent to pat@example.edu", json.dumps([at.isoformat()])),
        ("rate limit reported pat@example.edu", (at + timedelta(hours=1)).isoformat()),
        ("delivery pause mail", json.dumps(pause)), ("delivery pause webhook", ""),
        ("message-id key", "ab" * 32), ("feedback signing key", "sign-me"),
        ("feedback written HELP-1#2", json.dumps({"field": 4, "told": [4, "fine"]})),
        ("feedback posts HELP-1#2", json.dumps([at.isoformat()])),
        ("config_verified https://jira.example", "f1ng3r"),
        ("status_history_since", "2026-11-29T00:00:00.000000+00:00"),
        ("an adapter's own note", "kept"),
    ]  # fmt: skip


def test_0014_moves_every_meta_value_to_its_table(db_path: Path) -> None:
    """A state from before 0014 keeps every value it had in meta, now read through the typed
    operations; meta keeps only what no table claims: the tracker adapter's own notes (Jira's
    flavor, its user, its clock's offset), under the keys the adapter reads them by."""
    with closing(_older(db_path, "0014")) as raw:
        raw.execute("INSERT INTO bookmarks VALUES ('HELP', '2026-11-30T00:00:00.000000+00:00', 1)")
        raw.execute("INSERT INTO feedback (issue_key, resolution, score, comment, first_at, "
                    "updated_at) VALUES ('HELP-1', 2, 4, 'fine', ?, ?)",
                    (AT.isoformat(), AT.isoformat()))
        raw.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", _meta_rows(AT))
    store = SqliteStateStore(db_path)
    try:
        assert store.last_census("HELP") == Census(AT, -2)
        assert store.baseline("HELP") == AT
        assert store.breaker_reported_at("HELP-3") == AT
        assert store.sends_since("pat@example.edu", AT - timedelta(seconds=1)) == [AT]
        assert store.flood_reported_until("pat@example.edu") == AT + timedelta(hours=1)
        assert store.delivery_pause("mail") == DeliveryPause(
            "mail", AT, 3, AT + timedelta(minutes=4), "421 busy")
        assert store.delivery_pause("webhook") is None
        assert store.installation_key("message-id", "new") == "ab" * 32
        assert store.installation_key("feedback-signing", "new") == "sign-me"
        assert store.checked_fingerprint("https://jira.example") == "f1ng3r"
        written = store.db.execute("SELECT field_written, told_score, told_comment FROM "
                                   "feedback").fetchall()
        assert [tuple(row) for row in written] == [(4, 4, "fine")]
        assert [tuple(r) for r in store.db.execute("SELECT since FROM history_origin")] == [
            ("2026-11-29T00:00:00.000000+00:00",)]
        assert {tuple(r) for r in store.db.execute("SELECT key, value FROM meta")} == {
            ("jira_flavor https://jira.example", "datacenter"),
            ("jira_user https://jira.example bot@example.edu", "acc-7"),
            ("clock offset HELP", "1.500"), ("an adapter's own note", "kept")}
    finally:
        store.close()

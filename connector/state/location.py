"""Where the state is (TICKETFLOW_STATE_DB): a SQLite file, or a PostgreSQL URL; opening it.

The one place that tells the two apart: everything else takes a store or a `Database`.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg

from connector.errors import UsageError
from connector.state.postgres import PostgresDatabase, PostgresStateStore
from connector.state.sql import Database
from connector.state.sqlite import SqliteStateStore, connect, refuse_empty, snapshot_file
from connector.state.store import SqlStateStore
from connector.state.url import is_postgres_url

StateLocation = Path | str


def open_state(location: StateLocation, *, new_state: bool = False,
               migrate: bool = True) -> SqlStateStore:
    """The store at `location`, migrated unless `migrate` is False (a newer one is refused)."""
    if is_postgres_url(location):
        return PostgresStateStore(str(location), migrate=migrate)
    return SqliteStateStore(location, new_state=new_state, migrate=migrate)


def open_reader(location: StateLocation) -> Database:
    """A read-only connection (the report, metrics, `state check`): nothing is created,
    migrated or locked. A SQLite file that is not there is a UsageError."""
    if is_postgres_url(location):
        return PostgresDatabase(str(location), read_only=True)
    path = Path(location)
    if not path.exists():
        raise UsageError(f"no state database at {path}; run `ticketflow once` (or `run`) "
                         "first, or set TICKETFLOW_STATE_DB")
    return connect(str(path.resolve()), read_only=True)


def lease_database(location: StateLocation, *, stall_limit: timedelta) -> Database:
    """The leader lease's own connection, usable from any thread (connector.state.lease). On
    PostgreSQL its transactions are READ COMMITTED (a take-over that waited for a fenced
    transaction's row lock goes on with the row as that transaction left it), one left idle
    past `stall_limit` (a renewal paused halfway) loses its session and row lock, and no
    statement waits longer than that for a lock (then a take-over ends the holder's sessions)."""
    if is_postgres_url(location):
        return PostgresDatabase(str(location), isolation="READ COMMITTED",
                                stall_limit=stall_limit,
                                lock_timeout=stall_limit.total_seconds())
    return connect(str(location), any_thread=True)


def exists(location: StateLocation) -> bool:
    """Whether there is a state to read (a server is assumed to be there)."""
    return is_postgres_url(location) or Path(location).exists()


def dry_run_state(location: StateLocation, *,
                  new_state: bool = False) -> tuple[SqlStateStore, Callable[[], None]]:
    """A scratch copy of the state a dry run may write to freely, and how to remove it. The
    real state is only read: not migrated, locked or changed. SQLite: a copy of the file in
    a temporary folder. PostgreSQL: a copy of every table in a new schema of the same
    database, dropped afterwards (a transaction rolled back would hold row locks the running
    service may need, for as long as the dry run takes)."""
    if is_postgres_url(location):
        return _postgres_scratch(str(location))
    path = Path(location)
    if not new_state:
        refuse_empty(path)
    folder = Path(tempfile.mkdtemp(prefix="ticketflow-dry-run-"))
    if path.exists():
        snapshot_file(path, folder / "state.db")
    store = SqliteStateStore(folder / "state.db", new_state=True)
    return store, lambda: shutil.rmtree(folder, ignore_errors=True)


def _postgres_scratch(url: str) -> tuple[SqlStateStore, Callable[[], None]]:
    schema = f"ticketflow_dry_run_{secrets.token_hex(6)}"
    admin = PostgresDatabase(url)
    try:
        copy_schema(admin, schema)
        store = PostgresStateStore(url, schema=schema)
    except BaseException:
        drop_schema(admin, schema)
        admin.close()
        raise

    def cleanup() -> None:
        try:
            drop_schema(admin, schema)
        finally:
            admin.close()

    return store, cleanup


def copy_schema(db: Database, schema: str) -> None:
    """Copy every table of the connection's schema (one snapshot) into a new `schema`, with
    its indexes, defaults and identity columns (their sequences go on after the copied rows)."""
    with db.transaction(f"copying the state to {schema}"):
        tables = [str(t) for (t,) in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()]
        db.execute(f'CREATE SCHEMA "{schema}"')
        for table in tables:
            db.execute(f'CREATE TABLE "{schema}".{table} (LIKE {table} INCLUDING ALL)')
            db.execute(f'INSERT INTO "{schema}".{table} SELECT * FROM {table}')  # noqa: S608
        identities = db.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES'").fetchall()
        for table, column in identities:
            db.execute(f"SELECT setval(pg_get_serial_sequence('\"{schema}\".{table}', "  # noqa: S608
                       f"'{column}'), coalesce(max({column}), 0) + 1, false) "
                       f'FROM "{schema}".{table}').fetchall()


def drop_schema(db: Database, schema: str) -> None:
    with db.translated(f"removing {schema}"):
        db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def scratch_schema(base: str, *, prefix: str, connect_timeout: int = 5) -> Iterator[str]:
    """A fresh, empty schema of the database at `base`, as a state URL whose search_path is
    that schema; dropped afterwards (the tests' and the benchmarks' PostgreSQL states)."""
    schema = f"{prefix}_{secrets.token_hex(8)}"
    with psycopg.connect(base, autocommit=True, connect_timeout=connect_timeout) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            separator = "&" if "?" in base else "?"
            yield f"{base}{separator}options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')

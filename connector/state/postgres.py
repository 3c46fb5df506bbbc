"""`PostgresStateStore`: the state in PostgreSQL (psycopg 3), with an advisory-lock instance lock.

Chosen by `TICKETFLOW_STATE_DB=postgresql://...`. The schema is the connection's (the
`search_path`: `public` unless the URL's `options=-csearch_path=NAME` says otherwise), so
one database may hold several states, each in its own schema. The password may be in the
URL, or come from libpq's own `PGPASSWORD` or `~/.pgpass`; it is never shown.

Replicas lead by the lease row and write through the fence, as on SQLite
(connector.state.lease, connector.state.fence); a fenced connection says its token in a
session setting between transactions (`PostgresDatabase.fence`).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from datetime import timedelta

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus

from connector.errors import FatalError, LeaseLostError, RetriableError
from connector.state.fence import (
    FENCE_MESSAGE,
    NO_TOKEN,
    THIS_REPLICA,
    TOKEN_SETTING,
    FenceToken,
)
from connector.state.migrate import MIGRATION_LOCK
from connector.state.sql import Cursor, Database, Dialect, Params, to_pyformat
from connector.state.store import SqlStateStore
from connector.state.url import shown

# The instance lock's first key (the second is the schema's); see migrate.MIGRATION_LOCK.
INSTANCE_LOCK = MIGRATION_LOCK + 1
# As SQLite's busy timeout: how long a write waits for another's row locks before giving up
# with a RetriableError (LockNotAvailable); and how long a connection may take.
_LOCK_TIMEOUT_SECONDS = 5.0
_CONNECT_TIMEOUT_SECONDS = 10
# Ticket rows rewritten before `tidy` vacuums the mirror: a due-index build passes it at once;
# a steady service (tens of rows a cycle) every hour or two.
_VACUUM_AFTER_ROWS = 5_000
# Failures that another try may not meet: a writer beside us, a lock wait that ran out, the
# server restarting or the connection lost (class 08 and the operator's intervention, 57P),
# or a session the server ended because its transaction sat idle (the process was paused).
_TRANSIENT = (errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable,
              errors.QueryCanceled, errors.AdminShutdown, errors.CannotConnectNow,
              errors.IdleInTransactionSessionTimeout, psycopg.OperationalError)


def _ms(duration: timedelta) -> str:
    return str(round(duration.total_seconds() * 1000))


def session_name(replica: str = THIS_REPLICA) -> str:
    """A session's application name: shown by pg_stat_activity and by a second instance
    refused by the lock; its replica id lets a new leader find the sessions to end."""
    return f"{_session_prefix(replica)}pid {os.getpid()} on {socket.gethostname()}"[:63]


def _session_prefix(replica: str) -> str:
    return f"ticketflow {replica} "


# A replica's sessions that are inside a transaction (an idle one holds no lock), but this one.
_END_SESSIONS = """
SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND usename = current_user AND pid <> pg_backend_pid()
    AND starts_with(application_name, ?) AND state IS DISTINCT FROM 'idle'
"""


def end_sessions_of(db: Database, replica: str) -> int:
    """End the sessions of `replica` that are inside a transaction (how many); 0 on SQLite.

    A new leader does this when the one it replaces held the lease row locked past the lease
    connection's lock wait: a process paused halfway through a pipelined write (executemany)
    leaves its session waiting for the rest of it, "active" and not "idle in transaction", so
    the server's idle timeout never ends it and the take-over would wait for as long as the
    pause lasts. Ending it rolls its transaction back, as that timeout would have."""
    if db.dialect != "postgresql":
        return 0
    (ended,) = db.execute(_END_SESSIONS, (_session_prefix(replica),)).fetchone()
    return int(ended)


def lock_wait_ran_out(error: BaseException) -> bool:
    """Whether a RetriableError came from a PostgreSQL statement's lock wait running out."""
    return isinstance(error.__cause__, errors.LockNotAvailable)


class PostgresDatabase:
    """The `Database` on one psycopg connection in autocommit mode; a lost connection is
    opened again at the next statement (the failed one raised RetriableError). Transactions
    are SERIALIZABLE unless `isolation` says otherwise (the lease's are READ COMMITTED). With
    a `stall_limit`, the server ends the session of a transaction left idle that long (its
    process paused), and the row locks it held with it."""

    def __init__(self, url: str, *, schema: str | None = None, read_only: bool = False,
                 lock_timeout: float = _LOCK_TIMEOUT_SECONDS,
                 isolation: str = "SERIALIZABLE", stall_limit: timedelta | None = None) -> None:
        self._url = url
        self._lock_timeout = lock_timeout
        self._schema = schema
        self._read_only = read_only
        self._isolation = isolation
        self._location = shown(url) + (f" (schema {schema})" if schema else "")
        self._depth = 0
        self._fence: FenceToken | None = None
        self._stall_limit = stall_limit
        self._token_set: str | None = None  # the token this session's setting carries
        self._conn = self._connect()

    @property
    def dialect(self) -> Dialect:
        return "postgresql"

    @property
    def lock_timeout(self) -> float:
        """Seconds a statement waits for another's lock before giving up."""
        return self._lock_timeout

    @property
    def location(self) -> str:
        return self._location

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        # Added to the URL's own options (a search_path there chooses the schema).
        options = [str(conninfo_to_dict(self._url).get("options") or ""),
                   f"-c lock_timeout={round(self._lock_timeout * 1000)}"]
        if self._schema:
            options.append(f"-c search_path={self._schema}")
        if self._read_only:
            options.append("-c default_transaction_read_only=on")
        if self._stall_limit is not None:
            options.append(f"-c idle_in_transaction_session_timeout={_ms(self._stall_limit)}")
        if self._fence is not None:
            # A new session of a fenced connection writes nothing until it says its token.
            options.append(f"-c {TOKEN_SETTING}={NO_TOKEN}")
            self._token_set = NO_TOKEN
        try:
            return psycopg.connect(self._url, autocommit=True,
                                   application_name=session_name(),
                                   connect_timeout=_CONNECT_TIMEOUT_SECONDS,
                                   options=" ".join(o for o in options if o))
        except psycopg.Error as error:
            raise RetriableError(f"state database {self._location}: cannot connect: "
                                 f"{str(error).strip()}") from None

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn.broken:
            self._conn = self._connect()
        if self._fence is not None and \
                self._conn.info.transaction_status == TransactionStatus.IDLE:
            self._say_token(self._conn, self._fence.token)
        return self._conn

    def fence(self, fence: FenceToken, *, stall_limit: timedelta) -> None:
        """Fence every later write of this connection by `fence`'s token (the triggers of
        connector.state.fence). A transaction left idle longer than `stall_limit` (its
        process paused) has its session ended by the server, so a take-over need not wait
        for it."""
        self._fence = fence
        self._stall_limit = stall_limit
        self._token_set = None  # said at the next statement
        self.execute("SELECT set_config('idle_in_transaction_session_timeout', ?, false)",
                     (_ms(stall_limit),)).fetchall()

    def _say_token(self, conn: psycopg.Connection[tuple[object, ...]],
                   token: int | None) -> None:
        """Set the session's token between transactions, when it changed: set outside any
        transaction, it holds until the next change (a rolled-back one would undo it)."""
        wanted = NO_TOKEN if token is None else str(token)
        if wanted != self._token_set:
            with self.translated("setting the fencing token") if not self._depth \
                    else nullcontext():
                conn.execute("SELECT set_config(%s, %s, false)", (TOKEN_SETTING, wanted))
            self._token_set = wanted

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        text = to_pyformat(sql, bound=bool(params))
        if self._depth:
            return self._connection().execute(text, params or None)
        with self.translated("query"):
            return self._connection().execute(text, params or None)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        values = list(rows)
        if not values:
            return
        with self.translated("write") if not self._depth else nullcontext(), \
                self._connection().cursor() as cursor:
            cursor.executemany(to_pyformat(sql, bound=True), values)

    @contextmanager
    def translated(self, doing: str) -> Iterator[None]:
        """psycopg errors into the error tree: contention and lost connections are retriable."""
        self._depth += 1
        try:
            yield
        except psycopg.Error as error:
            message = f"state database {self._location}: {doing} failed: {str(error).strip()}"
            if isinstance(error, errors.RaiseException) and FENCE_MESSAGE in str(error):
                raise LeaseLostError(message) from error
            if isinstance(error, _TRANSIENT):
                raise RetriableError(message) from error
            raise FatalError(message) from error
        finally:
            self._depth -= 1

    @contextmanager
    def transaction(self, doing: str = "write") -> Iterator[None]:
        """SERIALIZABLE, so concurrent writers behave as if they took turns (as SQLite's do);
        one that cannot is refused with a serialization failure: RetriableError."""
        with self.translated(doing):
            conn = self._connection()
            conn.execute(f"BEGIN ISOLATION LEVEL {self._isolation}")
            try:
                yield
                conn.execute("COMMIT")
            except BaseException:
                if not conn.broken and conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read-only REPEATABLE READ transaction: every query inside sees one snapshot."""
        with self.translated("reading"):
            conn = self._connection()
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield
            finally:
                if not conn.broken and conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()


class PostgresStateStore(SqlStateStore):
    """The `StateStore` in a PostgreSQL schema. The single-instance lock (`state migrate`'s)
    is a session advisory lock on a connection of its own: the server drops it when the
    holder's connection ends (a crash, a kill), as the kernel drops SQLite's file lock."""

    def __init__(self, url: str, *, schema: str | None = None, migrate: bool = True,
                 lock_timeout: float = _LOCK_TIMEOUT_SECONDS) -> None:
        self._url, self._schema = url, schema
        db = PostgresDatabase(url, schema=schema, lock_timeout=lock_timeout)
        try:
            super().__init__(db, migrate=migrate)
        except BaseException:
            db.close()
            raise
        self._postgres = db

    def tidy(self) -> None:
        """Vacuum the mirror's table between jobs once many ticket rows were rewritten (the
        due index's build rewrites every one): each rewrite leaves a dead row version and a
        dead index entry, and the next cycle's scan of due tickets steps over every one of
        them once (about 0.2 s at 100,000 tickets). Autovacuum clears them too, but perhaps
        only after the next cycle. Autovacuum at work on it holds a lock this would wait
        for: then it gives up at once, and the count stands for the next time."""
        if self.tickets_rewritten < _VACUUM_AFTER_ROWS:
            return
        db = self._postgres
        with suppress(RetriableError):
            db.execute("SELECT set_config('lock_timeout', '50', false)").fetchall()
            try:
                db.execute("VACUUM tickets")
                self.tickets_rewritten = 0
            finally:
                db.execute("SELECT set_config('lock_timeout', ?, false)",
                            (_ms(timedelta(seconds=db.lock_timeout)),)).fetchall()

    def fence(self, fence: FenceToken, *, stall_limit: timedelta) -> None:
        """Fence this store's writes by the lease's token (the fence's triggers, and the
        token as this session's setting); see PostgresDatabase.fence."""
        self._postgres.fence(fence, stall_limit=stall_limit)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the advisory lock for this schema, or raise FatalError naming the holder."""
        holder = PostgresDatabase(self._url, schema=self._schema)
        try:
            (taken,) = holder.execute("SELECT pg_try_advisory_lock(?, hashtext(current_schema()))",
                                      (INSTANCE_LOCK,)).fetchone()
            if not taken:
                raise FatalError(f"another ticketflow is already working on state "
                                 f"{self.location} ({_holder(holder)}); not starting a second one")
            yield
        finally:
            holder.close()  # ends the session, and with it the advisory lock


def _holder(db: PostgresDatabase) -> str:
    return holder_of_lock(db) or "holder unknown"


def holder_of_lock(db: PostgresDatabase) -> str | None:
    """Who holds the instance lock: its application name (pid and host) and address; None
    when nobody does."""
    row = db.execute(
        "SELECT a.application_name, a.client_addr::text FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.classid = ?::oid AND l.objid = hashtext(current_schema())::oid "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (INSTANCE_LOCK,)).fetchone()
    if row is None:
        return None
    name, address = row
    return f"{name or 'another client'}" + (f" from {address}" if address else "")

"""`SqlStateStore`: every concern of the state on one `Database`, whatever its dialect.

The SQLite and PostgreSQL stores are this class on their own connection, with their own
single-instance lock; the SQL is the same (connector.state.sql).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

from connector.state.assignments import AssignmentsSql
from connector.state.base import Transaction
from connector.state.delivery import INSERT_MESSAGE_ID, DeliverySql
from connector.state.fence import Fence
from connector.state.ledger import INSERT_EFFECT, MARK_EFFECT, LedgerSql
from connector.state.migrate import apply_migrations, migration_state, refuse_newer
from connector.state.migrations import MIGRATIONS
from connector.state.mirror import MirrorSql, encode_tickets
from connector.state.notes import NotesSql
from connector.state.outbox import INSERT_OUTBOX, OutboxSql
from connector.state.rows import effect_row, outbox_row
from connector.state.sql import Database
from connector.state.timestamps import to_text


class SqlStateStore(MirrorSql, AssignmentsSql, LedgerSql, OutboxSql, DeliverySql, NotesSql):
    """The `StateStore` over one migrated connection (the subclass opens it and locks)."""

    def __init__(self, db: Database, *, migrate: bool = True) -> None:
        self._db = db
        # What opening this store applied (`ticketflow state migrate` says so).
        self.migrations_applied: list[str] = []
        if migrate:
            self.migrations_applied = apply_migrations(db, migrations=MIGRATIONS)
        else:
            refuse_newer(migration_state(db, MIGRATIONS), db.location)

    @property
    def db(self) -> Database:
        """The connection, for modules that keep their own tables (mail intake, feedback).
        Write inside `db.transaction()`."""
        return self._db

    @property
    def location(self) -> str:
        """Where the state is (a file's absolute path, `:memory:`, or a URL without password)."""
        return self._db.location

    def commit(self, transaction: Transaction) -> None:
        """Apply every write of the transaction in one database transaction, all or nothing."""
        # Encode first: a bad value (a naive datetime) fails before the write lock is taken.
        t = transaction
        tickets = encode_tickets(t.tickets)
        effects = [effect_row(effect) for effect in t.effects]
        marks = [effect_row(effect) for effect in t.marks]
        outbox = [outbox_row(message) for message in t.outbox]
        recorded_at = to_text(datetime.now(UTC))
        message_ids = [(mid, key, way, recorded_at) for mid, key, way in t.message_ids]
        with self._db.transaction("commit"):
            self._write_mirror(t, tickets)
            self._db.executemany(INSERT_EFFECT, effects)
            self._db.executemany(MARK_EFFECT, marks)
            self._db.executemany(INSERT_OUTBOX, outbox)
            self._db.executemany(INSERT_MESSAGE_ID, message_ids)

    def lock(self) -> AbstractContextManager[None]:
        """Hold the single-instance lock on this state, or raise FatalError if taken."""
        raise NotImplementedError

    def fence(self, fence: Fence, *, stall_limit: timedelta) -> None:
        """From now on, every write through this store checks that the leader lease still
        carries `fence`'s token (connector.state.fence); a transaction idle for longer than
        `stall_limit` may be ended by the server."""
        raise NotImplementedError

    def tidy(self) -> None:
        """Between two jobs of the service: the engine's housekeeping that would otherwise
        land in a job's own commit (SQLite's WAL checkpoint, PostgreSQL's vacuum of the
        mirror); each engine's store says what it does, and this one does nothing."""

    def close(self) -> None:
        self._db.close()

"""The outbox: rendered messages waiting for delivery, and how each delivery went."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from connector.errors import FatalError
from connector.state.base import WEBHOOK_PREFIX, OutboxMessage, OutboxStatus
from connector.state.mirror import insert, select
from connector.state.rows import OUTBOX_COLUMNS, outbox_from_row
from connector.state.sql import Database, placeholders
from connector.state.timestamps import to_text

_SELECT_OUTBOX = select("outbox", OUTBOX_COLUMNS)
# Never overwritten: a message queued again by a replayed transaction stays as it went.
INSERT_OUTBOX = insert("outbox", OUTBOX_COLUMNS[1:], key="effect_key")  # the database numbers it
# Chat posts are the rows whose recipient carries the webhook prefix (a constant, no quote).
_WEBHOOK = f"recipient LIKE '{WEBHOOK_PREFIX}%'"


class OutboxSql:
    """`Outbox` on the state's connection; messages are queued by `commit`."""

    _db: Database

    def pending_outbox(self, now: datetime, limit: int = 100, *,
                       webhook: bool | None = None) -> list[OutboxMessage]:
        """Pending messages that are due (no backoff, or backoff over), oldest first; only
        chat posts or only mail when `webhook` says so."""
        sql = f"{_SELECT_OUTBOX} WHERE status = 'pending' AND "
        sql += "(next_attempt_at IS NULL OR next_attempt_at <= ?) "
        if webhook is not None:
            sql += f"AND {'' if webhook else 'NOT '}{_WEBHOOK} "
        sql += "ORDER BY created_at, id LIMIT ?"
        rows = self._db.execute(sql, (to_text(now), limit)).fetchall()
        return [outbox_from_row(row) for row in rows]

    def outbox(self, statuses: Sequence[OutboxStatus]) -> list[OutboxMessage]:
        if not statuses:
            return []  # PostgreSQL refuses an empty IN list
        sql = f"{_SELECT_OUTBOX} WHERE status IN ({placeholders(len(statuses))}) "
        sql += "ORDER BY created_at, id"
        return [outbox_from_row(row) for row in self._db.execute(sql, list(statuses)).fetchall()]

    def outbox_message(self, message_id: int) -> OutboxMessage | None:
        row = self._db.execute(f"{_SELECT_OUTBOX} WHERE id = ?", (message_id,)).fetchone()
        return None if row is None else outbox_from_row(row)

    def outbox_counts(self) -> dict[str, int]:
        """How many messages are in each status."""
        rows = self._db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall()
        return {str(status): int(count) for status, count in rows}

    def _change_outbox(self, message_id: int, sql: str, arguments: Sequence[object]) -> bool:
        """One UPDATE of one outbox row (`sql` ends in its own WHERE on the status); whether
        it matched. Each is a single statement: safe beside a running delivery."""
        with self._db.translated(f"updating outbox message {message_id}"):
            cursor = self._db.execute(f"UPDATE outbox SET {sql}",  # noqa: S608 - constant SQL
                                      [*arguments, message_id])
        return cursor.rowcount > 0

    def mark_sent(self, message_id: int, *, at: datetime) -> None:
        # Whatever an operator did meanwhile, the server has it: record the truth.
        if not self._change_outbox(
                message_id, "status = 'sent', attempts = attempts + 1, next_attempt_at = NULL, "
                "last_error = '', sent_at = ? WHERE id = ?", [to_text(at)]):
            raise FatalError(f"state database {self._db.location} has no outbox message "
                             f"{message_id}")

    def retry_later(self, message_id: int, *, at: datetime, error: str) -> None:
        self._change_outbox(
            message_id, "attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
            "WHERE id = ? AND status = 'pending'", [to_text(at), error])

    def mark_failed(self, message_id: int, *, error: str, attempted: bool = True) -> None:
        self._change_outbox(
            message_id, "status = 'failed', attempts = attempts + ?, next_attempt_at = NULL, "
            "last_error = ? WHERE id = ? AND status = 'pending'", [int(attempted), error])

    def requeue(self, message_id: int) -> bool:
        return self._change_outbox(
            message_id, "status = 'pending', attempts = 0, next_attempt_at = NULL, "
            "last_error = '' WHERE id = ? AND status IN ('pending', 'failed')", [])

    def requeue_failed(self) -> int:
        with self._db.translated("requeueing failed messages"):
            return self._db.execute(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = NULL, "
                "last_error = '' WHERE status = 'failed'").rowcount

    def drop(self, message_id: int) -> bool:
        return self._change_outbox(
            message_id, "status = 'dropped', next_attempt_at = NULL "
            "WHERE id = ? AND status IN ('pending', 'failed')", [])

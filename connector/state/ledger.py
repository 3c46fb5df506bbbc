"""The ledger: one row per effect a rule planned, keyed so it happens once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from connector.errors import FatalError
from connector.state.assignments import Pick, begin_pick
from connector.state.base import WAITING, Decision, Effect, EffectStatus
from connector.state.mirror import insert, select
from connector.state.rows import (
    DECISION_COLUMNS,
    LEDGER_COLUMNS,
    decision_row,
    effect_from_row,
)
from connector.state.sql import Database, placeholders, present, rows_in
from connector.state.timestamps import to_text

_SELECT_EFFECTS = select("ledger", LEDGER_COLUMNS)
# Ledger rows are never overwritten, so replaying a transaction cannot duplicate or reset an
# effect; only a mark changes how an effect ended, never what it was.
INSERT_EFFECT = insert("ledger", LEDGER_COLUMNS, key="effect_key")
MARK_EFFECT = insert("ledger", LEDGER_COLUMNS, key="effect_key",
                     update=("status", "detail", "done_at"))
# Oldest first; `rowid` (SQLite's own, an identity column on PostgreSQL) keeps insertion order.
_OLDEST_FIRST = "ORDER BY created_at, rowid"


class LedgerSql:
    """`Ledger` on the state's connection; rows are added and marked by `commit`."""

    _db: Database

    def effect(self, effect_key: str) -> Effect | None:
        sql = f"{_SELECT_EFFECTS} WHERE effect_key = ?"
        row = self._db.execute(sql, (effect_key,)).fetchone()
        return None if row is None else effect_from_row(row)

    def recorded(self, effect_keys: Iterable[str]) -> set[str]:
        return present(self._db, "ledger", "effect_key", effect_keys)

    def effects_for(self, issue_key: str) -> list[Effect]:
        sql = f"{_SELECT_EFFECTS} WHERE issue_key = ? {_OLDEST_FIRST}"
        return [effect_from_row(row) for row in self._db.execute(sql, (issue_key,)).fetchall()]

    def pending_effects(self) -> list[Effect]:
        """Ledger rows still to perform, oldest first: pending (finished after a crash) and
        blocked (tried again every cycle). The condition is spelt as in the partial index
        `ledger_pending`, not bound, so the planner reads that index, not the whole ledger."""
        waiting = ", ".join(f"'{status}'" for status in WAITING)
        sql = f"{_SELECT_EFFECTS} WHERE status IN ({waiting}) {_OLDEST_FIRST}"
        return [effect_from_row(row) for row in self._db.execute(sql).fetchall()]

    def effects_with_status(self, statuses: Sequence[EffectStatus]) -> list[Effect]:
        """Every ledger row in one of these statuses, oldest first."""
        if not statuses:
            return []  # PostgreSQL refuses an empty IN list
        sql = f"{_SELECT_EFFECTS} WHERE status IN ({placeholders(len(statuses))}) "
        sql += _OLDEST_FIRST
        return [effect_from_row(row) for row in self._db.execute(sql, list(statuses)).fetchall()]

    def record_decision(self, effect_key: str, decision: Decision,
                        pick: Pick | None = None) -> None:
        """Keep what an effect decided on its row, in its own transaction, before the effect
        writes anything to the tracker; with `pick`, the picked person's hold of the ticket
        begins in the same transaction (connector.state.assignments)."""
        sets = ", ".join(f"{column} = ?" for column in DECISION_COLUMNS)
        with self._db.transaction(f"recording the decision of {effect_key}"):
            cursor = self._db.execute(
                f"UPDATE ledger SET {sets} WHERE effect_key = ?",  # noqa: S608 - constant names
                (*decision_row(decision), effect_key))
            changed = cursor.rowcount
            if changed and pick is not None:
                begin_pick(self._db, pick)
        if changed == 0:
            raise FatalError(f"state database {self._db.location} has no ledger row {effect_key}")

    def effects_since(self, issue_keys: Iterable[str], since: datetime) -> dict[str, int]:
        """How many effects that act (not skipped ones) were recorded for each issue at or
        after `since`: the circuit breaker's counts, by the index on (issue_key, created_at)."""
        sql = ("SELECT issue_key, count(*) FROM ledger WHERE issue_key IN ({marks}) "
               "AND created_at >= ? AND status != 'skipped' GROUP BY issue_key")
        return {str(key): int(count)
                for key, count in rows_in(self._db, sql, issue_keys, to_text(since))}

    def mark_effect(
        self, effect_key: str, status: EffectStatus, *, detail: str = "", at: datetime
    ) -> None:
        with self._db.translated(f"marking effect {effect_key}"):
            cursor = self._db.execute(
                "UPDATE ledger SET status = ?, detail = ?, done_at = ? WHERE effect_key = ?",
                (status, detail, to_text(at), effect_key),
            )
        if cursor.rowcount == 0:
            raise FatalError(f"state database {self._db.location} has no ledger row {effect_key}")

"""`SqliteStateStore`: the state kept in one SQLite file (WAL, named migrations, a lock)."""

from __future__ import annotations

import fcntl
import gc
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from connector.domain import Ticket
from connector.errors import ConfigError, FatalError, LeaseLostError, RetriableError
from connector.state.base import (
    WAITING,
    WEBHOOK_PREFIX,
    ActionIdentity,
    Bookmark,
    Decision,
    Effect,
    EffectStatus,
    OutboxMessage,
    OutboxStatus,
    Transaction,
    TriggerEvent,
)
from connector.state.fence import fenced_out
from connector.state.history import Stay, moves
from connector.state.migrations import SQL_NOW, apply_migrations, write_transaction
from connector.state.timestamps import from_text, from_text_or_none, to_text, to_text_or_none

_MEMORY = {":memory:", ""}
# How long a write waits while another connection writes (a CLI command beside the
# service, say) before giving up with a RetriableError.
_BUSY_TIMEOUT_SECONDS = 5.0
# Well under SQLite's historical limit of 999 bound variables per statement.
_CHUNK = 500
# Open tickets are read a page at a time so no statement stays open between yields.
_PAGE = 2000

_TICKET_COLUMNS = (
    "issue_id", "key", "project", "status", "status_since", "created", "updated", "summary",
    "text", "assignee", "assignee_name", "tier", "category", "customer", "reporter", "labels",
    "last_customer_reply", "resolutions", "open",
)  # fmt: skip
_LEDGER_COLUMNS = (
    "effect_key", "issue_key", "rule", "action", "trigger", "status", "detail", "created_at",
    "done_at",
    "action_index", "action_kind", "action_definition", "action_digest",
    "event_kind", "event_at", "event_from", "event_to", "event_by", "event_field",
    "ticket_status", "ticket_status_since",
    "from_tier", "to_tier", "tier_name", "waited_status", "waited", "assignee",
)  # fmt: skip
_DECISION_COLUMNS = _LEDGER_COLUMNS[-6:]
_OUTBOX_COLUMNS = (
    "id", "effect_key", "issue_key", "template", "recipient", "message", "status", "attempts",
    "next_attempt_at", "last_error", "created_at", "sent_at",
)  # fmt: skip


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


def _select(table: str, columns: Sequence[str]) -> str:
    return f"SELECT {', '.join(columns)} FROM {table}"  # noqa: S608 - constant names only


def _insert(table: str, columns: Sequence[str], *, key: str, update: Sequence[str] = ()) -> str:
    """INSERT that, on a duplicate `key`, updates the `update` columns or leaves the row alone.

    DO NOTHING rather than INSERT OR IGNORE: OR IGNORE also swallows NOT NULL violations,
    which would drop a bad row silently instead of failing the whole transaction.
    """
    names, marks = ", ".join(columns), _placeholders(len(columns))
    action = (
        "UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update) if update else "NOTHING"
    )
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({key}) DO {action}"  # noqa: S608


_SELECT_TICKETS = _select("tickets", _TICKET_COLUMNS)
_SELECT_EFFECTS = _select("ledger", _LEDGER_COLUMNS)
_SELECT_OUTBOX = _select("outbox", _OUTBOX_COLUMNS)
# Tickets and bookmarks are upserted: the latest poll wins. Ledger rows and outbox messages
# are never overwritten, so replaying a transaction cannot duplicate or reset an effect;
# only a mark changes how an effect ended, never what it was.
_UPSERT_TICKET = _insert("tickets", _TICKET_COLUMNS, key="issue_id", update=_TICKET_COLUMNS[1:])
_UPSERT_BOOKMARK = _insert("bookmarks", ("project", "position", "backfilled"), key="project",
                           update=("position", "backfilled"))
_INSERT_EFFECT = _insert("ledger", _LEDGER_COLUMNS, key="effect_key")
_MARK_EFFECT = _insert(
    "ledger", _LEDGER_COLUMNS, key="effect_key", update=("status", "detail", "done_at")
)
# A Message-ID keeps its first ticket: the same mail seen again cannot move it.
_INSERT_MESSAGE_ID = _insert("message_ids", ("message_id", "issue_key", "direction",
                                             "created_at"), key="message_id")
_INSERT_OUTBOX = _insert("outbox", _OUTBOX_COLUMNS[1:], key="effect_key")  # SQLite assigns id
# One statement, so two processes can never hand out the same turn.
_NEXT_TURN = (
    "INSERT INTO rotations (name, turns) VALUES (?, 1) "
    "ON CONFLICT (name) DO UPDATE SET turns = turns + 1 RETURNING turns"
)
_INSERT_STAY = (
    "INSERT INTO status_history (issue_id, issue_key, project, from_status, to_status, tier, "
    "entered_at, left_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_CHANGE = (
    "INSERT INTO processed_changes (change_id, issue_id, processed_at) "  # noqa: S608
    f"VALUES (?, ?, {SQL_NOW}) ON CONFLICT (change_id) DO NOTHING"
)


# Decoding helpers bound once: they run for every row of the mirror.
_dt = from_text
_json_array = json.JSONDecoder().raw_decode  # labels come from json.dumps: no padding to skip
_new = object.__new__


def _ticket_row(t: Ticket) -> tuple[object, ...]:
    return (
        t.issue_id, t.key, t.project, t.status, to_text(t.status_since), to_text(t.created),
        to_text(t.updated), t.summary, t.text, t.assignee, t.assignee_name, t.tier, t.category,
        t.customer, t.reporter, json.dumps(list(t.labels)), to_text_or_none(t.last_customer_reply),
        t.resolutions, int(t.open),
    )  # fmt: skip


def _ticket(row: Sequence[Any]) -> Ticket:
    """Build a Ticket from a row in _TICKET_COLUMNS order (the dataclass's field order).

    This runs 100,000 times per time-rule pass, so it fills the instance's __dict__ directly:
    the frozen dataclass __init__ pays an object.__setattr__ per field (measured ~40% slower).
    A test holds _TICKET_COLUMNS equal to Ticket's fields, so none can be left unset.
    """
    ticket = _new(Ticket)
    values = ticket.__dict__
    values.update(zip(_TICKET_COLUMNS, row, strict=False))  # equal lengths: tested
    values["status_since"] = _dt(row[4])
    values["created"] = _dt(row[5])
    values["updated"] = _dt(row[6])
    labels = row[15]
    values["labels"] = () if labels == "[]" else tuple(_json_array(labels)[0])
    reply = row[16]
    values["last_customer_reply"] = None if reply is None else _dt(reply)
    values["open"] = row[18] == 1
    return ticket


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic GC while a page of tickets is built.

    Tickets hold no cycles, but a page allocates thousands of tracked objects; letting the GC
    run every 700 allocations over a growing heap cost a quarter of the decoding time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _decision_row(d: Decision) -> tuple[object, ...]:
    return (d.from_tier, d.to_tier, d.tier_name, d.waited_status, d.waited, d.assignee)


def _effect_row(e: Effect) -> tuple[object, ...]:
    i, v = e.identity, e.event
    return (
        e.effect_key, e.issue_key, e.rule, e.action, e.trigger, e.status, e.detail,
        to_text_or_none(e.created_at), to_text_or_none(e.done_at),
        i.index if i else None, i.kind if i else None, i.definition if i else None,
        i.digest if i else None,
        v.kind if v else None, to_text_or_none(v.at) if v else None,
        v.from_status if v else None, v.to_status if v else None, v.by if v else None,
        v.field if v else None, v.ticket_status if v else None,
        to_text_or_none(v.ticket_status_since) if v else None,
        *_decision_row(e.decision),
    )  # fmt: skip


def _effect(row: Sequence[Any]) -> Effect:
    identity = None if row[9] is None else ActionIdentity(row[9], row[10], row[11] or "",
                                                          row[12] or "")
    event = None if row[13] is None else TriggerEvent(
        row[13], from_text_or_none(row[14]), row[15], row[16], row[17], row[18], row[19],
        from_text_or_none(row[20]))
    return Effect(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6],
        from_text_or_none(row[7]), from_text_or_none(row[8]), identity, event,
        Decision(*row[21:27]),
    )  # fmt: skip


def _outbox_row(m: OutboxMessage) -> tuple[object, ...]:
    return (
        m.effect_key, m.issue_key, m.template, m.recipient, m.message, m.status, m.attempts,
        to_text_or_none(m.next_attempt_at), m.last_error, to_text_or_none(m.created_at),
        to_text_or_none(m.sent_at),
    )  # fmt: skip


def _outbox(row: Sequence[Any]) -> OutboxMessage:
    return OutboxMessage(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
        from_text_or_none(row[8]), row[9], from_text_or_none(row[10]), from_text_or_none(row[11]),
    )  # fmt: skip


def refuse_empty(path: Path) -> None:
    """An existing 0-byte file is not a state to start afresh in silently: a truncated copy or
    a botched restore would forget which mail, changes and messages were already handled, and
    the next run would mirror anew as if nothing had happened. Only `--new-state` may."""
    if path.is_file() and path.stat().st_size == 0:
        raise ConfigError([
            f"{path}: the state file is empty (0 bytes), not a ticketflow state; expected the "
            "state database (restore it from a backup, or check TICKETFLOW_STATE_DB), or "
            "--new-state on `run` or `once` to start a new state in this file"])


class SqliteStateStore:
    """The `StateStore` on one SQLite file; `":memory:"` gives a private throwaway database.

    An existing empty file is refused (see `refuse_empty`) unless `new_state` is given; a
    missing file is created, as on a first run."""

    def __init__(self, path: Path | str, *, busy_timeout: float = _BUSY_TIMEOUT_SECONDS,
                 new_state: bool = False) -> None:
        self._memory = str(path) in _MEMORY
        self._location = str(path) if self._memory else str(Path(path).resolve())
        if not (self._memory or new_state):
            refuse_empty(Path(path))
        with self._translated("open"):
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is
            # exactly what commit() says it is, and migrations' DDL runs inside one too.
            self._db = sqlite3.connect(self._location, timeout=busy_timeout, isolation_level=None)
            try:
                self._prepare()
            except BaseException:
                self._db.close()
                raise

    def _prepare(self) -> None:
        self._db.execute("PRAGMA journal_mode = WAL")
        # NORMAL under WAL: a power cut may lose the last commits, never corrupt the file.
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA foreign_keys = ON")
        apply_migrations(self._db, location=self._location)

    @property
    def location(self) -> str:
        """The absolute path of the database file, or `:memory:`."""
        return self._location

    @contextmanager
    def _translated(self, doing: str) -> Iterator[None]:
        """Turn sqlite3 errors into the error tree: busy is retriable, the rest is fatal."""
        try:
            yield
        except sqlite3.Error as error:
            name = getattr(error, "sqlite_errorname", "") or ""
            message = f"state database {self._location}: {doing} failed: {error}"
            if fenced_out(error):
                raise LeaseLostError(message) from error
            if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
                raise RetriableError(message) from error
            raise FatalError(message) from error

    def bookmark(self, project: str) -> Bookmark | None:
        row = self._db.execute(
            "SELECT project, position, backfilled FROM bookmarks WHERE project = ?", (project,)
        ).fetchone()
        return None if row is None else Bookmark(row[0], str(row[1]), bool(row[2]))

    def ticket(self, issue_id: str) -> Ticket | None:
        row = self._db.execute(f"{_SELECT_TICKETS} WHERE issue_id = ?", (issue_id,)).fetchone()
        return None if row is None else _ticket(row)

    def ticket_by_key(self, key: str) -> Ticket | None:
        row = self._db.execute(f"{_SELECT_TICKETS} WHERE key = ?", (key,)).fetchone()
        return None if row is None else _ticket(row)

    def open_tickets(self, project: str) -> Iterator[Ticket]:
        """Stream the project's open tickets in issue-id order, a page per query.

        Keyset paging keeps each query short, so the caller may commit between tickets and
        no read transaction is left pinning the WAL; a ticket closed mid-stream is skipped.
        """
        sql = f"{_SELECT_TICKETS} WHERE project = ? AND open = 1 AND issue_id > ? "
        sql += "ORDER BY issue_id LIMIT ?"
        after = ""
        while True:
            # The cursor is drained before the first yield, so its statement is finished.
            with gc_paused():
                page = [_ticket(row) for row in self._db.execute(sql, (project, after, _PAGE))]
            yield from page
            if len(page) < _PAGE:
                return
            after = page[-1].issue_id

    def count_open(self, project: str) -> int:
        sql = "SELECT count(*) FROM tickets WHERE project = ? AND open = 1"
        return cast("int", self._db.execute(sql, (project,)).fetchone()[0])

    def seen_changes(self, change_ids: Iterable[str]) -> set[str]:
        """Which of these changelog ids were already processed (queried in chunks)."""
        wanted = list(dict.fromkeys(change_ids))
        seen: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            sql = "SELECT change_id FROM processed_changes WHERE change_id IN "
            sql += f"({_placeholders(len(chunk))})"
            seen.update(change_id for (change_id,) in self._db.execute(sql, chunk))
        return seen

    def effect(self, effect_key: str) -> Effect | None:
        sql = f"{_SELECT_EFFECTS} WHERE effect_key = ?"
        row = self._db.execute(sql, (effect_key,)).fetchone()
        return None if row is None else _effect(row)

    def effects_for(self, issue_key: str) -> list[Effect]:
        sql = f"{_SELECT_EFFECTS} WHERE issue_key = ? ORDER BY created_at, rowid"
        return [_effect(row) for row in self._db.execute(sql, (issue_key,))]

    def pending_effects(self) -> list[Effect]:
        """Ledger rows still to perform, oldest first: pending (finished after a crash) and
        blocked (tried again every cycle). The condition is spelt as in the partial index
        `ledger_pending`, not bound, so SQLite reads that index instead of the whole ledger."""
        waiting = ", ".join(f"'{status}'" for status in WAITING)
        sql = f"{_SELECT_EFFECTS} WHERE status IN ({waiting}) ORDER BY created_at, rowid"
        return [_effect(row) for row in self._db.execute(sql)]

    def effects_with_status(self, statuses: Sequence[EffectStatus]) -> list[Effect]:
        """Every ledger row in one of these statuses, oldest first."""
        sql = f"{_SELECT_EFFECTS} WHERE status IN ({_placeholders(len(statuses))}) "
        sql += "ORDER BY created_at, rowid"
        return [_effect(row) for row in self._db.execute(sql, list(statuses))]

    def record_decision(self, effect_key: str, decision: Decision) -> None:
        """Keep what an effect decided on its row, in its own transaction, before the effect
        writes anything to the tracker."""
        sets = ", ".join(f"{column} = ?" for column in _DECISION_COLUMNS)
        with self._translated(f"recording the decision of {effect_key}"), \
                write_transaction(self._db):
            cursor = self._db.execute(
                f"UPDATE ledger SET {sets} WHERE effect_key = ?",  # noqa: S608 - constant names
                (*_decision_row(decision), effect_key))
        if cursor.rowcount == 0:
            raise FatalError(f"state database {self._location} has no ledger row {effect_key}")

    def effects_since(self, issue_key: str, since: datetime) -> int:
        """How many effects that act (not skipped ones) were recorded for the issue at or after
        `since`: the circuit breaker's count."""
        sql = ("SELECT count(*) FROM ledger WHERE issue_key = ? AND created_at >= ? "
               "AND status != 'skipped'")
        return cast("int", self._db.execute(sql, (issue_key, to_text(since))).fetchone()[0])

    def mark_effect(
        self, effect_key: str, status: EffectStatus, *, detail: str = "", at: datetime
    ) -> None:
        with self._translated(f"marking effect {effect_key}"):
            cursor = self._db.execute(
                "UPDATE ledger SET status = ?, detail = ?, done_at = ? WHERE effect_key = ?",
                (status, detail, to_text(at), effect_key),
            )
        if cursor.rowcount == 0:
            raise FatalError(f"state database {self._location} has no ledger row {effect_key}")

    def commit(self, transaction: Transaction) -> None:
        """Apply every write of the transaction in one SQLite transaction, all or nothing."""
        # Encode first: a bad value (a naive datetime) fails before the write lock is taken.
        t = transaction
        tickets = [_ticket_row(ticket) for ticket in t.tickets]
        effects = [_effect_row(effect) for effect in t.effects]
        marks = [_effect_row(effect) for effect in t.marks]
        outbox = [_outbox_row(message) for message in t.outbox]
        recorded_at = to_text(datetime.now(UTC))
        message_ids = [(mid, key, way, recorded_at) for mid, key, way in t.message_ids]
        with self._translated("commit"), write_transaction(self._db):
            self._record_history(t.tickets)
            self._db.executemany(_UPSERT_TICKET, tickets)
            closed = [(issue_id,) for issue_id in t.closed_issue_ids]
            self._db.executemany("UPDATE tickets SET open = 0 WHERE issue_id = ?", closed)
            self._db.executemany(_INSERT_CHANGE, t.processed_changes)
            self._db.executemany(_INSERT_EFFECT, effects)
            self._db.executemany(_MARK_EFFECT, marks)
            self._db.executemany(_INSERT_OUTBOX, outbox)
            self._db.executemany(_INSERT_MESSAGE_ID, message_ids)
            if t.bookmark is not None:
                mark = t.bookmark
                self._db.execute(_UPSERT_BOOKMARK,
                                 (mark.project, mark.position, mark.backfilled))

    def _record_history(self, tickets: Sequence[Ticket]) -> None:
        """Close and open the status stays these ticket updates make (connector.state.history),
        inside commit's transaction: the history never disagrees with the mirror."""
        ids = list(dict.fromkeys(ticket.issue_id for ticket in tickets))
        current: dict[str, Stay] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            sql = "SELECT issue_id, id, to_status, tier, entered_at FROM status_history "
            sql += f"WHERE left_at IS NULL AND issue_id IN ({_placeholders(len(chunk))})"
            current.update((row[0], Stay(row[1], row[2], row[3], _dt(row[4])))
                           for row in self._db.execute(sql, chunk))
        writes = moves(current, tickets)
        self._db.executemany("UPDATE status_history SET left_at = ? WHERE id = ?",
                             [(to_text(at), row_id) for row_id, at in writes.closed])
        self._db.executemany(_INSERT_STAY, [
            (e.issue_id, e.issue_key, e.project, e.from_status, e.to_status, e.tier,
             to_text(e.entered_at), to_text_or_none(e.left_at)) for e in writes.entered])

    def pending_outbox(self, now: datetime, limit: int = 100, *,
                       webhook: bool | None = None) -> list[OutboxMessage]:
        """Pending messages that are due (no backoff, or backoff over), oldest first; only
        chat posts or only mail when `webhook` says so."""
        sql = f"{_SELECT_OUTBOX} WHERE status = 'pending' AND "
        sql += "(next_attempt_at IS NULL OR next_attempt_at <= ?) "
        arguments: list[object] = [to_text(now)]
        if webhook is not None:
            sql += "AND (substr(recipient, 1, ?) = ?) = ? "
            arguments += [len(WEBHOOK_PREFIX), WEBHOOK_PREFIX, webhook]
        sql += "ORDER BY created_at, id LIMIT ?"
        return [_outbox(row) for row in self._db.execute(sql, [*arguments, limit])]

    def outbox(self, statuses: Sequence[OutboxStatus]) -> list[OutboxMessage]:
        sql = f"{_SELECT_OUTBOX} WHERE status IN ({_placeholders(len(statuses))}) "
        sql += "ORDER BY created_at, id"
        return [_outbox(row) for row in self._db.execute(sql, list(statuses))]

    def outbox_message(self, message_id: int) -> OutboxMessage | None:
        row = self._db.execute(f"{_SELECT_OUTBOX} WHERE id = ?", (message_id,)).fetchone()
        return None if row is None else _outbox(row)

    def outbox_counts(self) -> dict[str, int]:
        """How many messages are in each status."""
        return dict(self._db.execute("SELECT status, count(*) FROM outbox GROUP BY status"))

    def _change_outbox(self, message_id: int, sql: str, arguments: Sequence[object]) -> bool:
        """One UPDATE of one outbox row (`sql` ends in its own WHERE on the status); whether
        it matched. Each is a single statement: safe beside a running delivery."""
        with self._translated(f"updating outbox message {message_id}"):
            cursor = self._db.execute(f"UPDATE outbox SET {sql}",  # noqa: S608 - constant SQL
                                      [*arguments, message_id])
        return cursor.rowcount > 0

    def mark_sent(self, message_id: int, *, at: datetime) -> None:
        # Whatever an operator did meanwhile, the server has it: record the truth.
        if not self._change_outbox(
                message_id, "status = 'sent', attempts = attempts + 1, next_attempt_at = NULL, "
                "last_error = '', sent_at = ? WHERE id = ?", [to_text(at)]):
            raise FatalError(f"state database {self._location} has no outbox message "
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
        with self._translated("requeueing failed messages"):
            return self._db.execute(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = NULL, "
                "last_error = '' WHERE status = 'failed'").rowcount

    def drop(self, message_id: int) -> bool:
        return self._change_outbox(
            message_id, "status = 'dropped', next_attempt_at = NULL "
            "WHERE id = ? AND status IN ('pending', 'failed')", [])

    def next_in_rotation(self, name: str, size: int) -> int:
        """Advance the named round-robin counter; the index (0..size-1) whose turn it is."""
        if size < 1:
            raise ValueError(f"rotation {name} needs at least one member")
        with self._translated(f"advancing rotation {name}"):
            # fetchall: a RETURNING statement commits only once stepped to its end.
            [(turns,)] = self._db.execute(_NEXT_TURN, (name,)).fetchall()
        return cast("int", turns - 1) % size

    def issue_for_message_ids(self, message_ids: Sequence[str]) -> str | None:
        """The ticket of the first of these Message-IDs we know, in the order given."""
        for chunk_start in range(0, len(message_ids), _CHUNK):
            chunk = list(message_ids[chunk_start:chunk_start + _CHUNK])
            marks = _placeholders(len(chunk))
            sql = f"SELECT message_id, issue_key FROM message_ids WHERE message_id IN ({marks})"  # noqa: S608 - placeholders only
            found = dict(self._db.execute(sql, chunk).fetchall())
            for message_id in chunk:
                if message_id in found:
                    return cast("str", found[message_id])
        return None

    def message_ids_for(self, issue_key: str, direction: str) -> list[str]:
        """A ticket's Message-IDs in one direction, oldest first."""
        sql = ("SELECT message_id FROM message_ids WHERE issue_key = ? AND direction = ? "
               "ORDER BY created_at, rowid")
        return [row[0] for row in self._db.execute(sql, (issue_key, direction)).fetchall()]

    def suppress(self, address: str, *, reason: str, until: datetime, at: datetime) -> None:
        """Send no automatic mail to `address` before `until`; a later call replaces it."""
        sql = ("INSERT INTO suppressions (address, reason, until, created_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, "
               "until = excluded.until")
        with self._translated(f"suppressing {address}"), write_transaction(self._db):
            self._db.execute(sql, (address.lower(), reason, to_text(until), to_text(at)))

    def suppression(self, address: str, now: datetime) -> str | None:
        sql = "SELECT reason FROM suppressions WHERE address = ? AND until > ?"
        row = self._db.execute(sql, (address.lower(), to_text(now))).fetchone()
        return None if row is None else cast("str", row[0])

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, for modules that keep their own tables (mail intake, feedback).
        Write through `connector.state.migrations.write_transaction`."""
        return self._db

    def meta(self, key: str) -> str | None:
        """A named value kept across runs, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else cast("str", row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._translated(f"setting {key}"), write_transaction(self._db):
            self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                             "DO UPDATE SET value = excluded.value", (key, value))

    def open_count_by_assignee(self, project: str) -> dict[str, int]:
        """How many open tickets each assignee holds in the mirror (for least-loaded)."""
        sql = "SELECT assignee, count(*) FROM tickets WHERE project = ? AND open = 1 "
        sql += "AND assignee IS NOT NULL GROUP BY assignee"
        return dict(self._db.execute(sql, (project,)).fetchall())

    def backup_to(self, path: Path | str) -> None:
        """Copy the whole database, consistently, to a new file (a dry run's scratch state)."""
        with self._translated(f"backup to {path}"), closing(sqlite3.connect(path)) as target:
            self._db.backup(target)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the single-instance lock on this state, or raise FatalError if taken."""
        if self._memory:
            yield  # a private in-memory database cannot be shared, so there is nothing to guard
            return
        with _file_lock(Path(self._location + ".lock"), self._location):
            yield

    def close(self) -> None:
        self._db.close()


@contextmanager
def _file_lock(lock_path: Path, location: str) -> Iterator[None]:
    """flock a sidecar file: the kernel drops it when the holder exits, even on a crash."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            raise FatalError(
                f"another ticketflow is already working on state {location} (pid {holder}); "
                "not starting a second one"
            ) from None
        # The pid is for the message above only; the flock, not the file's content, is the lock.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def open_store(path: Path | str) -> SqliteStateStore:
    """Open (creating and migrating if need be) the state database at `path`."""
    return SqliteStateStore(path)


def read_only(path: Path | str) -> sqlite3.Connection | None:
    """A read-only connection to a state file (None while there is none): no migration, no
    lock, no write can come from it, and it never contends with the service's own."""
    source = Path(path)
    if not source.exists():
        return None
    return sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)


def snapshot(source: Path, target: Path) -> None:
    """Copy the state for a dry run through a read-only connection: the real file is not
    migrated, locked or touched in any way. A file that is no SQLite database is named."""
    try:
        reader = read_only(source)
        if reader is None:
            return
        with closing(reader) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
    except sqlite3.Error as error:
        raise FatalError(f"state database {source}: cannot be read ({error}); expected a "
                         "ticketflow state file at TICKETFLOW_STATE_DB (restore it from a "
                         "backup)") from None

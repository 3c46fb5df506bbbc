"""The mirror of open tickets, the changes taken in, the bookmarks and the status history."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from connector.domain import Clause, Ticket
from connector.state.assignments import current_holds, handovers, write_handovers
from connector.state.base import Bookmark, Transaction
from connector.state.concerns import DueBasis
from connector.state.history import Stay, moves
from connector.state.rows import TICKET_COLUMNS, gc_paused, ticket_from_row, ticket_row
from connector.state.sql import Database, Dialect, placeholders, present, rows_in
from connector.state.timestamps import from_text, to_text, to_text_or_none

# Open tickets are read a page at a time so no statement stays open between yields.
_PAGE = 2000


def select(table: str, columns: Sequence[str]) -> str:
    return f"SELECT {', '.join(columns)} FROM {table}"  # noqa: S608 - constant names only


def insert(table: str, columns: Sequence[str], *, key: str, update: Sequence[str] = ()) -> str:
    """INSERT that, on a duplicate `key`, updates the `update` columns or leaves the row alone.

    DO NOTHING rather than SQLite's INSERT OR IGNORE: OR IGNORE also swallows NOT NULL
    violations, which would drop a bad row silently instead of failing the whole transaction
    (and PostgreSQL has no OR IGNORE).
    """
    names, marks = ", ".join(columns), placeholders(len(columns))
    action = (
        "UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update) if update else "NOTHING"
    )
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({key}) DO {action}"  # noqa: S608


SELECT_TICKETS = select("tickets", TICKET_COLUMNS)


def _upsert_ticket(same: str) -> str:
    """Tickets are upserted: the latest poll wins. A ticket written with any change (new,
    polled, or written back by an action) is due for its time rules at once: its own
    evaluation then says when next (connector.engine.due). One written again unchanged (a
    poll's overlap fetches it again) keeps its due instant. A new row gets the column's
    default, ''. `same` is the dialect's null-safe equality; SET reads the row as it was."""
    unchanged = " AND ".join(f"tickets.{c} {same} excluded.{c}" for c in TICKET_COLUMNS[1:])
    return (insert("tickets", TICKET_COLUMNS, key="issue_id", update=TICKET_COLUMNS[1:])
            + f", due_at = CASE WHEN {unchanged} THEN tickets.due_at ELSE '' END")


_UPSERT_TICKET: dict[Dialect, str] = {
    "sqlite": _upsert_ticket("IS"), "postgresql": _upsert_ticket("IS NOT DISTINCT FROM")}
_SET_DUE = "UPDATE tickets SET due_at = ? WHERE issue_id = ?"
# The due index's order (the partial index tickets_due), its last column read too for the
# next page's key.
_SELECT_DUE = select("tickets", (*TICKET_COLUMNS, "due_at"))
_UPSERT_DUE_BASIS = (
    "INSERT INTO due_bases (project, fingerprint, through) VALUES (?, ?, ?) ON CONFLICT "
    "(project) DO UPDATE SET fingerprint = excluded.fingerprint, through = excluded.through"
)
# The bookmark is upserted too: the latest poll wins.
_UPSERT_BOOKMARK = insert("bookmarks", ("project", "position", "backfilled"), key="project",
                          update=("position", "backfilled"))
_INSERT_STAY = (
    "INSERT INTO status_history (issue_id, issue_key, project, from_status, to_status, tier, "
    "entered_at, left_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_CHANGE = (
    "INSERT INTO processed_changes (change_id, issue_id, processed_at) VALUES (?, ?, ?) "
    "ON CONFLICT (change_id) DO NOTHING"
)


def _admitted(among: Sequence[Clause] | None) -> tuple[str, tuple[object, ...]]:
    """A predicate: some clause admits the row (no clause: no row; None: every row); and
    the values it binds."""
    if among is None:
        return "1 = 1", ()
    alternatives, values = [], []
    for clause in among:
        terms = ["1 = 1"]
        for column, allowed in (("status", clause.statuses), ("COALESCE(tier, 1)", clause.tiers),
                                ("category", clause.categories)):
            if allowed is not None:
                # IN () is not SQL; a rule whose conditions allow no value admits nothing.
                terms.append(f"{column} IN ({placeholders(len(allowed))})" if allowed
                             else "1 = 0")
                values += sorted(allowed, key=str)
        alternatives.append("(" + " AND ".join(terms) + ")")
    return "(" + (" OR ".join(alternatives) or "1 = 0") + ")", tuple(values)


class MirrorSql:
    """`Mirror` and `Bookmarks` on the state's connection; written by `commit`."""

    _db: Database
    # Ticket rows written since the store's last housekeeping (PostgresStateStore.tidy):
    # on PostgreSQL each leaves a dead row version behind.
    tickets_rewritten = 0

    def bookmark(self, project: str) -> Bookmark | None:
        row = self._db.execute(
            "SELECT project, position, backfilled FROM bookmarks WHERE project = ?", (project,)
        ).fetchone()
        return None if row is None else Bookmark(row[0], str(row[1]), bool(row[2]))

    def ticket(self, issue_id: str) -> Ticket | None:
        row = self._db.execute(f"{SELECT_TICKETS} WHERE issue_id = ?", (issue_id,)).fetchone()
        return None if row is None else ticket_from_row(row)

    def ticket_by_key(self, key: str) -> Ticket | None:
        row = self._db.execute(f"{SELECT_TICKETS} WHERE key = ?", (key,)).fetchone()
        return None if row is None else ticket_from_row(row)

    def open_tickets(self, project: str, among: Sequence[Clause] | None = None
                     ) -> Iterator[Ticket]:
        """Stream the project's open tickets in issue-id order, a page per query; with
        `among`, only those some clause admits (the rest are never read or built).

        Keyset paging keeps each query short, so the caller may commit between tickets and
        no read transaction is left pinning the WAL; a ticket closed mid-stream is skipped.
        """
        admitted, values = _admitted(among)
        sql = f"{SELECT_TICKETS} WHERE project = ? AND open = 1 AND {admitted} AND issue_id > ? "
        sql += "ORDER BY issue_id LIMIT ?"
        return self._pages(sql, (project, *values), ("",), lambda row: (row[0],))

    def due_tickets(self, project: str, now: datetime) -> Iterator[Ticket]:
        """Stream the open tickets due at `now` ('' first: written since their evaluation),
        in the order of the partial index `tickets_due`, a page per query. The caller
        commits new due instants (after `now`) between pages: those leave the range."""
        sql = (f"{_SELECT_DUE} WHERE project = ? AND open = 1 AND due_at <= ? "
               "AND (due_at, issue_id) > (?, ?) ORDER BY due_at, issue_id LIMIT ?")
        return self._pages(sql, (project, to_text(now)), ("", ""),
                           lambda row: (row[-1], row[0]))

    def _pages(self, sql: str, arguments: tuple[object, ...], first: tuple[object, ...],
               key: Callable[[Sequence[Any]], tuple[object, ...]]) -> Iterator[Ticket]:
        """Tickets a page at a time: `sql` takes `arguments`, then the last row's `key`
        (`first` before any), then the page size."""
        after = first
        while True:
            # The rows are fetched before the first yield, so the statement is finished.
            with gc_paused():
                rows = self._db.execute(sql, (*arguments, *after, _PAGE)).fetchall()
                page = [ticket_from_row(row) for row in rows]
            yield from page
            if len(page) < _PAGE:
                return
            after = key(rows[-1])

    def due_basis(self, project: str) -> DueBasis | None:
        row = self._db.execute("SELECT fingerprint, through FROM due_bases WHERE project = ?",
                               (project,)).fetchone()
        return None if row is None else DueBasis(str(row[0]), from_text(row[1]))

    def rebase_due(self, project: str, basis: DueBasis, *, reset: bool = False,
                   among: Sequence[Clause] | None = None) -> None:
        """Keep what the index holds for; with `reset`, every ticket of the project due at
        once first (with `among`, those some clause admits; the rest never, until they
        change), in the same transaction (a crash leaves neither)."""
        with self._db.transaction("rebasing the due index"):
            if reset:
                admitted, values = _admitted(among)
                reset_rows = self._db.execute(
                    f"UPDATE tickets SET due_at = CASE WHEN {admitted} THEN '' "  # noqa: S608
                    "ELSE NULL END WHERE project = ?", (*values, project))
                self.tickets_rewritten += max(reset_rows.rowcount, 0)
            self._db.execute(_UPSERT_DUE_BASIS,
                             (project, basis.fingerprint, to_text(basis.through)))

    def count_open(self, project: str) -> int:
        sql = "SELECT count(*) FROM tickets WHERE project = ? AND open = 1"
        return int(self._db.execute(sql, (project,)).fetchone()[0])

    def seen_changes(self, change_ids: Iterable[str]) -> set[str]:
        """Which of these changelog ids were already processed (queried in chunks)."""
        return present(self._db, "processed_changes", "change_id", change_ids)

    def _write_mirror(self, t: Transaction, tickets: list[tuple[object, ...]]) -> None:
        """The mirror's part of `commit`, inside its transaction (`tickets` encoded first)."""
        self._record_history(t.tickets)
        self._db.executemany(_UPSERT_TICKET[self._db.dialect], tickets)
        closed = [(issue_id,) for issue_id in t.closed_issue_ids]
        self._db.executemany("UPDATE tickets SET open = 0 WHERE issue_id = ?", closed)
        # After the tickets: an evaluation's next instants stand over the '' a write set.
        self._db.executemany(_SET_DUE, [(to_text_or_none(at), issue_id)
                                        for issue_id, at in t.due.items()])
        self.tickets_rewritten += len(tickets) + len(t.due) + len(closed)
        now = to_text(datetime.now(UTC))  # bookkeeping only: rules never read it
        self._db.executemany(_INSERT_CHANGE, [(c, i, now) for c, i in t.processed_changes])
        if t.bookmark is not None:
            mark = t.bookmark
            self._db.execute(_UPSERT_BOOKMARK,
                             (mark.project, mark.position, int(mark.backfilled)))

    def _record_history(self, tickets: Sequence[Ticket]) -> None:
        """Close and open the status stays and the assignees' holds these ticket updates make
        (connector.state.history, connector.state.assignments), inside commit's transaction:
        the history never disagrees with the mirror."""
        issue_ids = [ticket.issue_id for ticket in tickets]
        sql = ("SELECT issue_id, id, to_status, tier, entered_at FROM status_history "
               "WHERE left_at IS NULL AND issue_id IN ({marks})")
        current = {row[0]: Stay(row[1], row[2], row[3], from_text(row[4]))
                   for row in rows_in(self._db, sql, issue_ids)}
        write_handovers(self._db, handovers(current_holds(self._db, issue_ids),
                                            {i: stay.status for i, stay in current.items()},
                                            tickets))
        writes = moves(current, tickets)
        self._db.executemany("UPDATE status_history SET left_at = ? WHERE id = ?",
                             [(to_text(at), row_id) for row_id, at in writes.closed])
        self._db.executemany(_INSERT_STAY, [
            (e.issue_id, e.issue_key, e.project, e.from_status, e.to_status, e.tier,
             to_text(e.entered_at), to_text_or_none(e.left_at)) for e in writes.entered])


def encode_tickets(tickets: Sequence[Ticket]) -> list[tuple[object, ...]]:
    """Encode before any lock is taken: a bad value (a naive datetime) fails first."""
    return [ticket_row(ticket) for ticket in tickets]

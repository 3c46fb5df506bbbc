"""The report's queries on the SQLite state: all its SQL, on a read-only connection.

A PostgreSQL store gives the report the same `ReportState` from the same queries. One read
transaction holds every query to one snapshot, so the charts agree with each other while the
service writes beside them (WAL readers never block the writer, nor it them).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from connector.domain import Ticket
from connector.errors import FatalError, UsageError
from connector.report.records import (
    STEPS,
    AnswerRow,
    MailRow,
    ReportState,
    Scope,
    StayRow,
    Step,
    TicketRow,
    no_step,
)
from connector.state.timestamps import from_text, from_text_or_none, to_text

# In scope: every open ticket, and those created or changed in the period (a ticket's
# `updated` is at or after each of its moves, so a stay that ended in the period is kept).
_IN_SCOPE = ("(:project IS NULL OR t.project = :project) "
             "AND (t.open = 1 OR t.created >= :since OR t.updated >= :since)")
_OF_PROJECT = ("(:project IS NULL OR issue_key IN "
               "(SELECT key FROM tickets WHERE project = :project))")
_ROW_COLUMNS = "key, summary, status, category, tier, created, open"
# Every query is built from the constant fragments above; values are always bound.
_TICKETS = f"SELECT {_ROW_COLUMNS} FROM tickets t WHERE {_IN_SCOPE}"  # noqa: S608
# The stays a report needs: those still going on, and those that ended in the period (every
# stay of a ticket opened in the period began after it, so ended after it too).
_STAYS = (
    "SELECT issue_key, from_status, to_status, tier, entered_at, left_at FROM status_history "
    "WHERE (:project IS NULL OR project = :project) AND (left_at IS NULL OR left_at >= :since) "
    "ORDER BY id")
_ANSWERS = (
    "SELECT issue_key, resolution, score, comment, first_at, updated_at FROM feedback "  # noqa: S608
    f"WHERE first_at >= :since AND {_OF_PROJECT}")
_MAIL = (
    "SELECT received_at, state, outcome, kind, instr(',' || step || ',', ',reopened,') > 0, "  # noqa: S608
    f"issue_key FROM mail_intake WHERE received_at >= :since AND {_OF_PROJECT}")
_OLDEST_OPEN = ("SELECT issue_id, key, project, status, status_since, created, updated, "
                "summary, text, assignee, assignee_name, tier, category, customer, reporter, "
                "labels, last_customer_reply, resolutions, open FROM tickets "
                "WHERE open = 1 AND (:project IS NULL OR project = :project) "
                "ORDER BY created, key LIMIT :limit")
_HISTORY_SINCE = ("SELECT coalesce((SELECT value FROM meta WHERE key = 'status_history_since'), "
                  "(SELECT min(entered_at) FROM status_history))")


def _whole_ticket(row: Sequence[Any]) -> Ticket:
    """Every field, as the rules see it (the slowest tickets are explained)."""
    values = list(row)
    for index in (4, 5, 6):
        values[index] = from_text(values[index])
    values[15] = tuple(json.loads(values[15]))
    values[16] = from_text_or_none(values[16])
    values[18] = values[18] == 1
    return Ticket(*values)


class SqliteReportSource:
    """Reads a report's state from the SQLite file at `path`, never writing to it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        if not self.path.exists():
            raise UsageError(f"no state database at {self.path}; run `ticketflow once` (or "
                             "`run`) first, or set TICKETFLOW_STATE_DB")
        try:
            return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                   isolation_level=None)
        except sqlite3.Error as error:
            raise FatalError(f"state database {self.path}: cannot open it to read: "
                             f"{error}") from error

    def read(self, scope: Scope, *, slowest: int = 10, step: Step = no_step) -> ReportState:
        """One snapshot of everything the report shows; `step` hears each query start."""
        parse = from_text  # bound once: it runs for every time of every row
        bound = {"since": to_text(scope.since), "project": scope.project, "limit": slowest}
        with closing(self._connect()) as db:
            try:
                db.execute("BEGIN")  # one snapshot for every query below
                step(STEPS[0])
                tickets = [TicketRow(key, summary, status, category, tier, parse(created),
                                     is_open == 1) for key, summary, status, category, tier,
                           created, is_open in db.execute(_TICKETS, bound)]
                step(STEPS[1])
                stays = [StayRow(key, before, after, tier, parse(entered),
                                 None if left is None else parse(left))
                         for key, before, after, tier, entered, left
                         in db.execute(_STAYS, bound)]
                step(STEPS[2])
                answers = [AnswerRow(key, resolution, score, comment, parse(first),
                                     parse(updated))
                           for key, resolution, score, comment, first, updated
                           in db.execute(_ANSWERS, bound)]
                step(STEPS[3])
                mail = [MailRow(parse(received), state == "done", outcome, kind,
                                bool(reopened), key)
                        for received, state, outcome, kind, reopened, key
                        in db.execute(_MAIL, bound)]
                step(STEPS[4])
                oldest = [_whole_ticket(row) for row in db.execute(_OLDEST_OPEN, bound)]
                (since,) = db.execute(_HISTORY_SINCE).fetchone()
                db.execute("COMMIT")
            except sqlite3.OperationalError as error:
                raise FatalError(f"state database {self.path}: cannot read the report's "
                                 f"figures ({error}); if it was written by an older "
                                 "ticketflow, start `ticketflow once` or `run` once to "
                                 "upgrade it") from error
        return ReportState(scope, tickets, stays, answers, mail, oldest,
                           from_text_or_none(since))

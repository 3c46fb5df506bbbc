"""The report's queries on the state: all its SQL, on a read-only connection, either dialect.

SQLite and PostgreSQL answer the same queries (connector.state.sql). One read transaction
holds every query to one snapshot, so the charts agree with each other while the service
writes beside them (readers never block the writer, nor it them, in either engine).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import closing
from typing import Any

from connector.domain import Ticket
from connector.errors import FatalError
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
from connector.state.location import StateLocation, open_reader
from connector.state.migrate import migration_state
from connector.state.migrations import MIGRATIONS
from connector.state.sql import Database
from connector.state.timestamps import from_text, from_text_or_none, to_text
from connector.state.url import describe

# In scope: every open ticket, and those created or changed in the period (a ticket's
# `updated` is at or after each of its moves, so a stay that ended in the period is kept).
# A NULL is cast to a type: PostgreSQL cannot tell the type of a bare parameter.
_ALL_PROJECTS = "CAST(:project AS TEXT) IS NULL"
_IN_SCOPE = (f"({_ALL_PROJECTS} OR t.project = :project) "
             "AND (t.open = 1 OR t.created >= :since OR t.updated >= :since)")
_OF_PROJECT = (f"({_ALL_PROJECTS} OR issue_key IN "  # noqa: S608 - constant fragments
               "(SELECT key FROM tickets WHERE project = :project))")
_ROW_COLUMNS = "key, summary, status, category, tier, created, open"
# Every query is built from the constant fragments above; values are always bound.
_TICKETS = f"SELECT {_ROW_COLUMNS} FROM tickets t WHERE {_IN_SCOPE} ORDER BY t.issue_id"  # noqa: S608
# The stays a report needs: those still going on, and those that ended in the period (every
# stay of a ticket opened in the period began after it, so ended after it too).
_STAYS = (
    "SELECT issue_key, from_status, to_status, tier, entered_at, left_at FROM status_history "  # noqa: S608
    f"WHERE ({_ALL_PROJECTS} OR project = :project) AND (left_at IS NULL OR left_at >= :since) "
    "ORDER BY id")
_ANSWERS = (
    "SELECT issue_key, resolution, score, comment, first_at, updated_at FROM feedback "  # noqa: S608
    f"WHERE first_at >= :since AND {_OF_PROJECT}")
_MAIL = (
    "SELECT received_at, state, outcome, kind, "  # noqa: S608
    "CASE WHEN ',' || step || ',' LIKE '%,reopened,%' THEN 1 ELSE 0 END, "
    f"issue_key FROM mail_intake WHERE received_at >= :since AND {_OF_PROJECT}")
_OLDEST_OPEN = ("SELECT issue_id, key, project, status, status_since, created, updated, "  # noqa: S608
                "summary, text, assignee, assignee_name, tier, category, customer, reporter, "
                "labels, last_customer_reply, resolutions, open FROM tickets "
                f"WHERE open = 1 AND ({_ALL_PROJECTS} OR project = :project) "
                "ORDER BY created, key LIMIT :limit")
_HISTORY_SINCE = ("SELECT coalesce((SELECT since FROM history_origin), "
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


class StateReportSource:
    """Reads a report's state from TICKETFLOW_STATE_DB (a SQLite file or a PostgreSQL URL),
    never writing to it."""

    def __init__(self, location: StateLocation) -> None:
        self.location = location

    def read(self, scope: Scope, *, slowest: int = 10, step: Step = no_step) -> ReportState:
        """One snapshot of everything the report shows; `step` hears each query start."""
        bound = {"since": to_text(scope.since), "project": scope.project, "limit": slowest}
        with closing(open_reader(self.location)) as db:
            pending = migration_state(db, MIGRATIONS).pending
            if pending:
                raise FatalError(f"state database {describe(self.location)}: cannot read the "
                                 f"report's figures: it lacks migration {', '.join(pending)}; "
                                 "if it was written by an older ticketflow, start `ticketflow "
                                 "once` or `run` once to upgrade it (or `ticketflow state "
                                 "migrate`)")
            with db.snapshot():  # one snapshot for every query below
                return _read(db, scope, bound, step)


def _read(db: Database, scope: Scope, bound: Mapping[str, object], step: Step) -> ReportState:
    parse = from_text  # bound once: it runs for every time of every row
    step(STEPS[0])
    tickets = [TicketRow(key, summary, status, category, tier, parse(created), is_open == 1)
               for key, summary, status, category, tier, created, is_open
               in db.execute(_TICKETS, bound).fetchall()]
    step(STEPS[1])
    stays = [StayRow(key, before, after, tier, parse(entered),
                     None if left is None else parse(left))
             for key, before, after, tier, entered, left in db.execute(_STAYS, bound).fetchall()]
    step(STEPS[2])
    answers = [AnswerRow(key, resolution, score, comment, parse(first), parse(updated))
               for key, resolution, score, comment, first, updated
               in db.execute(_ANSWERS, bound).fetchall()]
    step(STEPS[3])
    mail = [MailRow(parse(received), state == "done", outcome, kind, bool(reopened), key)
            for received, state, outcome, kind, reopened, key
            in db.execute(_MAIL, bound).fetchall()]
    step(STEPS[4])
    oldest = [_whole_ticket(row) for row in db.execute(_OLDEST_OPEN, bound).fetchall()]
    (since,) = db.execute(_HISTORY_SINCE).fetchone()
    return ReportState(scope, tickets, stays, answers, mail, oldest, from_text_or_none(since))

"""Who held which open ticket when: the assignee history that least_loaded counts as of an instant.

A hold is one person's stretch as the assignee of one open ticket. The mirror writes them in
the transaction that upserts tickets, dated on the tracker's clock (as the status history
is); a pick ticketflow makes itself (an escalation, an `assign` to a role) begins its hold
when it is recorded, dated when the escalation fell due, not when the late cycle that
performs it runs or when the tracker shows the write. So a load counted as of an instant is
the same whichever cycle counts it, and whether or not the tracker's feed shows the writes
yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from connector.domain import Ticket
from connector.state.sql import Database, placeholders, rows_in
from connector.state.timestamps import from_text, to_text


class Hold(NamedTuple):
    """A ticket's current hold as stored: its row, the assignee and when it began."""

    row_id: int
    assignee: str
    entered_at: datetime


class HoldEntry(NamedTuple):
    """A hold to insert; `left_at` is set when the same batch already ended it."""

    issue_id: str
    project: str
    assignee: str
    entered_at: datetime
    left_at: datetime | None = None


@dataclass(frozen=True)
class Pick:
    """A person ticketflow picked for a ticket, as of the instant the action fell due."""

    issue_id: str
    project: str
    assignee: str
    at: datetime


@dataclass(frozen=True)
class HandoverWrites:
    """What one batch writes: stored holds to end (row id, left at) and holds to insert."""

    ended: list[tuple[int, datetime]]
    begun: list[HoldEntry]


def handovers(current: Mapping[str, Hold], statuses: Mapping[str, str],
              tickets: Sequence[Ticket]) -> HandoverWrites:
    """The holds upserting `tickets` (in order) ends and begins, over the stored current
    holds and the statuses the mirror held before the batch. A change of status (the ticket
    closed, or moved as it was handed over) is dated by its `status_since`; an assignee
    changed alone, by the ticket's last update."""
    writes = HandoverWrites([], [])
    heads: dict[str, tuple[Hold | HoldEntry, int | None]] = {
        issue_id: (hold, None) for issue_id, hold in current.items()}
    was = dict(statuses)
    for ticket in tickets:
        head, index = heads.get(ticket.issue_id, (None, None))
        holder = ticket.assignee if ticket.open else None
        previous, was[ticket.issue_id] = was.get(ticket.issue_id), ticket.status
        if holder == (head.assignee if head else None):
            continue
        at = ticket.updated if previous == ticket.status else ticket.status_since
        if head is not None:
            at = max(at, head.entered_at)
            if index is not None:
                writes.begun[index] = writes.begun[index]._replace(left_at=at)
            elif isinstance(head, Hold):
                writes.ended.append((head.row_id, at))
            del heads[ticket.issue_id]
        if holder is not None:
            writes.begun.append(HoldEntry(ticket.issue_id, ticket.project, holder, at))
            heads[ticket.issue_id] = (writes.begun[-1], len(writes.begun) - 1)
    return writes


_CURRENT = "SELECT issue_id, id, assignee, entered_at FROM assignee_history WHERE left_at IS NULL"
_END = "UPDATE assignee_history SET left_at = ? WHERE id = ?"
_BEGIN = ("INSERT INTO assignee_history (issue_id, project, assignee, entered_at, left_at, "
          "picked) VALUES (?, ?, ?, ?, ?, ?)")
# Held just before `at` (a change at the very instant is not seen yet: a tracker whose feed
# lags shows it no sooner), or picked by ticketflow at that very instant before this pick.
# Two statements, each on its own partial index: the current holds, and those ended since.
_HELD = ("SELECT assignee, count(*) FROM assignee_history WHERE project = ? AND {ended} "
         "AND assignee IN ({members}) AND (entered_at < ? OR (picked = 1 AND entered_at <= ?)) "
         "GROUP BY assignee")


def current_holds(db: Database, issue_ids: Sequence[str]) -> dict[str, Hold]:
    """The stored current hold of each of these tickets that has one (queried in chunks)."""
    rows = rows_in(db, f"{_CURRENT} AND issue_id IN ({{marks}})", issue_ids)
    return {row[0]: Hold(row[1], row[2], from_text(row[3])) for row in rows}


def write_handovers(db: Database, writes: HandoverWrites) -> None:
    db.executemany(_END, [(to_text(at), row_id) for row_id, at in writes.ended])
    db.executemany(_BEGIN, [(e.issue_id, e.project, e.assignee, to_text(e.entered_at),
                             None if e.left_at is None else to_text(e.left_at), 0)
                            for e in writes.begun])


def begin_pick(db: Database, pick: Pick) -> None:
    """Hand the ticket to the picked person as of `pick.at`, inside the caller's transaction.
    The mirror sees the same assignee when the write comes back, so the hold keeps this
    date."""
    held = current_holds(db, [pick.issue_id]).get(pick.issue_id)
    if held is not None and held.assignee == pick.assignee:
        return
    if held is not None:
        db.execute(_END, (to_text(max(pick.at, held.entered_at)), held.row_id))
    db.execute(_BEGIN, (pick.issue_id, pick.project, pick.assignee, to_text(pick.at), None, 1))


class AssignmentsSql:
    """The load least_loaded reads, on the state's connection."""

    _db: Database

    def load_as_of(self, project: str, members: Sequence[str], at: datetime) -> dict[str, int]:
        """How many of the project's open tickets each member held just before `at`, with
        the picks ticketflow made as of `at` or earlier (members holding none are absent)."""
        if not members:
            return {}
        marks, instant = placeholders(len(members)), to_text(at)
        sql = " UNION ALL ".join(_HELD.format(ended=ended, members=marks)
                                 for ended in ("left_at IS NULL", "left_at >= ?"))
        rows = self._db.execute(sql, (project, *members, instant, instant,
                                      project, instant, *members, instant, instant)).fetchall()
        load: dict[str, int] = {}
        for assignee, count in rows:
            load[str(assignee)] = load.get(str(assignee), 0) + int(count)
        return load

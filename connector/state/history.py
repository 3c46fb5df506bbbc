"""Status history: which stays (status, tier) a batch of mirror updates opens and closes.

Pure, so every store (SQLite today, PostgreSQL next) writes the same rows: the store reads
each ticket's current stay, asks `moves`, and writes the answer in the transaction that
upserts the tickets. A stay changes when the status or the tier does; the mirror sees a
ticket once per poll, so a status held for less than one poll interval is not seen and
its time counts to the stay before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from connector.domain import Ticket


class Stay(NamedTuple):
    """A ticket's current stay as stored: its row, status, tier and when it began."""

    row_id: int
    status: str
    tier: int | None
    entered_at: datetime


class StayEntry(NamedTuple):
    """A stay to insert; `left_at` is set when the same batch already ended it."""

    issue_id: str
    issue_key: str
    project: str
    from_status: str | None
    to_status: str
    tier: int | None
    entered_at: datetime
    left_at: datetime | None = None


@dataclass(frozen=True)
class HistoryWrites:
    """What one batch writes: stored stays to close (row id, left at) and stays to insert."""

    closed: list[tuple[int, datetime]]
    entered: list[StayEntry]


def _moved_at(ticket: Ticket, status: str, entered_at: datetime) -> datetime:
    """When the ticket left a stay that began at `entered_at`. A new status began at its
    `status_since`; a tier changed alone, or a `status_since` no later than the stay's
    start (a changelog the tracker did not give), is dated by the ticket's last update."""
    at = ticket.status_since if ticket.status != status else ticket.updated
    if at <= entered_at:
        at = ticket.updated
    return max(at, entered_at)


def moves(current: Mapping[str, Stay], tickets: Sequence[Ticket]) -> HistoryWrites:
    """The history rows for upserting `tickets` (in order) over the stored current stays."""
    writes = HistoryWrites([], [])
    # Each ticket's stay as the batch goes: a stored one, or one this batch entered (its
    # index in `writes.entered`, so a second change in the same batch can end it).
    heads: dict[str, tuple[Stay | StayEntry, int | None]] = {
        issue_id: (stay, None) for issue_id, stay in current.items()}
    for ticket in tickets:
        head, index = heads.get(ticket.issue_id, (None, None))
        if head is None:
            heads[ticket.issue_id] = _enter(writes, ticket, None, ticket.status_since)
            continue
        status = head.to_status if isinstance(head, StayEntry) else head.status
        if (status, head.tier) == (ticket.status, ticket.tier):
            continue
        at = _moved_at(ticket, status, head.entered_at)
        if index is not None:
            writes.entered[index] = writes.entered[index]._replace(left_at=at)
        elif isinstance(head, Stay):
            writes.closed.append((head.row_id, at))
        heads[ticket.issue_id] = _enter(writes, ticket, status, at)
    return writes


def _enter(writes: HistoryWrites, ticket: Ticket, from_status: str | None,
           at: datetime) -> tuple[StayEntry, int]:
    entry = StayEntry(ticket.issue_id, ticket.key, ticket.project, from_status, ticket.status,
                      ticket.tier, at)
    writes.entered.append(entry)
    return entry, len(writes.entered) - 1

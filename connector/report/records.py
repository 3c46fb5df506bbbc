"""What the report reads from the state: plain records, and the protocol of a store giving them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from connector.domain import Ticket

# What a report does, in order; a progress display is told each step as it starts.
STEPS = ("reading tickets", "reading the status history", "reading feedback", "reading mail",
         "reading open tickets", "counting tickets", "timing statuses", "counting escalations",
         "checking promises", "reading satisfaction", "counting mail", "explaining the slowest")
Step = Callable[[str], None]


def no_step(name: str) -> None:
    """No progress display."""
    del name


@dataclass(frozen=True)
class Scope:
    """Which part of the state a report covers: a period ending `now`, one project or all."""

    since: datetime
    now: datetime
    project: str | None = None


# Rows are named tuples: a report reads hundreds of thousands of them, and a tuple is made
# three times faster than a frozen dataclass.


class TicketRow(NamedTuple):
    """What the figures need of a ticket (the slowest are read whole, as `Ticket`)."""

    key: str
    summary: str
    status: str
    category: str | None
    tier: int | None
    created: datetime
    open: bool


class StayRow(NamedTuple):
    """One stay of a ticket in one status at one tier (the status history)."""

    issue_key: str
    from_status: str | None  # None: the first status ticketflow saw
    to_status: str
    tier: int | None
    entered_at: datetime
    left_at: datetime | None  # None: still there


class AnswerRow(NamedTuple):
    """A customer's feedback on one resolution of a ticket, as it stands."""

    issue_key: str
    resolution: int
    score: int
    comment: str
    first_at: datetime
    updated_at: datetime


class MailRow(NamedTuple):
    """One message mail intake read, and how it ended."""

    received_at: datetime
    done: bool
    outcome: str | None  # ticket, comment, quarantine; None while it waits
    kind: str  # ordinary, bounce, auto_reply, auto_generated, bulk, own
    reopened: bool
    issue_key: str | None


@dataclass(frozen=True)
class ReportState:
    """Everything one report is computed from.

    `tickets` are those created or updated in the period and every open one; `stays` those
    still going on or ended in the period (so every stay of a ticket opened in it), in order
    per ticket; `oldest_open` the open tickets created first, whole (business age grows with
    age, so they are the slowest); `history_since` since when the status history is kept.
    """

    scope: Scope
    tickets: list[TicketRow]
    stays: list[StayRow]
    answers: list[AnswerRow]
    mail: list[MailRow]
    oldest_open: list[Ticket]
    history_since: datetime | None


class ReportSource(Protocol):
    """A state store read for a report: one consistent snapshot, nothing written."""

    def read(self, scope: Scope, *, slowest: int = 10, step: Step = no_step) -> ReportState:
        """One snapshot of everything the report shows; `step` hears each query start."""
        ...
